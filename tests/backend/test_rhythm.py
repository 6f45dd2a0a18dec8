"""The rhythm runs itself: a round per institution and period, opened at the lead's local hour,
reminders while nobody answers, the substitute asked next, a late lead heard and the substitute
stood down, the secretariat alerted when nobody is left — on SQLite and PostgreSQL, with two
schedulers at once. Time is moved with the scheduler's `now`, as `nmirf tick --now` does."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from backend.app import create_app
from backend.catalog.models import Action
from backend.outbox.models import OutboxMessage
from backend.progress.rounds import ReportingRound, RoundStep
from backend.roster.models import Institution, Person
from backend.schedule import planner
from tests.conftest import import_demo, running_context, settings_for

AMINA, PETER, GRACE, SAMUEL = "+254700000001", "+254711000002", "+254722000003", "+254733000004"
DESK = "+254799000009"


def this_monday(hour: int = 6, minute: int = 30) -> datetime:
    """This week's Monday at 06:30 UTC: 09:30 in Nairobi, just after the default 09:00 prompt."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def product(database_url):
    settings = settings_for(database_url, default_timezone="Africa/Nairobi", sweep_interval_seconds=3600)
    with running_context(settings) as ctx:
        import_demo(ctx)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, client


def received(ctx, phone: str) -> list[str]:
    """The kinds of message the bot started for this phone, in order."""
    with ctx.db.transaction() as s:
        return list(
            s.scalars(
                select(OutboxMessage.kind)
                .where(OutboxMessage.address == phone, OutboxMessage.kind != "reply")
                .order_by(OutboxMessage.id)
            )
        )


def steps(ctx, institution: str) -> list[tuple[str, str | None]]:
    with ctx.db.transaction() as s:
        inst = s.scalar(select(Institution.id).where(Institution.short_name == institution))
        names = {p.id: p.name.split()[0] for p in s.scalars(select(Person))}
        return [
            (step.what, names.get(step.person_id or 0))
            for step in s.scalars(
                select(RoundStep)
                .join(ReportingRound, ReportingRound.id == RoundStep.round_id)
                .where(ReportingRound.institution_id == inst)
                .order_by(RoundStep.id)
            )
        ]


def desk(now: datetime) -> Person:
    """The secretariat's desk: alerts and digests go to it."""
    return Person(
        name="Secretariat Desk",
        phone=DESK,
        channels="simulator",
        language="en",
        timezone="Africa/Nairobi",
        role="secretariat",
        created_at=now,
    )


def answer(ctx, client, phone: str, text: str, n: int) -> None:
    client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"{phone}-{n}"})
    assert ctx.dispatcher.wait_idle(15)


def test_one_round_and_one_prompt_per_institution_even_with_two_schedulers(product):
    ctx, _client = product
    now = this_monday()
    assert planner.tick(ctx, now - timedelta(hours=1))["opened"] == 0  # 08:30 in Nairobi: not yet
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        planner.tick(ctx, now)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    planner.tick(ctx, now + timedelta(minutes=5))
    with ctx.db.transaction() as s:
        rounds = Counter(s.scalars(select(ReportingRound.institution_id)))
        prompts = Counter(s.scalars(select(OutboxMessage.address).where(OutboxMessage.kind == "weekly_prompt")))
    assert len(rounds) == 5 and set(rounds.values()) == {1}
    assert set(prompts) == {AMINA, GRACE, "+254700000005", "+254700000006", "+254700000007"}
    assert set(prompts.values()) == {1}


