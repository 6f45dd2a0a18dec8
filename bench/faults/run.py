"""Running cases one after another, each under a hard timeout (SIGALRM in the main thread: a
case that hangs is interrupted, its processes stopped by its own `finally`, and reported)."""

from __future__ import annotations

import random
import signal
import time
import traceback
from pathlib import Path

from bench.faults.cases import CASES, Result


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout


def run_case(services, name: str, *, quick: bool, seed: int, workdir: Path) -> Result:
    func, quick_limit, full_limit = CASES[name]
    limit = quick_limit if quick else full_limit
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    started = time.monotonic()
    try:
        result = func(services, workdir / name, quick, random.Random(f"{seed}:{name}"))
    except CaseTimeout:
        result = Result(name, f"{name}: TIMED OUT after {limit} s (hard limit)", False)
    except Exception as exc:  # noqa: BLE001 - reported as the case's line; the next case runs
        tail = traceback.format_exc().strip().splitlines()[-1]
        result = Result(name, f"{name}: ERROR {type(exc).__name__}: {tail[:300]}", False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    result.seconds = time.monotonic() - started
    return result


def run_cases(services, names: list[str], *, quick: bool, seed: int, workdir: Path, echo: bool = False) -> list[Result]:
    results = []
    for name in names:
        result = run_case(services, name, quick=quick, seed=seed, workdir=workdir)
        results.append(result)
        if echo:
            print(f"[{'ok' if result.ok else 'FAIL'} {result.seconds:.0f}s] {result.line}", flush=True)
            for note in result.notes:
                print(f"    {note}", flush=True)
    return results
