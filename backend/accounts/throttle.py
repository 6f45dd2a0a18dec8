"""Login throttling with the `limits` library (moving windows; in Redis when there is one, so
every web process counts together; in memory in the embedded default).

Three counters of failed sign-ins, chosen so that a guesser is slowed and the real user is
never locked out:
- per account and client address: past PAIR failures, that address may not try that account
  until the window moves (the real user, elsewhere, is not affected);
- per client address: past ADDRESS failures, that address may not try any account;
- per account from everywhere: past ACCOUNT failures, every answer for that account is slowed
  by SLOW_SECONDS, but never refused, so a distributed guesser cannot lock the owner out."""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

PAIR = "5/15 minutes"
ADDRESS = "30/15 minutes"
ACCOUNT = "10/15 minutes"
SLOW_SECONDS = 2.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    delay: float = 0.0
    retry_after: int = 0


class LoginThrottle:
    def __init__(self, storage_uri: str = "memory://"):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.pair: RateLimitItem = parse(PAIR)
        self.address: RateLimitItem = parse(ADDRESS)
        self.account: RateLimitItem = parse(ACCOUNT)

    def check(self, username: str, client: str) -> Verdict:
        for item, keys in ((self.pair, ("pair", username, client)), (self.address, ("address", client))):
            if not self.limiter.test(item, *keys):
                reset = self.limiter.get_window_stats(item, *keys).reset_time
                return Verdict(False, retry_after=max(1, int(reset - time.time())))
        slow = not self.limiter.test(self.account, "account", username)
        return Verdict(True, delay=SLOW_SECONDS if slow else 0.0)

    def failed(self, username: str, client: str) -> None:
        self.limiter.hit(self.pair, "pair", username, client)
        self.limiter.hit(self.address, "address", client)
        self.limiter.hit(self.account, "account", username)

    def succeeded(self, username: str, client: str) -> None:
        self.limiter.clear(self.pair, "pair", username, client)
