"""Building ``batch`` requests: up to 50 commands, later ones referring to earlier results.

``Batch.add`` returns a ``Ref``; indexing it (``ref["type"]["entityTypeId"]``) and passing it as
a parameter value sends ``$result[key][type][entityTypeId]``, which the server replaces with the
earlier command's value. The server's reference regex is greedy (``\\$result[^\\s]*``): a
reference swallows the rest of the value up to whitespace, so it works only as a whole value or at
the very end of one. ``add`` refuses anything else, and refuses empty arrays, which a query string
cannot carry (PHP's ``http_build_query`` drops them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from b24cfg.portal.errors import PortalError
from b24cfg.portal.phpquery import build, empty_containers

MAX_COMMANDS = 50
_REFERENCE = re.compile(r"\$(result|next|total|time|error)([^\s]*)")

READ_SUFFIXES = {
    "list", "get", "fields", "gettypes", "getbyentitytypeid", "types", "items", "info", "time",
    "scope", "profile", "current", "methods", "events",
}


def is_read(method: str) -> bool:
    """True for methods that change nothing, so a lost answer may simply be asked again."""
    name = method.lower()
    return name.rsplit(".", 1)[-1] in READ_SUFFIXES or name in {"app.option.get"}


@dataclass(frozen=True)
class Ref:
    """A reference to (part of) an earlier command's result inside the same batch."""

    key: str
    path: tuple[str, ...] = ()

    def __getitem__(self, item: str | int) -> Ref:
        return Ref(self.key, (*self.path, str(item)))

    def __str__(self) -> str:
        return "$result" + "".join(f"[{p}]" for p in (self.key, *self.path))


def _render(value: Any) -> Any:
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, dict):
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_render(v) for v in value]
    return value


def _misplaced_references(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _misplaced_references(v, f"{path}[{k}]" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _misplaced_references(v, f"{path}[{i}]")]
    if isinstance(value, str):
        for match in _REFERENCE.finditer(value):
            # The match runs to the next whitespace; anything but [..] segments would be swallowed.
            if not re.fullmatch(r"(\[[^\]]*\])+", match.group(2)):
                return [path]
    return []


@dataclass
class Command:
    key: str
    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        query = build(self.params)
        return f"{self.method}?{query}" if query else self.method


@dataclass
class Batch:
    """An ordered list of commands sent as one ``batch`` request."""

    halt: bool = True
    commands: list[Command] = field(default_factory=list)

    def add(self, method: str, params: dict[str, Any] | None = None, key: str | None = None) -> Ref:
        if len(self.commands) >= MAX_COMMANDS:
            raise ValueError(f"a batch holds at most {MAX_COMMANDS} commands")
        key = key or f"c{len(self.commands)}"
        if any(c.key == key for c in self.commands):
            raise ValueError(f"duplicate batch command key {key!r}")
        rendered = _render(params or {})
        empty = empty_containers(rendered)
        if empty:
            raise ValueError(
                f"{method}: {', '.join(empty)} is an empty array, which a batch command cannot carry "
                "(PHP drops it from the query string); call the method directly instead"
            )
        misplaced = _misplaced_references(rendered)
        if misplaced:
            raise ValueError(
                f"{method}: the $result reference in {', '.join(misplaced)} is followed by more text; the server's "
                "greedy reference regex would swallow it. Use the reference as a whole value or at the end of one."
            )
        self.commands.append(Command(key, method, rendered))
        return Ref(key)

    def __len__(self) -> int:
        return len(self.commands)

    @property
    def is_read(self) -> bool:
        return all(is_read(c.method) for c in self.commands)

    def payload(self) -> dict[str, Any]:
        return {"halt": 1 if self.halt else 0, "cmd": {c.key: c.text for c in self.commands}}


@dataclass
class BatchResult:
    """Per-command outcome of a batch: result, error, or not run (after a halt)."""

    batch: Batch
    results: dict[str, Any]
    errors: dict[str, PortalError]
    totals: dict[str, int]
    nexts: dict[str, int]

    @property
    def not_run(self) -> list[str]:
        return [c.key for c in self.batch.commands if c.key not in self.results and c.key not in self.errors]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.not_run

    def __getitem__(self, key: str | Ref) -> Any:
        """The result of one command; raises that command's error if it failed."""
        name = key.key if isinstance(key, Ref) else key
        if name in self.errors:
            raise self.errors[name]
        if name not in self.results:
            raise KeyError(f"batch command {name!r} did not run")
        return self.results[name]

    def raise_first(self) -> None:
        for command in self.batch.commands:
            if command.key in self.errors:
                raise self.errors[command.key]
