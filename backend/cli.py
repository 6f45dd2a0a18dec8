"""The `nmirf` command."""
from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backend.config import SettingsError, get_settings

DEMO = Path(__file__).resolve().parent.parent / "deploy" / "demo"


def _ctx(run_jobs_here: bool = False):
    from backend.context import build_context, set_context

    ctx = build_context(get_settings())
    set_context(ctx)
    if run_jobs_here:
        ctx.dispatcher.start()
    return ctx


def cmd_db_upgrade(args) -> int:
    from backend.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0


def cmd_import(args) -> int:
    from backend.catalog.importer import import_actions, import_recommendations
    from backend.csvfile import ImportFailed
    from backend.roster.importer import import_roster

    func = {"roster": import_roster, "recommendations": import_recommendations, "actions": import_actions}[args.what]
    ctx = _ctx()
    try:
        with ctx.db.transaction() as session:
            counts = func(session, args.file)
    except ImportFailed as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"nothing imported: fix the {len(exc.problems)} problem(s) above and run the import again",
              file=sys.stderr)
        return 1
    print(f"{args.file}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged")
    return 0


def send_weekly_now(ctx, phone: str | None = None) -> dict:
    from sqlalchemy import select

    from backend.prompts import send_weekly
    from backend.roster.models import Person

    now = datetime.now(timezone.utc)
    with ctx.db.transaction() as session:
        person = None
        if phone:
            person = session.scalar(select(Person).where(Person.phone == phone))
            if person is None:
                raise SystemExit(f"{phone}: nobody in the roster has this phone number")
        report = send_weekly(session, now=now, timeout=timedelta(hours=ctx.settings.session_timeout_hours),
                             settings=ctx.settings, configured=ctx.configured, person=person)
        queued = [(row.id, row.priority, row.channel) for row in report["queued"]]
    for outbox_id, priority, channel in queued:
        ctx.dispatcher.enqueue_send(outbox_id, priority, channel)
    return report


def cmd_send_weekly(args) -> int:
    ctx = _ctx(run_jobs_here=True)
    report = send_weekly_now(ctx, args.phone)
    for row in report["queued"]:
        print(f"queued weekly prompt #{row.id} to {row.channel}:{row.address}")
    for name, why in report["skipped"]:
        print(f"skipped {name}: {why}")
    if hasattr(ctx.dispatcher, "wait_idle"):
        ctx.dispatcher.wait_idle(30)
        ctx.dispatcher.stop()
    return 0


def cmd_progress_list(args) -> int:
    from backend.progress.service import latest

    ctx = _ctx()
    with ctx.db.transaction() as session:
        rows = latest(session, limit=args.limit, period=args.period)
        if not rows:
            print("no progress updates yet")
        for u in rows:
            figure = (f" [{u.action.indicator}: {u.indicator_value.normalize():f}]"
                      if u.action and u.indicator_value is not None else "")
            note = f" - {u.note}" if u.note else ""
            if u.level == "community":
                reached = f", {u.people_reached} people reached" if u.people_reached is not None else ""
                note = f" [community: {u.locality}{reached}]" + note
            subject = u.action.code if u.action else f"cluster {u.cluster.code}"
            print(f"{u.created_at:%Y-%m-%d %H:%M} {u.period} {subject:<8} {u.status:<11} "
                  f"{u.person.name}{figure}{note}")
    return 0


def cmd_messages_list(args) -> int:
    """What went out, on which channel, and why anything failed or moved to another channel."""
    from sqlalchemy import select

    from backend.pipeline.models import OutboxMessage

    ctx = _ctx()
    with ctx.db.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(args.limit)
        if args.status:
            query = query.where(OutboxMessage.status == args.status)
        rows = session.scalars(query).all()
        if not rows:
            print("no messages")
        for r in rows:
            tried = " ".join(f"[{step['channel']}: {step['error']}]" for step in r.route or [])
            cost = f" {r.segments} seg" if r.segments else ""
            print(f"#{r.id} {r.created_at:%Y-%m-%d %H:%M} {r.kind:<13} {r.channel}:{r.address} {r.status}{cost}"
                  + (f" - {r.error}" if r.error and r.status == "failed" else "") + (f" tried {tried}" if tried else ""))
    return 0


def serve(host: str, port: int, *, quiet: bool = False):
    """Start the web app; with no REDIS_URL it also runs jobs and the sweep in this process."""
    import uvicorn

    from backend.app import create_app

    ctx = _ctx()
    app = create_app(ctx, run_jobs=not ctx.settings.redis_url)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning" if quiet else "info")
    return ctx, uvicorn.Server(config)


def cmd_serve(args) -> int:
    _ctx_, server = serve(args.host, args.port)
    server.run()
    return 0


def cmd_worker(args) -> int:
    from backend.jobs.queue import make_worker

    settings = get_settings()
    if not settings.redis_url:
        print("REDIS_URL is not set: without Redis, `nmirf serve` runs the jobs itself", file=sys.stderr)
        return 2
    _ctx()
    worker = make_worker(settings.redis_url, args.queues.split(",") if args.queues else None)
    # One log line per job would drown the log (bulk sends waiting for a slot are re-queued).
    worker.work(with_scheduler=True, burst=args.burst, logging_level="WARNING")
    return 0


