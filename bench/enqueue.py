"""Enqueueing a broadcast's sends on Redis: one RQ call per row, against `enqueue_sends` (one
pipeline per 1,000 jobs), alternated in one run on a throwaway Redis.

    .venv/bin/python bench/enqueue.py [--sends 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.wiring.dispatch import RQDispatcher  # noqa: E402
from bench.faults.services import Services  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    services = Services()  # only its Redis is started here
    services.start_redis()
    try:
        dispatcher = RQDispatcher(services.redis_url)
        sends = [(i, 1, ("telegram", "sms", "whatsapp")[i % 3]) for i in range(1, args.sends + 1)]
        took: dict[str, list[float]] = {"one call per row": [], "enqueue_sends": []}
        for _ in range(args.rounds):
            for how in took:
                dispatcher.redis.flushdb()
                started = time.perf_counter()
                if how == "enqueue_sends":
                    dispatcher.enqueue_sends(sends)
                else:
                    for send in sends:
                        dispatcher.enqueue_send(*send)
                took[how].append(time.perf_counter() - started)
        medians = {how: statistics.median(t) for how, t in took.items()}
        for how, t in took.items():
            print(f"{how:>18}: {args.sends:,} sends, median {medians[how]:.2f} s ({' '.join(f'{x:.2f}' for x in t)})")
        print(f"ratio: {medians['one call per row'] / medians['enqueue_sends']:.1f}x")
        dispatcher.stop()
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
