"""Send pacing per channel: GCRA ("virtual scheduling") with reservations.

Every worker process shares one pacer state in Redis (`RedisPacer`); the embedded mode without
Redis uses the in-process twin (`LocalPacer`). A caller *reserves* a slot and is told how long to
wait, then sleeps and sends: nobody polls, and the order of reservations is the order of slots.

State per key is one number, the TAT (theoretical arrival time): the moment the key's bucket
would be empty if every unit booked so far drained at `rate`. A request for `cost` units may
start once at most `burst - cost` units are still "in the bucket", i.e. at
`TAT - (burst - cost) / rate`, and it pushes the TAT on by `cost / rate`. This gives:

- over any window W, at most `burst + rate * W` units start (so never more than `rate` sustained,
  and at most `burst` back-to-back);
- a cost above the burst (a 3-segment SMS on a 1 segment/s long code) is still allowed: it waits
  for an empty bucket, goes alone, and the following units wait for it to drain (`cost / rate`),
  so throughput stays at `rate` instead of stalling.

The sketch "start = max(TAT', now - (burst-1)/rate)" (TAT' = next unit's time) is the same thing
for cost 1, but for cost > 1 it only checks that the *first* unit fits and would let burst - 1 +
cost units go at once; hence the `min(cost, burst)` term here.

max_wait: when the wait would exceed it, nothing is booked and `PaceLater(wait)` is raised, so a
bulk send can requeue itself instead of booking slots far ahead of replies to people who wrote.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple, Protocol

from redis import Redis


class Limit(NamedTuple):
    rate: float  # units per second
    burst: float = 1.0  # units that may go back-to-back


Reservation = tuple[str, Limit, float]  # (key, limit, cost)


class PaceLater(Exception):
    """The wait would exceed max_wait; nothing was booked."""

    def __init__(self, wait: float):
        super().__init__(f"next slot in {wait:.3f}s")
        self.wait = wait


class Pacer(Protocol):
    def reserve_many(
        self, reservations: list[Reservation], now: float | None = None, max_wait: float | None = None
    ) -> float: ...

    def hold(self, key: str, seconds: float) -> None:
        """No slot of `key` before `seconds` from now (a provider asked us to wait)."""
        ...


def _check(reservations: list[Reservation]) -> None:
    keys = [key for key, _, _ in reservations]
    if len(set(keys)) != len(keys):
        raise ValueError("reserve_many: keys must be distinct")  # one state read per key
    for _, limit, cost in reservations:
        if limit.rate <= 0 or limit.burst <= 0 or cost < 0:
            raise ValueError(f"bad limit/cost: {limit}, {cost}")


def _earliest(tat: float, limit: Limit, cost: float) -> float:
    return tat - (limit.burst - min(cost, limit.burst)) / limit.rate


# Mirrors LocalPacer._book. Numbers go in and out as strings: Redis truncates Lua numbers to
# integers on return. The server clock is the only clock, so skewed workers cannot overbook.
# All keys are read before any is written, so the common start satisfies every limit.
# (On Redis Cluster the keys of one call must share a hash slot: use {hash tags} in the keys.)
_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local max_wait = tonumber(ARGV[2])
local start, tats = now, {}
for i, key in ipairs(KEYS) do
  local rate, burst, cost = tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1]), tonumber(ARGV[3*i+2])
  tats[i] = tonumber(redis.call('GET', key)) or now
  start = math.max(start, tats[i] - (burst - math.min(cost, burst)) / rate)
end
local wait = start - now
if max_wait and wait > max_wait then return {0, string.format('%.17g', wait)} end
for i, key in ipairs(KEYS) do
  local tat = math.max(tats[i], start) + tonumber(ARGV[3*i+2]) / tonumber(ARGV[3*i])
  -- once the bucket is empty the key is worth nothing: let it expire a second after that
  redis.call('SET', key, string.format('%.17g', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return {1, string.format('%.17g', wait)}
"""


# A hold moves the key's TAT to at least now + seconds: the next unit starts then, and the ones
# after it at the key's rate, so a backlog drains at the configured rate once the hold ends.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local hold = now + tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if hold > tat then
  redis.call('SET', KEYS[1], string.format('%.17g', hold), 'PX', math.ceil((hold - now) * 1000) + 1000)
end
return 1
"""


class _OneKey:
    def reserve(
        self: Pacer, key: str, limit: Limit, cost: float = 1.0, now: float | None = None, max_wait: float | None = None
    ) -> float:
        """`reserve_many` for a single key."""
        return self.reserve_many([(key, limit, cost)], now=now, max_wait=max_wait)


class RedisPacer(_OneKey):
    def __init__(self, redis: Redis, prefix: str = "pace:"):
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT)
        self._hold = redis.register_script(_HOLD)

    def hold(self, key: str, seconds: float) -> None:
        self._hold(keys=[self.prefix + key], args=[repr(float(seconds))])

    def reserve_many(
        self, reservations: list[Reservation], now: float | None = None, max_wait: float | None = None
    ) -> float:
        """Book every key at one common start; return the wait (s). `now` only for tests."""
        _check(reservations)
        if not reservations:
            return 0.0
        args: list[str] = ["" if now is None else repr(float(now)), "" if max_wait is None else repr(float(max_wait))]
        for _, limit, cost in reservations:
            args += [repr(float(limit.rate)), repr(float(limit.burst)), repr(float(cost))]
        booked, wait = self._script(keys=[self.prefix + key for key, _, _ in reservations], args=args)
        wait = max(0.0, float(wait))
        if not booked:
            raise PaceLater(wait)
        return wait


class LocalPacer(_OneKey):
    """The same, for one process: thread-safe, monotonic clock, state in a dict."""

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, key: str, seconds: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._tats[key] = max(self._tats.get(key, now), now + seconds)

    def reserve_many(
        self, reservations: list[Reservation], now: float | None = None, max_wait: float | None = None
    ) -> float:
        _check(reservations)
        with self._lock:
            now = time.monotonic() if now is None else now
            tats = [self._tats.get(key, now) for key, _, _ in reservations]
            start = max([now] + [_earliest(tat, limit, cost) for tat, (_, limit, cost) in zip(tats, reservations)])
            wait = start - now
            if max_wait is not None and wait > max_wait:
                raise PaceLater(wait)
            for tat, (key, limit, cost) in zip(tats, reservations):
                self._tats[key] = max(tat, start) + cost / limit.rate
            if len(self._tats) > 10_000:  # per-chat keys pile up; drained ones equal absent ones
                self._tats = {k: t for k, t in self._tats.items() if t > now}
            return wait


def peek(pacer: Pacer, reservations: list[Reservation]) -> float:
    """The wait these reservations would have now, booking nothing (a max_wait below any wait)."""
    try:
        pacer.reserve_many(reservations, max_wait=-1.0)
    except PaceLater as later:
        return later.wait
    raise AssertionError("a reservation with max_wait < 0 is never booked")  # pragma: no cover


def pace(pacer: Pacer, reservations: list[Reservation], sleep=time.sleep, max_wait: float | None = None) -> float:
    """Reserve, then sleep until the slot; return the wait. Raises PaceLater past max_wait."""
    wait = pacer.reserve_many(reservations, max_wait=max_wait)
    if wait > 0:
        sleep(wait)
    return wait
