"""`python -m bench` runs each benchmark as a subprocess and tabulates its JSON summary; a small
run of one benchmark through it, without touching bench/README.md."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_runner_runs_a_benchmark_and_prints_its_table():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "scheduler", "--no-readme"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| scheduler")]
    assert table, done.stdout[-2000:]
    assert "failed" not in " ".join(table) and "out of time" not in " ".join(table)
