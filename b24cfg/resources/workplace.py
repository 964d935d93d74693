"""Digital workplaces (``crm.automatedsolution.*``): a title and the smart processes it groups.

Workplaces have no code on the portal: live ones are keyed ``#<id>`` and matched to manifest codes
by title. ``typeIds`` are crm.type ``id``s (not entityTypeIds) and replace the whole set on update;
unknown ids are ignored without an error, so apply reads back (reference crm §8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call, Out

KIND = "workplace"
DEPENDS_ON = ("smart_process",)
IMMUTABLE: frozenset[str] = frozenset()
IDS = ("id",)


def read(raw: Mapping[str, Any], codes: Mapping[int, str]) -> Resource:
    """A live workplace; ``codes`` maps crm.type ids to smart-process codes."""
    type_ids = [int(t) for t in raw.get("typeIds") or []]
    attrs = {"title": str(raw.get("title") or ""), "smartProcesses": sorted(codes.get(t, f"#{t}") for t in type_ids)}
    return Resource(Address(KIND, (f"#{raw['id']}",)), attrs, {"id": int(raw["id"]), "typeIds": type_ids},
                    origin="portal")


def _fields(attrs: Mapping[str, Any]) -> dict[str, Any]:
    type_ids = [Out(Address("smart_process", (code,)), "id") for code in attrs["smartProcesses"]]
    # An empty list cannot travel in a batch (it vanishes from the query string): send a lone 0,
    # which the portal ignores like any id that is no smart process.
    return {"title": attrs["title"], "typeIds": type_ids or [0]}


def calls(change: Change) -> list[Call]:
    address = change.address
    if change.action is Action.DELETE:
        assert change.before is not None
        return [Call("crm.automatedsolution.delete", {"id": change.before.ids["id"]}, 1, address)]
    assert change.after is not None
    attrs = {**(change.before.attrs if change.before else {}), **change.after.attrs}
    if change.action is Action.CREATE:
        return [Call("crm.automatedsolution.add", {"fields": _fields(attrs)}, 1, address,
                     produces={"id": ("automatedSolution", "id")})]
    assert change.before is not None
    return [Call("crm.automatedsolution.update", {"id": change.before.ids["id"], "fields": _fields(attrs)}, 1,
                 address)]
