"""Client-side pacing and the retry policy.

Bitrix24 cloud meters requests with a leaky bucket per portal (reference platform 1.9):
capacity 50 draining 2/s (Enterprise 250 and 5/s). The client keeps its own bucket so it rarely
meets ``QUERY_LIMIT_EXCEEDED``; when it does (another process shares the portal's bucket), the
request was refused before running and is retried after a back-off.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24cfg.clock import Clock


@dataclass(frozen=True)
class Pacing:
    rate: float = 2.0
    burst: int = 50


STANDARD = Pacing(2.0, 50)
ENTERPRISE = Pacing(5.0, 250)


@dataclass(frozen=True)
class RetryPolicy:
    limit_retries: int = 8  # QUERY_LIMIT_EXCEEDED: refused before running, safe to repeat
    operating_retries: int = 2  # OPERATION_TIME_LIMIT: wait for operating_reset_at, then retry
    read_retries: int = 3  # network failures of calls that change nothing
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_operating_wait: float = 600.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff * (2**attempt), self.max_backoff))


class Pacer:
    """A leaky bucket on the client side: wait before a request would overflow it."""

    def __init__(self, pacing: Pacing, clock: Clock) -> None:
        self.pacing = pacing
        self.clock = clock
        self.level = 0.0
        self._at = clock.time()
        self.waited = 0.0

    def _drain(self) -> None:
        now = self.clock.time()
        self.level = max(0.0, self.level - (now - self._at) * self.pacing.rate)
        self._at = now

    def acquire(self) -> None:
        self._drain()
        if self.level + 1 > self.pacing.burst:
            wait = (self.level + 1 - self.pacing.burst) / self.pacing.rate
            self.clock.sleep(wait)
            self.waited += wait
            self._drain()
        self.level += 1

    def saturate(self) -> None:
        """The server said the bucket is full: pace from a full bucket from now on."""
        self._drain()
        self.level = float(self.pacing.burst)
