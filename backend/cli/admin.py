"""`nmirf admin create-user | set-password | disable | users` and `nmirf api-token create |
revoke | list`: who may use the pages and the API. There is no default account."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import UTC, datetime

from backend.accounts import tokens, users
from backend.cli.common import make_ctx


def _password(args) -> str:
    """From NMIRF_PASSWORD (scripts), else asked twice without echo. Never an argument: it
    would stay in the shell's history and the process list."""
    value = os.environ.get("NMIRF_PASSWORD")
    if value:
        return value
    first = getpass.getpass("Password (at least 12 characters): ")
    if first != getpass.getpass("Again: "):
        raise users.AccountError("the two passwords differ")
    return first


def cmd_create_user(args) -> int:
    ctx = make_ctx()
    try:
        password = _password(args)
        with ctx.db.transaction() as db:
            user = users.create(db, username=args.username, password=password, role=args.role, now=datetime.now(UTC))
            print(
                f"created {user.username} ({user.role}); sign in at {ctx.settings.public_base_url.rstrip('/')}/admin/"
            )
    except users.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_set_password(args) -> int:
    ctx = make_ctx()
    try:
        password = _password(args)
        with ctx.db.transaction() as db:
            user = users.find(db, args.username)
            if user is None:
                raise users.AccountError(f"there is no user {args.username!r} (see `nmirf admin users`)")
            users.set_password(db, user, password, datetime.now(UTC))
    except users.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"password changed for {args.username}; their sessions have ended")
    return 0


def cmd_active(args) -> int:
    ctx = make_ctx()
    with ctx.db.transaction() as db:
        user = users.find(db, args.username)
        if user is None:
            print(f"error: there is no user {args.username!r}", file=sys.stderr)
            return 2
        users.set_active(db, user, args.enable)
    print(f"{args.username}: {'enabled' if args.enable else 'disabled, and signed out everywhere'}")
    return 0


def cmd_users(args) -> int:
    ctx = make_ctx()
    with ctx.db.transaction() as db:
        for user in users.listing(db):
            print(f"{user.username:24} {user.role:12} {'active' if user.active else 'disabled'}")
    return 0


def cmd_token_create(args) -> int:
    ctx = make_ctx()
    try:
        with ctx.db.transaction() as db:
            token = tokens.create(db, name=args.name, now=datetime.now(UTC))
    except users.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"API token for {args.name} (shown once; keep it secret):\n{token}")
    print("Use it as: Authorization: Bearer <token>")
    return 0


def cmd_token_revoke(args) -> int:
    ctx = make_ctx()
    try:
        with ctx.db.transaction() as db:
            tokens.revoke(db, name=args.name, now=datetime.now(UTC))
    except users.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"revoked the token of {args.name}")
    return 0


def cmd_token_list(args) -> int:
    ctx = make_ctx()
    with ctx.db.transaction() as db:
        for row in tokens.listing(db):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"last used {row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            print(f"{row.name:40} {row.prefix}…  {state:18} {used}")
    return 0


def register(sub) -> None:
    admin = sub.add_parser("admin", help="users of the secretariat's pages").add_subparsers(
        dest="admin_cmd", required=True
    )
    create = admin.add_parser("create-user", help="add a user (password from NMIRF_PASSWORD or asked)")
    create.add_argument("username")
    create.add_argument("--role", default="admin", choices=("admin", "secretariat", "viewer"))
    create.set_defaults(func=cmd_create_user)
    setpw = admin.add_parser("set-password", help="set a user's password; ends their sessions")
    setpw.add_argument("username")
    setpw.set_defaults(func=cmd_set_password)
    for name, enable in (("disable", False), ("enable", True)):
        p = admin.add_parser(name, help=f"{name} a user" + ("; ends their sessions" if not enable else ""))
        p.add_argument("username")
        p.set_defaults(func=cmd_active, enable=enable)
    admin.add_parser("users", help="list users").set_defaults(func=cmd_users)

    token = sub.add_parser("api-token", help="bearer tokens for the read-only API").add_subparsers(
        dest="token_cmd", required=True
    )
    create = token.add_parser("create", help="a new token for a client system, printed once")
    create.add_argument("name", help="who uses it, e.g. national-tracking-db")
    create.set_defaults(func=cmd_token_create)
    revoke = token.add_parser("revoke", help="revoke a client's token at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_token_revoke)
    token.add_parser("list", help="tokens, their state and last use").set_defaults(func=cmd_token_list)
