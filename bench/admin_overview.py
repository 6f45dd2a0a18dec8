"""The admin overview (/admin/) on a national store: 10,000 people, 500 institutions, 1,000,000 messages.

    .venv/bin/python bench/admin_overview.py [--sqlite] [--postgres URL] [--repeat 20] [--rounds 3] [--scale 1.0]

Builds the data set with bulk inserts (batches of 20,000 rows: SQLAlchemy Core `insert()`
executemany on SQLite, COPY on PostgreSQL; deterministic: the same seed gives the same rows) into a fresh database migrated to the
revision before the overview's indexes (--baseline, default: the down revision of the newest
migration): a SQLite file under var/bench/ (--sqlite, the default) and/or a fresh database on
the PostgreSQL server of --postgres (a server URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres: a database `nmirf_bench_overview`, or
--database, is dropped and created there).

Then, in --rounds alternated rounds on the same data: at the baseline revision ("before"), then
after `upgrade` to head ("after"; `downgrade` to the baseline again before the next round), the
real app (backend.app.create_app) through a TestClient signed in as an admin: GET /admin/
--repeat times a round after two warm-up requests (median, min, max, p95 over all rounds); each
read function of backend/reports/overview.py timed alone (median of --repeat calls) with its
queries; the plan of the slowest queries (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN ANALYZE).
With --before-code FILE (an earlier backend/reports/overview.py, e.g. from `git show`), "before"
runs that module's read functions, page included, so code and indexes are compared in one run.

SQLite gets no ANALYZE (the app never runs it); PostgreSQL is analysed after the build and after
the upgrade, as its autovacuum would do on a live store.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, text, update  # noqa: E402

from backend.accounts import users  # noqa: E402
from backend.catalog.models import Action, Cluster, Recommendation, action_recommendation  # noqa: E402
from backend.catalog.models import recommendation_sdg as recommendation_sdg_table  # noqa: E402
from backend.config import load_settings  # noqa: E402
from backend.db import Base  # noqa: E402
from backend.inbox.models import InboxMessage  # noqa: E402
from backend.migrations import alembic_config, upgrade  # noqa: E402
from backend.outbox.models import AddressState, OutboxMessage  # noqa: E402
from backend.progress.models import ProgressUpdate  # noqa: E402
from backend.progress.rounds import ReportingRound, RoundStep  # noqa: E402
from backend.reports import overview as report  # noqa: E402
from backend.roster.models import FocalPoint, Institution, Person  # noqa: E402
from backend.wiring.context import build_context, set_context  # noqa: E402
from backend.wiring.dispatch import InProcessDispatcher  # noqa: E402

PASSWORD = "bench overview password"
BATCH = 20_000
PERIODS = 60
REGIONS = [f"Region {c}" for c in "ABCDEFGHIJKL"]
LANGUAGES = ["en"] * 5 + ["fr", "fr", "es", "pt", "ar", "sw"]
ZONES = ["Africa/Nairobi", "Africa/Lagos", "Africa/Dakar", "Asia/Dubai", "America/Bogota", "Asia/Bangkok"]
OUT_KINDS = [
    ("weekly_prompt", 30),
    ("reply", 30),
    ("reminder", 12),
    ("escalation", 4),
    ("invitation", 6),
    ("broadcast", 12),
    ("digest", 2),
    ("alert", 1),
    ("stop_ack", 1),
    ("cover_note", 2),
]
OUT_STATUSES = [("delivered", 70), ("sent", 20), ("failed", 7), ("queued", 2), ("sending", 1)]
IN_KINDS = [("text", 90), ("command", 4), ("contact", 2), ("unsupported", 2), ("event:stop", 1), ("event:start", 1)]
REPLIES = ["1P 2P", "1C", "2B waiting for funds", "1P 3N", "done", "STOP", "1B the budget is not released", "help"]
UNREACHABLE = ["The 'To' number is not a valid phone number", "Forbidden: bot was blocked by the user", "undeliverable"]


def weighted(rng: random.Random, pairs):
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights)[0]


def baseline_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    down = script.get_revision(script.get_current_head()).down_revision
    assert isinstance(down, str)
    return down


# ---------------------------------------------------------------- the data set


class Builder:
    """Rows of the whole store, made deterministically and inserted in batches."""

    def __init__(self, conn, scale: float, now: datetime, seed: int = 11):
        self.conn, self.now, self.rng = conn, now, random.Random(seed)
        self.n_institutions = max(5, round(500 * scale))
        self.n_people = max(100, round(10_000 * scale))
        self.n_messages = max(10_000, round(1_000_000 * scale))
        self.counts: dict[str, int] = {}

    def put(self, table, rows) -> None:
        """Insert an iterable of dicts in batches: Core executemany on SQLite, COPY on PostgreSQL."""
        table = getattr(table, "__table__", table)
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._insert(table, batch)
                batch = []
        if batch:
            self._insert(table, batch)

    def _insert(self, table, batch: list[dict]) -> None:
        self.counts[table.name] = self.counts.get(table.name, 0) + len(batch)
        if self.conn.dialect.name != "postgresql":
            self.conn.execute(insert(table), batch)
            return
        from psycopg.types.json import Json

        columns = list(batch[0])
        cursor = self.conn.connection.dbapi_connection.cursor()
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in batch:
                copy.write_row([Json(v) if isinstance(v, dict | list) else v for v in row.values()])

    def sequences(self) -> None:
        """PostgreSQL: the id sequences past the ids given here (the app inserts after us)."""
        if self.conn.dialect.name != "postgresql":
            return
        for name in self.counts:
            table = Base.metadata.tables[name]
            if "id" in table.c and table.c.id.primary_key:
                self.conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))")
                )

    def build(self) -> None:
        rng, now = self.rng, self.now
        # -- institutions
        levels = ["national"] * 8 + ["regional"] * 7 + ["local"] * 5
        self.put(
            Institution,
            (
                dict(
                    id=i,
                    short_name=f"I{i:04d}",
                    name=f"Institution {i} ({rng.choice(['Ministry', 'Agency', 'Council', 'Office'])})",
                    level=rng.choice(levels),
                    region=rng.choice(REGIONS),
                )
                for i in range(1, self.n_institutions + 1)
            ),
        )
        # -- people: secretariat (1.5%), observers (3.5%), the rest focal points spread over the
        # institutions (a lead and 5-35 substitutes; a few with the lead alone)
        n_secretariat = max(2, self.n_people * 15 // 1000)
        n_observers = max(2, self.n_people * 35 // 1000)
        n_focal = self.n_people - n_secretariat - n_observers
        sizes = [1 if rng.random() < 0.03 else rng.randint(6, 36) for _ in range(self.n_institutions)]
        total = sum(sizes)
        sizes = [max(1, round(s * n_focal / total)) for s in sizes]
        sizes[-1] += n_focal - sum(sizes)
        assert sizes[-1] >= 1
        people, focal = [], []
        self.members: dict[int, list[int]] = {}
        pid = 0
        for iid, size in enumerate(sizes, 1):
            self.members[iid] = []
            for rank in range(1, size + 1):
                pid += 1
                people.append(self._person(pid, "focal_point"))
                self.members[iid].append(pid)
                active_to = None
                if rank > 1 and rng.random() < 0.04:
                    active_to = (now - timedelta(days=rng.randint(10, 300))).date()  # left the roster
                focal.append(
                    dict(
                        institution_id=iid,
                        person_id=pid,
                        rank=rank,
                        title="Lead focal point" if rank == 1 else "Substitute",
                        active_from=date(2025, 1, 1),
                        active_to=active_to,
                    )
                )
        for role, count in (("secretariat", n_secretariat), ("observer", n_observers)):
            for _ in range(count):
                pid += 1
                people.append(self._person(pid, role))
        self.people = people
        self.put(Person, people)
        self.put(FocalPoint, focal)
        self.secretariat = [p["id"] for p in people if p["role"] == "secretariat"]
        # -- catalogue: clusters, recommendations (with SDG targets), 4 actions per institution
        self.put(Cluster, (dict(id=c, code=f"C{c}", name=f"Cluster {c}") for c in range(1, 13)))
        n_recs = max(20, self.n_institutions * 3 // 5)
        mechanisms = ["UPR", "CRC", "CEDAW", "CERD", "CAT", "CRPD", "HRC"]
        self.put(
            Recommendation,
            (
                dict(
                    id=r,
                    reference=f"{rng.choice(mechanisms)}-{r:04d}",
                    text=f"Recommendation {r}: strengthen the protection of rights in area {r % 40}.",
                    mechanism=rng.choice(mechanisms),
                    cycle=rng.choice(["3rd", "4th"]),
                    support=rng.choice(["supported", "supported_in_part", "noted"]),
                    cluster_id=rng.randint(1, 12),
                )
                for r in range(1, n_recs + 1)
            ),
        )
        targets = [c for (c,) in self.conn.execute(text("select code from sdg_target order by code"))]
        self.put(
            recommendation_sdg_table,
            (
                dict(recommendation_id=r, sdg_target=code)
                for r in range(1, n_recs + 1)
                for code in rng.sample(targets, 2)
            ),
        )
        statuses = [("in_progress", 50), ("not_started", 20), ("completed", 20), ("blocked", 10)]
        self.actions: dict[int, list[int]] = {}
        self.action_status: dict[int, str] = {}
        actions = []
        aid = 0
        for iid in range(1, self.n_institutions + 1):
            self.actions[iid] = []
            for k in range(4):
                aid += 1
                self.actions[iid].append(aid)
                self.action_status[aid] = weighted(rng, statuses)
                actions.append(
                    dict(
                        id=aid,
                        code=f"A{iid:04d}-{k}",
                        title=f"Action {k} of institution {iid}: carry out the plan",
                        short_title=f"Plan {k}",
                        institution_id=iid,
                        target_date=date(2027, 6, 30),
                        indicator="people trained" if k == 0 else None,
                        status="not_started",  # set from the updates below
                    )
                )
        self.put(Action, actions)
        self.put(
            action_recommendation,
            (dict(action_id=a, recommendation_id=rng.randint(1, n_recs)) for a in range(1, aid + 1)),
        )
        # -- messages first (progress updates point at inbound rows)
        self.n_inbound = self.n_messages * 2 // 5
        self.put(InboxMessage, self._inbound())
        self.put(OutboxMessage, self._outbound(self.n_messages - self.n_inbound))
        self.put(AddressState, self._addresses())
        # -- rounds, their steps, progress updates
        self._rounds()
        latest: dict[int, int] = {}
        for u in self.updates:
            latest[u["action_id"]] = u["id"]
        for u in self.updates:
            if latest[u["action_id"]] == u["id"]:
                u["status"] = self.action_status[u["action_id"]]
        self.put(ProgressUpdate, self.updates)
        for status in ("in_progress", "completed", "blocked"):
            ids = [a for a, s in self.action_status.items() if s == status and a in latest]
            for i in range(0, len(ids), 900):
                self.conn.execute(update(Action).where(Action.id.in_(ids[i : i + 900])).values(status=status))

    def _person(self, pid: int, role: str) -> dict:
        rng = self.rng
        channels = weighted(
            rng, [("sms", 35), ("telegram,sms", 25), ("whatsapp,sms", 20), ("telegram", 12), ("whatsapp", 8)]
        )
        linked = "telegram" in channels and rng.random() < 0.9
        return dict(
            id=pid,
            name=f"Person {pid:05d} {rng.choice(['Achieng', 'Diallo', 'Silva', 'Haddad', 'Mwangi', 'Okafor'])}",
            phone=None if channels == "telegram" and rng.random() < 0.5 else f"+2547{pid:08d}",
            telegram_user_id=500_000_000 + pid if linked else None,
            channels=channels,
            language=rng.choice(LANGUAGES),
            timezone=rng.choice(ZONES),
            active=rng.random() < 0.97,
            away_until=(self.now + timedelta(days=rng.randint(1, 20))).date() if rng.random() < 0.02 else None,
            role=role,
            next_digest_at=self.now + timedelta(days=3) if role == "secretariat" else None,
            created_at=self.now - timedelta(days=500),
        )

    def _address(self, person: dict) -> tuple[str, str]:
        channel = self.rng.choice(person["channels"].split(","))
        if channel == "telegram":
            if person["telegram_user_id"] is not None:
                return channel, str(person["telegram_user_id"])
            channel = "sms"
        return channel, person["phone"] or f"+2540{person['id']:08d}"

    def _when(self) -> datetime:
        """A moment in the last 60 weeks, more of them recent."""
        return self.now - timedelta(seconds=int((self.rng.random() ** 1.3) * PERIODS * 7 * 86400))

    def _inbound(self):
        rng, people = self.rng, self.people
        for i in range(1, self.n_inbound + 1):
            person = rng.choice(people)
            known = rng.random() < 0.97
            channel, address = self._address(person)
            at = self._when()
            kind = weighted(rng, IN_KINDS)
            status = "done" if rng.random() < 0.995 else rng.choice(["new", "failed"])
            yield dict(
                id=i,
                channel=channel,
                provider_id=f"p{i}",
                address=address,
                kind=kind,
                text=rng.choice(REPLIES) if kind == "text" else "",
                payload={"name": person["name"]} if channel == "telegram" else {},
                person_id=person["id"] if known else None,
                status=status,
                attempts=1,
                error="handler failed" if status == "failed" else None,
                received_at=at,
                processed_at=at + timedelta(milliseconds=rng.randint(30, 900)) if status == "done" else None,
            )

    def _outbound(self, n: int):
        rng, people = self.rng, self.people
        body = "This week: please report on your actions. 1 Plan 0 - 2 Plan 1 - 3 Plan 2. Reply e.g. 1P 2C 3B."
        for i in range(1, n + 1):
            person = rng.choice(people)
            channel, address = self._address(person)
            kind = weighted(rng, OUT_KINDS)
            status = weighted(rng, OUT_STATUSES)
            at = self._when()
            sms = channel == "sms"
            failed = status == "failed"
            yield dict(
                id=i,
                key=f"{kind}:{i}",
                person_id=person["id"],
                channel=channel,
                address=address,
                kind=kind,
                priority=0 if kind == "reply" else 1,
                text=body[: rng.randint(40, len(body))],
                sms_text=None if sms else body[:70],
                buttons=[],
                status=status,
                provider_id=None if status in ("queued", "sending") else f"m{i}",
                attempts=rng.randint(2, 5) if failed else 1,
                error=rng.choice(UNREACHABLE) if failed else None,
                in_reply_to=rng.randint(1, self.n_inbound) if kind == "reply" else None,
                created_at=at,
                next_attempt_at=at,
                sent_at=None if status in ("queued", "sending") else at + timedelta(seconds=rng.randint(1, 60)),
                segments=rng.randint(1, 3) if sms else None,
                route=[{"channel": "telegram", "error": "blocked"}] if failed and rng.random() < 0.3 else [],
            )

    def _addresses(self):
        rng, now = self.rng, self.now
        seen = set()
        for person in self.people:
            for channel in person["channels"].split(","):
                address = str(person["telegram_user_id"]) if channel == "telegram" else person["phone"]
                if address in (None, "None") or (channel, address) in seen:
                    continue
                seen.add((channel, address))
                roll = rng.random()
                yield dict(
                    channel=channel,
                    address=address,
                    opted_out_at=now - timedelta(days=rng.randint(1, 300)) if roll < 0.02 else None,
                    unreachable_at=now - timedelta(days=rng.randint(1, 300)) if 0.02 <= roll < 0.05 else None,
                    unreachable_reason=rng.choice(UNREACHABLE) if 0.02 <= roll < 0.05 else None,
                    last_inbound_at=now - timedelta(hours=rng.randint(1, 2000)),
                )

    def _rounds(self) -> None:
        rng, now = self.rng, self.now
        monday = (now - timedelta(days=now.weekday())).replace(hour=6, minute=0, second=0, microsecond=0)
        rounds, steps, self.updates = [], [], []
        rid = sid = uid = 0
        for k in range(PERIODS - 1, -1, -1):  # k = 0: this week
            start = monday - timedelta(weeks=k)
            year, week, _ = start.isocalendar()
            period = f"{year}-W{week:02d}"
            for iid in range(1, self.n_institutions + 1):
                team = self.members[iid]
                rid += 1
                roll = rng.random()
                if k == 0:
                    status = "answered" if roll < 0.4 else ("open" if roll < 0.95 else "exhausted")
                else:
                    status = "answered" if roll < 0.72 else ("exhausted" if roll < 0.99 else "open")
                asked = min(len(team), 1 + (rng.randint(0, 3) if rng.random() < 0.25 else 0))
                if status == "exhausted":
                    asked = min(len(team), rng.randint(1, 4))
                step = asked - 1
                at = start
                row_steps = []
                nobody = rng.random() < 0.01  # every person skipped: a round that asked nobody
                for s in range(asked):
                    who = team[s]
                    if nobody or (s < asked - 1 and rng.random() < 0.2):
                        row_steps.append(("skipped", at, who, rng.choice(["away until 2026-12-20", "opted out"])))
                        continue
                    row_steps.append(("prompted" if s == 0 else "escalated", at, who, None))
                    for _ in range(rng.randint(0, 2)):
                        at += timedelta(hours=24)
                        row_steps.append(("reminded", at, who, None))
                    if s < asked - 1:
                        at += timedelta(hours=24)
                        row_steps.append(("no_answer", at, who, None))
                answered_by = answered_at = None
                if status == "answered":
                    answered_by = rng.choice(team[: max(1, asked)])
                    answered_at = at + timedelta(hours=rng.randint(1, 40))
                    row_steps.append(("answered", answered_at, answered_by, None))
                    if step > 0 and answered_by != team[step]:
                        row_steps.append(("stood_down", answered_at, team[step], "answered"))
                    for action in rng.sample(self.actions[iid], rng.randint(1, 3)):
                        uid += 1
                        self.updates.append(
                            dict(
                                id=uid,
                                action_id=action,
                                cluster_id=None,
                                person_id=answered_by,
                                status=rng.choice(["in_progress", "in_progress", "completed", "blocked"]),
                                note=rng.choice([None, None, "waiting for the budget", "training held in May"]),
                                indicator_value=Decimal(rng.randint(0, 500)) if rng.random() < 0.2 else None,
                                period=period,
                                level="national",
                                locality=None,
                                people_reached=None,
                                inbound_id=rng.randint(1, self.n_inbound),
                                created_at=answered_at,
                            )
                        )
                elif status == "exhausted":
                    at += timedelta(hours=24)
                    row_steps.append(("exhausted", at, None, "nobody left to ask"))
                    for who in rng.sample(self.secretariat, min(2, len(self.secretariat))):
                        failed = rng.random() < 0.05
                        row_steps.append(("alert_failed" if failed else "alert", at, who, "nobody left to ask"))
                for what, when, who, reason in row_steps:
                    sid += 1
                    steps.append(dict(id=sid, round_id=rid, at=when, what=what, person_id=who, reason=reason))
                rounds.append(
                    dict(
                        id=rid,
                        institution_id=iid,
                        period=period,
                        status=status,
                        due_at=start + timedelta(days=2),
                        holder_id=team[step] if asked else None,
                        step=max(step, 0),
                        reminders=rng.randint(0, 2),
                        next_at=at + timedelta(hours=24) if status == "open" else None,
                        answered_by=answered_by,
                        answered_at=answered_at,
                        stood_down=False,
                        created_at=start,
                    )
                )
        self.put(ReportingRound, rounds)
        self.put(RoundStep, steps)


def fresh_postgres(server: str, name: str) -> str:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


def build(url: str, scale: float, now: datetime, baseline: str) -> float:
    start = time.perf_counter()
    upgrade(url, baseline)
    engine = create_engine(url)
    with engine.begin() as conn:
        builder = Builder(conn, scale, now)
        builder.build()
        builder.sequences()
    if not url.startswith("sqlite"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    seconds = time.perf_counter() - start
    print(f"  built in {seconds:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in builder.counts.items()))
    return seconds


# ---------------------------------------------------------------- measuring


def settings(url: str):
    return load_settings(
        database_url=url,
        redis_url="",
        scheduler_enabled=False,
        telegram_bot_token="123456:bench",
        telegram_webhook_secret="bench-secret",
        twilio_account_sid="ACbench",
        twilio_auth_token="bench",
        twilio_sms_from="+15550000001",
        twilio_whatsapp_from="+15550000002",
        public_base_url="https://bot.example.org",
    )


def summary(times: list[float]) -> dict:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return dict(median=statistics.median(ms), min=ms[0], max=ms[-1], p95=p95)


@contextmanager
def recording(engine):
    """Every statement run inside, with its parameters and its time."""
    found: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        found.append([statement, parameters, time.perf_counter() - conn.info.pop("bench_t0")])

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def load_reader(path: str | None):
    """backend/reports/overview.py, or an earlier version of it from `path`."""
    if path is None:
        return report
    import importlib.util

    spec = importlib.util.spec_from_file_location("overview_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["overview_before"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def readers(ctx, now: datetime, report=report) -> dict:
    """Each read function of the overview, called as report.overview calls it."""
    with ctx.db.transaction() as s:
        chart = report.trend(s)
    names = [p.period for p in chart]
    period = chart[-1].period if chart else None
    configured = ctx.configured
    return {
        "trend": lambda s: report.trend(s),
        "institutions": lambda s: report.institutions(s, period=period, trend_periods=names),
        "overdue": lambda s: report.overdue(s, now=now),
        "escalations": lambda s: report.escalations(s),
        "alerts": lambda s: report.alerts(s),
        "unreachable": lambda s: report.unreachable(s, configured=configured),
        "bare": lambda s: report.bare(s, now=now),
        "blocked": lambda s: report.blocked(s),
    }


def explain(engine, statement: str, parameters) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            depth: dict[int, int] = {}
            lines = []
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, parameters).all()
        return [r[0] for r in rows]


def measure(url: str, label: str, repeat: int, plans: int, code: str | None = None, details: bool = True) -> dict:
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("nmirf.access").disabled = True
    from fastapi.testclient import TestClient

    from backend.admin import overview as page
    from backend.app import create_app

    reader = load_reader(code)
    page.report = reader  # the page's read side (the route calls page.report.overview)
    ctx = build_context(settings(url), dispatcher=InProcessDispatcher())
    set_context(ctx)
    now = datetime.now(UTC)
    with ctx.db.transaction() as s:
        if users.find(s, "bench-admin") is None:
            users.create(s, username="bench-admin", password=PASSWORD, role="admin", now=now)
    result: dict = {"label": label}
    app = create_app(ctx)
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/admin/login").text  # the sign-in form's own token, with its cookie
        token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
        data = {"username": "bench-admin", "password": PASSWORD, "next": "/admin/", "login_token": token}
        r = client.post("/admin/login", data=data)
        assert r.status_code in (200, 303), r.text[:300]
        times, size = [], 0
        for i in range(repeat + 2):
            start = time.perf_counter()
            r = client.get("/admin/")
            elapsed = time.perf_counter() - start
            assert r.status_code == 200 and "<html" in r.text.lower(), (r.status_code, r.text[:300])
            size = len(r.content)
            if i >= 2:  # two warm-up requests
                times.append(elapsed)
    result["page"] = summary(times)
    result["times"] = times
    result["bytes"] = size
    if not details:
        page.report = report
        set_context(None)
        ctx.close()
        return result
    # each read function alone, with its queries
    functions = readers(ctx, now, reader)
    result["functions"] = {}
    statements: dict[str, tuple[str, object, list[float], str]] = {}
    for name, call in functions.items():
        elapsed = []
        for i in range(repeat + 1):
            with recording(ctx.db.engine) as found, ctx.db.transaction() as s:
                start = time.perf_counter()
                call(s)
                took = time.perf_counter() - start
            if i == 0:
                continue
            elapsed.append(took)
            for statement, parameters, seconds in found:
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                key = f"{name}:{statement}"
                if key not in statements:
                    statements[key] = (statement, parameters, [], name)
                statements[key][2].append(seconds)
        result["functions"][name] = summary(elapsed)
    slowest = sorted(statements.values(), key=lambda v: -statistics.median(v[2]))[:plans]
    result["slowest"] = [
        dict(
            function=name,
            ms=statistics.median(times) * 1000,
            sql=" ".join(statement.split()),
            plan=explain(ctx.db.engine, statement, parameters),
        )
        for statement, parameters, times, name in slowest
    ]
    page.report = report
    set_context(None)
    ctx.close()
    return result


def same_results(url: str, code: str, now: datetime) -> bool:
    """Do the earlier read functions and today's give the same overview, on this store?"""
    import dataclasses

    ctx = build_context(settings(url), dispatcher=InProcessDispatcher())
    found = []
    for module in (load_reader(code), report):
        with ctx.db.transaction() as s:
            for page in (1, 2):
                found.append(dataclasses.asdict(module.overview(s, now=now, configured=ctx.configured, page=page)))
    ctx.close()
    return found[:2] == found[2:]


