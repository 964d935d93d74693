"""The REST client against the sandbox, in-process and over a real HTTP socket."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import httpx
import pytest

from b24cfg.errors import ConfigError
from b24cfg.portal import Batch, Client, WebhookAuth
from b24cfg.portal.auth import TokenSet
from b24cfg.portal.errors import (
    AppContextRequired, AuthError, IncompleteListing, InvalidInput, LimitExceeded, MethodNotFound, NotFound,
    OutcomeUnknown,
)
from b24cfg.portal.limits import STANDARD
from b24cfg.sandbox.portal import SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, RateLimit
from b24cfg.sandbox.transport import SandboxTransport
from tests.portal.conftest import Rig


def make_types(client: Client, n: int) -> None:
    commands = [("crm.type.add", {"fields": {"title": f"Type {i}", "code": f"t{i}"}}) for i in range(n)]
    for result in client.batches(commands):
        assert result.ok, result.errors


# --- calls and errors -----------------------------------------------------------------------------
def test_call_returns_the_result(rig: Rig) -> None:
    assert rig.webhook().call("profile")["ADMIN"] is True


def test_errors_map_to_their_family(rig: Rig) -> None:
    client = rig.webhook()
    with pytest.raises(MethodNotFound):
        client.call("crm.nothing.here")
    with pytest.raises(NotFound) as not_found:
        client.call("crm.category.get", {"entityTypeId": 2, "id": 777})
    assert not_found.value.code == "NOT_FOUND" and not_found.value.method == "crm.category.get"
    with pytest.raises(InvalidInput) as invalid:
        client.call("crm.status.add", {"fields": {"NAME": "x"}})
    assert "ENTITY_ID is required" in str(invalid.value)


def test_webhook_cannot_call_app_only_methods_but_the_app_can(rig: Rig) -> None:
    webhook = rig.webhook()
    with pytest.raises(AppContextRequired, match="Application context required"):
        webhook.call("bizproc.robot.list")
    with pytest.raises(AppContextRequired, match="authorization type is denied"):
        webhook.call("event.get")
    app = rig.oauth()
    assert app.call("bizproc.robot.list") == []
    assert app.call("event.get") == []


# --- OAuth --------------------------------------------------------------------------------------
def test_token_is_refreshed_once_on_expiry_and_the_new_refresh_token_handed_back(rig: Rig) -> None:
    handed: list[TokenSet] = []
    app = rig.oauth(on_refresh=handed.append)
    app.call("profile")  # no access token yet: one refresh first
    rig.clock.advance(3601)  # the access token expires
    assert app.call("profile")["ID"] == "1"
    assert app.stats.token_requests == 2
    assert len(handed) == 2 and handed[0].refresh_token != handed[1].refresh_token
    assert app.auth.refresh_token == handed[1].refresh_token  # type: ignore[union-attr]


def test_refused_refresh_token_is_a_clear_auth_error_without_secrets(rig: Rig) -> None:
    app = rig.oauth(refresh_token="revoked0000000000000000000000000")
    with pytest.raises(AuthError) as err:
        app.call("profile")
    text = str(err.value)
    assert "invalid_grant" in text and "refresh token was refused" in text
    assert "revoked0000000000000000000000000" not in text and SANDBOX_CLIENT_SECRET not in text


# --- listing --------------------------------------------------------------------------------------
def test_listing_past_50_fetches_remaining_pages_in_one_batch(rig: Rig) -> None:
    client = rig.webhook()
    make_types(client, 120)
    before = client.stats.requests
    rows = client.list_all("crm.type.list", items=lambda r: r["types"])
    assert len(rows) == 120 and len({r["id"] for r in rows}) == 120
    assert client.stats.requests - before == 2  # page 1, then pages 2-3 in one batch


def test_unpaginated_lists_are_read_in_one_call(rig: Rig) -> None:
    client = rig.webhook()
    rows = client.list_all("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})
    assert [r["STATUS_ID"] for r in rows][:2] == ["NEW", "PREPARATION"]
    assert client.stats.requests == 1


class Tamper(httpx.BaseTransport):
    """Rewrites batch answers on their way back, to simulate a portal returning bad pages."""

    def __init__(self, inner: httpx.BaseTransport, edit: Any) -> None:
        self.inner, self.edit = inner, edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/batch"):
            return response
        body = json.loads(response.read())
        self.edit(body["result"])
        return httpx.Response(200, json=body, request=request)


@pytest.mark.parametrize("damage", ["short page", "failed page"])
def test_a_listing_short_of_total_or_with_a_failed_page_is_an_error(portal: Any, clock: Any, damage: str) -> None:
    hook = f"https://sandbox.test/rest/1/{SANDBOX_WEBHOOK_CODE}/"
    make_types(Client(WebhookAuth(hook), transport=SandboxTransport(portal), clock=clock), 80)

    def edit(inner: dict[str, Any]) -> None:
        key = next(iter(inner["result"]))
        if damage == "short page":
            inner["result"][key]["types"] = inner["result"][key]["types"][:-1]
        else:
            del inner["result"][key]
            inner["result_error"] = {key: {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal server error"}}

    client = Client(WebhookAuth(hook), transport=Tamper(SandboxTransport(portal), edit), clock=clock, pacing=None)
    with pytest.raises(IncompleteListing):
        client.list_all("crm.type.list", items=lambda r: r["types"])


# --- batch ----------------------------------------------------------------------------------------
def test_batch_with_references_creates_a_type_and_its_pipeline_in_one_request(rig: Rig) -> None:
    client = rig.webhook()
    batch = Batch()
    created = batch.add("crm.type.add", {"fields": {"title": "Contracts", "code": "contracts"}})
    pipeline = batch.add("crm.category.add", {
        "entityTypeId": created["type"]["entityTypeId"], "fields": {"name": "Approvals", "sort": 100},
    })
    result = client.batch(batch)
    assert client.stats.requests == 1 and result.ok
    etid = result[created]["type"]["entityTypeId"]
    assert result[pipeline]["category"]["entityTypeId"] == etid


def test_batch_keeps_per_command_errors_and_what_did_not_run(rig: Rig) -> None:
    batch = Batch(halt=True)
    batch.add("profile", key="me")
    batch.add("crm.status.add", {"fields": {"NAME": "x"}}, key="bad")
    batch.add("profile", key="after")
    result = rig.webhook().batch(batch)
    assert result["me"]["ID"] == "1"
    assert isinstance(result.errors["bad"], InvalidInput) and result.errors["bad"].method == "crm.status.add"
    assert result.not_run == ["after"]
    with pytest.raises(InvalidInput):
        result["bad"]


def test_batch_builder_refuses_what_the_server_would_mangle() -> None:
    batch = Batch()
    ref = batch.add("crm.type.add", {"fields": {"title": "x"}})
    with pytest.raises(ValueError, match="greedy"):
        batch.add("crm.status.add", {"fields": {"ENTITY_ID": f"DYNAMIC_{ref['type']['entityTypeId']}_STAGE_1"}})
    with pytest.raises(ValueError, match="empty array"):
        batch.add("crm.type.update", {"id": 1, "fields": {"relations": {"parent": []}}})
    batch.add("crm.status.add", {"fields": {"STATUS_ID": f"DT_{ref['type']['id']}"}})  # at the end: fine
    for i in range(48):
        batch.add("profile")
    with pytest.raises(ValueError, match="at most 50"):
        batch.add("profile")


# --- limits ---------------------------------------------------------------------------------------
def test_query_limit_refusals_are_retried_with_back_off(rig: Rig) -> None:
    client = rig.webhook()
    rig.portal.faults.refuse_next(3)
    assert client.call("profile")["ID"] == "1"
    assert client.stats.retries == 3 and client.stats.requests == 4
    rig.portal.faults.refuse_next(100)
    with pytest.raises(LimitExceeded, match="gave up"):
        client.call("profile")


def test_pacing_keeps_under_the_portal_limit(rig: Rig) -> None:
    rig.portal.rate_limit = RateLimit(2, 50)
    client = rig.webhook(pacing=STANDARD)
    start = rig.clock.time()
    for _ in range(150):
        client.call("server.time")
    assert client.stats.retries == 0  # never refused
    assert rig.clock.time() - start == pytest.approx(50.0)  # 100 requests beyond the burst at 2/s


def test_operation_time_limit_waits_for_the_reset(rig: Rig) -> None:
    rig.portal.operating_limit = 420
    rig.portal.method_costs["profile"] = 300
    client = rig.webhook()
    client.call("profile")
    client.call("profile")
    start = rig.clock.time()
    client.call("profile")  # blocked (600 > 420) until the first minute bucket expires
    assert rig.clock.time() - start >= 590
    assert client.stats.retries == 1


# --- lost answers ---------------------------------------------------------------------------------
def test_a_write_whose_answer_is_lost_is_reported_and_never_resent(rig: Rig) -> None:
    app = rig.oauth()
    app.call("profile")
    rig.portal.faults.lose_nth_write(1)
    with pytest.raises(OutcomeUnknown, match="may or may not have been applied"):
        app.call("app.option.set", {"options": {"managed": "yes"}})
    assert rig.portal.method_calls.count("app.option.set") == 1
    assert app.call("app.option.get", {"option": "managed"}) == "yes"  # it did happen


def test_a_5xx_after_a_write_is_outcome_unknown(rig: Rig) -> None:
    client = rig.webhook()
    rig.portal.faults.fail_nth_write(1)
    with pytest.raises(OutcomeUnknown):
        client.call("crm.type.add", {"fields": {"title": "x"}})
    assert rig.portal.method_calls.count("crm.type.add") == 0


class FlakyOnce(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.failed = inner, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ReadTimeout("timed out", request=request)
        return self.inner.handle_request(request)


def test_a_read_whose_answer_is_lost_is_asked_again(portal: Any, clock: Any) -> None:
    client = Client(WebhookAuth(f"https://sandbox.test/rest/1/{SANDBOX_WEBHOOK_CODE}/"),
                    transport=FlakyOnce(SandboxTransport(portal)), clock=clock)
    assert client.call("crm.type.list")["types"] == []
    assert client.stats.retries == 1


# --- secrets --------------------------------------------------------------------------------------
def test_secrets_never_appear_in_errors_reprs_logs_or_tracebacks(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = rig.webhook()
    client.call("profile")
    app = rig.oauth()
    app.call("profile")
    token = app.auth.access_token  # type: ignore[union-attr]
    rig.portal.faults.lose_nth_write(1)
    try:
        client.call("crm.type.add", {"fields": {"title": "x"}, "auth": token})
    except OutcomeUnknown as exc:
        texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), json.dumps(exc.request)]
    texts += [repr(client.auth), repr(app.auth), caplog.text]
    for secret in (SANDBOX_WEBHOOK_CODE, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, token):
        for text in texts:
            assert secret not in text
    assert "/rest/1/***/" in caplog.text


def test_plain_http_is_refused_except_to_loopback() -> None:
    with pytest.raises(ConfigError, match="unencrypted") as err:
        WebhookAuth("http://portal.example.com/rest/1/abcdefgh12345678/")
    assert "abcdefgh12345678" not in str(err.value)
    for url in ("http://127.0.0.1:8080", "http://127.5.0.1", "http://[::1]:1", "http://localhost"):
        WebhookAuth(f"{url}/rest/1/abcdefgh12345678/")
    WebhookAuth("https://portal.example.com/rest/1/abcdefgh12345678/")
