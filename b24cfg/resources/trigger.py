"""CRM automation triggers (``crm.automation.trigger.*``): a code and a name, both listed back.

``add`` is an upsert (an existing code gets the new name), so an update is the same call
(reference platform §3.4). Which stage a trigger moves items to is set in the UI only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call

KIND = "trigger"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE: frozenset[str] = frozenset()
IDS = ("code",)
NATURAL = True


def read(raw: Mapping[str, Any]) -> Resource:
    code = str(raw.get("CODE") or raw.get("code") or "")
    return Resource(Address(KIND, (code,)), {"name": str(raw.get("NAME") or raw.get("name") or "")}, {"code": code},
                    items=0, origin="portal")


def calls(change: Change) -> list[Call]:
    code = change.address.key[0]
    if change.action is Action.DELETE:
        return [Call("crm.automation.trigger.delete", {"CODE": code}, change.tier, change.address)]
    assert change.after is not None
    return [Call("crm.automation.trigger.add", {"CODE": code, "NAME": change.after.attrs["name"]}, change.tier,
                 change.address)]
