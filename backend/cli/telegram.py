"""`nmirf telegram set-webhook | poll`."""

from __future__ import annotations

from backend.cli.common import make_ctx
from backend.config import get_settings
from backend.inbox.polling import poll, set_webhook


def cmd_telegram(args) -> int:
    ctx = make_ctx(run_jobs_here=args.action == "poll" and not get_settings().redis_url)
    if args.action == "set-webhook":
        print(set_webhook(ctx))
        return 0
    return poll(ctx)


def register(sub) -> None:
    tg = sub.add_parser("telegram", help="Telegram set-up")
    tg.add_argument("action", choices=("set-webhook", "poll"))
    tg.set_defaults(func=cmd_telegram)
