"""A meeting invitation handed over (no answer by the deadline, SUB, away) skips a substitute who
cannot go — opted out, unreachable on every channel, away — recording who and why, and alerts the
secretariat once when nobody is left; and a meeting's link is never cut by SMS (conversations/
budget.py, rule 6), in English and in Arabic. On SQLite and PostgreSQL, through the simulator."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select, update

from backend.imports.roster import import_roster
from backend.meetings import handover
from backend.meetings.models import Invitation
from backend.outbox import addresses
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person
from bot.segments import count_segments
from conversations.budget import sms_text
from tests.backend import test_meeting_cycle as cycle
from tests.backend.test_meeting_cycle import (
    AMINA,
    GRACE,
    MINUTE,
    PETER,
    STARTS,
    T0,
    H,
    create,
    statuses,
    tick,
)

product = cycle.product  # the meeting cycle's fixture: the demo roster and an observer
MARY, DESK = "+254744000005", "+254799000009"
MORE = """institution,institution_name,level,region,name,phone,channels,language,timezone,rank,role
MOJ,Ministry of Justice and Constitutional Affairs,national,,Mary Njeri,+254744000005,simulator,en,Africa/Nairobi,3,
SEC,NMIRF secretariat,national,,Secretariat Desk,+254799000009,simulator,en,Africa/Nairobi,1,secretariat
"""
LINK = "https://meet.example.org/nmirf/cluster-review/2026-12-03?pwd=Xy7kQ2mN9pL4rT6vW8zB1cD3fG5hJ"  # 90


def more_roster(ctx, tmp_path) -> None:
    path = tmp_path / "more.csv"
    path.write_text(MORE)
    with ctx.db.transaction() as s:
        import_roster(s, path)


def opt_out(ctx, phone: str) -> None:
    with ctx.db.transaction() as s:
        addresses.opt_out(s, channel="simulator", address=phone, now=T0)


def hand_over_steps(ctx, meeting: int) -> list[tuple[str, str, str | None]]:
    with ctx.db.transaction() as s:
        names = {p.id: p.name.split()[0] for p in s.scalars(select(Person))}
        return [(st.what, names[st.person_id], st.reason) for st in handover.steps(s, meeting_id=meeting)]


def test_an_opted_out_substitute_is_skipped_and_the_next_one_invited(product, tmp_path):
    ctx, phones = product
    more_roster(ctx, tmp_path)
    opt_out(ctx, PETER)
    meeting = create(ctx, invite="MOJ")
    assert tick(ctx, phones, T0 + 48 * H + MINUTE) == 1  # Amina's follow-up, SUB offered with Mary
    assert tick(ctx, phones, STARTS - 72 * H + MINUTE) == 1  # Mary, in Amina's place
    assert statuses(ctx, meeting) == {"Amina": "no_reply", "Mary": "pending"}  # no invitation for Peter
    assert "You are invited in place of Amina Yusuf." in phones.last(MARY, "invitation")
    assert hand_over_steps(ctx, meeting) == [
        ("skipped", "Peter", "cannot be reached: simulator: opted out (sent STOP)")
    ]
    assert phones.kinds(PETER) == [] and phones.kinds(DESK) == []


def test_nobody_left_alerts_the_secretariat_once_and_records_each_skip(product, tmp_path):
    ctx, phones = product
    more_roster(ctx, tmp_path)
    opt_out(ctx, PETER)
    with ctx.db.transaction() as s:
        s.execute(update(Person).where(Person.phone == MARY).values(away_until=date(2099, 1, 1)))
    meeting = create(ctx, invite="MOJ")
    tick(ctx, phones, T0 + 48 * H + MINUTE)
    tick(ctx, phones, STARTS - 72 * H + MINUTE)
    tick(ctx, phones, STARTS - 72 * H + 2 * MINUTE)
    phones.say(AMINA, "AWAY 2099-01-01")  # wakes the invitation: still nobody to hand it to
    tick(ctx, phones, datetime.now(UTC) + MINUTE)
    assert statuses(ctx, meeting) == {"Amina": "pending"}  # nobody else holds an invitation
    assert hand_over_steps(ctx, meeting) == [
        ("skipped", "Peter", "cannot be reached: simulator: opted out (sent STOP)"),
        ("skipped", "Mary", "away until 2099-01-01"),
        ("alert", "Secretariat", "no_reply: nobody left to invite"),
    ]
    assert phones.kinds(DESK) == ["alert"]
    assert phones.last(DESK, "alert").startswith(f"Alert: nobody at MOJ can replace Amina Yusuf at meeting {meeting} (")
    assert phones.kinds(PETER) == [] and phones.kinds(MARY) == []


def test_a_90_character_link_is_never_cut_by_sms_in_english_and_arabic(product):
    ctx, phones = product
    with ctx.db.transaction() as s:
        s.execute(update(Person).where(Person.phone == GRACE).values(language="ar"))
    meeting = create(ctx, invite="MOJ,MOH", place=LINK)
    phones.say(AMINA, "YES")
    phones.say(GRACE, "نعم")
    tick(ctx, phones, STARTS - 48 * H + MINUTE)  # the reminders
    with ctx.db.transaction() as s:
        rows = s.execute(
            select(
                OutboxMessage.address, OutboxMessage.kind, func.coalesce(OutboxMessage.sms_text, OutboxMessage.text)
            ).where(OutboxMessage.kind.in_(("invitation", "meeting_reminder")))
        ).all()
    assert {(address, kind) for address, kind, _ in rows} == {
        (phone, kind) for phone in (AMINA, GRACE) for kind in ("invitation", "meeting_reminder")
    }
    for address, _kind, text in rows:
        language = "en" if address == AMINA else "ar"
        sent = count_segments(sms_text(text, language))
        assert LINK in text  # whole, as one word (isolated in Arabic)
        # one segment more than the budget in English (GSM-7), two in Arabic (UCS-2): the link's own
        if language == "en":
            assert (sent.encoding, sent.segments) == ("GSM-7", 2)
        else:
            assert sent.encoding == "UCS-2" and sent.segments <= 4
    with ctx.db.transaction() as s:
        assert (
            s.scalar(select(Invitation.id).where(Invitation.meeting_id == meeting, Invitation.status != "confirmed"))
            is None
        )
