"""Case 3, outages: Redis killed and restarted empty mid-flow, then PostgreSQL stopped for 60 s
(quick: 10 s), during 1,000 webhooks (quick: 200) at 5 a second from 200 people (quick: 100).

The load generator plays Telegram: a 503's Retry-After honoured but capped at 2 s, 20 deliveries
at a time (the rest wait their turn, as a provider's queue does). The product runs with its
default SWEEP_INTERVAL_SECONDS (30) and STALE_AFTER_SECONDS (20) here, since the bound this case
checks is stated in sweep intervals: once PostgreSQL is back, nobody waits longer than two sweep
intervals for an answer (a message acknowledged before the outage from the moment the database
returned, one acknowledged after it from its acknowledgement)."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from pathlib import Path

from bench.faults.harness import (
    TELEGRAM_HEADERS,
    TG_BASE,
    Delivery,
    Product,
    deliver_all,
    roster_csv,
    tally,
    telegram_update,
)
from bench.faults.tally import Result

RATE = 5.0  # webhooks a second: within what two workers handle here (about 8 messages and answers a second)
SWEEP_INTERVAL = 30.0  # the product's defaults (backend/config.py)
STALE_AFTER = 20.0


def case_outages(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    total, people = (200, 100) if quick else (1000, 200)
    pg_down = 10.0 if quick else 60.0
    redis_at, pg_at = (5.0, 15.0) if quick else (15.0, 40.0)
    product = Product(
        services,
        "outage",
        workdir,
        workers=2,
        SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
        STALE_AFTER_SECONDS=str(STALE_AFTER),
    )
    events: dict[str, float] = {}
    try:
        product.setup(roster_csv(people))
        product.start()
        order = list(range(total))
        rng.shuffle(order)  # people write in no particular order
        items = [
            Delivery(
                str(720000000 + k),
                "/webhooks/telegram",
                telegram_update(720000000 + k, TG_BASE + order[k] % people, "HELP"),
                TELEGRAM_HEADERS,
            )
            for k in range(total)
        ]

        def faults() -> None:
            t0 = time.monotonic()
            time.sleep(redis_at)
            services.stop_redis(kill=True)
            time.sleep(4)
            services.start_redis()  # empty: every queued job is gone
            time.sleep(max(0.0, t0 + pg_at - time.monotonic()))
            services.stop_postgres()
            time.sleep(pg_down)
            services.start_postgres()
            events["pg up"] = time.monotonic()

        thread = threading.Thread(target=faults, daemon=True)
        started = time.monotonic()
        thread.start()
        span = total / RATE
        asyncio.run(deliver_all(product.base_url, items, concurrency=20, deadline=started + span + 120, rate=RATE))
        thread.join(pg_down + 60)
        acked = {d.key for d in items if d.acked_at is not None}
        settled = product.wait_settled(acked, 4 * SWEEP_INTERVAL + 60, quiet=5)
        t = tally(product, items)
        back = events.get("pg up", time.monotonic())
        after = {k: (a, s) for k, (a, s) in t.answered.items() if s >= back}
        waited = max((s - max(a, back) for a, s in after.values()), default=0.0)
        last = max((s for _a, s in t.answered.values()), default=back)
        alive = product.alive()
        down = [n for n, a in alive.items() if not a]
        statuses = Counter(s for d in items for s in d.statuses.elements())
        bound = 2 * SWEEP_INTERVAL
        ok = settled and not down and t.lost == 0 and t.duplicated == 0 and waited < bound
        line = t.line(
            f"Redis killed and restarted empty, then PostgreSQL stopped {pg_down:.0f} s, during {total} webhooks "
            f"from {people} people at {RATE:g}/s",
            f"answers {dict(statuses)}; processes all running: {'yes' if not down else 'no: ' + ','.join(down)}; "
            f"after PostgreSQL returned: {len(after)} answers, the last {last - back:.1f} s later, longest wait "
            f"{waited:.1f} s (bound: two sweep intervals, {bound:.0f} s)",
        )
        return Result("outages", line, ok, notes=tuple(t.notes))
    finally:
        product.stop()
        services.start_redis()
        services.start_postgres()
