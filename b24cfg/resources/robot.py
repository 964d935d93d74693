"""Application robots (``bizproc.robot.*``); activities (``bizproc.activity.*``) share this adapter.

The portal gives back codes only (reference platform §2.4), so a live robot's attributes are the
digests of what b24cfg last applied, from its fingerprint (``fingerprint.py``); without a
trustworthy fingerprint the attributes are empty and the planner re-applies the whole definition. Updates send
the whole definition too: ``PROPERTIES`` and ``RETURN_PROPERTIES`` replace what the portal has
(§2.3). The code cannot change: a new code is a new robot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources import fingerprint
from b24cfg.resources.base import Call, yn

KIND = "robot"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE: frozenset[str] = frozenset()
IDS = ("code",)
NATURAL = True
"""Found on the portal by its address alone (no portal id to carry)."""
FINGERPRINTED = frozenset({"handler", "name", "description", "authUser", "useSubscription", "properties",
                           "returnProperties", "placementHandler"})
"""Attributes compared through their digests (the portal cannot give them back)."""


def read(kind: str, code: str, options: Mapping[str, Any], version: int) -> Resource:
    address = Address(kind, (code,))
    found = fingerprint.read(options, address, version)
    ids: dict[str, Any] = {"code": code, "fingerprint": found.status}
    if found.status == "stale" and found.version is not None:
        ids["appliedVersion"] = found.version
    # Robots hold no CRM items: removing one loses no business data (stages using it show it blocked).
    return Resource(address, dict(found.digests or {}), ids, items=0, origin="portal")


def _property(prop: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": prop["name"], "Type": prop["type"], "Required": yn(prop["required"]),
                           "Multiple": yn(prop["multiple"])}
    if prop.get("description") is not None:
        out["Description"] = prop["description"]
    if prop.get("options") is not None:
        out["Options"] = dict(prop["options"])
    if prop.get("default") is not None:
        out["Default"] = prop["default"]
    return out


def definition(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The REST fields of a definition (``bizproc.robot.add`` without CODE)."""
    fields: dict[str, Any] = {
        "HANDLER": attrs["handler"], "NAME": attrs["name"],
        # An empty DESCRIPTION clears the old one; left out, an update would keep it.
        "DESCRIPTION": attrs["description"] if attrs.get("description") is not None else "",
        "AUTH_USER_ID": attrs["authUser"], "USE_SUBSCRIPTION": yn(attrs["useSubscription"]),
        "PROPERTIES": {k: _property(v) for k, v in attrs["properties"].items()},
        "RETURN_PROPERTIES": {k: _property(v) for k, v in attrs["returnProperties"].items()},
        "USE_PLACEMENT": yn(attrs.get("placementHandler") is not None),
    }
    if attrs.get("placementHandler") is not None:
        fields["PLACEMENT_HANDLER"] = attrs["placementHandler"]
    return fields


def calls(change: Change) -> list[Call]:
    address = change.address
    method = f"bizproc.{address.kind}"
    tier = change.tier
    code = address.key[0]
    if change.action is Action.DELETE:
        return [Call(f"{method}.delete", {"CODE": code}, tier, address), fingerprint.clear(address, tier)]
    assert change.after is not None
    fields = definition(change.after.attrs)
    before = change.before.attrs if change.before is not None else {}
    for key, name in (("PROPERTIES", "properties"), ("RETURN_PROPERTIES", "returnProperties")):
        # An empty map cannot travel in a batch; it is needed only to clear what the portal may
        # hold (an update over properties that exist, or that are unknown), and is then sent alone.
        if not fields[key] and (change.action is Action.CREATE or before.get(name) == fingerprint.digest({})):
            del fields[key]
    if change.action is Action.CREATE:
        write = Call(f"{method}.add", {"CODE": code, **fields}, tier, address)
    else:
        write = Call(f"{method}.update", {"CODE": code, "FIELDS": fields}, tier, address)
    return [write, fingerprint.write(address, change.after.attrs, tier)]
