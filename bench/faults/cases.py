"""The fault cases. Each takes the run's services, a work directory and --quick, runs the product
in real processes, does one thing to it, and returns its one-line result (and a pass flag: 0
lost, and duplicates only where the README's "Delivery guarantees" allow them)."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.faults.harness import (
    ROOT,
    TELEGRAM_HEADERS,
    TG_BASE,
    Delivery,
    Product,
    actions_csv,
    deliver_all,
    roster_csv,
    tally,
    telegram_update,
    twilio_sms,
)
from bench.faults.hostile import case_hostile
from bench.faults.kill_web import case_kill_web
from bench.faults.outages import case_outages
from bench.faults.tally import Result


# ------------------------------------------------------------------------------------- case 1
def case_duplicates(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    """The same Telegram update and the same Twilio SMS, 1,000 times each, 50 at a time."""
    repeats, concurrency = 1000, 50
    product = Product(services, "dup", workdir)
    try:
        product.setup(roster_csv(1, sms=1))
        product.start()
        tg = telegram_update(700000001, TG_BASE, "HELP")
        sms_body, sms_headers = twilio_sms("SM" + "d" * 32, "+254900000000", "HELP")
        items = [Delivery("700000001", "/webhooks/telegram", tg, TELEGRAM_HEADERS) for _ in range(repeats)]
        items += [Delivery("SM" + "d" * 32, "/webhooks/twilio/sms", sms_body, sms_headers) for _ in range(repeats)]
        rng.shuffle(items)
        started = time.monotonic()
        asyncio.run(deliver_all(product.base_url, items, concurrency=concurrency, deadline=started + 120))
        posting = time.monotonic() - started
        acked = {d.key for d in items if d.acked_at is not None}
        settled = product.wait_settled(acked, 60, quiet=5)  # two sweep intervals more: nothing late
        t = tally(product, items)
        replies = product.query("SELECT count(*) FROM outbound_message")[0][0]
        t.duplicated += max(0, replies - 2)  # a second reply row would be a second effect
        statuses = Counter(s for d in items for s in d.statuses.elements())
        alive = all(product.alive().values())
        ok = settled and alive and t.lost == 0 and t.duplicated == 0 and t.stored == 2 and t.sent == 2
        line = t.line(
            f"duplicates: 1 Telegram update x{repeats} + 1 Twilio SMS x{repeats}, {concurrency} concurrent",
            f"outbox rows {replies}; answers {dict(statuses)}; posted in {posting:.1f} s",
        )
        return Result("duplicates", line, ok, notes=tuple(t.notes))
    finally:
        product.stop()


# ------------------------------------------------------------------------------------- case 2
def case_kill_worker(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    """kill -9 of a worker at random moments while people write and a broadcast goes out; each
    killed worker restarted at once (as systemd or compose would)."""
    kills = 10 if quick else 100
    people = 30 if quick else 60
    messages = 120 if quick else 600
    product = Product(
        services,
        "kill",
        workdir,
        workers=2,
        SEND_LEASE_SECONDS="15",
        TELEGRAM_RATE="20",
        TELEGRAM_CHAT_RATE="5",
    )
    try:
        product.setup(roster_csv(people))
        product.start()
        # Inbound spread over the kill period: each person writes in turn.
        span = kills * 1.0
        items = []
        for k in range(messages):
            user = TG_BASE + k % people
            items.append(
                Delivery(
                    str(710000000 + k),
                    "/webhooks/telegram",
                    telegram_update(710000000 + k, user, "HELP"),
                    TELEGRAM_HEADERS,
                )
            )
        broadcasts: list[str] = []

        def broadcast(n: int) -> None:
            out = product.cli("broadcast", "--to", "focal-points", "--text-en", f"Fault suite notice {n}", "--yes")
            broadcasts.append(out)

        killed = Counter()
        stop = threading.Event()
        last_kill: list[float] = []

        def killer() -> None:
            for k in range(kills):
                if stop.wait(rng.uniform(0.4, 1.6)):
                    return
                i = rng.randrange(product.n_workers)
                product.kill_worker(i)
                killed[i] += 1
                product.restart_worker(i)
                last_kill[:] = [time.monotonic()]
                if k == kills // 2:
                    threading.Thread(target=broadcast, args=(2,), daemon=True).start()

        threading.Thread(target=broadcast, args=(1,), daemon=True).start()
        started = time.monotonic()
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        asyncio.run(
            deliver_all(product.base_url, items, concurrency=10, deadline=started + span + 120, rate=messages / span)
        )
        thread.join(span * 3 + 60)
        stop.set()
        kill_time = time.monotonic() - started
        acked = {d.key for d in items if d.acked_at is not None}
        # Drain: a send leased by a killed worker waits for its lease (15 s), then a sweep (2 s).
        settled = product.wait_settled(acked, 90, quiet=5)
        t = tally(product, items)
        alive = all(product.alive().values())
        bulk = product.query(
            "SELECT count(*), count(*) FILTER (WHERE status='sent') FROM outbound_message WHERE in_reply_to IS NULL"
        )[0]
        n_kills = sum(killed.values())
        end = last_kill[0] if last_kill else started
        after = [s - max(a, end) for a, s in t.answered.values() if s >= end]
        ok = settled and alive and t.lost == 0 and t.duplicated <= n_kills and t.max_sends_per_message <= 2
        line = t.line(
            f"kill -9 worker x{n_kills} (restarted each time) during {messages} messages from {people} people "
            f"+ 2 broadcasts to them",
            f"broadcast rows {bulk[0]} (sent {bulk[1]}); max sends per message {t.max_sends_per_message}; "
            f"duplicates allowed <= {n_kills} (one per kill mid-send); {kill_time:.0f} s of kills; after the "
            f"last kill {len(after)} answers, longest wait {max(after, default=0.0):.1f} s",
        )
        return Result("kill-worker", line, ok, notes=tuple(t.notes))
    finally:
        product.stop()


# case 3, outages: bench/faults/outages.py


# ------------------------------------------------------------------------------------- case 4
TICKER = """
import sys
from argparse import Namespace
from backend.cli.rhythm import cmd_tick
for line in sys.stdin:
    cmd_tick(Namespace(now=line.strip()))
    print("ok", flush=True)
