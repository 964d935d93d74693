"""Errors the Bitrix24 REST API answers, one class per family, with every secret masked.

``from_answer`` maps an error code (compared case-insensitively: the API spells
``expired_token`` and ``EXPIRED_TOKEN`` alike) to a class. Each error carries the REST method,
the Bitrix code and description, the HTTP status and a masked copy of the request, so a report
can say exactly which call failed without ever printing a webhook code or token.

Masking: every credential the client handles is registered with ``register_secret``; ``mask``
replaces registered values and anything shaped like a webhook path or token parameter.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from b24cfg.errors import PortalError as _PortalErrorBase

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
MASK = "***"

_PATTERNS = [
    # https://portal/rest/1/<code>/method -> /rest/1/***/
    (re.compile(r"(/rest/\d+/)([^/\s?#\"']+)(/)"), r"\1" + MASK + r"\3"),
    # auth=..., access_token=..., refresh_token=..., client_secret=... in URLs and form bodies
    (re.compile(r"((?:^|[?&\s])(?:auth|access_token|refresh_token|client_secret|code|ap)=)([^&\s\"']+)", re.I), r"\1" + MASK),
    # "auth": "...", "access_token": "..." in JSON
    (re.compile(r"(\"(?:auth|access_token|refresh_token|client_secret)\"\s*:\s*\")([^\"]+)(\")", re.I), r"\1" + MASK + r"\3"),
    # Authorization: Bearer ...
    (re.compile(r"(Bearer\s+)([A-Za-z0-9._\-]+)", re.I), r"\1" + MASK),
]


def register_secret(value: str | None) -> None:
    """Remember a credential so ``mask`` hides it wherever it appears."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def mask(text: str) -> str:
    """``text`` with every known secret and every secret-shaped value replaced by ``***``."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_data(value: Any) -> Any:
    """A deep copy of request data with credential keys and known secrets masked."""
    if isinstance(value, dict):
        return {
            k: (MASK if str(k).lower() in {"auth", "access_token", "refresh_token", "client_secret"} else mask_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    if isinstance(value, str):
        return mask(value)
    return value


class PortalError(_PortalErrorBase):
    """An error from (or on the way to) the portal. ``str()`` is safe to print."""

    def __init__(
        self, description: str, *, code: str = "", method: str = "", status: int | None = None,
        request: Any = None, address: str | None = None,
    ) -> None:
        self.code = str(code)
        self.description = mask(description)
        self.method = method
        self.status = status
        self.request = mask_data(request)
        self.address = address
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.method}: " if self.method else ""
        code = f"{self.code}: " if self.code else ""
        at = f" (while applying {self.address})" if self.address else ""
        return mask(f"{where}{code}{self.description}{at}")

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message()!r})"


class AuthError(PortalError):
    """The credentials were refused: wrong webhook, expired or unknown token, refresh failed."""


class AccessDenied(PortalError):
    """Authenticated, but not allowed: missing scope, not an admin, wrong auth type."""


class AppContextRequired(AccessDenied):
    """The method needs an OAuth application (local app); an incoming webhook cannot call it."""


class NotFound(PortalError):
    """The object (or the method) does not exist."""


class MethodNotFound(NotFound):
    """The portal does not know this REST method (module missing, wrong name)."""


class LimitExceeded(PortalError):
    """Rate or operating-time limit hit; raised only after the client's own retries ran out."""


class InvalidInput(PortalError):
    """The portal refused the request's content (validation, business rules)."""


class InternalError(PortalError):
    """The portal failed (5xx, unreadable answer)."""


class TransportError(PortalError):
    """The portal could not be reached, or a read kept failing on the network."""


class OutcomeUnknown(PortalError):
    """A write was sent but its answer was lost: it may or may not have happened.

    It is never re-sent blindly; the caller reads the portal back to learn what happened.
    """


class IncompleteListing(PortalError):
    """A paginated listing came back short of its ``total`` or with a failed page."""


_AUTH = {
    "expired_token", "invalid_token", "no_auth_found", "invalid_credentials", "invalid_request",
    "invalid_grant", "invalid_client", "authorization_error", "application_not_found",
    "user_access_error", "connection_error", "payment_required", "portal_deleted",
    "method_confirm_waiting", "method_confirm_denied",
}
_ACCESS = {"access_denied", "insufficient_scope", "invalid_scope", "allowed_only_intranet_user", "wrong_auth_type"}
_NOT_FOUND = {
    "not_found", "error_not_found", "error_activity_not_found", "error_event_not_found",
    "error_placement_not_found", "error_template_not_found", "entity_type_not_supported",
}
_LIMIT = {"query_limit_exceeded", "operation_time_limit", "overload_limit", "limit_exceeded"}
_INTERNAL = {"internal_server_error", "error_unexpected_answer", "wrong_encoding", "internal_wrong_transport"}


def from_answer(
    code: Any, description: str, *, status: int | None = None, method: str = "", request: Any = None,
) -> PortalError:
    """The exception for an error answer ``{"error": code, "error_description": description}``."""
    key = str(code).lower()
    kwargs: dict[str, Any] = {"code": str(code), "method": method, "status": status, "request": request}
    if key == "error_method_not_found":
        return MethodNotFound(description or "Method not found!", **kwargs)
    if key == "wrong_auth_type" or "application context required" in description.lower():
        return AppContextRequired(description, **kwargs)
    for family, cls in ((_AUTH, AuthError), (_ACCESS, AccessDenied), (_NOT_FOUND, NotFound), (_LIMIT, LimitExceeded), (_INTERNAL, InternalError)):
        if key in family:
            return cls(description, **kwargs)
    if status is not None and status >= 500:
        return InternalError(description, **kwargs)
    return InvalidInput(description, **kwargs)


class MaskingFilter(logging.Filter):
    """Rewrites log records so no secret reaches any handler (httpx logs full request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = ()
        return True


_MASKED_LOGGERS = ("b24cfg", "httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")


def install_log_masking() -> None:
    """Attach ``MaskingFilter`` to the loggers that may see request URLs (idempotent)."""
    for name in _MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
