"""Event handlers (``event.bind`` / ``event.unbind``), read with ``event.get``.

A binding is keyed by (event, handler); the portal keys it by user too, so a second live binding of
the same pair for another user gets its own address (``<handler> (user N)``). There is no
``event.update``: every attribute is immutable, and a change is an unbind, then a bind (reference
platform §4) — a short moment without the handler. ``event.get`` leaves out ``options``, so they are
compared through the fingerprint b24cfg wrote; a binding without one is taken to have none (options
exist on few events, such as ONOFFLINEEVENT's minTimeout).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.manifest.compile import OFFLINE
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Change
from b24cfg.resources import fingerprint
from b24cfg.resources.base import Call

KIND = "event"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE = frozenset({"handler", "offline", "authUser", "options"})
IDS = ("event",)
NATURAL = True
FINGERPRINTED = frozenset({"options"})


def read(raw: Mapping[str, Any], options: Mapping[str, Any], version: int, taken: set[Address]) -> Resource:
    event = str(raw.get("event") or "").upper()
    offline = str(raw.get("offline")) in ("1", "True", "true")
    handler = None if offline else str(raw.get("handler") or "")
    user = 0 if offline else int(raw.get("auth_type") or 0)
    address = Address(KIND, (event, handler or OFFLINE))
    if address in taken:
        address = Address(KIND, (event, f"{handler or OFFLINE} (user {user})"))
    taken.add(address)
    found = fingerprint.read(options, address, version)
    attrs = {"handler": handler, "offline": offline, "authUser": user,
             "options": (found.digests or {}).get("options") or fingerprint.digest({})}
    ids = {"event": event, "handler": handler or "", "auth_type": user, "fingerprint": found.status}
    return Resource(address, attrs, ids, items=0, origin="portal")


def _unbind(resource: Resource, tier: int, address: Address) -> Call:
    ids = resource.ids
    if resource.attrs.get("offline"):
        params: dict[str, Any] = {"event": ids["event"], "event_type": "offline"}
    else:
        params = {"event": ids["event"], "handler": ids["handler"], "auth_type": ids["auth_type"]}
    return Call("event.unbind", params, tier, address)


def _bind(address: Address, attrs: Mapping[str, Any], tier: int) -> Call:
    params: dict[str, Any] = {"event": address.key[0]}
    if attrs["offline"]:
        params["event_type"] = "offline"
    else:
        params.update({"handler": attrs["handler"], "auth_type": attrs["authUser"], "event_type": "online"})
    if attrs["options"]:
        params["options"] = dict(attrs["options"])
    return Call("event.bind", params, tier, address)


def calls(change: Change) -> list[Call]:
    after = change.after
    return fingerprint.rebind(
        change, _unbind(change.before, change.tier, change.address) if change.before is not None else None,
        _bind(change.address, after.attrs, change.tier) if after is not None else None,
        {"options": dict(after.attrs["options"])} if after is not None else {},
    )
