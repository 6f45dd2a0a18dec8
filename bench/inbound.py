"""Inbound processing by one worker: how many stored messages one `nmirf worker` handles a second.

    .venv/bin/python bench/inbound.py --redis-url redis://127.0.0.1:P/0 [--database-url URL]
        [--messages 3000] [--json FILE]

A fresh database (a SQLite file, or --database-url: an empty PostgreSQL database) gets, through
the CLI, a roster of --messages focal points on Telegram (one institution and one action each,
under a demo recommendation). Each of them then writes once (rotating: "1 done", "status",
"help", "hello"), accepted by the product's own inbox service (`backend.inbox.service.accept`:
the row committed, its job enqueued on Redis) while no worker runs. Then ONE `nmirf worker`
process (RQ SimpleWorker, all queues: answers first, then inbound) is started and timed from
its registration until every row is handled and every reply has reached the fake Telegram Bot
API in this process. TELEGRAM_RATE is set far above the work (the worker's speed is measured,
not the provider's limit); one message per person, so the per-chat limit never waits.

Reports: rows handled/s (until the last row is done), messages/s end to end (every reply sent),
and the worker's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import row, vmhwm_mb, write_summary  # noqa: E402

TOKEN, SECRET = "123456:BENCH", "bench-secret"
TG_BASE = 830000000
TEXTS = ("1 done", "status", "help", "hello")
NMIRF = [sys.executable, "-m", "backend.cli"]


def roster_csv(people: int) -> str:
    head = "institution,institution_name,level,region,name,phone,telegram_user_id,channels,language,timezone,rank"
    lines = [head] + [
        f"I{i:05d},Institution {i},national,,Person {i},+2547{i:08d},{TG_BASE + i},telegram,en,UTC,1"
        for i in range(people)
    ]
    return "\n".join(lines) + "\n"


def actions_csv(people: int) -> str:
    lines = ["code,institution,title,target_date,indicator,recommendations"]
    lines += [f"I{i:05d}-1,I{i:05d},Action of institution {i},2027-06-30,,UPR4-139.12" for i in range(people)]
    return "\n".join(lines) + "\n"


def cli(env: dict, *args: str) -> None:
    done = subprocess.run([*NMIRF, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"nmirf {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def preload(ctx, people: int) -> float:
    """Each person writes once, through the inbox service (row committed, job enqueued)."""
    from backend.inbox.service import accept
    from bot.message import Address, Channel, ContentKind, InboundMessage

    started = time.perf_counter()
    for i in range(people):
        item = InboundMessage(
            address=Address(Channel.TELEGRAM, str(TG_BASE + i)),
            provider_id=str(20_000_000 + i),
            kind=ContentKind.TEXT,
            text=TEXTS[i % len(TEXTS)],
            sender_name=f"Person {i}",
            received_at=datetime.now(UTC),
        )
        if not accept(ctx, item):
            raise SystemExit(f"message {i} was taken for a duplicate")
    return time.perf_counter() - started


def counts(ctx) -> tuple[int, int, int]:
    """(inbox rows still new, outbox rows not yet sent, outbox rows)."""
    from sqlalchemy import text

    with ctx.db.transaction() as s:
        new = s.execute(text("SELECT count(*) FROM inbound_message WHERE status = 'new'")).scalar_one()
        pending, total = s.execute(
            text("SELECT count(*) FILTER (WHERE status IN ('queued', 'sending')), count(*) FROM outbound_message")
        ).one()
    return new, pending, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=3000, help="people, each writing once")
    ap.add_argument("--database-url", default="", help="an empty database (default: a fresh SQLite file)")
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json", metavar="FILE", help="also write a summary there (bench/common.py)")
    args = ap.parse_args()

    import redis

    import backend.models  # noqa: F401 - every table mapped, as the app has them
    from backend.config import load_settings
    from backend.wiring.context import build_context
    from tests.fakes.telegram_api import FakeTelegramAPI

    tmp = Path(tempfile.mkdtemp(prefix="nmirf-inbound-"))
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    r = redis.Redis.from_url(args.redis_url)
    r.flushdb()
    with FakeTelegramAPI(TOKEN) as telegram:
        settings = dict(
            DATABASE_URL=database_url,
            REDIS_URL=args.redis_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            TELEGRAM_RATE="100000",
            SCHEDULER_ENABLED="false",
            QUIET_HOURS="",
        )
        env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
        (tmp / "roster.csv").write_text(roster_csv(args.messages))
        (tmp / "actions.csv").write_text(actions_csv(args.messages))
        t0 = time.perf_counter()
        cli(env, "db", "upgrade")
        cli(env, "import", "roster", str(tmp / "roster.csv"))
        cli(env, "import", "recommendations", str(ROOT / "deploy" / "demo" / "recommendations.csv"))
        cli(env, "import", "actions", str(tmp / "actions.csv"))
        print(f"{kind}: roster of {args.messages} imported in {time.perf_counter() - t0:.1f} s", flush=True)

        ctx = build_context(load_settings(**{k.lower(): v for k, v in settings.items()}))
        took = preload(ctx, args.messages)
        print(f"{args.messages} messages accepted (stored, enqueued) in {took:.1f} s", flush=True)

        log = open(tmp / "worker.log", "w")
        worker = subprocess.Popen([*NMIRF, "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not r.smembers("rq:workers"):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit(f"the worker did not start: {(tmp / 'worker.log').read_text()[-2000:]}")
                time.sleep(0.02)
            started = time.monotonic()
            handled_at = None
            deadline = started + args.timeout
            while True:
                new, pending, total = counts(ctx)
                now = time.monotonic()
                if new == 0 and handled_at is None:
                    handled_at = now
                if new == 0 and pending == 0 and len(telegram.sent) >= total:
                    break
                if now > deadline:
                    raise SystemExit(f"timed out: {new} rows new, {pending} replies pending")
                time.sleep(0.1)
            drained = time.monotonic() - started
            peak = vmhwm_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(30)
            log.close()
            ctx.close()
        handled = handled_at - started
        replies = len(telegram.sent)
        answers = {m["chat_id"]: m.get("text", "") for m in telegram.sent}
        for i, said in enumerate(TEXTS):
            print(f"  {said!r} -> {answers.get(str(TG_BASE + i), '')[:100]!r}")
    per_s, e2e = args.messages / handled, args.messages / drained
    print(f"one worker, {kind}: {args.messages} rows handled in {handled:.1f} s ({per_s:.1f}/s); ")
    print(f"  every reply sent ({replies}) after {drained:.1f} s ({e2e:.1f} messages/s end to end)")
    print(f"  worker peak memory (VmHWM): {peak:.0f} MB")
    write_summary(
        args.json,
        [
            row(f"{kind}: inbox rows handled by one worker ({args.messages})", round(per_s, 1), "msg/s"),
            row(f"{kind}: messages handled and answered, one worker", round(e2e, 1), "msg/s"),
        ],
        worker=peak,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
