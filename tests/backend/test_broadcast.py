"""Broadcasts from the secretariat, on SQLite and PostgreSQL: each group resolves to the right
people of the demo roster (plus a secretariat, an observer and a regional institution), the
preview counts languages, channels and SMS segments and names who cannot be reached and why, a
broadcast run twice reaches nobody twice, and `nmirf broadcast` sends nothing unconfirmed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from backend import cli
from backend.broadcast import service
from backend.broadcast.groups import BroadcastError
from backend.broadcast.models import Broadcast
from backend.config import get_settings
from backend.outbox import addresses
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person
from backend.wiring.context import get_context, set_context
from backend.wiring.dispatch import InProcessDispatcher, _send_queue
from tests.backend.helpers import count, wait_until
from tests.conftest import import_demo, running_context, settings_for

ZONE = "Africa/Nairobi"
EN = "The cluster review moves to Friday 4 December, 10:00, NMIRF secretariat, room 2."
FR = "La revue du groupe est reportée au vendredi 4 décembre, 10 h, secrétariat, salle 2."
AR = "نُقل اجتماع مراجعة المجموعة إلى يوم الجمعة 4 ديسمبر الساعة 10:00 في أمانة الآلية، القاعة 2."
EXTRA = """institution,institution_name,level,region,name,phone,channels,language,timezone,rank,active_from,active_to,role
SEC,NMIRF secretariat,national,,Wanjiku Kamau,+254700000008,simulator,en,Africa/Nairobi,1,,,secretariat
KNCHR,Kenya National Commission on Human Rights,national,,Hassan Odhiambo,+254700000009,simulator,sw,Africa/Nairobi,1,,,observer
LREB,Lake Region Economic Bloc,regional,Kisumu,Achieng Auma,+254700000010,simulator,en,Africa/Nairobi,1,,,
KNH,Kisumu National Hospital,national,Kisumu,Brian Ouma,+254700000011,simulator,en,Africa/Nairobi,1,,,
MOH,Ministry of Health,national,,Former Officer,+254700000012,simulator,en,Africa/Nairobi,3,2020-01-01,2021-01-01,
"""
EVERYONE = ("sms", "simulator", "telegram", "whatsapp")


def today():
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


class Recorder(InProcessDispatcher):
    """Records what is enqueued; runs nothing (its thread is never started)."""

    def __init__(self):
        super().__init__()
        self.sends: list[tuple[int, int, str]] = []

    def enqueue_send(self, outbox_id, priority, channel="", delay=0.0):
        self.sends.append((outbox_id, priority, channel))


@pytest.fixture
def product(database_url, tmp_path):
    from backend.imports.roster import import_roster

    # No quiet hours but in their own test: what the others check holds at any hour they run.
    settings = settings_for(database_url, default_timezone=ZONE, sms_segment_cost="0.05 USD", quiet_hours="")
    with running_context(settings, dispatcher=Recorder()) as ctx:
        import_demo(ctx)
        extra = tmp_path / "extra.csv"
        extra.write_text(EXTRA)
        with ctx.db.transaction() as s:
            import_roster(s, extra)
        yield ctx


def edit(ctx, **people):
    """Change people by first name: edit(ctx, Amina={"channels": "sms"})."""
    with ctx.db.transaction() as s:
        for first, values in people.items():
            person = s.scalar(select(Person).where(Person.name.startswith(first + " ")))
            for name, value in values.items():
                setattr(person, name, value)


def names(ctx, group: str, day=None) -> set[str]:
    with ctx.db.transaction() as s:
        return {p.name.split()[0] for p in service.recipients(s, group, day or today())}


def test_each_group_resolves_to_its_people(product):
    ctx = product
    roster = {"Amina", "Peter", "Grace", "Samuel", "Joseph", "Fatuma", "Claire", "Achieng", "Brian"}
    assert names(ctx, "focal-points") == roster  # not the secretariat, the observer or a former officer
    assert names(ctx, "leads") == {"Amina", "Grace", "Joseph", "Fatuma", "Claire", "Achieng", "Brian"}
    assert names(ctx, "region:kisumu") == {"Fatuma", "Achieng"}  # local and regional, not the national KNH
    assert names(ctx, "region:Turkana") == {"Claire"}
    assert names(ctx, "cluster:CHILD") == {"Amina", "Peter"}  # MOJ-1 and MOJ-2 answer its recommendations
    assert names(ctx, "cluster:gender-based violence") == {"Joseph", "Fatuma"}  # NPS-1 and KSM-1
    assert names(ctx, "cluster:Violence fondée sur le genre") == {"Joseph", "Fatuma"}  # its French name
    with ctx.db.transaction() as s:
        from backend.catalog.models import Cluster

        health = s.scalar(select(Cluster.id).where(Cluster.code == "HEALTH"))
    assert names(ctx, f"cluster:{health}") == {"Grace", "Samuel"}
    assert names(ctx, "institution:moh") == {"Grace", "Samuel"}  # not the officer out of post since 2021
    assert names(ctx, "institution:SEC") == {"Wanjiku"}  # a whole roster, whatever the role
    assert names(ctx, "secretariat") == {"Wanjiku"}
    assert names(ctx, "observers") == {"Hassan"}

    # An away lead hands today's lead to the substitute, but is still a focal point in post.
    edit(ctx, Amina={"away_until": today() + timedelta(days=10)}, Samuel={"active": False})
    assert "Peter" in names(ctx, "leads") and "Amina" not in names(ctx, "leads")
    assert {"Amina", "Peter"} <= names(ctx, "focal-points")
    assert names(ctx, "institution:MOH") == {"Grace"}  # inactive people are in no group

    with ctx.db.transaction() as s:
        for wrong, says in [
            ("everyone", "no group"),
            ("region:Mombasa", "the roster has Kisumu, Turkana"),
            ("cluster:WATER", "no cluster"),
            ("institution:XYZ", "no institution"),
            ("region:", "give its name after the colon"),
        ]:
            with pytest.raises(BroadcastError, match=says):
                service.recipients(s, wrong, today())


def preview(ctx, group="focal-points", texts=None, **settings):
    with ctx.db.transaction() as s:
        return service.preview(
            s,
            group=group,
            texts=texts or {"en": EN, "fr": FR, "ar": AR},
            day=today(),
            now=datetime.now(UTC),
            settings=ctx.settings.model_copy(update=settings),
            configured=set(EVERYONE),
        )


def test_the_preview_counts_languages_channels_segments_and_the_unreachable(product):
    from backend.cli.broadcast import render

    ctx = product
    edit(
        ctx,
        Amina={"channels": "sms"},
        Samuel={"channels": "sms", "language": "ar"},
        Peter={"channels": "sms"},
        Fatuma={"channels": "telegram"},
        Grace={"channels": "whatsapp"},
        Joseph={"language": "sw"},
    )
    with ctx.db.transaction() as s:
        addresses.opt_out(s, channel="sms", address="+254711000002", now=datetime.now(UTC))
    p = preview(ctx, whatsapp_templates={"broadcast": {"en": "HXbroadcast"}})

    assert len(p.recipients) == 9 and len(p.to_send) == 7
    assert p.by_channel() == {"simulator": 4, "sms": 2, "whatsapp (template)": 1}
    assert p.by_language() == {"en": 4, "ar": 1, "fr": 1, "sw": 1}
    lines = {line.language: line for line in p.lines}
    assert (lines["en"].encoding, lines["en"].segments, lines["en"].readers) == ("GSM-7", 1, 5)
    assert lines["en"].instead_of == {"sw": 1}  # Joseph reads English: there is no Swahili text
    assert (lines["ar"].encoding, lines["ar"].segments, lines["ar"].by_sms, lines["ar"].sms_segments) == (
        "UCS-2",
        2,
        1,
        2,
    )
    assert (lines["fr"].encoding, lines["fr"].readers, lines["fr"].by_sms) == ("GSM-7", 1, 0)
    assert p.segments == 3 and p.cost == (Decimal("0.15"), "USD")
    unreachable = {r.name: r.why_not for r in p.unreachable}
    assert unreachable == {
        "Peter Otieno": "sms: opted out (sent STOP)",
        "Fatuma Achieng": "telegram: no address (Telegram not linked yet)",
    }

    printed = "\n".join(render(p))
    assert "Broadcast to focal-points: 9 people in the group, 7 to send to" in printed
    assert "by channel (first usable): simulator 4, sms 2, whatsapp (template) 1" in printed
    assert "ar: 91 characters, UCS-2, 2 segments by SMS; 1 reader; 1 by SMS, 2 segments" in printed
    assert "1 reading sw get the en text (no sw text)" in printed
    assert "SMS: 3 segments in all, 0.15 USD at 0.05 USD each" in printed
    assert "Peter Otieno (MOJ) +254711000002: sms: opted out (sent STOP)" in printed

    # Without a template for broadcasts, WhatsApp outside the 24-hour window is no way to reach Grace.
    p = preview(ctx, sms_segment_cost="")
    assert {r.name: r.why_not for r in p.unreachable}["Grace Wanjiru"] == (
        "whatsapp: outside the 24-hour window and no template for broadcast in en"
    )
    assert p.cost is None and "USD" not in "\n".join(render(p))


def test_a_person_with_no_text_in_their_language_nor_the_default_nor_english_is_not_reached(product):
    p = preview(product, group="cluster:CHILD", texts={"fr": FR})
    assert p.to_send == [] and {r.why_not for r in p.unreachable} == {"no text in en"}
    p = preview(product, group="institution:TUR", texts={"fr": FR, "ar": ""})
    assert [r.name for r in p.to_send] == ["Claire Dupont"] and p.texts == {"fr": FR}
    with pytest.raises(BroadcastError, match="no text given"):
        preview(product, texts={"en": "  "})
    with pytest.raises(BroadcastError, match="at most 1600"):
        preview(product, texts={"en": "x" * 1601})


def send(ctx, group="institution:MOJ", texts=None):
    with ctx.work() as work:
        sent = service.send(
            work.session,
            group=group,
            texts=texts or {"en": EN},
            day=today(),
            now=datetime.now(UTC),
            settings=ctx.settings,
            configured=ctx.configured,
            created_by="tester",
        )
        for row in sent.queued:
            work.send(row)
        return sent.broadcast.id, [(r.id, r.key, r.priority, r.kind) for r in sent.queued]


def test_sending_twice_sends_once_on_the_bulk_queues(product):
    ctx = product
    first, rows = send(ctx)
    amina, peter = (p for p in names_ids(ctx, "Amina", "Peter"))
    assert sorted(r[1] for r in rows) == [f"broadcast:{first}:{amina}", f"broadcast:{first}:{peter}"]
    assert {(r[2], r[3]) for r in rows} == {(1, "broadcast")}
    # Enqueued after commit, at bulk priority: the channel's paced bulk queue, after answers.
    assert sorted(ctx.dispatcher.sends) == sorted((r[0], 1, "simulator") for r in rows)
    assert {_send_queue(p, c) for _id, p, c in ctx.dispatcher.sends} == {"send-bulk-simulator"}

    with pytest.raises(BroadcastError, match=f"broadcast {first} reached everyone in institution:MOJ already"):
        send(ctx)
    assert count(ctx, OutboxMessage, OutboxMessage.kind == "broadcast") == 2
    # A newcomer to the group gets the same broadcast when it runs again; nobody else gets it twice.
    edit(ctx, Samuel={"channels": "simulator"})
    with ctx.db.transaction() as s:
        from backend.roster.models import FocalPoint, Institution

        moj = s.scalar(select(Institution.id).where(Institution.short_name == "MOJ"))
        samuel = s.scalar(select(Person.id).where(Person.name == "Samuel Kiprop"))
        s.add(FocalPoint(institution_id=moj, person_id=samuel, rank=3))
    again, rows = send(ctx)
    assert again == first and [r[1] for r in rows] == [f"broadcast:{first}:{samuel}"]
    with ctx.db.transaction() as s:
        broadcast = s.get(Broadcast, first)
        assert (broadcast.group, broadcast.texts, broadcast.recipients, broadcast.created_by) == (
            "institution:MOJ",
            {"en": EN},
            3,
            "tester",
        )
    # Another text is another broadcast.
    other, rows = send(ctx, texts={"en": EN + " Bring the report."})
    assert other != first and len(rows) == 3


def names_ids(ctx, *firsts):
    with ctx.db.transaction() as s:
        return [s.scalar(select(Person.id).where(Person.name.startswith(f + " "))) for f in firsts]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def nmirf(ctx, monkeypatch, tmp_path, *argv, stdin=None) -> int:
    """`nmirf ARGV...` as the secretariat runs it, against the product's database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("DEFAULT_TIMEZONE", ZONE)
    monkeypatch.setenv("SMS_SEGMENT_COST", "0.05 USD")
    monkeypatch.setenv("QUIET_HOURS", "")
    monkeypatch.setenv("SIMULATOR_ENABLED", "true")  # the demo roster's channel
    monkeypatch.setattr("sys.stdin", stdin if stdin is not None else io.StringIO("y\n"))
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        built = get_context()
        if built is not ctx:
            built.close()
        set_context(ctx)
        get_settings.cache_clear()


