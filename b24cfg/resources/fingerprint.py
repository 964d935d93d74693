"""Fingerprints of applied definitions, kept in the portal's ``app.option`` (ARCHITECTURE §4).

``bizproc.robot.list`` and ``bizproc.activity.list`` return codes only and ``event.get`` leaves out
options (reference platform §2.4, §4), so what b24cfg wrote cannot be read back. Each write also
stores the definition it wrote in one application option, ``b24cfg:<kind>:<code>`` (events:
``b24cfg:event:<hash of event and handler>``), as JSON text — text travels through a batch's query
string unchanged, where numbers and booleans would not. The record holds the application's version
at the time: the portal wipes robots and activities when the application is updated, so a robot
found under a fingerprint of an older version was registered again by something else.

Options live in the portal, so every machine planning against it sees the same; there is no local
state file. ``app.option.set`` has no delete: a removed definition's option is set to "".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from b24cfg.model import APPLICATION, Address, canonical
from b24cfg.resources.base import Call, Join, Out

PREFIX = "b24cfg:"

Status = Literal["ok", "missing", "stale"]


def option_key(address: Address) -> str:
    if address.kind == "event":
        digest = hashlib.sha256("\n".join(address.key).encode()).hexdigest()[:24]
        return f"{PREFIX}event:{digest}"
    return f"{PREFIX}{address.kind}:{address.key[-1]}"


@dataclass(frozen=True)
class Found:
    """What the option of one address says: the definition last applied, when it can be trusted."""

    status: Status
    definition: Mapping[str, Any] | None = None
    version: int | None = None


def read(options: Mapping[str, Any], address: Address, version: int) -> Found:
    raw = options.get(option_key(address))
    try:
        record = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("definition"), dict):
        return Found("missing")
    applied = record.get("version")
    if address.kind in ("robot", "activity") and applied != version:
        return Found("stale", None, applied if isinstance(applied, int) else None)
    return Found("ok", record["definition"], applied if isinstance(applied, int) else None)


def write(address: Address, definition: Mapping[str, Any], tier: int) -> Call:
    """``app.option.set`` of ``definition``, stamped with the application version the plan read."""
    text = canonical(dict(definition))
    value = Join.of('{"definition":', text, ',"version":', Out(APPLICATION, "version"), "}")
    return Call("app.option.set", {"options": {option_key(address): value}}, tier, address)


def clear(address: Address, tier: int) -> Call:
    return Call("app.option.set", {"options": {option_key(address): ""}}, tier, address)
