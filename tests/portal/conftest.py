from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.portal import Client, OAuthAuth, WebhookAuth
from b24cfg.portal.limits import Pacing
from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxServer, SandboxTransport


@dataclass
class Rig:
    """A sandbox portal and the way to reach it (in-process transport or a real HTTP socket)."""

    portal: SandboxPortal
    clock: SimulatedClock
    base_url: str
    in_process: bool

    def webhook(self, pacing: Pacing | None = None) -> Client:
        auth = WebhookAuth(f"{self.base_url}/rest/1/{SANDBOX_WEBHOOK_CODE}/")
        return self._client(auth, pacing)

    def oauth(self, refresh_token: str = SANDBOX_REFRESH_TOKEN, pacing: Pacing | None = None, **kw: object) -> Client:
        auth = OAuthAuth(self.base_url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, refresh_token,
                         token_url=f"{self.base_url}/oauth/token/", **kw)  # type: ignore[arg-type]
        return self._client(auth, pacing)

    def _client(self, auth: WebhookAuth | OAuthAuth, pacing: Pacing | None) -> Client:
        transport = SandboxTransport(self.portal) if self.in_process else None
        return Client(auth, transport=transport, clock=self.clock, pacing=pacing)


@pytest.fixture(params=["in-process", "http"])
def rig(request: pytest.FixtureRequest, portal: SandboxPortal, clock: SimulatedClock) -> Iterator[Rig]:
    if request.param == "in-process":
        yield Rig(portal, clock, "https://sandbox.test", True)
        return
    with SandboxServer(portal) as server:
        yield Rig(portal, clock, server.base_url, False)
