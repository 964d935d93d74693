"""Time as a dependency: the real clock, or a simulated one for tests and benchmarks.

The client's pacing and the sandbox's rate limiter read the same clock, so a benchmark can run
thousands of requests "under 2 req/s" in milliseconds and still report honest simulated seconds.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that only moves when somebody sleeps (or a test advances it)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start
        self.slept = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.now += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
