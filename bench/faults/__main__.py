"""`.venv/bin/python -m bench.faults [--case NAME] [--quick]`: the fault suite (see __init__.py).

Starts its own PostgreSQL and Redis (bench/faults/services.py), runs each case under a hard
timeout, prints one line per case, stops everything, and (when the whole suite ran) writes the
results to docs/faults.md. Exit code 0 when every case held."""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.faults.cases import CASES
from bench.faults.run import run_cases
from bench.faults.services import Services

DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=list(CASES), help="run only this case (repeatable)")
    parser.add_argument("--quick", action="store_true", help="smaller counts and shorter outages")
    parser.add_argument("--seed", type=int, default=None, help="random seed (kill moments, order)")
    parser.add_argument("--write", action="store_true", help="write docs/faults.md even for a partial run")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs (printed path)")
    args = parser.parse_args(argv)
    names = args.case or list(CASES)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    command = (
        "python -m bench.faults" + "".join(f" --case {n}" for n in args.case or []) + (" --quick" if args.quick else "")
    )
    print(f"# {command} (seed {seed})", flush=True)
    started = time.monotonic()
    with Services() as services:
        logs = services.root / "cases"
        results = run_cases(services, names, quick=args.quick, seed=seed, workdir=logs, echo=True)
        if args.keep:
            kept = Path("/tmp") / f"nmirf-faults-logs-{os.getpid()}"
            shutil.copytree(logs, kept, dirs_exist_ok=True)
            print(f"# logs kept in {kept}")
    total = time.monotonic() - started
    if args.case is None or args.write:
        write_doc(
            results,
            command=f".venv/bin/{command.removeprefix('python')}".replace("/ -m", "/python -m"),
            seed=seed,
            total=total,
        )
        print(f"# written to {DOC.relative_to(DOC.parents[1])}")
    return 0 if all(r.ok for r in results) else 1


def write_doc(results, *, command: str, seed: int, total: float) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    begin, end = "<!-- last-run:begin -->", "<!-- last-run:end -->"
    cpu = os.cpu_count()
    block = [
        begin,
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}` (seed {seed}), {total:.0f} s in all;",
        f"machine: {cpu} cores (shared with other work), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL 15, Redis {redis_version()}.",
        "",
        "| case | held | seconds | result |",
        "|---|---|---|---|",
    ]
    for r in results:
        block.append(f"| {r.name} | {'yes' if r.ok else '**no**'} | {r.seconds:.0f} | {r.line.replace('|', '/')} |")
        for note in r.notes:
            block.append(f"|  |  |  | {note.replace('|', '/')} |")
    block.append(end)
    new = "\n".join(block)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + new + rest.split(end, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text else "# Fault suite\n\n") + new + "\n"
    DOC.write_text(text)


def redis_version() -> str:
    import subprocess

    binary = shutil.which("redis-server")
    if not binary:
        return "?"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return next((w.split("=", 1)[1] for w in out.split() if w.startswith("v=")), "?")


if __name__ == "__main__":
    sys.exit(main())
