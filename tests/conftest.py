from __future__ import annotations

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.sandbox.portal import SandboxPortal


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def portal(clock: SimulatedClock) -> SandboxPortal:
    """A fresh in-memory sandbox portal on a simulated clock."""
    return SandboxPortal(clock=clock)


@pytest.fixture
def app_token(portal: SandboxPortal) -> str:
    """An OAuth access token of the sandbox's built-in local application (admin user 1)."""
    return portal.issue_token()