def test_the_command_previews_and_sends_only_once_confirmed(product, monkeypatch, tmp_path, capsys):
    ctx = product
    args = ("broadcast", "--to", "cluster:CHILD", "--text-en", EN, "--text-fr", FR)
    # No terminal and no --yes: the preview, then nothing sent (a "y" on a pipe is no confirmation).
    assert nmirf(ctx, monkeypatch, tmp_path, *args) == 1
    out = capsys.readouterr()
    assert "Broadcast to cluster:CHILD: 2 people in the group, 2 to send to" in out.out
    assert "not sent: no terminal to confirm on; run it again with --yes to send" in out.err
    assert count(ctx, Broadcast) == 0 and count(ctx, OutboxMessage, OutboxMessage.kind == "broadcast") == 0

    # On a terminal, anything but y/yes sends nothing.
    assert nmirf(ctx, monkeypatch, tmp_path, *args, stdin=Terminal("n\n")) == 0
    assert "Send to 2 people? [y/N] nothing sent" in capsys.readouterr().out
    assert count(ctx, Broadcast) == 0

    # "yes" on the terminal sends, through the real in-process jobs and the simulator channel.
    assert nmirf(ctx, monkeypatch, tmp_path, *args, "--by", "Wanjiku", stdin=Terminal("yes\n")) == 0
    assert "broadcast 1: 2 message(s) queued" in capsys.readouterr().out
    wait_until(
        lambda: count(ctx, OutboxMessage, OutboxMessage.kind == "broadcast", OutboxMessage.status == "sent") == 2
    )
    with ctx.db.transaction() as s:
        assert s.get(Broadcast, 1).created_by == "Wanjiku"
        assert set(s.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "broadcast"))) == {EN}

    # Run again with --yes: the same broadcast, everyone reached already, nothing sent twice.
    assert nmirf(ctx, monkeypatch, tmp_path, *args, "--yes") == 1
    out = capsys.readouterr()
    assert "same group and texts as broadcast 1" in out.out and "the 2 it reached get nothing again" in out.out
    assert "nothing to send" in out.err
    assert count(ctx, OutboxMessage, OutboxMessage.kind == "broadcast") == 2


