"""Every message kind, rendered by SMS from generated values, keeps its budget by the rules of
conversations/budget.py: every month and weekday of the dates it shows (the week's Monday, the
day of return, the meeting's day and time), 0-10 actions with titles of 1-200 characters (with
and without short titles), 0-3 invitations, figures, names of up to 60 characters, and letters
outside GSM-7 (ğ, ł, ő, Arabic, Thai) in names, titles and places, in every available language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from backend.i18n.segments_table import Message, Sample, measure, messages
from bot.segments import fold_to_gsm, is_gsm7
from conversations.budget import gsm_language, sms_text
from conversations.i18n import available_languages
from conversations.views import STATUSES, ActionView, ClusterView, InvitationView

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FOREIGN = "ğłőşçãéñüŁŞŐĞ"  # letters with a GSM-7 base letter (é, ñ, ü are GSM-7 themselves)
SCRIPTS = "عربيةไทย"  # letters with no GSM-7 form
word = st.text(st.sampled_from(LATIN + FOREIGN + SCRIPTS), min_size=1, max_size=14) | st.text(
    st.sampled_from(LATIN), min_size=1, max_size=14
)


def text(min_size: int, max_size: int):
    """Words, hyphens and commas, of `min_size` to `max_size` characters."""
    words = st.lists(word, min_size=1, max_size=max_size // 2 + 1)
    return (
        st.tuples(words, st.sampled_from([" ", " ", "-", ", ", " – "]))
        .map(lambda parts: parts[1].join(parts[0])[:max_size].strip(" ,-–"))
        .filter(lambda s: len(s) >= min_size)
    )


@st.composite
def samples(draw) -> Sample:
    now = draw(st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)))
    actions = tuple(
        ActionView(
            n,
            draw(text(1, 200)),
            draw(st.sampled_from(STATUSES)),
            draw(st.none() | text(1, 40)),  # an indicator
            draw(st.none() | text(1, 40)),  # a short title
        )
        for n in range(1, draw(st.integers(0, 10)) + 1)
    )
    ids = draw(st.lists(st.integers(1, 9999), min_size=0, max_size=3, unique=True))
    invitations = tuple(
        InvitationView(
            meeting_id=ref,
            title=draw(text(1, 200)),
            starts_at=now + draw(st.timedeltas(timedelta(hours=1), timedelta(days=90))),
            place=draw(text(1, 100)),
            status=draw(st.sampled_from(["pending", "pending", "confirmed", "declined"])),
            substitute=draw(st.none() | text(1, 60)),
        )
        for ref in ids
    )
    clusters = tuple(ClusterView(n, draw(text(1, 200))) for n in range(draw(st.integers(0, 3))))
    count = len([a for a in actions if a.status != "completed"])
    return Sample(
        now=now,
        name=draw(text(1, 60)),
        actions=actions,
        invitations=invitations,
        clusters=clusters,
        answers=tuple(draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=4))),
        figure=draw(st.from_regex(r"[1-9][0-9]{0,6}(\.[0-9])?", fullmatch=True)),
        lead=draw(text(1, 60)),
        place=draw(text(1, 100)),
        away=(now + timedelta(hours=3)).date() + timedelta(days=draw(st.integers(1, 365))),  # after today in Nairobi
        wrong=tuple(draw(st.lists(st.integers(count + 1, count + 90), min_size=1, max_size=3, unique=True))),
        institution=draw(st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ-"), min_size=2, max_size=12)),
    )


def _problems(language: str, kind: str, message: Message) -> list[str]:
    characters, encoding, segments, allowed = measure(language, message)
    problems = []
    if segments > allowed:
        problems.append(
            f"{language} {kind}: {segments} {encoding} segments ({characters} characters), budget {allowed} "
            f"({message.items} items, {message.pending} pending, names {[len(n) for n in message.names]}): "
            f"{message.text!r}"
        )
    sent = sms_text(message.text, language)
    if gsm_language(language) and is_gsm7(fold_to_gsm(message.text, accents=True)) and not is_gsm7(sent):
        problems.append(f"{language} {kind}: the data's letters are not folded: {sent!r}")
    return problems


@pytest.mark.parametrize("language", available_languages())
# No shrinking: a failure names the message, its length and its text, which say what to shorten;
# shrinking these samples would take minutes.
@settings(
    max_examples=100,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sample=samples())
def test_every_message_keeps_its_budget_by_sms(language, sample):
    problems = [p for kind, message in messages(language, sample).items() for p in _problems(language, kind, message)]
    assert not problems, "\n".join(problems)
