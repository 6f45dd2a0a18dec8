"""Helpers of bench/scale_out.py: the inbound load (fixed rate, two web processes taken in turn as
a proxy's round robin would), and the figures read back from the fake providers, the database and
/proc. Every time is this machine's monotonic clock (the fakes stamp theirs with it too)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.faults.harness import TELEGRAM_HEADERS, TG_BASE, Delivery, deliver, telegram_update, twilio_sms
from tests.fakes.twilio_api import num_segments

# What a focal point who got this week's prompt sends, one message after another: a status, a
# note for it, then STATUS and HELP. Each message gets one answer.
CONVERSATION = ("1P", "Drafting committee met the ministry on Monday", "STATUS", "HELP")


@dataclass(frozen=True)
class Replier:
    channel: str  # telegram | sms
    index: int  # roster_csv's number for this person on that channel

    @property
    def address(self) -> str:
        return str(TG_BASE + self.index) if self.channel == "telegram" else f"+2549{self.index:08d}"


@dataclass
class Sent:
    delivery: Delivery
    channel: str
    web: int  # which web process (0 or 1)
    due: float = 0.0  # when the fixed rate says it goes
    started: float = 0.0

    @property
    def ack_latency(self) -> float | None:
        return None if self.delivery.acked_at is None else self.delivery.acked_at - self.started


def inbound_plan(repliers: list[Replier], first_update: int = 900000000) -> list[Sent]:
    """Everyone's first message, then everyone's second...: with R people at r msg/s each person
    writes every R/r seconds, long enough for the answer to come first."""
    plan = []
    for text in CONVERSATION:
        for person in repliers:
            k = len(plan)
            if person.channel == "telegram":
                uid = first_update + k
                body = telegram_update(uid, TG_BASE + person.index, text)
                d = Delivery(str(uid), "/webhooks/telegram", body, dict(TELEGRAM_HEADERS))
            else:
                sid = f"SM{first_update + k:032x}"
                body, headers = twilio_sms(sid, person.address, text)
                d = Delivery(sid, "/webhooks/twilio/sms", body, headers)
            plan.append(Sent(d, person.channel, web=k % 2))
    return plan


async def _drive(bases: list[str], plan: list[Sent], rate: float, start: float, deadline: float) -> None:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    clients = [httpx.AsyncClient(base_url=b, timeout=10.0, limits=limits) for b in bases]
    try:

        async def one(i: int, s: Sent) -> None:
            s.due = start + i / rate
            await asyncio.sleep(max(0.0, s.due - time.monotonic()))
            s.started = time.monotonic()
            await deliver(clients[s.web], s.delivery, deadline)

        await asyncio.gather(*(one(i, s) for i, s in enumerate(plan)))
    finally:
        for c in clients:
            await c.aclose()


def drive(bases: list[str], plan: list[Sent], rate: float, start: float, deadline: float) -> None:
    asyncio.run(_drive(bases, plan, rate, start, deadline))


# ---------------------------------------------------------------------------------- figures
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def busiest(times: list[tuple[float, float]], width: float = 1.0) -> float:
    """The most units (time, cost) starting in any `width`-second window (windows open on a send)."""
    times = sorted(times)
    best, j, total = 0.0, 0, 0.0
    for t, cost in times:
        while j < len(times) and times[j][0] < t + width:
            total += times[j][1]
            j += 1
        best = max(best, total)
        total -= cost
    return best


def rate_over(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else 0.0


def inbound_figures(plan: list[Sent], rate: float) -> dict:
    acked = [s for s in plan if s.delivery.acked_at is not None]
    lat = [s.ack_latency for s in acked if s.ack_latency is not None]
    late = [s.started - s.due for s in plan if s.started]
    span = max(s.delivery.acked_at for s in acked) - min(s.started for s in plan) if acked else 0.0
    statuses = Counter(str(k) for s in plan for k in s.delivery.statuses.elements())
    return {
        "inbound_offered": len(plan),
        "inbound_offered_per_s": rate,
        "inbound_acked": len(acked),
        "inbound_acked_per_s": round(len(acked) / span, 2) if span else 0.0,
        "inbound_retries": sum(s.delivery.tries for s in plan) - len(plan),
        "inbound_statuses": dict(statuses),
        "inbound_by_web": dict(Counter(f"web{s.web + 1}" for s in acked)),
        "ack_p50_ms": round(1000 * pct(lat, 0.5), 1),
        "ack_p99_ms": round(1000 * pct(lat, 0.99), 1),
        "ack_max_ms": round(1000 * max(lat, default=0.0), 1),
        "generator_late_p99_ms": round(1000 * pct(late, 0.99), 1),
    }


def reply_figures(product, plan: list[Sent], t0: float, bucket: float = 10.0) -> dict:
    """Webhook 2xx -> the fake provider accepting the first answer to that message; split (from the
    database's own stamps) into received -> processed (inbound queue and handling) and processed ->
    sent (send queue, pacing, provider); and the p99 per `bucket` seconds of the load."""
    sent_at = {pid: at for pid, _addr, at in product.provider_sends()}
    first: dict[str, float] = {}
    answers: Counter = Counter()
    split: dict[str, tuple[float, float]] = {}
    for key, pid, received, processed, sent in product.query(
        "SELECT i.provider_id, o.provider_id, i.received_at, i.processed_at, o.sent_at FROM outbound_message o "
        "JOIN inbound_message i ON i.id = o.in_reply_to"
    ):
        answers[key] += 1
        if pid in sent_at and sent_at[pid] <= first.get(key, sent_at[pid]):
            first[key] = sent_at[pid]
            if processed and sent:
                split[key] = ((processed - received).total_seconds(), (sent - processed).total_seconds())
    out: dict = {}
    by_channel: dict[str, list[float]] = {"all": [], "telegram": [], "sms": []}
    buckets: dict[int, list[float]] = {}
    for s in plan:
        at = first.get(s.delivery.key)
        if s.delivery.acked_at is not None and at is not None:
            wait = at - s.delivery.acked_at
            by_channel["all"].append(wait)
            by_channel[s.channel].append(wait)
            buckets.setdefault(int((s.delivery.acked_at - t0) // bucket), []).append(wait)
    for name, lat in by_channel.items():
        out[f"reply_{name}_n"] = len(lat)
        out[f"reply_{name}_p50_s"] = round(pct(lat, 0.5), 3)
        out[f"reply_{name}_p99_s"] = round(pct(lat, 0.99), 3)
        out[f"reply_{name}_max_s"] = round(max(lat, default=float("nan")), 3)
    for i, part in enumerate(("handling", "sending")):
        values = [v[i] for v in split.values()]
        out[f"reply_{part}_p50_s"] = round(pct(values, 0.5), 3)
        out[f"reply_{part}_p99_s"] = round(pct(values, 0.99), 3)
    out["reply_p50_p99_by_10s"] = {
        f"{int(b * bucket)}s": [round(pct(v, 0.5), 2), round(pct(v, 0.99), 2)] for b, v in sorted(buckets.items())
    }
    out["reply_unanswered"] = sum(1 for s in plan if s.delivery.acked_at is not None and s.delivery.key not in first)
    out["replies_per_message_max"] = max(answers.values(), default=0)
    return out


def channel_figures(product, rates: dict[str, float], t0: float) -> dict:
    """Broadcast throughput per channel against its limit, every send's busiest 1-s window (SMS in
    segments: what SMS_RATE counts), and the broadcast reaching anyone twice."""
    rows = product.query("SELECT provider_id, address FROM outbound_message WHERE kind = 'broadcast'")
    bulk_ids = {pid for pid, _a in rows if pid}
    tg = [(str(m["message_id"]), m["chat_id"], m["at"], 1.0) for m in product.telegram.sent]
    sms = [(m["sid"], m["to"], m["at"], float(num_segments(m["body"] or ""))) for m in product.twilio.messages]
    out: dict = {}
    for name, sends in (("telegram", tg), ("sms", sms)):
        bulk = [s for s in sends if s[0] in bulk_ids]
        bulk_times = [s[2] for s in bulk]
        span = (min(bulk_times), max(bulk_times)) if bulk_times else (0.0, 0.0)
        in_span = [s for s in sends if span[0] <= s[2] <= span[1]]
        out[f"{name}_rate_limit"] = rates[name]
        out[f"{name}_broadcast_sent"] = len(bulk)
        out[f"{name}_broadcast_seconds"] = round(span[1] - span[0], 1)
        out[f"{name}_broadcast_from_to_s"] = [round(span[0] - t0, 1), round(span[1] - t0, 1)] if bulk else []
        out[f"{name}_broadcast_per_s"] = round(rate_over(bulk_times), 2)
        units = sum(s[3] for s in in_span)
        out[f"{name}_all_units_per_s_during_broadcast"] = round(units / (span[1] - span[0]), 2) if in_span else 0.0
        out[f"{name}_busiest_1s_units"] = busiest([(s[2], s[3]) for s in sends])
        out[f"{name}_busiest_5s_units"] = busiest([(s[2], s[3]) for s in sends], 5.0)
        out.update(_over(name, sends, bulk_ids, rates[name]))
        out[f"{name}_pacing_held"] = out[f"{name}_busiest_1s_units"] <= rates[name] + 1
        twice = Counter(s[1] for s in bulk)
        out[f"{name}_broadcast_twice"] = sum(n - 1 for n in twice.values() if n > 1)
    out["broadcast_rows"] = len(rows)
    out["broadcast_rows_unsent"] = sum(1 for pid, _a in rows if not pid)
    return out


def _over(name: str, sends: list[tuple], bulk_ids: set[str], rate: float) -> dict:
    """How many 1-s windows (opening on a send) held more than rate + 1 units, and in those: the
    broadcast sends among them, and the sends whose chat got another message in the second before
    (a broadcast send that waited for its per-chat slot goes out after its bot-wide one)."""
    sends = sorted(sends, key=lambda s: s[2])
    last: dict[str, float] = {}
    chat_busy = set()
    for pid, addr, at, _c in sends:
        if addr in last and at - last[addr] < 1.05:
            chat_busy.add(pid)
        last[addr] = at
    windows, bulk_in, busy_in, j = 0, set(), set(), 0
    for i, (_pid, _a, at, _c) in enumerate(sends):
        while j < len(sends) and sends[j][2] < at + 1.0:
            j += 1
        if sum(s[3] for s in sends[i:j]) > rate + 1:
            windows += 1
            bulk_in |= {s[0] for s in sends[i:j] if s[0] in bulk_ids}
            busy_in |= {s[0] for s in sends[i:j] if s[0] in chat_busy}
    return {
        f"{name}_windows_over": windows,
        f"{name}_over_bulk_sends": len(bulk_in),
        f"{name}_over_chat_waited": len(busy_in),
    }


# ---------------------------------------------------------------------------------- /proc
def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _hwm(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) * 1024 / 1e6, 1)  # MB of 10^6 bytes, as bench/common.py
    except OSError:
        pass
    return None


def peak_rss_mb(pid: int, children: bool = True) -> dict[str, float | None]:
    """VmHWM in MB of the process, and of each child it forked (RQ's scheduler process)."""
    out = {"self": _hwm(pid)}
    if children:
        for i, child in enumerate(_children(pid)):
            out[f"child{i}"] = _hwm(child)
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the process so far (not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


class QueueSampler(threading.Thread):
    """The RQ queues' lengths once a second (seconds from t0 -> {queue: jobs}), and the database
    sessions waiting for a lock (how many, and what the first of them runs)."""

    LOCKS = (
        "SELECT count(*), min(left(regexp_replace(query, '\\s+', ' ', 'g'), 90)) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock'"
    )

    def __init__(self, redis_url: str, t0: float, query=None):
        super().__init__(daemon=True)
        self.redis_url, self.t0, self.samples, self.stop = redis_url, t0, [], threading.Event()
        self.query, self.locks = query, []

    def run(self) -> None:
        from redis import Redis

        from backend.wiring.dispatch import QUEUES

        conn = Redis.from_url(self.redis_url)
        while not self.stop.wait(1.0):
            try:
                depth = {q: conn.llen(f"rq:queue:{q}") for q in QUEUES}
            except Exception:  # noqa: BLE001 - a sample missed is no matter
                continue
            self.samples.append((round(time.monotonic() - self.t0, 1), depth))
            if self.query is not None:
                try:
                    self.locks.append((self.samples[-1][0], *self.query(self.LOCKS)[0]))
                except Exception:  # noqa: BLE001
                    pass
        conn.close()

    def figures(self) -> dict:
        out: dict = {}
        for q in {q for _t, d in self.samples for q in d}:
            worst = max(self.samples, key=lambda s: s[1].get(q, 0))
            out[f"queue_{q}_max"] = [worst[1].get(q, 0), worst[0]]  # [jobs, at s]
        waiting = [row for row in self.locks if row[1]]
        worst = max(waiting, key=lambda row: row[1], default=(0.0, 0, ""))
        out["lock_waiters_max"] = [worst[1], worst[0], worst[2]]  # [sessions, at s, first query]
        out["lock_wait_seconds"] = len(waiting)  # samples (1 s apart) with any session waiting on a lock
        out["queue_timeline"] = [[t, {q: n for q, n in d.items() if n}] for t, d in self.samples[::5]]
        return out


def rq_jobs_per_worker(redis_url: str) -> dict[str, int]:
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(redis_url)
    try:
        return {w.name[-8:]: w.successful_job_count for w in Worker.all(connection=conn)}
    finally:
        conn.close()
