"""The scheduler at a national size: 10,000 focal points in 500 institutions across 20 time zones.

    .venv/bin/python bench/scheduler.py [--institutions 500] [--per 20] [--idle-passes 50]

A fresh SQLite database gets the roster (the lead and 19 substitutes of each institution, two
open actions each), then one scheduler pass as of Monday 09:05 in the westmost zone opens every
institution's round and queues its prompt (measured: the pass's seconds and the process's peak
memory), and passes with nothing due are timed (median), with the queries they run and SQLite's
plan for each. Sends are queued, not delivered: the in-process job thread is not started.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select, text  # noqa: E402

from backend.catalog.models import Action  # noqa: E402
from backend.config import load_settings  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.outbox.models import OutboxMessage  # noqa: E402
from backend.roster.models import FocalPoint, Institution, Person  # noqa: E402
from backend.schedule import planner  # noqa: E402
from backend.wiring.context import build_context, set_context  # noqa: E402
from backend.wiring.dispatch import InProcessDispatcher  # noqa: E402
from bench.common import row as summary_row  # noqa: E402
from bench.common import write_summary  # noqa: E402

ZONES = [
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Asuncion",
    "America/Sao_Paulo",
    "Atlantic/Cape_Verde",
    "Africa/Dakar",
    "Africa/Casablanca",
    "Africa/Lagos",
    "Africa/Kinshasa",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Manila",
    "Pacific/Port_Moresby",
]


def build(url: str, institutions: int, per: int) -> None:
    settings = load_settings(database_url=url, redis_url="", scheduler_enabled=False)
    upgrade(settings.database_url)
    ctx = build_context(settings, dispatcher=InProcessDispatcher())
    now = datetime.now(UTC)
    with ctx.db.transaction() as s:
        s.execute(
            insert(Institution),
            [
                dict(id=i + 1, short_name=f"I{i:04d}", name=f"Institution {i}", level="national")
                for i in range(institutions)
            ],
        )
        s.execute(
            insert(Person),
            [
                dict(
                    id=i * per + r + 1,
                    name=f"Person {i}-{r}",
                    phone=f"+2547{i:04d}{r:04d}",
                    channels="simulator",
                    language="en",
                    timezone=ZONES[i % len(ZONES)],
                    active=True,
                    role="focal_point",
                    created_at=now,
                )
                for i in range(institutions)
                for r in range(per)
            ],
        )
        s.execute(
            insert(FocalPoint),
            [
                dict(institution_id=i + 1, person_id=i * per + r + 1, rank=r + 1)
                for i in range(institutions)
                for r in range(per)
            ],
        )
        s.execute(
            insert(Action),
            [
                dict(
                    code=f"A{i:04d}-{k}",
                    institution_id=i + 1,
                    title=f"Action {k} of institution {i}",
                    status="not_started",
                )
                for i in range(institutions)
                for k in range(2)
            ],
        )
    ctx.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--institutions", type=int, default=500)
    p.add_argument("--per", type=int, default=20)
    p.add_argument("--idle-passes", type=int, default=50)
    p.add_argument("--json", metavar="FILE", help="also write a summary there (bench/common.py)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        build(url, args.institutions, args.per)
        settings = load_settings(database_url=url, redis_url="", scheduler_enabled=False, quiet_hours="")
        ctx = build_context(settings, dispatcher=InProcessDispatcher())
        set_context(ctx)
        # Monday 09:05 in Los Angeles (the westmost zone): every zone's Monday 09:00 has passed,
        # the eastmost (Port Moresby, UTC+10) 18 hours before.
        today = datetime.now(UTC).date()
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        now = datetime(monday.year, monday.month, monday.day, 17, 5, tzinfo=UTC)
        planner.tick(ctx, now - timedelta(days=1, hours=12))  # first look: each institution's next prompt time
        start = time.perf_counter()
        done = planner.tick(ctx, now)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with ctx.db.transaction() as s:
            queued = s.scalar(select(text("count(*)")).select_from(OutboxMessage))
        print(f"{args.institutions * args.per} focal points, {args.institutions} institutions, {len(ZONES)} zones")
        print(f"plan and queue: {seconds:.2f} s, {done['opened']} rounds opened, {queued} prompts queued")
        print(f"peak memory of the process: {peak_mb:.0f} MB")

        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        idle = now + timedelta(minutes=10)
        times = []
        for _ in range(args.idle_passes):
            statements.clear()
            event.listen(ctx.db.engine, "before_cursor_execute", record)
            start = time.perf_counter()
            assert not any(planner.tick(ctx, idle).values())  # nothing due
            times.append(time.perf_counter() - start)
            event.remove(ctx.db.engine, "before_cursor_execute", record)
        print(
            f"a pass with nothing due: median {statistics.median(times) * 1000:.1f} ms "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}), {len(statements)} queries:"
        )
        with ctx.db.engine.connect() as conn:
            for statement in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                one_line = " ".join(statement.split())
                print(f"  {one_line[:150]}")
                params = {}
                plan = conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, tuple([idle.isoformat(" ")] * statement.count("?"))
                ).all()
                for row in plan:
                    print(f"    plan: {row[-1]}")
                del params
        ctx.close()
    people = args.institutions * args.per
    write_summary(
        args.json,
        [
            summary_row(
                f"weekly planning, {people:,} people: open {done['opened']} rounds, queue prompts",
                round(seconds, 2),
                "s",
            ),
            summary_row("a scheduler pass with nothing due (median)", round(statistics.median(times) * 1000, 1), "ms"),
        ],
        scheduler=peak_mb * 1024 * 1024 / 1e6,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