def test_silent_lead_reminded_then_substitute_asked_then_stood_down_when_the_lead_answers(product):
    ctx, client = product
    t0 = this_monday()
    planner.tick(ctx, t0)
    assert planner.tick(ctx, t0 + timedelta(hours=23))["reminded"] == 0
    assert planner.tick(ctx, t0 + timedelta(hours=24, minutes=1))["reminded"] == 5
    assert planner.tick(ctx, t0 + timedelta(hours=72, minutes=2))["reminded"] == 5
    done = planner.tick(ctx, t0 + timedelta(hours=96, minutes=3))
    assert done["escalated"] == 5  # Peter and Samuel asked; NPS, KSM, TUR have no substitute
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt"]
    assert received(ctx, AMINA) == ["weekly_prompt", "reminder", "reminder"]
    with ctx.db.transaction() as s:
        note = s.scalar(
            select(OutboxMessage.text).where(OutboxMessage.address == PETER, OutboxMessage.kind == "cover_note")
        )
        prompt = s.scalar(
            select(OutboxMessage.text).where(OutboxMessage.address == PETER, OutboxMessage.kind == "weekly_prompt")
        )
    assert "Amina Yusuf (MOJ)" in note and "has not answered" in note
    assert "Draft the Children Protection Bill" in prompt  # MOJ's actions, though Peter leads nothing
    # Amina answers late: her answer is the round's; Peter is told he is no longer needed, once.
    answer(ctx, client, AMINA, "1P 2D", 1)
    assert planner.tick(ctx, t0 + timedelta(hours=97))["stood_down"] == 1
    assert planner.tick(ctx, t0 + timedelta(hours=98))["stood_down"] == 0
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt", "stand_down"]
    assert steps(ctx, "MOJ") == [
        ("prompted", "Amina"),
        ("reminded", "Amina"),
        ("reminded", "Amina"),
        ("no_answer", "Amina"),
        ("escalated", "Peter"),
        ("answered", "Amina"),
        ("stood_down", "Peter"),
    ]
    # Nothing more happens to MOJ this period; NPS (no substitute) ended with nobody left.
    planner.tick(ctx, t0 + timedelta(hours=150))
    assert received(ctx, AMINA) == ["weekly_prompt", "reminder", "reminder"]
    assert steps(ctx, "NPS")[-1] == ("exhausted", None)


def test_an_answer_mutes_the_reminders_for_the_whole_institution(product):
    ctx, client = product
    t0 = this_monday()
    planner.tick(ctx, t0)
    answer(ctx, client, AMINA, "1D 2P", 1)
    planner.tick(ctx, t0 + timedelta(hours=25))
    planner.tick(ctx, t0 + timedelta(hours=73))
    planner.tick(ctx, t0 + timedelta(hours=97))
    assert received(ctx, AMINA) == ["weekly_prompt"]
    assert received(ctx, PETER) == []
    assert received(ctx, GRACE) == ["weekly_prompt", "reminder", "reminder"]
    with ctx.db.transaction() as s:
        moj = s.scalar(select(Institution.id).where(Institution.short_name == "MOJ"))
        r = s.scalar(select(ReportingRound).where(ReportingRound.institution_id == moj))
        assert r.status == "answered" and r.answered_by == s.scalar(select(Person.id).where(Person.phone == AMINA))


def test_a_lead_away_at_send_time_is_skipped_and_the_substitute_told_until_when(product):
    ctx, _client = product
    t0 = this_monday()
    back = (t0 + timedelta(days=10)).date()
    with ctx.db.transaction() as s:
        s.execute(update(Person).where(Person.phone == AMINA).values(away_until=back))
    planner.tick(ctx, t0)
    assert received(ctx, AMINA) == []
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt"]
    with ctx.db.transaction() as s:
        note = s.scalar(
            select(OutboxMessage.text).where(OutboxMessage.address == PETER, OutboxMessage.kind == "cover_note")
        )
    assert "Amina Yusuf (MOJ), away until" in note and str(back.day) in note
    assert steps(ctx, "MOJ")[0][0] == "skipped"


def test_nobody_left_alerts_the_secretariat(product):
    ctx, _client = product
    t0 = this_monday()
    with ctx.db.transaction() as s:
        s.execute(update(Person).where(Person.phone.in_([AMINA, PETER])).values(away_until=date(2099, 1, 1)))
        s.add(desk(t0))
    planner.tick(ctx, t0)
    assert received(ctx, DESK) == ["alert"]
    assert [what for what, _ in steps(ctx, "MOJ")] == ["skipped", "skipped", "exhausted", "alert"]


def test_an_institution_with_nothing_open_is_not_prompted(product):
    ctx, _client = product
    with ctx.db.transaction() as s:
        moj = s.scalar(select(Institution.id).where(Institution.short_name == "MOJ"))
        s.execute(update(Action).where(Action.institution_id == moj).values(status="completed"))
    planner.tick(ctx, this_monday())
    assert received(ctx, AMINA) == []
    assert received(ctx, GRACE) == ["weekly_prompt"]


def test_a_pass_with_nothing_due_sends_nothing(product):
    ctx, _client = product
    t0 = this_monday()
    planner.tick(ctx, t0)
    with ctx.db.transaction() as s:
        sent = s.query(OutboxMessage).count()
    assert not any(planner.tick(ctx, t0 + timedelta(hours=1)).values())
    with ctx.db.transaction() as s:
        assert s.query(OutboxMessage).count() == sent


