"""Webhook acknowledgement throughput and latency on SQLite.

Starts the real server (uvicorn, one process, embedded default: SQLite, jobs and sweep in the same
process, Telegram sends going to a local fake Bot API) and, from a second process, drives two
endpoints of that same server in alternating rounds:

  bare  POST /bench/bare           returns 200 at once (adds what FastAPI + uvicorn cost)
  real  POST /webhooks/telegram    secret check, Update.de_json, inbox row committed, job enqueued

Each request of the real endpoint is a distinct update from a person not in the roster, so every
one is stored, handled (a "not registered" reply is queued and sent) while the load runs.

    .venv/bin/python bench/webhook_ack.py [--requests 2000] [--concurrency 16] [--rounds 3]

Prints per round and endpoint: requests/s, p50 and p99 latency; then the medians and the ratio
real/bare throughput (target: >= 0.5).
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

SECRET = "bench-secret"
TOKEN = "123456:BENCH"


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


def update(n: int) -> bytes:
    return json.dumps(
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


async def drive(url: str, bodies: list[bytes], concurrency: int, headers: dict) -> tuple[float, list[float]]:
    import httpx

    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker():
            while not queue.empty():
                body = queue.get_nowait()
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
    args = ap.parse_args()

    from tests.fakes.telegram_api import FakeTelegramAPI

    tmp = tempfile.mkdtemp(prefix="nmirf-bench-")
    port = free_port()
    with FakeTelegramAPI(TOKEN) as fake:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "REDIS_URL": "",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
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
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
            results = {"bare": [], "real": []}
            n = 0
            for rnd in range(1, args.rounds + 1):
                for name, path in (("bare", "/bench/bare"), ("real", "/webhooks/telegram")):
                    bodies = [update(n + i) for i in range(args.requests)]
                    n += args.requests
                    rate, lat = asyncio.run(drive(base + path, bodies, args.concurrency, headers))
                    results[name].append((rate, pct(lat, 50), pct(lat, 99)))
                    if name == "real":  # let the handling of this round finish before the next
                        wait_handled(f"{tmp}/bench.db")
                    print(
                        f"round {rnd} {name:4}: {rate:7.0f} req/s  p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms",
                        flush=True,
                    )
            med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in results.items()}
            for k in ("bare", "real"):
                print(f"median {k:4}: {med[k][0]:7.0f} req/s  p50 {med[k][1]:6.1f} ms  p99 {med[k][2]:6.1f} ms")
            print(f"ratio real/bare throughput: {med['real'][0] / med['bare'][0]:.2f} (target >= 0.50)")
            print(f"replies sent to the fake Bot API while the load ran: {len(fake.sent)}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
