"""`nmirf import roster|recommendations|actions FILE.csv`: all or nothing."""

from __future__ import annotations

import sys

from backend.cli.common import make_ctx
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.csvfile import ImportFailed
from backend.imports.roster import import_roster

IMPORTERS = {"roster": import_roster, "recommendations": import_recommendations, "actions": import_actions}


def cmd_import(args) -> int:
    func = IMPORTERS[args.what]
    ctx = make_ctx()
    try:
        with ctx.db.transaction() as session:
            counts = func(session, args.file)
    except ImportFailed as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(
            f"nothing imported: fix the {len(exc.problems)} problem(s) above and run the import again",
            file=sys.stderr,
        )
        return 1
    print(f"{args.file}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged")
    return 0


def register(sub) -> None:
    imp = sub.add_parser("import", help="import a CSV file (all or nothing)")
    imp.add_argument("what", choices=tuple(IMPORTERS))
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
