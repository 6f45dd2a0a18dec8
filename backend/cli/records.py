"""`nmirf progress list` and `nmirf messages list`: what was stored, and what went out."""

from __future__ import annotations

from sqlalchemy import select

from backend.cli.common import make_ctx
from backend.outbox.models import OUTBOX_STATES, OutboxMessage
from backend.progress.service import latest


def cmd_progress_list(args) -> int:
    ctx = make_ctx()
    with ctx.db.transaction() as session:
        rows = latest(session, limit=args.limit, period=args.period)
        if not rows:
            print("no progress updates yet")
        for u in rows:
            figure = (
                f" [{u.action.indicator}: {u.indicator_value.normalize():f}]"
                if u.action and u.indicator_value is not None
                else ""
            )
            note = f" - {u.note}" if u.note else ""
            if u.level == "community":
                reached = f", {u.people_reached} people reached" if u.people_reached is not None else ""
                note = f" [community: {u.locality}{reached}]" + note
            if u.action:
                subject = u.action.code
            else:
                assert u.cluster is not None  # an update is on an action or, from a community report, a cluster
                subject = f"cluster {u.cluster.code}"
            print(f"{u.created_at:%Y-%m-%d %H:%M} {u.period} {subject:<8} {u.status:<11} {u.person.name}{figure}{note}")
    return 0


def cmd_messages_list(args) -> int:
    """What went out, on which channel, and why anything failed or moved to another channel."""
    ctx = make_ctx()
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
            print(
                f"#{r.id} {r.created_at:%Y-%m-%d %H:%M} {r.kind:<13} {r.channel}:{r.address} {r.status}{cost}"
                + (f" - {r.error}" if r.error and r.status == "failed" else "")
                + (f" tried {tried}" if tried else "")
            )
    return 0


def register(sub) -> None:
    prog = sub.add_parser("progress", help="progress updates").add_subparsers(dest="action", required=True)
    lst = prog.add_parser("list", help="latest progress updates")
    lst.add_argument("--period", help="e.g. 2026-W48")
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(func=cmd_progress_list)

    msgs = sub.add_parser("messages", help="outbound messages").add_subparsers(dest="action", required=True)
    ml = msgs.add_parser("list", help="latest outbound messages, their channel, status and failures")
    ml.add_argument("--status", choices=OUTBOX_STATES)
    ml.add_argument("--limit", type=int, default=50)
    ml.set_defaults(func=cmd_messages_list)
