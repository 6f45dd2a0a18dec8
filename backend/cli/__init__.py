"""The `nmirf` command: one module per command group, each with its `register(sub)`.

A new command group is a module here and one line in GROUPS."""

from __future__ import annotations

import argparse
import logging
import sys

from backend.cli import (
    admin,
    broadcast,
    chat,
    db,
    i18n,
    imports,
    meetings,
    prompts,
    records,
    rhythm,
    serve,
    simulate,
    telegram,
)
from backend.config import SettingsError, get_settings
from backend.wiring import redact

GROUPS = (db, imports, prompts, records, serve, telegram, i18n, chat, meetings, rhythm, simulate, broadcast, admin)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nmirf", description="NMIRF focal point bot")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    redact.configure(logging.WARNING)  # no phone number in any log line
    args = build_parser().parse_args(argv)
    try:
        get_settings()
        return args.func(args) or 0
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
