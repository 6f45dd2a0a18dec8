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
import re
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from backend.accounts import users  # noqa: E402
from backend.config import load_settings  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.reports import overview as report  # noqa: E402
from backend.wiring.context import build_context, set_context  # noqa: E402
from backend.wiring.dispatch import InProcessDispatcher  # noqa: E402

PASSWORD = "bench overview password"

from overview_data import baseline_revision, build, fresh_postgres  # noqa: E402  (beside this file)

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
    # The data are written with today's columns, so a baseline older than the newest migration
    # that changes a table the data fill (0018: outbound_message) cannot be built any more.
    p.add_argument("--baseline", default="head", help="the revision measured as 'before' (default: head)")
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
