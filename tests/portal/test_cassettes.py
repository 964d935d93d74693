"""Recording real HTTP exchanges with vcrpy: secrets are filtered before anything is written.

A cassette recorded from the sandbox over a socket must replay the same answers and must not
contain the webhook code, an access token, a refresh token or the client secret anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vcr

from b24cfg.clock import SimulatedClock
from b24cfg.portal import Client, OAuthAuth, WebhookAuth
from b24cfg.portal.errors import mask, mask_data
from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxServer


def _scrub_request(request: Any) -> Any:
    request.uri = mask(request.uri)
    if request.body:
        try:
            request.body = json.dumps(mask_data(json.loads(request.body))).encode()
        except ValueError:
            request.body = mask(request.body.decode("utf-8", "replace")).encode()
    for header in ("Authorization",):
        if header in request.headers:
            request.headers[header] = "***"
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response["body"]["string"]
    try:
        response["body"]["string"] = json.dumps(mask_data(json.loads(body))).encode()
    except ValueError:
        response["body"]["string"] = mask(body.decode("utf-8", "replace")).encode()
    return response


def recorder(path: Path, mode: str) -> vcr.VCR:
    v = vcr.VCR(
        cassette_library_dir=str(path), record_mode=mode, decode_compressed_response=True,
        before_record_request=_scrub_request, before_record_response=_scrub_response,
        match_on=["method", "masked_uri"],
    )
    v.register_matcher("masked_uri", lambda a, b: mask(a.uri) == mask(b.uri))
    return v


def exercise(base_url: str, clock: SimulatedClock) -> list[Any]:
    hook = Client(WebhookAuth(f"{base_url}/rest/1/{SANDBOX_WEBHOOK_CODE}/"), clock=clock, pacing=None)
    app = Client(OAuthAuth(base_url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN,
                           token_url=f"{base_url}/oauth/token/"), clock=clock, pacing=None)
    return [hook.call("profile")["ID"], app.call("profile")["ID"], hook.call("scope")]


def test_recorded_cassettes_hold_no_secret_and_replay(tmp_path: Path, clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock)
    with SandboxServer(portal) as server:
        base = server.base_url
        with recorder(tmp_path, "once").use_cassette("sandbox.yaml"):
            recorded = exercise(base, clock)
    cassette = (tmp_path / "sandbox.yaml").read_text()
    assert "/rest/1/***/profile" in cassette
    leaked = [s for s in (SANDBOX_WEBHOOK_CODE, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN) if s in cassette]
    tokens = [t for t in portal.state["auth"]["tokens"] if t in cassette]
    refresh = [t for t in portal.state["auth"]["refresh_tokens"] if t in cassette]
    assert not leaked and not tokens and not refresh
    # The server is gone: the answers now come from the cassette alone.
    with recorder(tmp_path, "none").use_cassette("sandbox.yaml"):
        assert exercise(base, clock) == recorded