def cmd_sweep(args) -> int:
    from backend.jobs.sweep import sweep

    ctx = _ctx()
    while True:
        print(sweep(ctx, datetime.now(timezone.utc)))
        if not args.loop:
            return 0
        time.sleep(ctx.settings.sweep_interval_seconds)


def cmd_telegram(args) -> int:
    from backend.telegram_setup import poll, set_webhook

    ctx = _ctx(run_jobs_here=args.action == "poll" and not get_settings().redis_url)
    if args.action == "set-webhook":
        print(set_webhook(ctx))
        return 0
    return poll(ctx)


def cmd_chat(args) -> int:
    from backend.chat import chat

    chat(args.url, args.phone)
    return 0


def cmd_demo(args) -> int:
    """Everything a newcomer needs: schema, demo data, server with jobs, a weekly prompt, a chat."""
    from backend.chat import chat

    settings = get_settings()
    if settings.redis_url:
        print("note: REDIS_URL is set; the demo runs jobs in-process anyway", file=sys.stderr)
    cmd_db_upgrade(args)
    for what in ("roster", "recommendations", "actions"):
        if cmd_import(argparse.Namespace(what=what, file=str(DEMO / f"{what}.csv"))) != 0:
            return 1
    ctx, server = serve(args.host, args.port, quiet=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    report = send_weekly_now(ctx, args.phone)
    if not report["queued"]:
        print("(this week's prompt was sent already; reply to it, or send HELP)")
    from backend.meetings.cli import demo_meeting

    demo_meeting(ctx, args.phone)
    print(f"Server on http://{args.host}:{args.port}. Other demo phones: see deploy/demo/roster.csv.")
    print("Stored updates: `.venv/bin/nmirf progress list` in another terminal.\n")
    try:
        chat(f"http://{args.host}:{args.port}", args.phone)
    except KeyboardInterrupt:
        pass
    server.should_exit = True
    thread.join(timeout=10)
    return 0


def cmd_i18n(args) -> int:
    from backend import catalogs

    if args.action == "update":
        print("\n".join(catalogs.update()))
        return 0
    if args.action == "segments":
        from backend.segments_table import render

        print(render())
        return 0
    problems = catalogs.check()
    print("\n".join(problems) if problems else "catalogues complete")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nmirf", description="NMIRF focal point bot")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(func=cmd_db_upgrade)

    imp = sub.add_parser("import", help="import a CSV file (all or nothing)")
    imp.add_argument("what", choices=("roster", "recommendations", "actions"))
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)

    prompts = sub.add_parser("prompts", help="prompts to focal points").add_subparsers(dest="action", required=True)
    weekly = prompts.add_parser("send-weekly", help="send this week's progress prompt now")
    weekly.add_argument("--phone", help="only to this person (E.164 phone)")
    weekly.set_defaults(func=cmd_send_weekly)

    prog = sub.add_parser("progress", help="progress updates").add_subparsers(dest="action", required=True)
    lst = prog.add_parser("list", help="latest progress updates")
    lst.add_argument("--period", help="e.g. 2026-W48")
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(func=cmd_progress_list)

    msgs = sub.add_parser("messages", help="outbound messages").add_subparsers(dest="action", required=True)
    ml = msgs.add_parser("list", help="latest outbound messages, their channel, status and failures")
    ml.add_argument("--status", choices=("queued", "sending", "sent", "delivered", "failed"))
    ml.add_argument("--limit", type=int, default=50)
    ml.set_defaults(func=cmd_messages_list)

    for name, func, text in (("serve", cmd_serve, "run the web server (and jobs, without Redis)"),
                             ("demo", cmd_demo, "demo: data, server, and a chat as a demo focal point")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8000)
        if name == "demo":
            s.add_argument("--as", dest="phone", default="+254700000001", help="demo phone to chat as")
        s.set_defaults(func=func)

    w = sub.add_parser("worker", help="run an RQ worker (needs REDIS_URL)")
    w.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    w.add_argument("--queues", help="comma-separated queues to serve (default: all: inbound, send-reply, send-bulk-<channel>)")
    w.set_defaults(func=cmd_worker)

    sw = sub.add_parser("sweep", help="re-enqueue unfinished work")
    sw.add_argument("--loop", action="store_true", help="keep sweeping every SWEEP_INTERVAL_SECONDS")
    sw.set_defaults(func=cmd_sweep)

    tg = sub.add_parser("telegram", help="Telegram set-up")
    tg.add_argument("action", choices=("set-webhook", "poll"))
    tg.set_defaults(func=cmd_telegram)

    i18n = sub.add_parser("i18n", help="translation catalogues")
    i18n.add_argument("action", choices=("update", "check", "segments"))
    i18n.set_defaults(func=cmd_i18n)

    ch = sub.add_parser("chat", help="talk to a running server through the simulator channel")
    ch.add_argument("--as", dest="phone", required=True, help="the roster phone to chat as, e.g. +254700000001")
    ch.add_argument("--url", default="http://127.0.0.1:8000")
    ch.set_defaults(func=cmd_chat)

    from backend.meetings.cli import register as meetings

    meetings(sub, _ctx)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        get_settings()
        return args.func(args) or 0
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
