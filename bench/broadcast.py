"""A 10,000-message broadcast through the fake providers with two RQ workers.

Starts its own Redis, a SQLite database (or --database-url), the web server, two `nmirf worker`
processes and a sweep, all talking to a fake Telegram Bot API and a fake Twilio API in this
process. 10,000 people (a third each on Telegram, SMS and WhatsApp) get one message each. While
the broadcast drains, a focal point sends a message every 2 s through the Telegram webhook and
the time until the bot's answer reaches the fake is measured.

    .venv/bin/python bench/broadcast.py [--people 10000] [--telegram-rate 30] [--sms-rate 40] [--whatsapp-rate 40]
        [--redis-url URL] [--window SECONDS] [--json FILE]

Reports per channel: messages, achieved rate against the configured limit (target: within 5%,
never above), busiest 1-second window; duplicates and losses; answer latency p50/p99/max
(target: under 2 s); the time to plan (the outbox rows created) and to enqueue; the peak memory
(VmHWM) of the web process and of the workers at the end.

With --redis-url the Redis there is flushed and used instead of one of its own. With --window
the drain is measured for that many seconds only (a broadcast too long for one sitting): the
rate achieved in the window, the drain time it implies, duplicates among what was sent, and
every row either sent or still waiting in the outbox (none lost, none failed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
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
ASKER = 990000001  # the Telegram user who writes while the broadcast drains


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def seed(database_url: str, people: int) -> None:
    """People straight into the store: one institution, a third on each channel; WhatsApp people
    wrote recently, so free text may go to them."""
    from sqlalchemy import insert

    from backend.db import Database
    from backend.migrations import upgrade
    from backend.outbox.models import AddressState
    from backend.roster.models import FocalPoint, Institution, Person

    upgrade(database_url)
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.transaction() as s:
        inst = Institution(short_name="MOJ", name="Ministry of Justice", level="national")
        s.add(inst)
        s.flush()
        rows, states = [], []
        for n in range(people):
            channel = ("telegram", "sms", "whatsapp")[n % 3]
            rows.append(
                dict(
                    name=f"Person {n}",
                    phone=f"+2547{n:08d}",
                    telegram_user_id=100000 + n if channel == "telegram" else None,
                    channels=channel,
                    language="en",
                    timezone="UTC",
                    active=True,
                    created_at=now,
                )
            )
            if channel == "whatsapp":
                states.append(dict(channel="whatsapp", address=f"+2547{n:08d}", last_inbound_at=now))
        rows.append(
            dict(
                name="Asker Person",
                phone="+254799999999",
                telegram_user_id=ASKER,
                channels="telegram",
                language="en",
                timezone="UTC",
                active=True,
                created_at=now,
            )
        )
        s.execute(insert(Person), rows)
        s.execute(insert(AddressState), states)
        s.add(FocalPoint(institution_id=inst.id, person_id=people + 1, rank=1))
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10000)
    ap.add_argument("--telegram-rate", type=float, default=30.0)
    ap.add_argument("--sms-rate", type=float, default=20.0)
    ap.add_argument("--whatsapp-rate", type=float, default=20.0)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--redis-url", default="", help="use (and flush) this Redis instead of starting one")
    ap.add_argument("--window", type=float, default=0, help="measure the drain for this many seconds only")
    ap.add_argument("--json", metavar="FILE", help="also write a summary there (bench/common.py)")
    args = ap.parse_args()

    import httpx

    from tests.fakes.telegram_api import FakeTelegramAPI
    from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioAPI

    tmp = Path(tempfile.mkdtemp(prefix="nmirf-broadcast-"))
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    redis_port, web_port = free_port(), free_port()
    procs: list[subprocess.Popen] = []
    redis_url = args.redis_url or f"redis://127.0.0.1:{redis_port}/0"
    if args.redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    else:
        redis_server = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        procs.append(subprocess.Popen(redis_server + ["--appendonly", "no"], stdout=subprocess.DEVNULL, cwd=tmp))
    try:
        with FakeTelegramAPI(TOKEN) as telegram, FakeTwilioAPI() as twilio:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_API_BASE_URL": twilio.base_url,
                "TWILIO_SMS_FROM": "+15005550006",
                "TWILIO_WHATSAPP_FROM": "+14155238886",
                "TELEGRAM_RATE": str(args.telegram_rate),
                "SMS_RATE": str(args.sms_rate),
                "WHATSAPP_RATE": str(args.whatsapp_rate),
                "SWEEP_INTERVAL_SECONDS": "5",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
                "PYTHONPATH": str(ROOT),
            }
            os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
            seed(database_url, args.people)
            nmirf = [sys.executable, "-m", "backend.cli"]
            web = subprocess.Popen(
                nmirf + ["serve", "--port", str(web_port)],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp / "web.log", "w"),
            )
            workers = [subprocess.Popen(nmirf + ["worker"], env=env, cwd=tmp, stderr=subprocess.DEVNULL) for _ in "12"]
            procs += [web, *workers]
            procs.append(subprocess.Popen(nmirf + ["sweep", "--loop"], env=env, cwd=tmp, stdout=subprocess.DEVNULL))
            wait_for(
                lambda: _up(f"http://127.0.0.1:{web_port}/healthz") or web.poll() is not None, 60, "the web server"
            )
            if web.poll() is not None:
                raise SystemExit(f"the web server exited: {(tmp / 'web.log').read_text()[-3000:]}")

            from backend.config import get_settings
            from backend.outbox import start as pipeline
            from backend.wiring.context import build_context

            ctx = build_context(get_settings())
            now = datetime.now(UTC)
            planning = time.monotonic()
            text = "NMIRF meeting on 12 December at 10:00, cluster: rights of the child. Reply YES, NO or SUB."
            with ctx.db.transaction() as s:
                from sqlalchemy import select

                from backend.roster.models import Person

                people = s.execute(
                    select(Person.id, Person.channels, Person.phone, Person.telegram_user_id)
                    .where(Person.name.like("Person %"))
                    .order_by(Person.id)
                ).all()
                ids = []
                for pid, channel, phone, tg in people:
                    ids.append(
                        (
                            pipeline.queue_outbound(
                                s,
                                key=f"bench:{pid}",
                                channel=channel,
                                address=str(tg) if channel == "telegram" else phone,
                                kind="agenda",
                                person_id=pid,
                                text=text,
                                now=now,
                            ).id,
                            channel,
                        )
                    )
            started = time.monotonic()
            planned = started - planning
            print(f"planned {len(ids)} messages (outbox rows committed) in {planned:.1f} s", flush=True)
            ctx.dispatcher.enqueue_sends([(outbox_id, 1, channel) for outbox_id, channel in ids])  # as a broadcast does
            enqueued = time.monotonic() - started
            print(f"queued {len(ids)} messages in {enqueued:.1f} s", flush=True)
            window_from = time.monotonic()  # a --window starts once everything is enqueued

            latencies, update_id = [], 1
            client = httpx.Client(base_url=f"http://127.0.0.1:{web_port}")
            total = lambda: len(telegram.sent) + len(twilio.messages)  # noqa: E731
            while total() - len(latencies) < len(ids) and not (
                args.window and time.monotonic() - window_from > args.window
            ):
                before = len([m for m in telegram.sent if m["chat_id"] == str(ASKER)])
                t0 = time.monotonic()
                client.post(
                    "/webhooks/telegram",
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    content=json.dumps(
                        {
                            "update_id": update_id,
                            "message": {
                                "message_id": update_id,
                                "date": int(time.time()),
                                "text": "help",
                                "chat": {"id": ASKER, "type": "private"},
                                "from": {"id": ASKER, "is_bot": False, "first_name": "Asker"},
                            },
                        }
                    ),
                )
                update_id += 1
                wait_for(
                    lambda: len([m for m in telegram.sent if m["chat_id"] == str(ASKER)]) > before, 60, "the answer"
                )
                latencies.append(time.monotonic() - t0)
                time.sleep(2.0)
            elapsed = time.monotonic() - started
            peaks = dict(web=vmhwm_mb(web.pid), worker=max(vmhwm_mb(w.pid) or 0 for w in workers) or None)
            rows = report(args, ids, telegram, twilio, latencies, elapsed, outbox_statuses(ctx, [i for i, _ in ids]))
            rows[:0] = [row(f"{len(ids):,} messages: planned (outbox rows created)", round(planned, 1), "s")]
            rows[1:1] = [row(f"{len(ids):,} messages: enqueued on Redis", round(enqueued, 1), "s")]
            print(f"peak memory (VmHWM): web {peaks['web']:.0f} MB, workers up to {peaks['worker']:.0f} MB")
            write_summary(args.json, rows, **peaks)
            ctx.close()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def outbox_statuses(ctx, _ids) -> dict[str, int]:
    """The broadcast's outbox rows by status (sent, queued, sending, failed...)."""
    from sqlalchemy import func, select

    from backend.outbox.models import OutboxMessage

    with ctx.db.transaction() as s:
        found = s.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.key.like("bench:%"))
            .group_by(OutboxMessage.status)
        ).all()
    return {status: n for status, n in found}


