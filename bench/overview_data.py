"""The data set of bench/admin_overview.py: a national store of 500 institutions, 10,000 people
and 1,000,000 messages, written with bulk inserts (SQLAlchemy Core executemany on SQLite, COPY on
PostgreSQL), deterministic for one seed. `build(url, scale, now, baseline)` migrates a fresh
database to `baseline` and fills it."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from overview_messages import PERIODS, MessageRows, weighted  # beside this file
from sqlalchemy import create_engine, insert, text, update

from backend.catalog.models import Action, Cluster, Recommendation, action_recommendation
from backend.catalog.models import recommendation_sdg as recommendation_sdg_table
from backend.db import Base
from backend.inbox.models import InboxMessage
from backend.migrations import alembic_config, upgrade
from backend.outbox.models import AddressState, OutboxMessage
from backend.progress.models import ProgressUpdate
from backend.progress.rounds import ReportingRound, RoundStep
from backend.roster.models import FocalPoint, Institution, Person

BATCH = 20_000
REGIONS = [f"Region {c}" for c in "ABCDEFGHIJKL"]


def baseline_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    down = script.get_revision(script.get_current_head()).down_revision
    assert isinstance(down, str)
    return down


# ---------------------------------------------------------------- the data set


class Builder(MessageRows):
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
