"""The sandbox's HTTP-level behaviour: routing, auth, envelopes, batch, limits, persistence, faults.

Each test states the real portal's rule it checks (reference platform §1 and §6 items 1–17).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.errors import SandboxStateError
from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, RateLimit, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxTransport

HOOK = f"https://sandbox.test/rest/1/{SANDBOX_WEBHOOK_CODE}/"


def client(portal: SandboxPortal) -> httpx.Client:
    return httpx.Client(transport=SandboxTransport(portal))


def post(portal: SandboxPortal, url: str, body: Any = None, **kw: Any) -> httpx.Response:
    return client(portal).post(url, json=body, **kw) if body is not None else client(portal).post(url, **kw)


# --- routing and envelopes (items 1-3, 10) ------------------------------------------------------
def test_method_suffix_json_and_case_insensitive_name(portal: SandboxPortal) -> None:
    body = post(portal, HOOK + "Server.Time.json").json()
    assert isinstance(body["result"], str)
    assert set(body["time"]) == {"start", "finish", "duration", "processing", "date_start", "date_finish", "operating_reset_at", "operating"}


def test_xml_transport_and_wrong_transport(portal: SandboxPortal) -> None:
    xml = post(portal, HOOK + "profile.xml")
    assert xml.headers["content-type"].startswith("text/xml") and "<response><result>" in xml.text
    wrong = post(portal, HOOK + "profile.yaml")
    assert wrong.status_code == 500 and wrong.json() == {"error": "INTERNAL_WRONG_TRANSPORT", "error_description": "Wrong transport!"}


def test_unknown_method_is_404_even_without_auth(portal: SandboxPortal) -> None:
    response = post(portal, "https://sandbox.test/rest/no.such.method")
    assert response.status_code == 404
    assert response.json() == {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}


def test_error_envelope_has_no_time(portal: SandboxPortal) -> None:
    body = post(portal, "https://sandbox.test/rest/profile").json()
    assert body == {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}


def test_query_and_body_merge_body_wins_and_bad_json_is_empty(portal: SandboxPortal) -> None:
    token = portal.issue_token()
    # auth in the query, a JSON body that overrides nothing relevant
    ok = client(portal).post(f"https://sandbox.test/rest/scope?auth={token}", json={"full": "false"})
    assert ok.status_code == 200
    # invalid JSON silently becomes empty params: the query's auth still works
    bad = client(portal).post(f"https://sandbox.test/rest/profile?auth={token}", content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 200
    # body wins over the query: a bad token in the body replaces the good one in the query
    over = client(portal).post(f"https://sandbox.test/rest/profile?auth={token}", json={"auth": "garbage0000"})
    assert over.status_code == 401 and over.json()["error"] == "invalid_token"


# --- auth (items 4-9) -----------------------------------------------------------------------------
def test_token_accepted_from_auth_access_token_and_bearer(portal: SandboxPortal) -> None:
    token = portal.issue_token()
    assert post(portal, "https://sandbox.test/rest/profile", {"auth": token}).status_code == 200
    assert post(portal, "https://sandbox.test/rest/profile", {"access_token": token}).status_code == 200
    bearer = client(portal).post("https://sandbox.test/rest/profile", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200


def test_expired_and_unknown_tokens(portal: SandboxPortal, clock: SimulatedClock) -> None:
    token = portal.issue_token()
    clock.advance(3601)
    expired = post(portal, "https://sandbox.test/rest/profile", {"auth": token})
    assert expired.status_code == 401
    assert expired.json() == {"error": "expired_token", "error_description": "The access token provided has expired"}
    unknown = post(portal, "https://sandbox.test/rest/profile", {"auth": "0" * 32})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"


def test_wrong_webhook_code_status_follows_docs_or_source(clock: SimulatedClock) -> None:
    docs = post(SandboxPortal(clock=clock), "https://sandbox.test/rest/1/wrongcode123/profile")
    assert docs.status_code == 403 and docs.json() == {"error": "INVALID_CREDENTIALS", "error_description": "Invalid request credentials"}
    source = post(SandboxPortal(clock=clock, status_style="source"), "https://sandbox.test/rest/1/wrongcode123/profile")
    assert source.status_code == 401


def test_webhook_over_plain_http_refused_when_https_required(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, https_required=True)
    response = post(portal, f"http://127.0.0.1/rest/1/{SANDBOX_WEBHOOK_CODE}/profile")
    assert response.status_code == 400
    assert response.json() == {"error": "INVALID_REQUEST", "error_description": "Https required."}
    assert post(portal, HOOK + "profile").status_code == 200


def test_scope_missing_from_webhook(portal: SandboxPortal) -> None:
    portal.add_webhook(7, "narrowhook000001", ["user"])
    response = post(portal, "https://sandbox.test/rest/7/narrowhook000001/crm.status.list")
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the webhook token",
    }


def test_auth_params_are_stripped_before_the_method(portal: SandboxPortal) -> None:
    seen: dict[str, Any] = {}
    from b24cfg.sandbox import core

    @core.method("test.echo.params", scope="_global", write=False)
    def echo(call: core.Call) -> Any:
        seen.update(call.params)
        return True

    try:
        post(portal, "https://sandbox.test/rest/test.echo.params", {"auth": portal.issue_token(), "x": 1})
    finally:
        del core.REGISTRY["test.echo.params"]
    assert seen == {"x": 1}


# --- OAuth token endpoint (item 11) ---------------------------------------------------------------
def refresh(portal: SandboxPortal, refresh_token: str, secret: str = SANDBOX_CLIENT_SECRET) -> httpx.Response:
    return client(portal).get("https://sandbox.test/oauth/token/", params={
        "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": secret, "refresh_token": refresh_token,
    })


def test_refresh_rotates_the_refresh_token(portal: SandboxPortal) -> None:
    first = refresh(portal, SANDBOX_REFRESH_TOKEN).json()
    assert set(first) == {"access_token", "client_endpoint", "domain", "expires", "expires_in", "member_id",
                          "refresh_token", "scope", "server_endpoint", "status", "user_id"}
    second = refresh(portal, first["refresh_token"])
    assert second.status_code == 200
    reused = refresh(portal, first["refresh_token"])  # spent: every refresh hands out a new one
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert post(portal, "https://sandbox.test/rest/profile", {"auth": second.json()["access_token"]}).status_code == 200


def test_refresh_with_wrong_secret_or_unknown_token(portal: SandboxPortal) -> None:
    assert refresh(portal, SANDBOX_REFRESH_TOKEN, secret="nope").json()["error"] == "invalid_client"
    assert refresh(portal, "expired0000000000000000000000000").json() == {"error": "invalid_grant", "error_description": "Invalid grant"}


# --- rate limits (items 12, 13) -------------------------------------------------------------------
def test_leaky_bucket_refuses_the_51st_request_and_drains(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, rate_limit=RateLimit(2, 50))
    statuses = [post(portal, HOOK + "server.time").status_code for _ in range(51)]
    assert statuses[:50] == [200] * 50
    assert statuses[50] == 503
    assert post(portal, HOOK + "server.time").json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    clock.advance(0.5)  # drains one request's worth at 2/s
    assert post(portal, HOOK + "server.time").status_code == 200


def test_batch_counts_as_one_request(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, rate_limit=RateLimit(2, 50))
    for _ in range(49):
        post(portal, HOOK + "server.time")
    body = post(portal, HOOK + "batch", {"cmd": {str(i): "server.time" for i in range(50)}}).json()
    assert len(body["result"]["result"]) == 50 and body["result"]["result_error"] == []


def test_operating_time_limit_blocks_the_next_call_then_resets(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, operating_limit=10, method_costs={"profile": 6})
    first = post(portal, HOOK + "profile").json()
    assert first["time"]["operating"] == 6
    assert post(portal, HOOK + "profile").status_code == 200  # 6 <= 10: runs, reaching 12
    blocked = post(portal, HOOK + "profile")
    assert blocked.status_code == 429
    assert blocked.json() == {"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit."}
    assert post(portal, HOOK + "scope").status_code == 200  # other methods keep working
    clock.advance(601)
    assert post(portal, HOOK + "profile").status_code == 200


def test_short_calls_are_not_counted(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, operating_limit=0.05, method_costs={"profile": 0.1})
    for _ in range(5):
        assert post(portal, HOOK + "profile").json()["time"]["operating"] == 0


# --- batch (items 14-17) --------------------------------------------------------------------------
def batch(portal: SandboxPortal, cmd: Any, halt: int = 0) -> dict[str, Any]:
    response = post(portal, HOOK + "batch", {"halt": halt, "cmd": cmd})
    assert response.status_code == 200
    return response.json()["result"]


def test_reference_as_whole_value_gives_the_raw_value(portal: SandboxPortal) -> None:
    seen: list[Any] = []
    from b24cfg.sandbox import core

    @core.method("test.capture", scope="_global", write=False)
    def capture(call: core.Call) -> Any:
        seen.append(call.params.get("v"))
        return call.params.get("v")

    try:
        out = batch(portal, {
            "p": "profile",
            "whole": "test.capture?v=$result[p]",
            "inner": "test.capture?v=id-$result[p][ID]",
            "greedy": "test.capture?v=DYNAMIC_$result[p][ID]_STAGE_1",
            "missing": "test.capture?v=$result[p][NOPE][X]",
            "unknown": "test.capture?v=$result[zzz][ID]",
        })
    finally:
        del core.REGISTRY["test.capture"]
    assert seen[0]["NAME"] == "Sandbox"  # an array substituted as an array
    assert seen[1] == "id-1"
    assert seen[2] == "DYNAMIC_1"  # the reference swallowed "_STAGE_1": why b24cfg never builds such values
    assert seen[3]["ID"] == "1"  # walking stops at the first missing key, keeping the last value
    assert seen[4] == "$result[zzz][ID]"
    assert out["result_error"] == []


def test_halt_stops_after_the_first_error_and_later_commands_are_absent(portal: SandboxPortal) -> None:
    out = batch(portal, {"a": "profile", "b": "no.such.method", "c": "profile"}, halt=1)
    assert list(out["result"]) == ["a"]
    assert out["result_error"]["b"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert "c" not in out["result_time"]
    out = batch(portal, {"a": "profile", "b": "no.such.method", "c": "profile"}, halt=0)
    assert set(out["result"]) == {"a", "c"}


def test_more_than_50_commands(portal: SandboxPortal) -> None:
    out = batch(portal, {f"k{i}": "server.time" for i in range(52)})
    assert len(out["result"]) == 50
    assert out["result_error"] == {
        "k50": {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"},
        "k51": {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"},
    }


def test_nested_batch_and_non_string_commands(portal: SandboxPortal) -> None:
    out = batch(portal, {"n": "batch?cmd[x]=profile", "o": {"method": "profile"}, "p": "profile"})
    assert out["result_error"]["n"] == {"error": "ERROR_BATCH_METHOD_NOT_ALLOWED", "error_description": "Method is not allowed for batch usage"}
    assert set(out["result"]) == {"p"}  # the object command was skipped without a trace


def test_list_of_commands_gives_lists_and_empty_maps_are_lists(portal: SandboxPortal) -> None:
    out = batch(portal, ["server.time", "profile"])
    assert isinstance(out["result"], list) and len(out["result"]) == 2
    assert out["result_error"] == [] and out["result_total"] == [] and out["result_next"] == []
    assert isinstance(out["result_time"], list)


def test_batch_rechecks_scope_per_command_with_empty_description(portal: SandboxPortal) -> None:
    portal.add_webhook(7, "narrowhook000001", ["user"])
    body = client(portal).post("https://sandbox.test/rest/7/narrowhook000001/batch", json={"cmd": {"s": "crm.status.list"}}).json()
    assert body["result"]["result_error"] == {"s": {"error": "insufficient_scope", "error_description": ""}}


def test_command_query_is_parsed_like_php(portal: SandboxPortal) -> None:
    seen: list[Any] = []
    from b24cfg.sandbox import core

    @core.method("test.capture", scope="_global", write=False)
    def capture(call: core.Call) -> Any:
        seen.append(call.params)
        return True

    try:
        batch(portal, {"x": "test.capture?fields[NAME]=a%20b&select[]=ID&select[]=NAME&a.b=1"})
    finally:
        del core.REGISTRY["test.capture"]
    assert seen == [{"fields": {"NAME": "a b"}, "select": ["ID", "NAME"], "a_b": "1"}]


# --- persistence --------------------------------------------------------------------------------
def test_state_persists_across_portal_instances(tmp_path: Path, clock: SimulatedClock) -> None:
    path = tmp_path / "sandbox.json"
    first = SandboxPortal(path, clock=clock)
    token = first.issue_token()
    second = SandboxPortal(path, clock=clock)
    assert post(second, "https://sandbox.test/rest/profile", {"auth": token}).status_code == 200


def test_corrupt_state_is_a_clear_error_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text("{ not json")
    with pytest.raises(SandboxStateError, match="cannot be read.*left untouched"):
        SandboxPortal(path)
    assert path.read_text() == "{ not json"
    path.write_text(json.dumps({"something": "else"}))
    with pytest.raises(SandboxStateError, match="not a b24cfg sandbox state"):
        SandboxPortal(path)


# --- fault injection ------------------------------------------------------------------------------
def test_fail_nth_write_fails_before_running(portal: SandboxPortal) -> None:
    portal.faults.fail_nth_write(1)
    token = portal.issue_token()
    before = json.dumps(portal.state.get("app_options", {}), sort_keys=True)
    failed = post(portal, "https://sandbox.test/rest/app.option.set", {"auth": token, "options": {"k": "v"}})
    assert failed.status_code == 500 and failed.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert json.dumps(portal.state.get("app_options", {}), sort_keys=True) == before


def test_lost_response_runs_the_write_but_the_caller_hears_nothing(portal: SandboxPortal) -> None:
    portal.faults.lose_nth_write(1)
    token = portal.issue_token()
    with pytest.raises(httpx.ReadTimeout):
        post(portal, "https://sandbox.test/rest/app.option.set", {"auth": token, "options": {"k": "v"}})
    got = post(portal, "https://sandbox.test/rest/app.option.get", {"auth": token, "option": "k"}).json()
    assert got["result"] == "v"


def test_refuse_next_k_requests(portal: SandboxPortal) -> None:
    portal.faults.refuse_next(2)
    assert [post(portal, HOOK + "profile").status_code for _ in range(3)] == [503, 503, 200]


def test_a_new_state_file_is_written_at_once_so_processes_agree(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sandbox.json"
    first = SandboxPortal(path)
    assert path.exists()
    assert SandboxPortal(path).state["portal"]["member_id"] == first.state["portal"]["member_id"]
