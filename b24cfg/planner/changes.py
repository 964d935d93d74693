"""Changes: small immutable values with a total order (ARCHITECTURE §3.3-3.4).

A ``Change`` says what happens to one address: ``create``, ``update``, ``replace`` (delete, then
create: an immutable attribute changed) or ``delete``. It carries the live resource it was computed
against (``before``, with portal ids), the desired one (``after``) and each changed attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from b24cfg.model import Address, Resource


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}[self.value]


# Execution tier of each kind's changes: parents first. Pipeline deletes run last, after the default
# flag has moved to a remaining pipeline (the portal never deletes its default pipeline). The
# application's robots and activities come before the triggers, events and placements that go with
# them, and are removed after them.
TIER = {"smart_process": 0, "entity": 0, "directory": 0, "pipeline": 1, "field": 1, "workplace": 1, "stage": 2,
        "status": 2, "application": 0, "robot": 0, "activity": 0, "trigger": 1, "event": 1, "placement": 1}
DELETE_TIER = {**TIER, "pipeline": 3, "robot": 3, "activity": 3}
# Inside a tier: deletes first (a pipeline holds one success stage; a field name is freed before it
# is reused), then updates, replaces, creates: updates move the success stage down before a stage is
# added above it (the portal refuses a deal process stage sorted after the success stage).
RANK = {Action.DELETE: 0, Action.UPDATE: 1, Action.REPLACE: 2, Action.CREATE: 3}


@dataclass(frozen=True)
class AttrChange:
    """One attribute: live value -> desired value (``None`` on the missing side)."""

    name: str
    old: Any
    new: Any
    forces_replacement: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "old": self.old, "new": self.new}
        if self.forces_replacement:
            out["forces_replacement"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AttrChange:
        return cls(data["name"], data.get("old"), data.get("new"), bool(data.get("forces_replacement", False)))


@dataclass(frozen=True)
class Change:
    """One planned action on one address."""

    action: Action
    address: Address
    before: Resource | None = None
    after: Resource | None = None
    attrs: tuple[AttrChange, ...] = ()
    cascade: tuple[Resource, ...] = ()
    """Live children removed together with a deleted or replaced resource (the portal cascades, or
    the adapter removes them first)."""
    reason: str | None = None
    """Why a change nobody wrote is planned, e.g. a default stage the portal created."""
    notes: tuple[str, ...] = field(default=())

    @property
    def tier(self) -> int:
        return (DELETE_TIER if self.action is Action.DELETE else TIER)[self.address.kind]

    def sort_key(self) -> tuple[int, int, Address]:
        return (self.tier, RANK[self.action], self.address)

    @property
    def destroys(self) -> bool:
        return self.action in (Action.DELETE, Action.REPLACE)

    @property
    def items(self) -> int | None:
        """CRM items that a delete or replace loses or that block it (for a field: the items of its
        smart process, which may hold its values); None when they could not be counted."""
        return self.before.items if self.destroys and self.before is not None else None

    @property
    def destroys_data(self) -> bool:
        """True when applying this may lose business data. Uncounted is taken as "may"; what the
        portal is only predicted to create holds nothing."""
        if not self.destroys or self.before is None or self.before.origin == "predicted":
            return False
        return self.items is None or self.items > 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action.value, "address": str(self.address)}
        if self.before is not None:
            out["before"] = self.before.to_json()
        if self.after is not None:
            out["after"] = self.after.to_json()
        out["attributes"] = [a.to_json() for a in self.attrs]
        if self.cascade:
            out["cascade"] = [r.to_json() for r in self.cascade]
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = list(self.notes)
        if self.destroys:
            out["items"] = self.items
            out["destroys_data"] = self.destroys_data
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        def resource(key: str) -> Resource | None:
            return Resource.from_json(data[key]) if key in data else None

        return cls(
            Action(data["action"]), Address.parse(data["address"]), resource("before"), resource("after"),
            tuple(AttrChange.from_json(a) for a in data.get("attributes", [])),
            tuple(Resource.from_json(r) for r in data.get("cascade", [])), data.get("reason"),
            tuple(data.get("notes", [])),
        )