def test_a_lead_who_goes_away_mid_round_hands_it_to_the_substitute_at_once(product):
    ctx, client = product
    t0 = this_monday()
    planner.tick(ctx, t0)
    answer(ctx, client, AMINA, "AWAY 2099-01-01", 1)
    # (the AWAY was handled at the real time: the scheduler runs after it)
    assert planner.tick(ctx, datetime.now(UTC) + timedelta(minutes=1))["escalated"] == 1
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt"]
    with ctx.db.transaction() as s:
        note = s.scalar(
            select(OutboxMessage.text).where(OutboxMessage.address == PETER, OutboxMessage.kind == "cover_note")
        )
    assert "away until" in note
    assert ("holder_gone", "Amina") in steps(ctx, "MOJ")


def test_a_lead_who_left_the_roster_mid_round_is_replaced_by_the_new_lead(product, tmp_path):
    """Amina's post ends (active_to yesterday, in a re-imported roster): Peter is the lead now,
    and this week's update is simply his, with no cover note."""
    from backend.imports.roster import import_roster
    from tests.conftest import DEMO

    ctx, _client = product
    t0 = this_monday()
    planner.tick(ctx, t0)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    lines = (DEMO / "roster.csv").read_text().splitlines()
    lines = [line + yesterday if line.startswith("MOJ,") and "Amina" in line else line for line in lines]
    path = ctx.settings.database_url.split("///")[-1] + ".roster.csv" if "sqlite" in ctx.settings.database_url else None
    import tempfile
    from pathlib import Path

    roster = Path(path) if path else Path(tempfile.mkdtemp()) / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    with ctx.db.transaction() as s:
        import_roster(s, roster)
    assert planner.tick(ctx, datetime.now(UTC) + timedelta(minutes=1))["escalated"] == 1
    assert received(ctx, PETER) == ["weekly_prompt"]
    assert ("holder_gone", "Amina") in steps(ctx, "MOJ")


def test_the_secretariat_gets_a_weekly_digest_once(product):
    ctx, client = product
    t0 = this_monday()
    with ctx.db.transaction() as s:
        s.add(desk(t0))
    planner.tick(ctx, t0)
    answer(ctx, client, GRACE, "1D", 1)
    friday = t0 + timedelta(days=4, hours=7)  # Friday 16:30 in Nairobi
    planner.tick(ctx, friday - timedelta(hours=1))
    assert received(ctx, DESK) == []
    assert planner.tick(ctx, friday)["digests"] == 1
    assert planner.tick(ctx, friday + timedelta(minutes=5))["digests"] == 0
    with ctx.db.transaction() as s:
        text = s.scalar(select(OutboxMessage.text).where(OutboxMessage.kind == "digest"))
    assert (
        text
        == "This week: 1 of 5 institutions answered. Overdue: KSM, MOJ, NPS, TUR.\nNo substitute in post: KSM, NPS, TUR."
    )


def test_an_institutions_own_escalation_policy(product):
    """MOJ waits 48 h, with no reminder, before its substitute is asked (others keep the default)."""
    from backend.rhythm import parse_escalation

    ctx, _client = product
    with ctx.db.transaction() as s:
        s.execute(
            update(Institution)
            .where(Institution.short_name == "MOJ")
            .values(escalation=str(parse_escalation("reminders none then 48")))
        )
    t0 = this_monday()
    planner.tick(ctx, t0)
    planner.tick(ctx, t0 + timedelta(hours=25))
    assert received(ctx, AMINA) == ["weekly_prompt"] and received(ctx, GRACE) == ["weekly_prompt", "reminder"]
    planner.tick(ctx, t0 + timedelta(hours=47))
    assert received(ctx, PETER) == []
    planner.tick(ctx, t0 + timedelta(hours=48, minutes=1))
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt"]


def test_each_step_of_the_escalation_has_its_own_wait(product):
    """`reminders none then 24,48`: Peter (substitute 1) is asked 24 h after Amina's prompt, and
    the secretariat's alert, the last step, comes 48 h after Peter was asked."""
    from backend.rhythm import parse_escalation

    ctx, _client = product
    t0 = this_monday()
    with ctx.db.transaction() as s:
        s.add(desk(t0))
        s.execute(
            update(Institution)
            .where(Institution.short_name == "MOJ")
            .values(escalation=str(parse_escalation("reminders none then 24,48")))
        )
    assert str(parse_escalation("reminders none then 24,48")) == "reminders none then 24,48"
    planner.tick(ctx, t0)
    planner.tick(ctx, t0 + timedelta(hours=23))
    assert received(ctx, PETER) == []
    planner.tick(ctx, t0 + timedelta(hours=24, minutes=1))
    assert received(ctx, PETER) == ["cover_note", "weekly_prompt"]
    planner.tick(ctx, t0 + timedelta(hours=24 + 47))
    assert "alert" not in received(ctx, DESK)
    planner.tick(ctx, t0 + timedelta(hours=24 + 48, minutes=2))
    assert received(ctx, DESK).count("alert") == 1


