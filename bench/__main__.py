"""Every benchmark in one run, and one table of their figures in bench/README.md.

    .venv/bin/python -m bench [--quick] [--only NAME ...] [--no-readme] [--list]

Starts one throwaway PostgreSQL and Redis (bench/faults/services.py) for the run, then runs each
benchmark as its own subprocess with a time limit, its output in var/bench/logs/NAME.log, each
writing a small JSON summary (`--json FILE`, format in bench/common.py). Then prints the table
and writes it between the markers below in bench/README.md: the date (UTC), the machine, the
command, and one row per figure with the peak memory (VmHWM) of the web and worker processes of
that load. A benchmark that fails or runs out of time gets a row saying so; the others go on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
LOGS = ROOT / "var" / "bench" / "logs"
BEGIN, END = "<!-- all-benchmarks:begin -->", "<!-- all-benchmarks:end -->"


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    limit: tuple[float, float]  # seconds allowed: full run, quick run
    services: bool = False  # needs PostgreSQL/Redis: {redis}, {pg} (a server URL), {pgdb:NAME} in its arguments


FAST_LIMITS = ("--telegram-rate", "1000", "--sms-rate", "1000", "--whatsapp-rate", "1000")
REAL_LIMITS = ("--telegram-rate", "30", "--sms-rate", "15", "--whatsapp-rate", "20")

BENCHES = (
    Bench(
        "webhook_ack",
        "webhook_ack.py",
        ("--requests", "800", "--rounds", "2"),
        ("--requests", "150", "--rounds", "1"),
        (900, 300),
    ),
    Bench(
        "inbound_sqlite",
        "inbound.py",
        ("--messages", "1500", "--redis-url", "{redis}"),
        ("--messages", "300", "--redis-url", "{redis}"),
        (900, 240),
        services=True,
    ),
    Bench(
        "inbound_postgres",
        "inbound.py",
        ("--messages", "1500", "--redis-url", "{redis}", "--database-url", "{pgdb:nmirf_bench_inbound}"),
        ("--messages", "300", "--redis-url", "{redis}", "--database-url", "{pgdb:nmirf_bench_inbound}"),
        (900, 240),
        services=True,
    ),
    Bench("scheduler", "scheduler.py", (), ("--institutions", "50", "--idle-passes", "10"), (300, 120)),
    Bench(
        "broadcast_10k",
        "broadcast.py",
        ("--people", "10000", *REAL_LIMITS, "--redis-url", "{redis}"),
        ("--people", "1000", *REAL_LIMITS, "--redis-url", "{redis}"),
        (900, 180),
        services=True,
    ),
    Bench(
        "broadcast_100k",
        "broadcast.py",
        ("--people", "100000", *FAST_LIMITS, "--window", "120", "--redis-url", "{redis}"),
        ("--people", "10000", *FAST_LIMITS, "--window", "30", "--redis-url", "{redis}"),
        (1500, 300),
        services=True,
    ),
    Bench("scale_out", "scale_out.py", (), ("--quick",), (900, 300)),
    Bench(
        "admin_overview",
        "admin_overview.py",
        ("--sqlite", "--postgres", "{pg}", "--baseline", "head", "--rounds", "1", "--repeat", "20"),
        ("--sqlite", "--postgres", "{pg}", "--baseline", "head", "--rounds", "1", "--repeat", "5", "--scale", "0.01"),
        (1200, 240),
        services=True,
    ),
)


def argv(bench: Bench, quick: bool, svc, json_path: Path) -> list[str]:
    out = [sys.executable, str(ROOT / "bench" / bench.script)]
    for arg in bench.quick if quick else bench.full:
        if arg == "{redis}":
            arg = svc.redis_url
        elif arg == "{pg}":
            arg = svc.postgres_url()
        elif arg.startswith("{pgdb:"):
            arg = svc.create_database(arg[6:-1])
        out.append(arg)
    return out + ["--json", str(json_path)]


def run_one(bench: Bench, quick: bool, svc) -> tuple[dict, float]:
    """Run one benchmark; its summary (or a row saying what went wrong) and its seconds."""
    LOGS.mkdir(parents=True, exist_ok=True)
    json_path, log_path = LOGS / f"{bench.name}.json", LOGS / f"{bench.name}.log"
    json_path.unlink(missing_ok=True)
    cmd = argv(bench, quick, svc, json_path)
    limit = bench.limit[1 if quick else 0]
    print(f"== {bench.name}: {shlex.join(cmd[1:])}  (limit {limit:.0f} s, log {log_path})", flush=True)
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(limit)
            failure = f"failed (exit {rc}; see {log_path.relative_to(ROOT)})" if rc else ""
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the benchmark and what it started
            proc.wait()
            failure = f"out of time ({limit:.0f} s)"
    took = time.monotonic() - started
    if not failure and not json_path.exists():
        failure = "no summary written"
    summary = {"rows": [], "peak_rss_mb": {}} if failure else json.loads(json_path.read_text())
    if isinstance(summary, list):  # admin_overview.py's own format
        summary = overview_summary(summary)
    if failure:
        summary["rows"].append({"what": failure, "figure": "-", "unit": ""})
    print(f"   {bench.name}: {'ok' if not failure else failure} in {took:.0f} s", flush=True)
    return summary, took


def overview_summary(results: list[dict]) -> dict:
    rows = []
    for r in results:
        page = r["after"]["page"]
        kind = "SQLite" if r["kind"] == "sqlite" else "PostgreSQL"
        rows.append(
            {
                "what": f"{kind}: GET /admin/ (median; data built in {r['build_s']:.0f} s)",
                "figure": round(page["median"], 1),
                "unit": "ms",
            }
        )
        rows.append({"what": f"{kind}: GET /admin/ (p95)", "figure": round(page["p95"], 1), "unit": "ms"})
    return {"rows": rows, "peak_rss_mb": {}}


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for word in out.split():
        if word[:1].isdigit() or word.startswith("v="):
            return word.removeprefix("v=")
    return out.strip() or "?"


def machine() -> str:
    from bench.faults.services import ServiceError, _pg_bin

    try:
        pg = version([str(_pg_bin() / "postgres"), "--version"])
    except ServiceError:
        pg = "-"
    return (
        f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}, "
        f"PostgreSQL {pg}, Redis {version(['redis-server', '--version'])}"
    )


def table(results: list[tuple[Bench, dict, float]], command: str, quick: bool, total: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Run {when}{' (quick: smaller sizes, not the figures the targets speak of)' if quick else ''}; "
        f"machine: {machine()}; load average at the end {os.getloadavg()[0]:.1f}.",
        f"Command: `{command}` ({total / 60:.1f} min in all).",
        "",
        "| benchmark | what | figure | unit | peak RSS (VmHWM, MB) |",
        "|---|---|---:|---|---|",
    ]
    for bench, summary, took in results:
        rss = ", ".join(f"{k} {v:.0f}" for k, v in summary.get("peak_rss_mb", {}).items()) or "-"
        for r in summary["rows"]:
            figure = f"{r['figure']:,}" if isinstance(r["figure"], int | float) else r["figure"]
            lines.append(f"| {bench.name} ({took:.0f} s) | {r['what']} | {figure} | {r['unit']} | {rss} |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = README.read_text()
    if BEGIN not in readme or END not in readme:
        print(f"markers not found in {README}: table not written", file=sys.stderr)
        return
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (minutes, not half an hour)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run these benchmarks only")
    ap.add_argument("--no-readme", action="store_true", help="print the table, leave bench/README.md alone")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args()
    if args.list:
        for b in BENCHES:
            print(f"{b.name:18} bench/{b.script} {' '.join(b.full)}")
        return 0
    unknown = set(args.only or ()) - {b.name for b in BENCHES}
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))} (see --list)")
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    command = shlex.join([".venv/bin/python", "-m", "bench", *sys.argv[1:]])
    sys.path.insert(0, str(ROOT))
    from bench.faults.services import Services

    started = time.monotonic()
    results = []
    svc = Services() if any(b.services for b in chosen) else None
    try:
        if svc:
            svc.__enter__()
        for bench in chosen:
            summary, took = run_one(bench, args.quick, svc)
            results.append((bench, summary, took))
        text = table(results, command, args.quick, time.monotonic() - started)
    finally:
        if svc:
            svc.close()
    print("\n" + text)
    if not args.no_readme:
        write_readme(text)
    return 0 if all(r["figure"] != "-" for _, s, _ in results for r in s["rows"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
