"""`nmirf serve | worker | sweep | demo`: running the product."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from backend.accounts import users
from backend.cli.chat import chat
from backend.cli.common import make_ctx
from backend.cli.db import cmd_db_upgrade
from backend.cli.imports import cmd_import
from backend.cli.meetings import demo_meeting
from backend.cli.prompts import send_weekly_now
from backend.cli.simulate import simulate_week
from backend.config import get_settings
from backend.jobs.sweep import sweep
from backend.wiring.context import Context, Outage, outage_errors
from backend.wiring.dispatch import make_worker
from conversations.parse import warm

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo"


def serve(host: str, port: int, *, quiet: bool = False):
    """Start the web app; with no REDIS_URL it also runs jobs and the sweep in this process."""
    import uvicorn

    from backend.app import create_app

    ctx: Context = make_ctx()
    app = create_app(ctx, run_jobs=not ctx.settings.redis_url)
    # uvicorn's own access log prints query strings, which may hold a phone number; the app logs
    # each request itself as "nmirf.access" (method, path, status, time).
    # log_config=None: uvicorn's loggers go through the root logger's redacting formatter.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning" if quiet else "info",
        access_log=False,
        proxy_headers=True,
        log_config=None,
    )
    if not quiet:
        logging.getLogger("nmirf.access").setLevel(logging.INFO)
        logging.getLogger("uvicorn.error").setLevel(logging.INFO)
    return ctx, uvicorn.Server(config)


def cmd_serve(args) -> int:
    _ctx, server = serve(args.host, args.port)
    server.run()
    return 0


OUTAGES = outage_errors()  # what a lost database or Redis raises: the loops below wait and retry
MAX_BACKOFF_SECONDS = 5.0  # a lost server is asked again this often (one refused connection: cheap)


class OnceAnOutage(logging.Filter):
    """RQ logs each of its own reconnection tries to a lost Redis; one line per outage is enough
    (a try after five quiet minutes counts as a new outage)."""

    def __init__(self) -> None:
        super().__init__()
        self.last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if "could not connect to Redis" not in record.getMessage():
            return True
        quiet, self.last = time.monotonic() - self.last > 300, time.monotonic()
        return quiet


def cmd_worker(args) -> int:
    settings = get_settings()
    if not settings.redis_url:
        print("REDIS_URL is not set: without Redis, `nmirf serve` runs the jobs itself", file=sys.stderr)
        return 2
    make_ctx()
    logging.getLogger("rq.worker").addFilter(OnceAnOutage())
    warm()  # the keyword tables, loaded before the first job rather than during it
    outage, backoff = Outage("Redis"), 1.0
    while True:
        started = time.monotonic()
        try:
            worker = make_worker(settings.redis_url, args.queues.split(",") if args.queues else None)
            outage.recovered()
            # One log line per job would drown the log (bulk sends waiting for a slot are re-queued).
            worker.work(with_scheduler=True, burst=args.burst, logging_level="WARNING")
        except OUTAGES as exc:  # Redis went away: wait, reconnect, go on (never exit)
            outage.failed(exc)
            if time.monotonic() - started > MAX_BACKOFF_SECONDS:  # it had been working: a new outage
                backoff = 1.0
            time.sleep(backoff)
            backoff = min(2 * backoff, MAX_BACKOFF_SECONDS)
            continue
        return 0  # stopped (a signal, or --burst with nothing left)


def cmd_sweep(args) -> int:
    ctx = make_ctx()
    outage, backoff = Outage("database or Redis"), 1.0
    if args.loop:
        print(f"sweeping every {ctx.settings.sweep_interval_seconds:g} s", flush=True)
    while True:
        try:
            result = sweep(ctx, datetime.now(UTC))
        except OUTAGES as exc:  # the database or Redis went away: log once, retry with backoff
            if not args.loop:
                print(f"sweep not done: {type(exc).__name__} (is the database or Redis down?)", file=sys.stderr)
                return 1
            outage.failed(exc)
            time.sleep(backoff)
            backoff = min(2 * backoff, MAX_BACKOFF_SECONDS)
            continue
        outage.recovered()
        backoff = 1.0
        if not args.loop:
            print(result)
            return 0
        if any(result.values()):
            print(result, flush=True)
        time.sleep(ctx.settings.sweep_interval_seconds)


def cmd_demo(args) -> int:
    """Everything a newcomer needs: schema, demo data, server with jobs, a weekly prompt, a chat."""
    os.environ.setdefault("SIMULATOR_ENABLED", "true")  # the demo talks through the simulator
    get_settings.cache_clear()
    settings = get_settings()
    if settings.redis_url:
        print("note: REDIS_URL is set; the demo runs jobs in-process anyway", file=sys.stderr)
    cmd_db_upgrade(args)
    for what in ("roster", "recommendations", "actions"):
        if cmd_import(argparse.Namespace(what=what, file=str(DEMO / f"{what}.csv"))) != 0:
            return 1
    if args.week:  # last week, simulated into the demo database: the admin view shows it
        simulate_week(into=settings.database_url)
    ctx, server = serve(args.host, args.port, quiet=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    report = send_weekly_now(ctx, args.phone)
    if not report["queued"]:
        print("(this week's prompt was sent already; reply to it, or send HELP)")
    demo_meeting(ctx, args.phone)
    password = demo_admin(ctx)
    print(f"Server on http://{args.host}:{args.port}. Other demo phones: see deploy/demo/roster.csv.")
    print(f"Admin view: http://{args.host}:{args.port}/admin/  user: demo  password: {password}  (shown once)")
    print("Stored updates: `.venv/bin/nmirf progress list` in another terminal.\n")
    try:
        chat(f"http://{args.host}:{args.port}", args.phone)
    except KeyboardInterrupt:
        pass
    server.should_exit = True
    thread.join(timeout=10)
    return 0


def demo_admin(ctx: Context) -> str:
    """The embedded demo's admin user "demo", with a new random password at every start (printed
    once in this terminal). Only the demo does this; a deployment's first admin comes from
    `nmirf admin create-user`."""
    password = secrets.token_urlsafe(12)
    now = datetime.now(UTC)
    with ctx.db.transaction() as db:
        user = users.find(db, "demo")
        if user is None:
            users.create(db, username="demo", password=password, role="admin", now=now)
        else:
            users.set_password(db, user, password, now)
            users.set_active(db, user, True)
    return password


def register(sub) -> None:
    for name, func, text in (
        ("serve", cmd_serve, "run the web server (and jobs, without Redis)"),
        ("demo", cmd_demo, "demo: data, server, and a chat as a demo focal point"),
    ):
        s = sub.add_parser(name, help=text)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8000)
        if name == "demo":
            s.add_argument("--as", dest="phone", default="+254700000001", help="demo phone to chat as")
            s.add_argument("--week", action="store_true", help="first simulate last week (transcript; admin view)")
        s.set_defaults(func=func)

    w = sub.add_parser("worker", help="run an RQ worker (needs REDIS_URL)")
    w.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    w.add_argument(
        "--queues", help="comma-separated queues to serve (default: all: inbound, send-reply, send-bulk-<channel>)"
    )
    w.set_defaults(func=cmd_worker)

    sw = sub.add_parser("sweep", help="re-enqueue unfinished work")
    sw.add_argument("--loop", action="store_true", help="keep sweeping every SWEEP_INTERVAL_SECONDS")
    sw.set_defaults(func=cmd_sweep)