def test_the_command_reads_texts_from_a_file_and_says_what_is_wrong(product, monkeypatch, tmp_path, capsys):
    ctx = product
    texts = tmp_path / "texts.json"
    texts.write_text('{"en": "%s", "fr": "%s"}' % (EN, FR), encoding="utf-8")
    assert nmirf(ctx, monkeypatch, tmp_path, "broadcast", "--to", "region:turkana", "--file", str(texts)) == 1
    out = capsys.readouterr().out
    assert "Broadcast to region:Turkana: 1 person in the group, 1 to send to" in out
    assert "fr: 83 characters, GSM-7, 1 segment by SMS; 1 reader" in out
    assert nmirf(ctx, monkeypatch, tmp_path, "broadcast", "--to", "ministries", "--text-en", EN) == 1
    assert 'not sent: no group "ministries"; give leads, focal-points' in capsys.readouterr().err
    texts.write_text("[1, 2]")
    with pytest.raises(SystemExit, match="expected an object of texts by language"):
        nmirf(ctx, monkeypatch, tmp_path, "broadcast", "--to", "leads", "--file", str(texts))


def test_the_segment_cost_setting_is_an_amount_and_a_currency():
    from backend.config import SettingsError, load_settings

    assert load_settings(sms_segment_cost=" 0.05   USD ").sms_segment_price == (Decimal("0.05"), "USD")
    assert load_settings(sms_segment_cost="0.0075").sms_segment_price == (Decimal("0.0075"), "")
    assert load_settings().sms_segment_price is None
    with pytest.raises(SettingsError, match="SMS_SEGMENT_COST: expected an amount and, optionally, its currency"):
        load_settings(sms_segment_cost="five cents")