def report(args, ids, telegram, twilio, latencies, elapsed, statuses: dict[str, int]) -> list[dict]:
    channels = {
        "telegram": (
            [m["at"] for m in telegram.sent if m["chat_id"] != str(ASKER)],
            [m["chat_id"] for m in telegram.sent if m["chat_id"] != str(ASKER)],
            args.telegram_rate,
        ),
        "sms": (
            [m["at"] for m in twilio.messages if not m["to"].startswith("whatsapp:")],
            [m["to"] for m in twilio.messages if not m["to"].startswith("whatsapp:")],
            args.sms_rate,
        ),
        "whatsapp": (
            [m["at"] for m in twilio.messages if m["to"].startswith("whatsapp:")],
            [m["to"] for m in twilio.messages if m["to"].startswith("whatsapp:")],
            args.whatsapp_rate,
        ),
    }
    n = f"{len(ids):,} messages"
    print(f"\n{len(ids)} messages, {'window of' if args.window else 'drained in'} {elapsed:.1f} s with two workers")
    print(f"{'channel':9} {'sent':>6} {'limit/s':>8} {'achieved/s':>11} {'ratio':>6} {'busiest 1 s':>12}")
    duplicates = 0
    delivered = 0
    rows = []
    for name, (times, to, limit) in channels.items():
        times.sort()
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        busiest = max(
            (sum(1 for t in times[i : i + int(limit) * 3] if t < start + 1.0) for i, start in enumerate(times)),
            default=0,
        )
        duplicates += len(to) - len(set(to))
        delivered += len(set(to))
        print(f"{name:9} {len(times):6d} {limit:8.1f} {rate:11.2f} {rate / limit:6.3f} {busiest:12d}")
        rows.append(row(f"{n}: {name} sends/s (limit {limit:g}/s)", round(rate, 2), "msg/s"))
    waiting = statuses.get("queued", 0) + statuses.get("sending", 0)
    others = {k: v for k, v in statuses.items() if k not in ("sent", "queued", "sending")}
    # lost: never reached the provider (a whole run), or, in a window, marked sent but never received
    lost = max(0, statuses.get("sent", 0) - delivered) if args.window else len(ids) - delivered
    print(f"outbox rows by status: {statuses}")
    print(f"duplicates: {duplicates}; lost: {lost}" + (f"; still waiting: {waiting}" if args.window else ""))
    every = sorted(t for times, _to, _limit in channels.values() for t in times)
    overall = (len(every) - 1) / (every[-1] - every[0]) if len(every) > 1 else 0.0
    rows.append(row(f"{n}: sends/s, all channels (first to last send)", round(overall, 1), "msg/s"))
    if args.window:
        implied = len(ids) / overall if overall else float("inf")
        print(f"sent {delivered} in the {elapsed:.0f} s window: the whole would drain in about {implied:.0f} s")
        rows.append(row(f"{n}: sent in {elapsed:.0f} s (enqueueing, then the window)", delivered, "msg"))
        rows.append(row(f"{n}: drain time implied by the window's rate", round(implied), "s"))
    else:
        rows.append(row(f"{n}: drain time", round(elapsed, 1), "s"))
    rows.append(row(f"{n}: duplicates / lost / failed", f"{duplicates} / {lost} / {sum(others.values())}", "msg"))
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(
            f"answer to a person who wrote during the broadcast ({len(latencies)} samples): "
            f"p50 {statistics.median(latencies):.2f} s, p99 {p99:.2f} s, max {max(latencies):.2f} s (target < 2 s)"
        )
        rows.append(row(f"{n}: answer to a person writing meanwhile, p99", round(p99, 2), "s"))
    return rows


if __name__ == "__main__":
    main()