def reimport(ctx, **active_to) -> None:
    """The demo roster imported again, with these people's posts ending: reimport(ctx, Amina="2026-12-01")."""
    from backend.imports.roster import import_roster
    from tests.conftest import DEMO

    lines = (DEMO / "roster.csv").read_text().splitlines()
    for first, day in active_to.items():
        lines = [line + day if f",{first} " in line else line for line in lines]
    import tempfile
    from pathlib import Path

    roster = Path(tempfile.mkdtemp()) / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    with ctx.db.transaction() as s:
        import_roster(s, roster)


def test_a_lead_who_leaves_the_roster_is_told_to_the_secretariat_at_the_next_pass_once(product):
    """Amina's post ends (active_to yesterday, in a re-imported roster): at the scheduler's next
    pass the secretariat learns that Peter leads MOJ now with no substitute, once however often the
    scheduler or the import runs again; Grace's post ending next week is told the day after it ends."""
    from backend.jobs.sweep import sweep
    from backend.sessions.models import Fire

    ctx, _client = product
    now = datetime.now(UTC).replace(hour=9, minute=0) + timedelta(days=1)  # 12:00 in Nairobi
    with ctx.db.transaction() as s:
        s.add(desk(now))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    ends = (datetime.now(UTC) + timedelta(days=7)).date()
    reimport(ctx, Amina=yesterday, Grace=ends.isoformat())
    assert received(ctx, DESK) == []  # told by the scheduler, not by the import
    done = planner.tick(ctx, now)
    assert done["turnover"] == 1
    assert planner.tick(ctx, now + timedelta(minutes=5))["turnover"] == 0
    reimport(ctx, Amina=yesterday, Grace=ends.isoformat())  # the same file again: nothing new
    assert planner.tick(ctx, now + timedelta(minutes=10))["turnover"] == 0
    with ctx.db.transaction() as s:
        alerts = s.scalars(select(OutboxMessage.text).where(OutboxMessage.address == DESK)).all()
    assert alerts == [
        "Alert: Amina Yusuf has left MOJ. Peter Otieno leads, with no substitute: please add one to the roster."
    ]

    # Grace's post ends with the day `ends`: told on the next pass after it, at 03:00 in Nairobi,
    # so held until the end of the desk's quiet hours (07:00) and sent by the sweep then.
    night = datetime(ends.year, ends.month, ends.day, tzinfo=UTC) + timedelta(days=1)
    assert planner.tick(ctx, night - timedelta(minutes=1))["turnover"] == 0
    assert planner.tick(ctx, night)["turnover"] == 1
    assert planner.tick(ctx, night + timedelta(hours=1))["turnover"] == 0
    with ctx.db.transaction() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.address == DESK).order_by(OutboxMessage.id)).all()[-1]
        assert (
            row.text
            == "Alert: Grace Wanjiru has left MOH. Samuel Kiprop leads, with no substitute: please add one to the roster."
        )
        assert row.status == "queued" and row.next_attempt_at.replace(tzinfo=UTC) == night + timedelta(hours=4)
        assert s.query(Fire).filter(Fire.kind == "turnover", Fire.done_at.is_not(None)).count() == 2
    sweep(ctx, night + timedelta(hours=3), schedule=False)
    ctx.dispatcher.wait_idle(15)
    with ctx.db.transaction() as s:
        assert s.get(OutboxMessage, row.id).status == "queued"  # 06:00 in Nairobi: still held
    sweep(ctx, night + timedelta(hours=4, minutes=1), schedule=False)
    assert ctx.dispatcher.wait_idle(15)
    with ctx.db.transaction() as s:
        assert s.get(OutboxMessage, row.id).status == "sent"
    assert received(ctx, DESK) == ["alert", "alert"]


def test_a_post_extended_before_it_ends_tells_nobody(product):
    ctx, _client = product
    now = datetime.now(UTC)
    with ctx.db.transaction() as s:
        s.add(desk(now))
    ends = (now + timedelta(days=3)).date()
    reimport(ctx, Amina=ends.isoformat())
    reimport(ctx)  # the post goes on after all
    assert planner.tick(ctx, now + timedelta(days=5))["turnover"] == 0
    assert received(ctx, DESK) == []
