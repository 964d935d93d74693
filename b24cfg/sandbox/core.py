"""The building blocks every emulated REST method uses.

A method is a plain function registered with ``@method("crm.type.add", scope="crm")``. It gets a
``Call`` (parameters as the server would see them, the authenticated caller, the portal state) and
returns the ``result`` payload, a ``Listed`` (payload plus ``total``/``next``), or raises
``RestError`` with the exact Bitrix error code, text and HTTP status. Envelopes, auth, scopes,
limits, batch and persistence are handled once, in ``portal.py``.

Method modules own their part of the state dictionary and register a ``@seeder`` that fills it
for a fresh portal, so a new sandbox looks like a new Bitrix24 (default deal funnel, lead and
quote statuses, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from b24cfg.sandbox.portal import SandboxPortal

State = dict[str, Any]


class RestError(Exception):
    """An error answer: ``{"error": code, "error_description": description, **extra}``."""

    def __init__(self, code: str | int, description: str, status: int = 400, **extra: Any) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description, **self.extra}


@dataclass
class Listed:
    """A result with navigation: the envelope gets top-level ``total`` and, if given, ``next``."""

    result: Any
    total: int | None = None
    next: int | None = None


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the server's auth layer established it."""

    auth_type: str  # "oauth" (application token) or "apauth" (incoming webhook)
    user_id: int
    scopes: frozenset[str]
    client_id: str | None = None  # set only for application (OAuth) calls
    password_id: int | None = None  # webhook id, for webhook calls
    token: str | None = None
    connector: str = ""  # ``auth_connector``: consumed by auth, stored by event.bind as CONNECTOR_ID


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fn: Callable[[Call], Any]
    scope: str  # "_global" for methods every token may call
    write: bool


REGISTRY: dict[str, MethodSpec] = {}
SEEDERS: list[Callable[[State], None]] = []
HOOKS: dict[str, list[Callable[..., None]]] = {}

_READ_SUFFIXES = {
    "list", "get", "fields", "gettypes", "getbyentitytypeid", "types", "items", "info", "time",
    "scope", "profile", "current", "methods", "events",
}


def method(name: str, *, scope: str, write: bool | None = None) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    """Register an emulated REST method (name is matched case-insensitively, as the server does)."""

    def register(fn: Callable[[Call], Any]) -> Callable[[Call], Any]:
        key = name.lower()
        is_write = write if write is not None else key.rsplit(".", 1)[-1] not in _READ_SUFFIXES
        REGISTRY[key] = MethodSpec(name=key, fn=fn, scope=scope, write=is_write)
        return fn

    return register


def seeder(fn: Callable[[State], None]) -> Callable[[State], None]:
    """Register a function that fills part of a fresh portal's state."""
    SEEDERS.append(fn)
    return fn


def hook(event: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a reaction to a portal event (``app_update``, ``app_uninstall``)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        HOOKS.setdefault(event, []).append(fn)
        return fn

    return register


@dataclass
class Call:
    """One method invocation as the method body sees it."""

    portal: SandboxPortal
    name: str
    params: dict[str, Any]
    caller: Caller
    extra_time: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> State:
        return self.portal.state

    # --- parameters -------------------------------------------------------------------------
    def param(self, *names: str, default: Any = None) -> Any:
        """The first of ``names`` present, matched case-insensitively (legacy/platform style)."""
        lowered = {str(k).lower(): v for k, v in self.params.items()}
        for name in names:
            if name.lower() in lowered:
                return lowered[name.lower()]
        return default

    def exact(self, name: str, default: Any = None) -> Any:
        """A parameter matched exactly (Engine controllers read camelCase names literally)."""
        return self.params.get(name, default)

    def upper(self) -> dict[str, Any]:
        """Top-level keys upper-cased, as ``array_change_key_case(..., CASE_UPPER)`` does."""
        return {str(k).upper(): v for k, v in self.params.items()}

    # --- caller checks ----------------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        user = self.state["auth"]["users"].get(str(self.caller.user_id), {})
        return bool(user.get("admin"))

    def require_app_context(self) -> None:
        """The bizproc / crm-trigger guard: an application client id must be present."""
        if not self.caller.client_id:
            raise RestError("ACCESS_DENIED", "Access denied! Application context required", 403)

    def require_oauth(self, detail: str = "") -> None:
        """The event/placement guard: the authorization type must be an application token."""
        if self.caller.auth_type != "oauth":
            text = "Current authorization type is denied for this method"
            raise RestError("WRONG_AUTH_TYPE", f"{text} {detail}".strip(), 403)

    def require_admin(self, detail: str = "") -> None:
        if not self.is_admin:
            raise RestError("ACCESS_DENIED", f"Access denied! {detail}".strip(), 403)

    # --- ids --------------------------------------------------------------------------------
    def next_id(self, sequence: str, start: int = 1, step: int = 1) -> int:
        return next_id(self.state, sequence, start, step)


def next_id(state: State, sequence: str, start: int = 1, step: int = 1) -> int:
    """Take the next value of an autoincrement sequence stored in the state."""
    seqs = state.setdefault("seq", {})
    value = int(seqs.get(sequence, start))
    seqs[sequence] = value + step
    return value


def yn(value: Any, default: str = "N") -> str:
    """Normalise a Bitrix boolean input (Y/N, true/false, 1/0) to ``"Y"``/``"N"``."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value).strip().upper()
    if text in {"Y", "TRUE", "1"}:
        return "Y"
    if text in {"N", "FALSE", "0"}:
        return "N"
    return default


def php_list(value: Any) -> list[Any] | None:
    """A PHP array as a list: JSON lists stay lists, dicts keyed 0..n-1 become lists."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return None


def php_empty(value: Any) -> bool:
    """PHP's ``empty()``: None, "", "0", 0, False, empty arrays."""
    return value in (None, "", "0", 0, False) or (isinstance(value, (list, dict)) and not value)


def as_int(value: Any, default: int = 0) -> int:
    """PHP's ``(int)`` cast for the inputs a REST caller can send."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        sign = 1
        if text[:1] in "+-" and text[:1]:
            sign = -1 if text[0] == "-" else 1
            text = text[1:]
        digits = ""
        for ch in text:
            if not ch.isdigit():
                break
            digits += ch
        return sign * int(digits) if digits else default
    return default


def paginate(items: list[Any], start: Any, page: int = 50) -> Listed:
    """Engine/REST navigation: 50 per page from ``start``; ``next`` only when more remain."""
    offset = max(as_int(start), 0)
    chunk = items[offset : offset + page]
    more = offset + len(chunk) < len(items)
    return Listed(chunk, total=len(items), next=offset + len(chunk) if more else None)


def walk(items: Iterable[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    """Rows of ``items`` whose keys equal every given value."""
    return [row for row in items if all(row.get(k) == v for k, v in match.items())]
