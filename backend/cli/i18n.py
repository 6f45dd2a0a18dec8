"""`nmirf i18n update | check | segments`: the catalogues and what each message costs by SMS."""

from __future__ import annotations

from backend.i18n import catalogs, keywords
from backend.i18n.segments_table import render


def cmd_i18n(args) -> int:
    if args.action == "update":
        print("\n".join(catalogs.update()))
        return 0
    if args.action == "segments":
        print(render())
        return 0
    if args.action == "keywords":
        problems = keywords.audit()
        print(
            "\n".join(problems)
            if problems
            else "keywords: no word with two meanings, no risky typo, no STOP/START word in a message"
        )
        return 1 if problems else 0
    problems = catalogs.check()
    print("\n".join(problems) if problems else "catalogues complete")
    return 1 if problems else 0


def register(sub) -> None:
    i18n = sub.add_parser("i18n", help="translation catalogues")
    i18n.add_argument("action", choices=("update", "check", "segments", "keywords"))
    i18n.add_argument("--check", action="store_true", help="keywords: fail on any problem (the audit always does)")
    i18n.set_defaults(func=cmd_i18n)
