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
from b24cfg.planner.changes import Change
from b24cfg.resources.base import Call
from b24cfg.resources.stage import SEMANTICS, row_calls

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
    parent = change.address.parent()
    assert parent is not None
    row_id = int(change.before.ids["ID"]) if change.before is not None else 0
    return row_calls(change, {"ENTITY_ID": directory_of(parent)}, row_id)