def test_a_broadcast_confirmed_in_the_quiet_hours_waits_for_their_end(product):
    """Confirmed at 18:00 UTC: 21:00 in Nairobi (quiet until 07:00, 04:00 UTC) but 15:00 for Claire
    in Asunción. The preview says how many get it later; Claire's goes now; the others' rows are
    held (their not-before time) and the sweep sends them when the quiet hours end."""
    from backend.cli.broadcast import render
    from backend.jobs.sweep import sweep
    from backend.outbox.send import send as send_job

    ctx = product
    edit(ctx, Claire={"timezone": "America/Asuncion"})
    day = datetime.now(UTC).date() + timedelta(days=2)
    evening = datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)
    morning = evening + timedelta(hours=10)  # 07:00 in Nairobi
    quiet = ctx.settings.model_copy(update={"quiet_hours": "20:00-07:00"})
    with ctx.db.transaction() as s:
        p = service.preview(
            s, group="focal-points", texts={"en": EN}, day=today(), now=evening, settings=quiet, configured=EVERYONE
        )
    assert len(p.to_send) == 9 and len(p.later) == 8
    assert {r.later for r in p.later} == {morning}
    printed = "\n".join(render(p))
    assert "8 people in their quiet hours (20:00-07:00, their local time) will get it later" in printed

    with ctx.work() as work:
        sent = service.send(
            work.session,
            group="focal-points",
            texts={"en": EN},
            day=today(),
            now=evening,
            settings=quiet,
            configured=ctx.configured,
            created_by="tester",
        )
        for row in sent.queued:
            work.send(row)
        held = [row.id for row in sent.held]
        claire = [row.id for row in sent.queued]
    assert len(held) == 8 and len(claire) == 1
    assert [i for i, _p, _c in ctx.dispatcher.sends] == claire  # only Claire's is enqueued now
    assert send_job(ctx, held[0], "simulator", bulk=False) == "queued"  # a held row is not sent early
    with ctx.db.transaction() as s:
        assert {
            r.next_attempt_at.replace(tzinfo=UTC)
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(held)))
        } == {morning}
    sweep(ctx, morning - timedelta(minutes=1), schedule=False)
    assert not set(held) & {i for i, _p, _c in ctx.dispatcher.sends}
    sweep(ctx, morning + timedelta(minutes=1), schedule=False)
    assert set(held) <= {i for i, _p, _c in ctx.dispatcher.sends}  # on the bulk queues at 07:00 local
