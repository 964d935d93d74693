"""The sandbox portal: a Bitrix24 that lives in a JSON file and speaks the REST dialect.

``SandboxPortal.handle`` takes one HTTP request (method, URL, headers, body) and returns the
status, headers and body a real portal would, following the server's processing order
(reference/bitrix24-rest-platform.md 1.3): transport check, method lookup (404 before auth),
request-rate limit, authentication and scope, operating-time limit, the method, the envelope.
The same object serves the in-process httpx transport and ``b24cfg sandbox serve``.

Choices where the reference leaves a point open are marked ``CHOICE:`` and listed in the README.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from b24cfg.clock import Clock, SystemClock
from b24cfg.errors import SandboxStateError
from b24cfg.portal.phpquery import parse as parse_query
from b24cfg.sandbox import batch as _batch
from b24cfg.sandbox import methods as _methods  # noqa: F401  (registers every method)
from b24cfg.sandbox.core import HOOKS, REGISTRY, SEEDERS, Call, Caller, Listed, RestError, State

STATE_VERSION = 1

# The sandbox's built-in credentials. They are not secrets of any real portal, but b24cfg masks
# them like any other webhook code or token, so tests prove masking on them.
SANDBOX_DOMAIN = "sandbox.b24cfg.local"
SANDBOX_WEBHOOK_USER = 1
SANDBOX_WEBHOOK_CODE = "sbxhook7k2m9q4w1"
SANDBOX_CLIENT_ID = "local.b24cfgsandbox0001.00000001"
SANDBOX_CLIENT_SECRET = "sbxsecretQ8vN2kL5pR7tY1wE4uI6oA3sD9fG0hJ"
SANDBOX_REFRESH_TOKEN = "sbxrefresh3n8b5v2c7x4z9l1k6j0h5g"
ALL_SCOPES = ("crm", "userfieldconfig", "bizproc", "placement", "user", "app")
TOKEN_TTL = 3600
REFRESH_TTL = 180 * 24 * 3600

# HTTP statuses of auth-provider errors: docs and server source disagree (reference 9.1).
STATUS_STYLES = {
    "docs": {"INVALID_CREDENTIALS": 403, "insufficient_scope": 403, "INVALID_REQUEST": 400},
    "source": {"INVALID_CREDENTIALS": 401, "insufficient_scope": 401, "INVALID_REQUEST": 401},
}


@dataclass
class RateLimit:
    """The cloud leaky bucket: ``burst`` requests of capacity draining at ``rate`` per second."""

    rate: float = 2.0
    burst: float = 50.0


@dataclass
class Faults:
    """Test hooks that make the portal misbehave on purpose (all counters are of write calls)."""

    writes_seen: int = 0
    fail_at: set[int] = field(default_factory=set)
    lose_at: set[int] = field(default_factory=set)
    refuse_requests: int = 0

    def fail_nth_write(self, n: int = 1) -> None:
        """The n-th write from now fails before running (500 INTERNAL_SERVER_ERROR)."""
        self.fail_at.add(self.writes_seen + n)

    def lose_nth_write(self, n: int = 1) -> None:
        """The n-th write from now runs, but the HTTP response carrying it is lost."""
        self.lose_at.add(self.writes_seen + n)

    def refuse_next(self, k: int) -> None:
        """Answer 503 QUERY_LIMIT_EXCEEDED to the next ``k`` requests."""
        self.refuse_requests += k


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    lost: bool = False  # the request ran but its response must never reach the caller


class SandboxPortal:
    """An emulated Bitrix24 portal.

    ``path=None`` keeps the state in memory only. With a path, the state is loaded from the JSON
    file (a missing file starts a fresh portal) and written back after every change.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        clock: Clock | None = None,
        rate_limit: RateLimit | None = None,
        https_required: bool = False,
        status_style: str = "docs",
        operating_limit: float = 420.0,
        method_costs: dict[str, float] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.clock: Clock = clock or SystemClock()
        self.rate_limit = rate_limit
        self.https_required = https_required
        self.status_style = status_style
        self.operating_limit = operating_limit
        self.method_costs = dict(method_costs or {})
        # Switches for behaviour the reference lists as unclear; method modules read them with
        # ``call.portal.options.get(name, default)`` and document their names and defaults.
        self.options: dict[str, Any] = dict(options or {})
        self.faults = Faults()
        self.requests = 0
        self.method_calls: list[str] = []
        self._bucket_level: dict[str, float] = {}
        self._bucket_at: dict[str, float] = {}
        self._operating_log: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        self._lock = threading.RLock()
        self._lost = False
        self.state: State = self._load()

    # --- state --------------------------------------------------------------------------------
    def fresh_state(self) -> State:
        state: State = {"version": STATE_VERSION, "seq": {}, "items": []}
        now = int(self.clock.time())
        state["portal"] = {"domain": SANDBOX_DOMAIN, "member_id": secrets.token_hex(16), "tz": "+00:00"}
        state["auth"] = {
            "users": {"1": {"admin": True, "name": "Sandbox", "last_name": "Admin"}},
            "webhooks": [
                {"id": 1, "user_id": SANDBOX_WEBHOOK_USER, "code": SANDBOX_WEBHOOK_CODE, "scopes": list(ALL_SCOPES)}
            ],
            "apps": {
                SANDBOX_CLIENT_ID: {
                    "id": 1, "code": SANDBOX_CLIENT_ID, "secret": SANDBOX_CLIENT_SECRET, "version": 1,
                    "scopes": list(ALL_SCOPES), "installed": True, "name": "b24cfg sandbox app",
                }
            },
            "tokens": {},
            "refresh_tokens": {
                # CHOICE: the built-in refresh token never expires or rotates away, so the
                # embedded default works from any process; tokens it yields rotate normally.
                SANDBOX_REFRESH_TOKEN: {"client_id": SANDBOX_CLIENT_ID, "user_id": 1, "expires": now + REFRESH_TTL, "permanent": True}
            },
        }
        for seed in SEEDERS:
            seed(state)
        return state

    def _load(self) -> State:
        if self.path is None:
            return self.fresh_state()
        if not self.path.exists():
            # Written at once, so every process sees the same portal (its member_id included).
            self.state = self.fresh_state()
            self.save()
            return self.state
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SandboxStateError(
                f"The sandbox state file {self.path} cannot be read ({exc.__class__.__name__}: {exc}). "
                "It was left untouched; move it away or run `b24cfg sandbox reset` to start a fresh portal."
            ) from None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION or "auth" not in state:
            raise SandboxStateError(
                f"The sandbox state file {self.path} is not a b24cfg sandbox state (version {STATE_VERSION}). "
                "It was left untouched; move it away or run `b24cfg sandbox reset` to start a fresh portal."
            )
        return state

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def reset(self) -> None:
        with self._lock:
            self.state = self.fresh_state()
            self.save()

    def snapshot(self) -> State:
        return copy.deepcopy(self.state)

    # --- test hooks -----------------------------------------------------------------------------
    def add_items(
        self, entity_type_id: int, *, category_id: int | None = None, stage_id: str | None = None,
        count: int = 1, recycle_bin: bool = False,
    ) -> None:
        """Put CRM items on a type / pipeline / stage, so deletes that would lose data are refused."""
        self.state["items"].append(
            {"entityTypeId": entity_type_id, "categoryId": category_id, "stageId": stage_id,
             "count": count, "recycleBin": recycle_bin}
        )
        self.save()

    def set_next_id(self, sequence: str, value: int) -> None:
        self.state.setdefault("seq", {})[sequence] = value

    def app_update(self, client_id: str = SANDBOX_CLIENT_ID) -> None:
        """Simulate an application version update (wipes its robots and activities)."""
        self.state["auth"]["apps"][client_id]["version"] += 1
        for fn in HOOKS.get("app_update", []):
            fn(self.state, client_id)
        self.save()

    def app_uninstall(self, client_id: str = SANDBOX_CLIENT_ID) -> None:
        """Simulate uninstalling the application: its registrations and its tokens are gone."""
        for fn in HOOKS.get("app_uninstall", []):
            fn(self.state, client_id)
        auth = self.state["auth"]
        auth["apps"][client_id]["installed"] = False
        for store in ("tokens", "refresh_tokens"):
            auth[store] = {k: v for k, v in auth[store].items() if v["client_id"] != client_id}
        self.save()

    def issue_token(self, client_id: str = SANDBOX_CLIENT_ID, user_id: int = 1, ttl: int = TOKEN_TTL) -> str:
        """Mint an access token directly (as an installed app would receive it)."""
        token = secrets.token_hex(16)
        app = self.state["auth"]["apps"][client_id]
        self.state["auth"]["tokens"][token] = {
            "client_id": client_id, "user_id": user_id, "expires": int(self.clock.time()) + ttl,
            "scopes": list(app["scopes"]),
        }
        self.save()
        return token

    def add_webhook(self, user_id: int, code: str, scopes: list[str]) -> None:
        hooks = self.state["auth"]["webhooks"]
        hooks.append({"id": max(h["id"] for h in hooks) + 1, "user_id": user_id, "code": code, "scopes": scopes})
        self.state["auth"]["users"].setdefault(str(user_id), {"admin": False, "name": f"User {user_id}", "last_name": ""})
        self.save()

    # --- HTTP entry point -----------------------------------------------------------------------
    def handle(self, http_method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        with self._lock:
            self.requests += 1
            parts = urlsplit(url)
            path = parts.path
            if path.rstrip("/").endswith("/oauth/token"):
                return self._token_endpoint(parts.query, body)
            match = re.fullmatch(r"/rest/(?:(\d+)/([^/]+)/)?([^/]+)/?", path)
            if not match:
                return self._json(404, {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"})
            hook_user, hook_code, raw_method = match.groups()
            transport = "json"
            writes_before = self.faults.writes_seen
            self._lost = False
            try:
                name, transport = self._method_and_transport(raw_method)
                params = self._params(parts.query, headers, body)
                self._check_rate()
                caller = self._authenticate(parts.scheme, hook_user, hook_code, params, headers, REGISTRY[name].scope)
                envelope, status = self._invoke(name, params, caller), 200
            except RestError as err:
                envelope, status = err.body(), err.status
            if self.faults.writes_seen != writes_before:
                self.save()
            response = self._xml(status, envelope) if transport == "xml" else self._json(status, envelope)
            response.lost, self._lost = self._lost, False
            return response

    def _method_and_transport(self, raw: str) -> tuple[str, str]:
        name = raw.lower()
        head, _, suffix = name.rpartition(".")
        if suffix in ("json", "xml") and head in REGISTRY:
            return head, suffix
        if name in REGISTRY:
            return name, "json"
        if head in REGISTRY:
            raise RestError("INTERNAL_WRONG_TRANSPORT", "Wrong transport!", 500)
        raise RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)

    def _params(self, query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        params = parse_query(query)
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if body:
            if "application/json" in ctype:
                try:
                    decoded = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    decoded = {}  # invalid JSON silently becomes []
                posted = decoded if isinstance(decoded, dict) else {}
            else:
                posted = parse_query(body.decode("utf-8", errors="replace"))
            params.update(posted)  # array_replace: body wins
        return params

    # --- limits ---------------------------------------------------------------------------------
    def _check_rate(self) -> None:
        if self.faults.refuse_requests > 0:
            self.faults.refuse_requests -= 1
            raise RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        if self.rate_limit is None:
            return
        # CHOICE: one bucket per portal (the sandbox sees a single source address); a refused
        # request does not fill the bucket further, so a client that waits always gets through.
        key = "portal"
        now = self.clock.time()
        level = self._bucket_level.get(key, 0.0)
        level = max(0.0, level - (now - self._bucket_at.get(key, now)) * self.rate_limit.rate)
        self._bucket_at[key] = now
        if level + 1 > self.rate_limit.burst:
            self._bucket_level[key] = level
            raise RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        self._bucket_level[key] = level + 1

    def _operating_key(self, caller: Caller, name: str) -> tuple[str, str, str]:
        who = caller.client_id if caller.auth_type == "oauth" else str(caller.password_id)
        return (caller.auth_type, who or "", name)

    def _operating_sum(self, key: tuple[str, str, str], now: float) -> tuple[float, float]:
        entries = [e for e in self._operating_log.get(key, []) if e[0] + 600 > now]
        self._operating_log[key] = entries
        reset_at = (entries[0][0] + 600) if entries else now + 600
        return sum(d for _, d in entries), reset_at

    # --- auth -----------------------------------------------------------------------------------
    def _auth_status(self, code: str, default: int) -> int:
        return STATUS_STYLES.get(self.status_style, {}).get(code, default)

    def _authenticate(
        self, scheme: str, hook_user: str | None, hook_code: str | None, params: dict[str, Any],
        headers: dict[str, str], scope: str,
    ) -> Caller:
        auth = self.state["auth"]
        header = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        connector = params.pop("auth_connector", None)
        connector = connector if isinstance(connector, str) else ""
        for name in ("auth", "access_token"):
            value = params.pop(name, None)
            if token is None and isinstance(value, str) and value:
                token = value
        if hook_user is not None:
            if self.https_required and scheme != "https":
                raise RestError("INVALID_REQUEST", "Https required.", self._auth_status("INVALID_REQUEST", 400))
            hook = next((h for h in auth["webhooks"] if str(h["user_id"]) == hook_user and h["code"] == hook_code), None)
            if hook is None:
                raise RestError("INVALID_CREDENTIALS", "Invalid request credentials", self._auth_status("INVALID_CREDENTIALS", 403))
            caller = Caller("apauth", int(hook_user), frozenset(hook["scopes"]), password_id=hook["id"], connector=connector)
            self._check_scope(caller, scope, "webhook token")
            return caller
        if not token:
            raise RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
        record = auth["tokens"].get(token)
        if record is None:
            # CHOICE: an unknown token answers like the oauth server does for garbage tokens.
            raise RestError("invalid_token", "The access token provided is invalid.", 401)
        if record["expires"] <= self.clock.time():
            raise RestError("expired_token", "The access token provided has expired", 401)
        caller = Caller(
            "oauth", int(record["user_id"]), frozenset(record["scopes"]), client_id=record["client_id"], token=token,
            connector=connector,
        )
        self._check_scope(caller, scope, "access token")
        return caller

    def _check_scope(self, caller: Caller, scope: str, kind: str, *, in_batch: bool = False) -> None:
        if scope == "_global" or scope in caller.scopes:
            return
        text = "" if in_batch else f"The request requires higher privileges than provided by the {kind}"
        raise RestError("insufficient_scope", text, self._auth_status("insufficient_scope", 403))

    def _token_endpoint(self, query: str, body: bytes) -> Response:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if body:
            params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace")).items()})
        auth = self.state["auth"]
        app = auth["apps"].get(params.get("client_id", ""))
        if params.get("grant_type") != "refresh_token":
            return self._json(400, {"error": "invalid_request", "error_description": "Unsupported grant_type"})
        if app is None or params.get("client_secret") != app["secret"]:
            return self._json(401, {"error": "invalid_client", "error_description": "Invalid client"})
        now = int(self.clock.time())
        record = auth["refresh_tokens"].get(params.get("refresh_token", ""))
        if record is None or record["client_id"] != params["client_id"] or record["expires"] <= now:
            return self._json(400, {"error": "invalid_grant", "error_description": "Invalid grant"})
        if not record.get("permanent"):
            del auth["refresh_tokens"][params["refresh_token"]]
        access = self.issue_token(params["client_id"], record["user_id"])
        refresh = secrets.token_hex(16)
        auth["refresh_tokens"][refresh] = {"client_id": params["client_id"], "user_id": record["user_id"], "expires": now + REFRESH_TTL}
        self.save()
        domain = self.state["portal"]["domain"]
        return self._json(200, {
            "access_token": access, "client_endpoint": f"https://{domain}/rest/", "domain": "oauth.bitrix.info",
            "expires": now + TOKEN_TTL, "expires_in": TOKEN_TTL, "member_id": self.state["portal"]["member_id"],
            "refresh_token": refresh, "scope": ",".join(app["scopes"]), "server_endpoint": "https://oauth.bitrix.info/rest/",
            "status": "L", "user_id": record["user_id"],
        })

    # --- invocation -----------------------------------------------------------------------------
    def _invoke(self, name: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Run one method and build its envelope (``result``, ``total``, ``next``, ``time``)."""
        spec = REGISTRY[name]
        start = self.clock.time()
        key = self._operating_key(caller, name)
        exempt = name == "batch"
        operating, reset_at = self._operating_sum(key, start) if not exempt else (0.0, start + 600)
        if operating > self.operating_limit:
            raise RestError("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429)
        if spec.write:
            self.faults.writes_seen += 1
            if self.faults.writes_seen in self.faults.fail_at:
                raise RestError("INTERNAL_SERVER_ERROR", "Internal server error", 500)
            if self.faults.writes_seen in self.faults.lose_at:
                self._lost = True
        self.method_calls.append(name)
        call = Call(self, name, params, caller)
        outcome = spec.fn(call)
        cost = self.method_costs.get(name, 0.0)
        if not exempt and cost > 0.1:  # $minimalFixTime: short calls are not recorded
            self._operating_log.setdefault(key, []).append((start, cost))
            operating += cost
        listed = outcome if isinstance(outcome, Listed) else Listed(outcome)
        envelope: dict[str, Any] = {"result": listed.result}
        if listed.next is not None:
            envelope["next"] = listed.next
        if listed.total is not None:
            envelope["total"] = listed.total
        envelope["time"] = self._time(start, start + cost, operating, reset_at, with_operating=not exempt)
        return envelope

    def _time(self, start: float, finish: float, operating: float, reset_at: float, *, with_operating: bool) -> dict[str, Any]:
        tz = self.state["portal"].get("tz", "+00:00")
        sign = 1 if tz[0] == "+" else -1
        offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))

        def iso(ts: float) -> str:
            return datetime.fromtimestamp(ts, offset).isoformat(timespec="seconds")

        out: dict[str, Any] = {
            "start": start, "finish": finish, "duration": finish - start, "processing": finish - start,
            "date_start": iso(start), "date_finish": iso(finish),
        }
        if with_operating:
            out["operating_reset_at"] = int(reset_at)
            out["operating"] = operating
        return out

    def run_batch(self, call: Call) -> dict[str, Any]:
        """``batch``: up to 50 ``method?query`` commands with ``$result[...]`` references."""
        return _batch.run(self, call)

    def invoke_in_batch(self, name: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        spec = REGISTRY.get(name)
        if spec is None:
            raise RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        self._check_scope(caller, spec.scope, "", in_batch=True)
        return self._invoke(name, params, caller)

    # --- output ---------------------------------------------------------------------------------
    @staticmethod
    def _json(status: int, body: Any) -> Response:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return Response(status, data, {"Content-Type": "application/json; charset=utf-8", "Access-Control-Allow-Origin": "*"})

    @staticmethod
    def _xml(status: int, body: Any) -> Response:
        def node(tag: str, value: Any) -> str:
            tag = tag if re.fullmatch(r"[A-Za-z_][\w.-]*", tag) else f"item key=\"{tag}\""
            close = tag.split(" ")[0]
            if isinstance(value, dict):
                inner = "".join(node(str(k), v) for k, v in value.items())
            elif isinstance(value, list):
                inner = "".join(node(f"item{i}", v) for i, v in enumerate(value))
            elif value is None:
                inner = ""
            else:
                text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                inner = {"True": "true", "False": "false"}.get(text, text)
            return f"<{tag}>{inner}</{close}>"

        data = ('<?xml version="1.0" encoding="utf-8"?>' + node("response", body)).encode("utf-8")
        return Response(status, data, {"Content-Type": "text/xml; charset=utf-8"})


RequestHandler = Callable[[str, str, dict[str, str], bytes], Response]
