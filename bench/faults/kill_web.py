"""Case 6, kill-web: `kill -9` of the web process at random moments, 20 times (quick: 5), each
restarted at once on the same port (as systemd or compose would), while 60 people (40 on
Telegram, 20 on SMS; quick: 30) write 400 messages (quick: 100) at 4 a second.

The load generator retries as the providers do: a refused connection or a connection cut in the
middle of a request is tried again. A request killed after its row was committed but before the
2xx is the interesting one: the retry must find the row (unique provider id) and answer 2xx with
no second effect. So duplicated must be 0 here, and nothing acknowledged may be lost."""

from __future__ import annotations

import asyncio
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from bench.faults.harness import (
    Product,
    deliver_all,
    genuine_messages,
    roster_csv,
    tally,
)
from bench.faults.tally import Result

RATE = 4.0


def case_kill_web(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    kills, people, total = (5, 30, 100) if quick else (20, 60, 400)
    sms_people = people // 3
    tg_people = people - sms_people
    product = Product(services, "killweb", workdir, workers=2)
    done_kills = 0
    try:
        product.setup(roster_csv(tg_people, sms=sms_people))
        product.start()
        items = genuine_messages(rng, tg_people, sms_people, total, first_update=730000000)
        span = total / RATE
        stop = threading.Event()

        def killer() -> None:
            nonlocal done_kills
            t0 = time.monotonic()
            for i in range(kills):
                at = t0 + (i + rng.uniform(0.3, 0.9)) * (span - 5) / kills
                if stop.wait(max(0.0, at - time.monotonic())):
                    return
                proc = product.procs["serve"]
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                done_kills += 1
                product.restarts["serve"] += 1
                product._spawn("serve", "serve", "--host", "127.0.0.1", "--port", str(product.port))

        thread = threading.Thread(target=killer, daemon=True)
        started = time.monotonic()
        thread.start()
        asyncio.run(deliver_all(product.base_url, items, concurrency=10, deadline=started + span + 120, rate=RATE))
        stop.set()
        thread.join(30)
        acked = {d.key for d in items if d.acked_at is not None}
        settled = product.wait_settled(acked, 120, quiet=5)
        t = tally(product, items)
        replies = product.query("SELECT count(*) FROM outbound_message")[0][0]
        t.duplicated += max(0, replies - t.stored)  # one answer per message: a second would be a second effect
        alive = product.alive()
        down = [n for n, a in alive.items() if not a]
        statuses = Counter(s for d in items for s in d.statuses.elements())
        cut = sum(n for s, n in statuses.items() if isinstance(s, str) and s != "ConnectError")
        ok = settled and not down and t.lost == 0 and t.duplicated == 0 and t.acknowledged == total
        line = t.line(
            f"kill -9 of the web process x{done_kills} (restarted each time) during {total} webhooks "
            f"({tg_people} Telegram + {sms_people} SMS people) at {RATE:g}/s",
            f"answers {dict(statuses)}; requests cut mid-way {cut}; outbox rows {replies}; "
            f"processes all running: {'yes' if not down else 'no: ' + ','.join(down)}",
        )
        return Result("kill-web", line, ok, notes=tuple(t.notes))
    finally:
        product.stop()
