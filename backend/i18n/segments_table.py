"""`nmirf i18n segments`: what each message kind costs by SMS in each language, rendered with the
longest realistic values (three actions with long titles, a long name, a long note...)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.segments import count_segments, fold_to_gsm
from conversations import attendance, engine, hints, onboarding, subscription, weekly
from conversations import report as report_flow
from conversations.i18n import available_languages
from conversations.parse import keywords
from conversations.views import ActionView, ClusterView, InvitationView, PersonView

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
ACTIONS = (
    ActionView(1, "Draft the Children Protection Bill and submit it to Cabinet", "in_progress"),
    ActionView(2, "Run a birth registration campaign in ten counties", "not_started", "Children registered"),
    ActionView(3, "Train police officers on investigating GBV cases", "blocked", "Officers trained"),
)


MEETING = InvitationView(
    meeting_id=1234,
    title="Review of the disability rights cluster recommendations",
    starts_at=datetime(2026, 12, 30, 7, 0, tzinfo=UTC),
    place="Sheria House, 4th floor, conference room B",
    status="pending",
    substitute="Maximiliana Wanjiru-Achieng",
)
SECOND = InvitationView(
    meeting_id=1240,
    title="Children's rights cluster: progress on the CRC recommendations",
    starts_at=datetime(2026, 12, 31, 7, 0, tzinfo=UTC),
    place="Online",
    status="pending",
)


def _person(language: str, invitations=()) -> PersonView:
    return PersonView(
        id=1,
        name="Maximiliana Wanjiru-Achieng",
        language=language,
        timezone="Africa/Nairobi",
        institution="MOJ",
        actions=ACTIONS,
        invitations=invitations,
        report_actions=ACTIONS,
        clusters=(ClusterView(9, "Rights of persons with disabilities and older persons"),),
    )


def _say(person: PersonView, state, text: str) -> str:
    return "\n".join(r.text for r in engine.handle_text(person, state, text, NOW).replies)


def messages(language: str) -> dict[str, str]:
    """Every kind of message the bot sends, in `language`."""
    p = _person(language)
    prompt = engine.start(weekly.FLOW, p, None, NOW, timedelta(hours=72), "t")
    assert prompt is not None and prompt.state is not None  # a weekly prompt for a person with actions
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
        "expired_weekly": engine.expired_note(p, state),
        "command_hint": _hint(p),
        **_more(language, p),
    }


def _hint(p: PersonView) -> str:
    """A note that starts with the language's longest command phrase, taken as written."""
    phrases = [" ".join(ph) for meaning in hints.COMMANDS for ph in keywords(p.language).get(meaning, ())]
    longest = max(phrases, key=len)
    reply = hints.command_hint(p, f"{longest} of the minister is planned after the cabinet meeting")
    assert reply is not None
    return reply.text


def _more(language: str, p: PersonView) -> dict[str, str]:
    """The report, availability and language commands, and meeting attendance."""
    report = engine.handle_text(p, None, "REPORT", NOW)
    assert isinstance(report.state, report_flow.ReportState)  # REPORT starts the report flow
    invited = _person(language, (MEETING,))
    both = _person(language, (MEETING, SECOND))
    lonely = _person(language, (replace(MEETING, substitute=None),))
    started = engine.start(weekly.FLOW, invited, None, NOW, timedelta(hours=72), "t")
    assert started is not None and started.state is not None  # as in messages()
    waiting = started.state
    return {
        "report_choice": report.replies[0].text,
        "report_where": _say(p, report.state, "1"),
        "report_done": _say(
            p,
            replace(
                report.state,
                step="reached",
                action=1,
                locality="Kakamega North Sub-County, Shinyalu Ward",
                what="x" * 500,
            ),
            "1250",
        ),
        "expired_report": engine.expired_note(p, report.state),
        "report_resume": report_flow.resume(p, replace(report.state, step="reached")),
        "away": _say(p, None, "AWAY 2026-12-31"),
        "lang": _say(p, None, f"LANG {language}"),
        "invitation": attendance.invitation_text(invited, MEETING),
        "invitation_substitute": attendance.invitation_text(invited, replace(MEETING, sent_by="Maximiliana Wanjiru")),
        "attendance_yes": _say(invited, None, "YES"),
        "attendance_no": _say(invited, None, "NO"),
        "attendance_sub": _say(invited, None, "SUB"),
        "attendance_no_substitute": _say(lonely, None, "SUB"),
        "attendance_which": _say(both, None, "YES"),
        "attendance_unknown_meeting": _say(both, None, "YES 99"),
        "attendance_ask_which": _say(invited, replace(waiting, step="note"), "YES"),
        "attendance_waiting": _say(invited, waiting, "YES 1234"),
        "menu_invitations": _say(both, None, "hello"),
    }


def table() -> list[dict]:
    rows = []
    for language in available_languages():
        for kind, text in messages(language).items():
            plain, folded = count_segments(fold_to_gsm(text)), count_segments(fold_to_gsm(text, accents=True))
            rows.append(
                {
                    "kind": kind,
                    "language": language,
                    "characters": plain.characters,
                    "encoding": plain.encoding,
                    "segments": plain.segments,
                    "folded_encoding": folded.encoding,
                    "folded_segments": folded.segments,
                }
            )
    return rows


def render() -> str:
    lines = [
        "| kind | language | characters | encoding | segments | with SMS_FOLD=accents |",
        "|---|---|---|---|---|---|",
    ]
    for r in table():
        lines.append(
            f"| {r['kind']} | {r['language']} | {r['characters']} | {r['encoding']} | {r['segments']} | "
            f"{r['folded_encoding']}, {r['folded_segments']} |"
        )
    return "\n".join(lines)
