"""Entries of fixed crm.status directories: lead and quote statuses, and plain lists (SOURCE, ...).

Lead statuses live in ``STATUS`` and quote statuses in ``QUOTE_STATUS`` (reference crm §5.3); both
have semantics and colours like pipeline stages. Plain directories hold name and sort only. As for
stages: STATUS_ID and SEMANTICS are immutable (a change replaces the entry), every update sends
NAME and SORT (an update without SORT moves the entry to 10), system entries are deleted with
``FORCED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import STATUS_ENTITIES, Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call
from b24cfg.resources.stage import SEMANTICS, SEMANTICS_CODE

KIND = "status"
DEPENDS_ON = ("entity", "directory")
IMMUTABLE = frozenset({"semantics"})
IDS = ("ID",)


def directory_of(parent: Address) -> str:
    """The crm.status ENTITY_ID of ``entity.lead`` / ``entity.quote`` / ``directory.SOURCE``."""
    return STATUS_ENTITIES[parent.key[0]] if parent.kind == "entity" else parent.key[0]


def read(row: Mapping[str, Any], parent: Address) -> Resource:
    name = str(row.get("NAME") or "")
    attrs: dict[str, Any] = {"name": name, "sort": int(row.get("SORT") or 0)}
    if parent.kind == "entity":
        attrs["semantics"] = SEMANTICS.get(str(row.get("SEMANTICS") or ""), "process")
        attrs["color"] = str(row.get("COLOR") or "").upper()
    ids = {"ID": int(row["ID"]), "ENTITY_ID": str(row["ENTITY_ID"]), "STATUS_ID": str(row["STATUS_ID"]),
           "system": row.get("SYSTEM") == "Y"}
    return Resource(parent.child(KIND, str(row["STATUS_ID"])), attrs, ids, origin="portal")


def calls(change: Change) -> list[Call]:
    address = change.address
    parent = address.parent()
    assert parent is not None
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        assert change.before is not None
        result.append(Call("crm.status.delete", {"id": int(change.before.ids["ID"]), "params": {"FORCED": "Y"}}, 2,
                           address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        fields: dict[str, Any] = {"ENTITY_ID": directory_of(parent), "STATUS_ID": address.key[-1],
                                  "NAME": attrs["name"], "SORT": attrs["sort"]}
        if attrs.get("color"):
            fields["COLOR"] = attrs["color"]
        if attrs.get("semantics") in SEMANTICS_CODE:
            fields["SEMANTICS"] = SEMANTICS_CODE[attrs["semantics"]]
        result.append(Call("crm.status.add", {"fields": fields}, 2, address, produces={"ID": ()}))
    if change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        attrs = {**change.before.attrs, **change.after.attrs}
        fields = {"NAME": attrs["name"], "SORT": attrs["sort"]}
        if attrs.get("color"):
            fields["COLOR"] = attrs["color"]
        result.append(Call("crm.status.update", {"id": int(change.before.ids["ID"]), "fields": fields}, 2, address))
    return result
