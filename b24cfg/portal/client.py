"""The Bitrix24 REST client: one connection-reusing httpx client, paced and retried safely.

Retries follow one rule: repeat only what certainly did not run or changes nothing.

* ``QUERY_LIMIT_EXCEEDED`` (503): refused before running — back off and repeat.
* ``OPERATION_TIME_LIMIT`` (429): blocked before running — wait for ``operating_reset_at``.
* ``expired_token`` (401, OAuth): refresh once, repeat.
* Connection refused before sending: nothing ran — repeat.
* Timeout, dropped connection or 5xx after sending: a read is repeated; a write raises
  ``OutcomeUnknown`` and is never re-sent blindly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from b24cfg import __version__
from b24cfg.clock import Clock, SystemClock
from b24cfg.portal.auth import Auth, OAuthAuth
from b24cfg.portal.batch import MAX_COMMANDS, Batch, BatchResult, is_read
from b24cfg.portal.errors import (
    IncompleteListing, InternalError, LimitExceeded, OutcomeUnknown, PortalError,
    TransportError, from_answer, install_log_masking, mask,
)
from b24cfg.portal.limits import STANDARD, Pacer, Pacing, RetryPolicy

log = logging.getLogger("b24cfg.portal")
install_log_masking()

# List methods that page by 50 with ``start``/``next``/``total`` (reference crm §10, platform 1.8).
# Every other list returns everything at once, and following ``next`` there would be wrong.
PAGINATED = {
    "crm.type.list", "userfieldconfig.list", "crm.automatedsolution.list", "bizproc.workflow.template.list",
    "crm.item.list",
}
PAGE = 50
# Answers that prove the request never ran, whatever the HTTP status.
_NOT_RUN = {"query_limit_exceeded", "operation_time_limit", "expired_token", "internal_wrong_transport", "overload_limit"}


@dataclass
class Envelope:
    """A successful answer: ``result`` plus navigation and timing."""

    result: Any
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stats:
    """What a run cost: HTTP requests (REST and token), retries, seconds spent waiting."""

    requests: int = 0
    token_requests: int = 0
    retries: int = 0
    waited: float = 0.0
    by_method: dict[str, int] = field(default_factory=dict)


class Client:
    """Call REST methods of one portal.

    ``transport`` is injected (the sandbox's in-process transport in tests and by default when no
    portal is configured); ``clock`` drives pacing and back-off, so simulated time is honest.
    """

    def __init__(
        self, auth: Auth, *, transport: httpx.BaseTransport | None = None, clock: Clock | None = None,
        pacing: Pacing | None = STANDARD, retry: RetryPolicy | None = None, timeout: float = 60.0,
    ) -> None:
        self.auth = auth
        self.clock = clock or SystemClock()
        self.pacer = Pacer(pacing, self.clock) if pacing else None
        self.retry = retry or RetryPolicy()
        self.stats = Stats()
        self._reset_at: dict[str, float] = {}
        self.http = httpx.Client(
            transport=transport, timeout=timeout, verify=True, follow_redirects=False,
            headers={"User-Agent": f"b24cfg/{__version__}", "Accept": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- single calls -------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call ``method`` and return its ``result``; raise a ``PortalError`` subclass on error."""
        return self.call_envelope(method, params).result

    def call_envelope(self, method: str, params: dict[str, Any] | None = None) -> Envelope:
        body = self._send(method, params or {}, read=is_read(method))
        return Envelope(body.get("result"), body.get("total"), body.get("next"), body.get("time") or {})

    # --- batch --------------------------------------------------------------------------------
    def batch(self, batch: Batch) -> BatchResult:
        """Send up to 50 commands in one request; per-command results and errors are kept."""
        if not batch.commands:
            return BatchResult(batch, {}, {}, {}, {})
        if len(batch) > MAX_COMMANDS:
            raise ValueError(f"a batch holds at most {MAX_COMMANDS} commands")
        body = self._send("batch", batch.payload(), read=batch.is_read)
        inner = body.get("result") or {}

        def as_map(value: Any) -> dict[str, Any]:
            if isinstance(value, dict):
                return {str(k): v for k, v in value.items()}
            if isinstance(value, list):  # PHP prints an empty or 0..n-1 keyed map as a list
                return {str(i): v for i, v in enumerate(value)}
            return {}

        methods = {c.key: c.method for c in batch.commands}
        errors: dict[str, PortalError] = {}
        for key, err in as_map(inner.get("result_error")).items():
            err = err if isinstance(err, dict) else {}
            errors[key] = from_answer(
                err.get("error", ""), str(err.get("error_description", "")), method=methods.get(key, ""),
                request=next((c.params for c in batch.commands if c.key == key), None),
            )
        return BatchResult(
            batch, as_map(inner.get("result")), errors,
            {k: int(v) for k, v in as_map(inner.get("result_total")).items()},
            {k: int(v) for k, v in as_map(inner.get("result_next")).items()},
        )

    def batches(self, commands: list[tuple[str, dict[str, Any]]], *, halt: bool = True) -> Iterator[BatchResult]:
        """Independent commands (no references between them), sent 50 per request."""
        for start in range(0, len(commands), MAX_COMMANDS):
            batch = Batch(halt=halt)
            for method, params in commands[start : start + MAX_COMMANDS]:
                batch.add(method, params)
            yield self.batch(batch)

    # --- listing ------------------------------------------------------------------------------
    def list_all(
        self, method: str, params: dict[str, Any] | None = None, *, items: Callable[[Any], list[Any]] | None = None,
    ) -> list[Any]:
        """Every row of a list method.

        For the paginated methods the first page tells ``total``; the remaining pages are fetched
        in batches of 50 commands. A listing that ends short of ``total``, or any failed page,
        raises ``IncompleteListing`` — never "nothing exists".
        """
        pick = items or (lambda result: list(result or []))
        params = dict(params or {})
        first = self.call_envelope(method, params)
        rows = list(pick(first.result))
        if method.lower() not in PAGINATED or first.next is None:
            if first.total is not None and method.lower() in PAGINATED and len(rows) < first.total:
                raise IncompleteListing(f"got {len(rows)} of {first.total} rows without a next page", method=method)
            return rows
        total = first.total if first.total is not None else 0
        starts = list(range(int(first.next), total, PAGE))
        commands = [(method, {**params, "start": s}) for s in starts]
        for result in self.batches(commands, halt=True):
            for command in result.batch.commands:
                if command.key in result.errors:
                    raise IncompleteListing(
                        f"page at start={command.params['start']} failed: {result.errors[command.key]}", method=method,
                    )
                if command.key not in result.results:
                    raise IncompleteListing(f"page at start={command.params['start']} did not run", method=method)
                rows.extend(pick(result.results[command.key]))
        if len(rows) != total:
            raise IncompleteListing(f"got {len(rows)} of {total} rows", method=method)
        return rows

    # --- the one place requests are sent ------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any], *, read: bool) -> dict[str, Any]:
        limit_tries = operating_tries = read_tries = 0
        refreshed = False
        if isinstance(self.auth, OAuthAuth) and not self.auth.access_token:
            self._refresh()
            refreshed = True
        while True:
            if self.pacer:
                before = self.clock.time()
                self.pacer.acquire()
                self.stats.waited += self.clock.time() - before
            self.stats.requests += 1
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
            url = self.auth.endpoint(method)
            payload = self.auth.sign(params)
            try:
                response = self.http.post(url, json=payload)
            except httpx.ConnectError:
                # Nothing was sent: safe to repeat for reads and writes alike.
                if read_tries < self.retry.read_retries:
                    read_tries += 1
                    self._pause(self.retry.delay(read_tries - 1))
                    continue
                raise TransportError(f"cannot connect to {mask(url)}", method=method, request=params) from None
            except httpx.HTTPError as exc:
                if read and read_tries < self.retry.read_retries:
                    read_tries += 1
                    self._pause(self.retry.delay(read_tries - 1))
                    continue
                if read:
                    raise TransportError(f"no answer ({type(exc).__name__})", method=method, request=params) from None
                raise OutcomeUnknown(
                    f"the request was sent but no answer came back ({type(exc).__name__}); it may or may not "
                    "have been applied — the portal must be read back before anything is repeated",
                    method=method, request=params,
                ) from None
            log.debug("%s -> %s", mask(url), response.status_code)
            body = self._decode(response, method, params, read)
            if body is None:  # a read that failed with a 5xx: repeat a few times
                if read_tries >= self.retry.read_retries:
                    raise InternalError(f"the portal keeps failing (HTTP {response.status_code})", method=method, status=response.status_code, request=params)
                read_tries += 1
                self._pause(self.retry.delay(read_tries - 1))
                continue
            if "error" not in body or "result" in body:
                self._note_time(method, body.get("time"))
                return body
            code = str(body.get("error", ""))
            description = str(body.get("error_description", ""))
            key = code.lower()
            if key == "query_limit_exceeded" and limit_tries < self.retry.limit_retries:
                limit_tries += 1
                if self.pacer:
                    self.pacer.saturate()
                self._pause(self.retry.delay(limit_tries - 1))
                continue
            if key == "operation_time_limit" and operating_tries < self.retry.operating_retries:
                operating_tries += 1
                reset_at = self._reset_at.get(method, self.clock.time() + 60)
                self._pause(min(max(reset_at - self.clock.time(), 1.0), self.retry.max_operating_wait))
                continue
            if key == "expired_token" and isinstance(self.auth, OAuthAuth) and not refreshed:
                self._refresh()
                refreshed = True
                continue
            error = from_answer(code, description, status=response.status_code, method=method, request=params)
            if isinstance(error, LimitExceeded):
                error.description += " (gave up after retries)"
            raise error

    def _decode(self, response: httpx.Response, method: str, params: dict[str, Any], read: bool) -> dict[str, Any] | None:
        """The envelope; ``None`` for a read the server failed (to be asked again)."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            body = None
        failed = response.status_code >= 500
        if isinstance(body, dict) and ("result" in body or "error" in body):
            not_run = str(body.get("error", "")).lower() in _NOT_RUN
            if not failed or "result" in body or not_run:
                return body
            detail = str(body.get("error_description", ""))
        elif failed:
            detail = "unreadable answer"
        else:
            raise InternalError(f"unexpected answer (HTTP {response.status_code}, not a REST envelope)", method=method, request=params)
        if read:
            return None
        raise OutcomeUnknown(
            f"the portal failed with HTTP {response.status_code} ({detail}) after receiving the request; it may or "
            "may not have been applied — the portal must be read back before anything is repeated",
            method=method, status=response.status_code, request=params,
        )

    def _pause(self, seconds: float) -> None:
        self.stats.retries += 1
        self.stats.waited += seconds
        self.clock.sleep(seconds)

    def _note_time(self, method: str, time: Any) -> None:
        if isinstance(time, dict) and time.get("operating_reset_at"):
            self._reset_at[method] = float(time["operating_reset_at"])

    def _refresh(self) -> None:
        assert isinstance(self.auth, OAuthAuth)
        self.stats.token_requests += 1
        self.auth.refresh(self.http)
