"""Login throttling with the `limits` library (moving windows; in Redis when there is one, so
every web process counts together; in memory in the embedded default).

Three counters, chosen so that a guesser is slowed and the real user is never locked out:
- per account and client address: past PAIR attempts (counted before the password is checked;
  a successful sign-in clears it), that address may not try that account until the window
  moves (the real user, elsewhere, is not affected);
- per client address: past ADDRESS failures, that address may not try any account (failures
  only: many colleagues signing in from one office address are not held up);
- per account from everywhere: past ACCOUNT failures, every answer for that account is slowed
  by SLOW_SECONDS, but never refused, so a distributed guesser cannot lock the owner out.
The same counters guard the current password asked when a password is changed."""

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
        """Counts this attempt before the password is looked at (a burst of parallel tries cannot
        all pass a check made before any of them failed); a sign-in that succeeds takes its
        attempt back from the account-and-address count."""
        pair, address = ("pair", username, client), ("address", client)
        if not self.limiter.hit(self.pair, *pair):
            return self._refused(self.pair, pair)
        if not self.limiter.test(self.address, *address):
            return self._refused(self.address, address)
        slow = not self.limiter.test(self.account, "account", username)
        return Verdict(True, delay=SLOW_SECONDS if slow else 0.0)

    def _refused(self, item: RateLimitItem, keys: tuple[str, ...]) -> Verdict:
        reset = self.limiter.get_window_stats(item, *keys).reset_time
        return Verdict(False, retry_after=max(1, int(reset - time.time())))

    def failed(self, username: str, client: str) -> None:
        self.limiter.hit(self.address, "address", client)
        self.limiter.hit(self.account, "account", username)

    def succeeded(self, username: str, client: str) -> None:
        self.limiter.clear(self.pair, "pair", username, client)
