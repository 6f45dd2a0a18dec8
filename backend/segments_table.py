"""`nmirf i18n segments`: what each message kind costs by SMS in each language, rendered with the
longest realistic values (three actions with long titles, a long name, a long note...)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.segments import count_segments, fold_to_gsm
from conversations import engine, onboarding, subscription
from conversations.i18n import available_languages
from conversations.views import ActionView, PersonView

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=timezone.utc)
ACTIONS = (
    ActionView(1, "Draft the Children Protection Bill and submit it to Cabinet", "in_progress"),
    ActionView(2, "Run a birth registration campaign in ten counties", "not_started", "Children registered"),
    ActionView(3, "Train police officers on investigating GBV cases", "blocked", "Officers trained"),
)


def _person(language: str) -> PersonView:
    return PersonView(id=1, name="Maximiliana Wanjiru-Achieng", language=language, timezone="Africa/Nairobi",
                      institution="MOJ", actions=ACTIONS)


def messages(language: str) -> dict[str, str]:
    """Every kind of message the bot sends, in `language`."""
    p = _person(language)
    prompt = engine.start_weekly(p, None, NOW, timedelta(hours=72), "t")
    state = prompt.state
    partial = engine.handle_text(p, state, "1D 5P", NOW)
    done = engine.handle_text(p, partial.state, "2P 1250 3B", NOW)
    return {
        "weekly_prompt": prompt.replies[0].text,
        "correction": engine.handle_text(p, state, "hello", NOW).replies[0].text,
        "partial_echo": partial.replies[0].text,
        "confirmation": done.replies[0].text,
        "note_added": engine.handle_text(p, done.state, "Cabinet meets in January", NOW).replies[0].text,
        "help": engine.handle_text(p, state, "HELP", NOW).replies[0].text,
        "menu": engine.handle_text(p, None, "hello", NOW).replies[0].text,
        "status": engine.handle_text(p, state, "STATUS", NOW).replies[0].text,
        "unsupported": engine.unsupported(language).text,
        "stop": subscription.stopped(language).text,
        "start": subscription.started(language).text,
        "not_registered": onboarding.unknown_sender(language, "sms")[0].text,
    }


def table() -> list[dict]:
    rows = []
    for language in available_languages():
        for kind, text in messages(language).items():
            plain, folded = count_segments(fold_to_gsm(text)), count_segments(fold_to_gsm(text, accents=True))
            rows.append({"kind": kind, "language": language, "characters": plain.characters,
                         "encoding": plain.encoding, "segments": plain.segments,
                         "folded_encoding": folded.encoding, "folded_segments": folded.segments})
    return rows


def render() -> str:
    lines = ["| kind | language | characters | encoding | segments | with SMS_FOLD=accents |", "|---|---|---|---|---|---|"]
    for r in table():
        lines.append(f"| {r['kind']} | {r['language']} | {r['characters']} | {r['encoding']} | {r['segments']} | "
                     f"{r['folded_encoding']}, {r['folded_segments']} |")
    return "\n".join(lines)
