"""Webhook acknowledgement throughput and latency on SQLite, per channel.

Starts the real server (uvicorn, one process, embedded default: SQLite, jobs and sweep in the same
process, Telegram sends going to a local fake Bot API, SMS and WhatsApp sends to a local fake
Twilio API) and, from a second process, drives the endpoints of that same server in alternating
rounds, each channel right after a bare round with the same bodies:

  bare      POST /bench/bare               returns 200 at once (adds what FastAPI + uvicorn cost)
  telegram  POST /webhooks/telegram        secret check, Update.de_json, inbox row committed, job enqueued
  sms       POST /webhooks/twilio/sms      Twilio signature checked, form parsed, row committed, job enqueued
  whatsapp  POST /webhooks/twilio/whatsapp the same, WhatsApp senders

Each request of a channel is a distinct message (update id, MessageSid) from one of 500 people
not in the roster, so every one is stored and handled (a "not registered" reply is queued and
sent) while the load runs. Twilio posts are signed as Twilio signs them (X-Twilio-Signature).

    .venv/bin/python bench/webhook_ack.py [--requests 2000] [--concurrency 16] [--rounds 3]
        [--channels telegram,sms,whatsapp] [--json FILE]

Prints per round and endpoint: requests/s, p50 and p99 latency; then the medians and, per channel,
the ratio channel/bare throughput (bare: the round just before it; target: >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import row, vmhwm_mb, write_summary  # noqa: E402

SECRET = "bench-secret"
TOKEN = "123456:BENCH"
PUBLIC = "https://bot.example.org"  # what Twilio signs: PUBLIC_BASE_URL + the webhook's path
SMS_FROM, WHATSAPP_FROM = "+15005550006", "+14155238886"
PATHS = {"telegram": "/webhooks/telegram", "sms": "/webhooks/twilio/sms", "whatsapp": "/webhooks/twilio/whatsapp"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = r"""
import sys, uvicorn
from fastapi import Response
from backend.config import get_settings
from backend.wiring.context import build_context
from backend.app import create_app
from backend.migrations import upgrade
upgrade(get_settings().database_url)
ctx = build_context(get_settings())
app = create_app(ctx, run_jobs=True)
@app.post("/bench/bare")
async def bare():
    return Response(b'{"ok":true}', media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def update(n: int) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "update_id": 10_000_000 + n,
            "message": {
                "message_id": n,
                "date": 1795000000,
                "text": "hello",
                "chat": {"id": 5_000_000 + n % 500, "type": "private", "first_name": "B"},
                "from": {"id": 5_000_000 + n % 500, "is_bot": False, "first_name": "B"},
            },
        }
    ).encode()
    return body, {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


def twilio_post(channel: str, n: int) -> tuple[bytes, dict]:
    """A signed Twilio form post of an incoming SMS or WhatsApp message (bench/faults/harness.py)."""
    from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN
    from tests.fakes.twilio_signing import SIGNATURE_HEADER, form_body, sign

    prefix, to = ("whatsapp:", f"whatsapp:{WHATSAPP_FROM}") if channel == "whatsapp" else ("", SMS_FROM)
    sid = f"SM{n:032x}"
    pairs = [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", f"{prefix}+2547{50_000_000 + n % 500:08d}"),
        ("To", to),
        ("Body", "hello"),
        ("NumMedia", "0"),
        ("ApiVersion", "2010-04-01"),
    ]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        SIGNATURE_HEADER: sign(AUTH_TOKEN, PUBLIC + PATHS[channel], pairs),
    }
    return form_body(pairs), headers


def request(channel: str, n: int) -> tuple[bytes, dict]:
    return update(n) if channel == "telegram" else twilio_post(channel, n)


async def drive(url: str, bodies: list[tuple[bytes, dict]], concurrency: int) -> tuple[float, list[float]]:
    import httpx

    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker():
            while not queue.empty():
                body, headers = queue.get_nowait()
                t0 = time.perf_counter()
                r = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {r.status_code} {r.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(bodies) / elapsed, latencies


def wait_handled(db: str, timeout: float = 120) -> None:
    """Until every stored update has been handled and every answer sent (each sender not in
    the roster gets one "not registered" answer a day, so counting replies cannot tell), so that
    the next round meets an idle server."""
    import sqlite3

    deadline = time.time() + timeout
    while time.time() < deadline:
        with sqlite3.connect(db, timeout=30) as conn:
            busy = conn.execute(
                "SELECT (SELECT count(*) FROM inbound_message WHERE status = 'new')"
                " + (SELECT count(*) FROM outbound_message WHERE status IN ('queued', 'sending'))"
            ).fetchone()[0]
            if busy == 0:
                return
        time.sleep(0.2)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--channels", default="telegram,sms,whatsapp")
    ap.add_argument("--json", metavar="FILE", help="also write a summary there (bench/common.py)")
    args = ap.parse_args()
    channels = [c for c in args.channels.split(",") if c]

    from tests.fakes.telegram_api import FakeTelegramAPI
    from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioAPI

    tmp = tempfile.mkdtemp(prefix="nmirf-bench-")
    port = free_port()
    with FakeTelegramAPI(TOKEN) as fake, FakeTwilioAPI() as twilio:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "REDIS_URL": "",
            "PUBLIC_BASE_URL": PUBLIC,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "PYTHONPATH": str(ROOT),
        }
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=tmp)
        try:
            base = f"http://127.0.0.1:{port}"
            import httpx

            for _ in range(200):
                try:
                    httpx.post(base + "/bench/bare")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            # results[channel] = [(bare rate, p50, p99), ...] and [(channel rate, p50, p99), ...]
            results: dict[str, tuple[list, list]] = {c: ([], []) for c in channels}
            n = 0
            for rnd in range(1, args.rounds + 1):
                for channel in channels:
                    for i, path in enumerate(("/bench/bare", PATHS[channel])):
                        bodies = [request(channel, n + k) for k in range(args.requests)]
                        n += args.requests
                        rate, lat = asyncio.run(drive(base + path, bodies, args.concurrency))
                        results[channel][i].append((rate, pct(lat, 50), pct(lat, 99)))
                        if i == 1:  # let the handling of this round finish before the next
                            wait_handled(f"{tmp}/bench.db")
                        name = "bare" if i == 0 else channel
                        print(
                            f"round {rnd} {name:8}: {rate:7.0f} req/s  p50 {pct(lat, 50):6.1f} ms"
                            f"  p99 {pct(lat, 99):6.1f} ms",
                            flush=True,
                        )
            rows = []
            for channel, (bare, real) in results.items():
                b, r = (tuple(statistics.median(x[i] for x in v) for i in range(3)) for v in (bare, real))
                ratio = r[0] / b[0]
                print(f"median bare    : {b[0]:7.0f} req/s  p50 {b[1]:6.1f} ms  p99 {b[2]:6.1f} ms")
                print(f"median {channel:8}: {r[0]:7.0f} req/s  p50 {r[1]:6.1f} ms  p99 {r[2]:6.1f} ms")
                print(f"ratio {channel}/bare throughput: {ratio:.2f} (target >= 0.50)")
                rows += [
                    row(f"{channel} webhook acknowledged", round(r[0]), "req/s"),
                    row(f"{channel} webhook p99 latency", round(r[2], 1), "ms"),
                    row(f"{channel} / bare endpoint throughput", round(ratio, 2), "ratio"),
                ]
            print(f"replies sent to the fake providers while the load ran: {len(fake.sent) + len(twilio.messages)}")
            write_summary(args.json, rows, web=vmhwm_mb(server.pid))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