"""


def case_two_schedulers(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    """Two scheduler+sweep processes (`nmirf tick --now T`, i.e. backend.cli.rhythm.cmd_tick, as
    one long-lived process each) stepping through a simulated week in lockstep, at the same
    moments: count outbox rows per (person, kind, period)."""
    step = timedelta(hours=3 if quick else 1)
    people = 10 if quick else 30
    product = Product(services, "sched", workdir, workers=0)
    procs: list[subprocess.Popen] = []
    try:
        product.setup(roster_csv(people, substitutes=True), actions_csv(people))
        env = product.env()
        env.update(REDIS_URL="", SCHEDULER_ENABLED="true", QUIET_HOURS="20:00-07:00")
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", TICKER],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=open(workdir / f"ticker{i}.log", "w"),
                    text=True,
                )
            )
        start = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday
        moments, now = [], start
        while now < start + timedelta(days=7):
            moments.append(now)
            now += step
        failures, said_lines = 0, []
        started = time.monotonic()
        for m in moments:
            for p in procs:
                p.stdin.write(m.strftime("%Y-%m-%dT%H:%MZ") + "\n")
                p.stdin.flush()
            for p in procs:
                while (said := p.stdout.readline()) and said.strip() != "ok":
                    said_lines.append(said.strip())
                if not said:
                    failures += 1
        elapsed = time.monotonic() - started
        for p in procs:
            p.stdin.close()
            p.wait(30)
        rows = product.query("SELECT person_id, kind, key, created_at, status FROM outbound_message")
        # The period a scheduled message belongs to: its ISO week (the schedule is weekly).
        groups: dict[tuple, int] = defaultdict(int)
        for person, kind, _key, created, _status in rows:
            iso = created.isocalendar()
            groups[(person, kind, f"{iso[0]}-W{iso[1]:02d}")] += 1
        kinds = Counter(kind for _p, kind, *_ in rows)
        # A reminder may legitimately come once per delay (REMINDER_DELAYS_HOURS, default 24 and 72)
        # in one round; everything else once per person and week.
        allowed = {"reminder": 2}
        keys = Counter(key for _p, _k, key, *_ in rows)
        dup_keys = sum(n - 1 for n in keys.values() if n > 1)
        rounds = product.query(
            "SELECT institution_id, period, count(*) FROM reporting_round GROUP BY 1, 2 HAVING count(*) > 1"
        )
        steps = [
            row
            for row in product.query("SELECT round_id, what, person_id, count(*) FROM round_step GROUP BY 1, 2, 3")
            if row[3] > (2 if row[1] == "reminded" else 1)
        ]
        unsent = sum(1 for *_x, status in rows if status not in ("sent", "delivered"))
        extra = {g: n for g, n in groups.items() if n > allowed.get(g[1], 1)}
        sends = len(product.telegram.sent)
        orphan = sends - len([r for r in rows if r[4] in ("sent", "delivered")])
        duplicated = (
            dup_keys
            + sum(n - allowed.get(g[1], 1) for g, n in extra.items())
            + max(0, orphan)
            + len(rounds)
            + len(steps)
        )
        ok = failures == 0 and duplicated == 0 and unsent == 0
        line = (
            f"two schedulers + two sweeps, one simulated week in {len(moments)} lockstep ticks of {step.seconds // 3600} h, "
            f"{people} institutions (focal point + substitute, nobody answers): in {len(moments) * 2} ticks / "
            f"outbox rows {len(rows)} {dict(kinds)} / sent {sends} / duplicated {duplicated} / lost {unsent} / "
            f"longest wait n/a; rounds opened twice {len(rounds)}; round steps repeated (beyond one per reminder) {len(steps)}; "
            f"(person, kind, week) groups over their allowance (1; reminders 1 per delay): {len(extra)}; "
            f"ticks failed {failures}; {elapsed:.0f} s"
        )
        notes = tuple(f"{g}: {n}" for g, n in list(extra.items())[:5])
        return Result("two-schedulers", line, ok, notes=notes)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        product.stop()


# ------------------------------------------------------------------------------------- case 5
def case_provider_errors(services, workdir: Path, quick: bool, rng: random.Random) -> Result:
    """The fake Telegram API answers 429 (Retry-After 1) then 500 for a while during a broadcast;
    afterwards the backlog must drain at TELEGRAM_RATE, and nothing is lost."""
    rate = 5.0
    people = 40 if quick else 150
    storm = 8.0 if quick else 60.0
    product = Product(services, "provider", workdir, workers=2, TELEGRAM_RATE=str(rate))
    try:
        product.setup(roster_csv(people))
        product.start()
        ends: list[float] = []

        def storms() -> None:  # the two halves, timed from the start whatever the broadcast's own start-up
            product.telegram.storm(storm / 2, status=429, retry_after=1)
            time.sleep(storm / 2)
            product.telegram.storm(storm / 2, status=500)
            ends.append(time.monotonic() + storm / 2)

        thread = threading.Thread(target=storms, daemon=True)
        thread.start()
        product.cli("broadcast", "--to", "focal-points", "--text-en", "Fault suite: provider storm", "--yes")
        thread.join()
        storm_end = ends[0]
        settled = product.wait_settled(set(), storm + people / rate + 120, quiet=3)
        t = tally(product, [])
        sends = sorted(m["at"] for m in product.telegram.sent)
        after = [s for s in sends if s >= storm_end]
        drained = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 2 else 0.0
        resumed = after[0] - storm_end if after else float("nan")
        window = max((sum(1 for s in after if a <= s < a + 1.0) for a in after), default=0)
        failed = product.query("SELECT count(*), min(error) FROM outbound_message WHERE status = 'failed'")[0]
        errors = sum(1 for method, _p in product.telegram.calls if method.lower() == "sendmessage") - len(sends)
        ok = settled and t.lost == 0 and t.duplicated == 0 and window <= rate + 1
        line = (
            f"provider 429 (Retry-After 1) for {storm / 2:.0f} s then 500 for {storm / 2:.0f} s at the start of a "
            f"{people}-person broadcast, TELEGRAM_RATE {rate:g}/s: in {people} / acknowledged n/a / stored n/a / "
            f"sent {t.sent} / duplicated {t.duplicated} / lost {t.lost} / longest wait n/a; "
            f"provider errors answered {errors}; failed rows {failed[0]}"
            + (f" ({failed[1][:80]})" if failed[0] else "")
            + f"; after the storm (the provider's last hold: {resumed:.1f} s) {len(after)} sends drained at "
            f"{drained:.2f}/s, busiest 1 s window {window}"
        )
        return Result("provider-errors", line, ok, notes=tuple(t.notes))
    finally:
        product.stop()


CASES = {
    "duplicates": (case_duplicates, 150, 300),  # (function, quick timeout, full timeout), seconds
    "kill-worker": (case_kill_worker, 240, 600),
    "outages": (case_outages, 240, 480),
    "two-schedulers": (case_two_schedulers, 150, 600),
    "provider-errors": (case_provider_errors, 200, 600),
    "kill-web": (case_kill_web, 200, 400),
    "hostile": (case_hostile, 240, 480),
}
