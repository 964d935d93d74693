"""Fingerprints of applied definitions, kept in the portal's ``app.option`` (ARCHITECTURE §4).

``bizproc.robot.list`` and ``bizproc.activity.list`` return codes only and ``event.get`` leaves out
options (reference platform §2.4, §4), so what b24cfg wrote cannot be read back. Each write also
stores a digest of every attribute it wrote in one application option, ``b24cfg:<kind>:<code>``
(events and placements: ``b24cfg:<kind>:<hash of the address>``), as JSON text — text travels through a
batch's query string unchanged, where numbers would not. A live resource then holds those digests
as its attribute values, and the planner compares the digests of the desired values with them
(``digest``), so a plan names each attribute that changed. A placement's record holds no digest
(``placement.get`` gives everything back); it only says b24cfg bound it, like every record does: a
binding whose handler changed in the manifest is paired only with a leftover b24cfg bound itself,
never with one an installer or a person made.

Digests, not the definitions: the portal keeps all options of an application in one serialized
database value (``Option::set('rest', 'options_<client id>', serialize(...))``, a TEXT column), so
what b24cfg adds there must stay small — about 250 bytes per robot.

The record also holds the application's version at the time: the portal wipes robots and
activities when the application is updated, so a robot found under a fingerprint of an older version
was registered again by something else. Options live in the portal, so every machine planning
against it sees the same; there is no local state file. ``app.option.set`` has no delete: a removed
definition's option is set to "".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from b24cfg.model import APPLICATION, Address, canonical
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call, Join, Out

PREFIX = "b24cfg:"
DIGEST = "sha256:"

Status = Literal["ok", "missing", "stale"]


def digest(value: Any) -> str:
    """What a fingerprinted attribute's value is compared as (12 hex digits of its SHA-256). Key
    order counts: properties and select options show in the order they are sent."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return DIGEST + hashlib.sha256(text.encode()).hexdigest()[:12]


def option_key(address: Address) -> str:
    if address.kind in ("event", "placement"):
        return f"{PREFIX}{address.kind}:{hashlib.sha256(chr(10).join(address.key).encode()).hexdigest()[:24]}"
    return f"{PREFIX}{address.kind}:{address.key[-1]}"


@dataclass(frozen=True)
class Found:
    """What the option of one address says: the digests of what was last applied, when trustworthy."""

    status: Status
    digests: Mapping[str, str] | None = None
    version: int | None = None


def read(options: Mapping[str, Any], address: Address, version: int) -> Found:
    raw = options.get(option_key(address))
    try:
        record = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("attrs"), dict):
        return Found("missing")
    applied = record.get("version") if isinstance(record.get("version"), int) else None
    if address.kind in ("robot", "activity") and applied != version:
        return Found("stale", None, applied)
    return Found("ok", {str(k): DIGEST + str(v) for k, v in record["attrs"].items()}, applied)


def write(address: Address, attrs: Mapping[str, Any], tier: int) -> Call:
    """``app.option.set`` of the digests of ``attrs``, stamped with the application version the plan read."""
    digests = canonical({name: digest(value).removeprefix(DIGEST) for name, value in attrs.items()})
    value = Join.of('{"attrs":', digests, ',"version":', Out(APPLICATION, "version"), "}")
    return Call("app.option.set", {"options": {option_key(address): value}}, tier, address)


def clear(address: Address, tier: int) -> Call:
    return Call("app.option.set", {"options": {option_key(address): ""}}, tier, address)


def rebind(change: Change, unbind: Call | None, bind: Call | None, written: Mapping[str, Any]) -> list[Call]:
    """The calls of a binding without an update method (events, placements): unbind what was there
    and clear its fingerprint (unless the new one takes its key), then bind and fingerprint
    ``written``. A replace is both halves; a create or delete one of them."""
    out: list[Call] = []
    if change.before is not None and unbind is not None:
        out.append(unbind)
        if change.before.address != change.address or change.action is Action.DELETE:
            out.append(clear(change.before.address, change.tier))
    if bind is not None:
        out += [bind, write(change.address, written, change.tier)]
    return out
