"""`nmirf db upgrade`: create or migrate the schema."""

from __future__ import annotations

from backend.config import get_settings
from backend.migrations import upgrade


def cmd_db_upgrade(args) -> int:
    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0


def register(sub) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(func=cmd_db_upgrade)