def show(result: dict) -> None:
    p = result["page"]
    print(
        f"  GET /admin/ ({result['label']}): median {p['median']:.1f} ms, min {p['min']:.1f}, "
        f"max {p['max']:.1f}, p95 {p['p95']:.1f} ({result['bytes']:,} bytes uncompressed)"
    )
    for name, f in result["functions"].items():
        print(f"    {name:13} median {f['median']:8.2f} ms  (min {f['min']:.2f}, max {f['max']:.2f})")
    print(f"  slowest queries ({result['label']}):")
    for q in result["slowest"]:
        print(f"  - {q['function']}: {q['ms']:.2f} ms: {q['sql'][:400]}")
        for line in q["plan"]:
            print(f"      {line}")


def schema(url: str, kind: str, revision: str) -> float:
    """Migrate up or down to `revision` (PostgreSQL analysed after); the seconds it took."""
    from backend.migrations import downgrade

    start = time.perf_counter()
    if revision == "head":
        upgrade(url)
    else:
        downgrade(url, revision)
    if kind == "postgresql":
        engine = create_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
    return time.perf_counter() - start


def run(kind: str, url: str, args, now: datetime) -> dict:
    code = f", before-code {args.before_code}" if args.before_code else ""
    print(f"\n== {kind}: scale {args.scale}, baseline revision {args.baseline}{code}")
    built = build(url, args.scale, now, args.baseline)
    # Rounds alternate before / after on the same data (down to the baseline and up to head
    # between them), so a noisy machine slows both alike; the functions and plans are measured
    # in the first round (before) and the last (after).
    pooled: dict[str, list[float]] = {"before": [], "after": []}
    rounds: list[tuple[float, float]] = []
    before = after = {}
    migrated = 0.0
    for r in range(args.rounds):
        if r > 0:
            schema(url, kind, args.baseline)
        result = measure(url, "before", args.repeat, args.plans, args.before_code, details=r == 0)
        before = result if r == 0 else before
        pooled["before"] += result["times"]
        took = schema(url, kind, "head")
        migrated = migrated or took
        last = r == args.rounds - 1
        result_after = measure(url, "after", args.repeat, args.plans, details=last)
        after = result_after if last else after
        pooled["after"] += result_after["times"]
        rounds.append((result["page"]["median"], result_after["page"]["median"]))
        print(f"  round {r + 1}: GET /admin/ median {rounds[-1][0]:.1f} ms before, {rounds[-1][1]:.1f} ms after")
    before["page"], after["page"] = summary(pooled["before"]), summary(pooled["after"])
    print(f"  upgraded to head (the indexes built) in {migrated:.1f} s")
    show(before)
    show(after)
    if args.before_code:
        print(f"  same overview from both read sides: {same_results(url, args.before_code, now)}")
    b, a = before["page"]["median"], after["page"]["median"]
    ratios = " ".join(f"{x / y:.1f}" for x, y in rounds)
    print(
        f"  == {kind}: GET /admin/ median {b:.1f} ms before, {a:.1f} ms after "
        f"(before/after per round: {ratios}); build {built:.1f} s"
    )
    for result in (before, after):
        result.pop("times", None)
    return dict(kind=kind, build_s=built, upgrade_s=migrated, rounds=rounds, before=before, after=after)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sqlite", action="store_true", help="measure on SQLite (the default when no --postgres)")
    p.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL; a fresh database is made there")
    p.add_argument("--repeat", type=int, default=20, help="timed requests and calls of each function")
    p.add_argument("--database", default="nmirf_bench_overview", help="the PostgreSQL database made for it")
    p.add_argument("--rounds", type=int, default=3, help="before/after rounds, alternated")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full data set (0.01 for a quick run)")
    p.add_argument("--plans", type=int, default=4, help="how many of the slowest queries to explain")
    p.add_argument("--baseline", default=None, help="the revision measured as 'before' (default: head's parent)")
    p.add_argument("--before-code", metavar="FILE", help="an earlier backend/reports/overview.py for 'before'")
    p.add_argument("--json", metavar="FILE", help="also write the figures there")
    args = p.parse_args()
    args.baseline = args.baseline or baseline_revision()
    now = datetime.now(UTC)
    results = []
    if args.sqlite or not args.postgres:
        path = ROOT / "var" / "bench" / "admin_overview.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        results.append(run("sqlite", f"sqlite:///{path}", args, now))
    if args.postgres:
        results.append(run("postgresql", fresh_postgres(args.postgres, args.database), args, now))
    print("\n| database | build | before: median | p95 | after: median | p95 |")
    print("|---|---|---|---|---|---|")
    for r in results:
        b, a = r["before"]["page"], r["after"]["page"]
        print(
            f"| {r['kind']} | {r['build_s']:.0f} s | {b['median']:.1f} ms | {b['p95']:.1f} ms "
            f"| {a['median']:.1f} ms | {a['p95']:.1f} ms |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
