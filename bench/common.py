"""What the benchmarks share with the runner (`python -m bench`): a process's peak memory, and the
small JSON summary each benchmark writes with `--json FILE`:

    {"rows": [{"what": "...", "figure": 1.23, "unit": "msg/s"}, ...],
     "peak_rss_mb": {"web": 120.5, "worker": 98.1}}

`peak_rss_mb` holds the VmHWM (peak resident set) of the web and worker processes of that load,
read from /proc/PID/status just before they are stopped."""

from __future__ import annotations

import json
import os
from pathlib import Path


def vmhwm_mb(pid: int) -> float | None:
    """The peak resident set of a running process (VmHWM), in MB of 1,000,000 bytes; None when
    it has gone or /proc is not there."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def self_hwm_mb() -> float | None:
    """This process's own peak (a benchmark that runs the app in its own process)."""
    return vmhwm_mb(os.getpid())


def row(what: str, figure: float | int | str, unit: str) -> dict:
    return {"what": what, "figure": figure, "unit": unit}


def write_summary(path: str | None, rows: list[dict], **peak_rss_mb: float | None) -> None:
    """Write the summary when `path` is given (the benchmark's --json)."""
    if not path:
        return
    rss = {k: round(v, 1) for k, v in peak_rss_mb.items() if v is not None}
    Path(path).write_text(json.dumps({"rows": rows, "peak_rss_mb": rss}, indent=1))
