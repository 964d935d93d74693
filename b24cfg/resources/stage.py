"""Stages of smart-process pipelines (``crm.status`` rows in ``DYNAMIC_{etid}_STAGE_{cid}``).

Quirks handled here (reference crm §5): STATUS_ID is sent as the bare code (the server adds the
``DT{etid}_{cid}:`` prefix); CATEGORY_ID is sent explicitly (else SPA stages get 0); every update
sends NAME, SORT and COLOR (an update without SORT moves the stage to 10); SEMANTICS is immutable,
so changing it replaces the stage; system stages are deleted with ``FORCED``. A new pipeline comes
with five stages the portal creates by itself: they are predicted, reused when listed and removed
when not, never duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call, Join, Out

KIND = "stage"
DEPENDS_ON = ("pipeline",)
IMMUTABLE = frozenset({"semantics"})
IDS = ("ID",)
"""Portal ids a live stage carries; the first identifies it."""
SEMANTICS = {"S": "success", "F": "failure"}
SEMANTICS_CODE = {"success": "S", "failure": "F"}

DEFAULT_STAGES = (
    ("NEW", "Start", 10, "#22B9FF", "process"),
    ("PREPARATION", "Preparation", 20, "#88B9FF", "process"),
    ("CLIENT", "Approval", 30, "#10E5FC", "process"),
    ("SUCCESS", "Success", 40, "#00FF00", "success"),
    ("FAIL", "Failure", 50, "#FF0000", "failure"),
)
"""The stages a new smart-process pipeline gets (reference crm §5.6)."""


def read(row: Mapping[str, Any], pipeline: Address) -> Resource:
    status_id = str(row["STATUS_ID"])
    code = status_id.split(":", 1)[1] if ":" in status_id else status_id
    name = str(row.get("NAME") or "")
    attrs = {
        "name": name, "sort": int(row.get("SORT") or 0),
        "semantics": SEMANTICS.get(str(row.get("SEMANTICS") or ""), "process"),
        "color": str(row.get("COLOR") or "").upper(),
    }
    ids = {"ID": int(row["ID"]), "ENTITY_ID": row["ENTITY_ID"], "STATUS_ID": status_id,
           "system": row.get("SYSTEM") == "Y"}
    # Made by the portal and never renamed: a default the manifest may reuse or remove.
    untouched = bool(row.get("NAME_INIT")) and row.get("NAME_INIT") == name
    return Resource(pipeline.child(KIND, code), attrs, ids, origin="portal-default" if untouched else "portal")


def predicted(pipeline: Address) -> list[Resource]:
    return [
        Resource(pipeline.child(KIND, code), {"name": name, "sort": sort, "semantics": semantics, "color": color},
                 {"system": code in ("NEW", "SUCCESS", "FAIL")}, origin="predicted")
        for code, name, sort, color, semantics in DEFAULT_STAGES
    ]


def _directory(address: Address) -> tuple[Out, Out, Join]:
    pipeline = address.parent()
    assert pipeline is not None
    sp = pipeline.parent()
    assert sp is not None
    etid, cid = Out(sp, "entityTypeId"), Out(pipeline, "id")
    return etid, cid, Join.of("DYNAMIC_", etid, "_STAGE_", cid)


def calls(change: Change) -> list[Call]:
    address = change.address
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        assert change.before is not None
        result.append(Call("crm.status.delete", {"id": _id(change), "params": {"FORCED": "Y"}}, 2, address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        _, cid, entity_id = _directory(address)
        fields: dict[str, Any] = {
            "ENTITY_ID": entity_id, "STATUS_ID": address.key[-1], "NAME": attrs["name"], "SORT": attrs["sort"],
            "CATEGORY_ID": cid,
        }
        if attrs.get("color"):
            fields["COLOR"] = attrs["color"]
        if attrs["semantics"] in SEMANTICS_CODE:
            fields["SEMANTICS"] = SEMANTICS_CODE[attrs["semantics"]]
        result.append(Call("crm.status.add", {"fields": fields}, 2, address, produces={"ID": ()}))
    if change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        attrs = {**change.before.attrs, **change.after.attrs}
        fields = {"NAME": attrs["name"], "SORT": attrs["sort"]}
        if attrs.get("color"):
            fields["COLOR"] = attrs["color"]
        result.append(Call("crm.status.update", {"id": _id(change), "fields": fields}, 2, address))
    return result


def _id(change: Change) -> int | Out:
    assert change.before is not None
    return int(change.before.ids["ID"]) if "ID" in change.before.ids else Out(change.address, "ID")


def lookup(address: Address) -> Call:
    """Read the stages the portal made for a new pipeline, to learn their ids."""
    pipeline = address.parent()
    assert pipeline is not None
    _, _, entity_id = _directory(address)

    def extract(result: Any) -> dict[Address, dict[str, Any]]:
        found: dict[Address, dict[str, Any]] = {}
        for row in result or []:
            code = str(row["STATUS_ID"]).split(":", 1)[-1]
            found[pipeline.child(KIND, code)] = {"ID": int(row["ID"])}
        return found

    return Call("crm.status.list", {"filter": {"ENTITY_ID": entity_id}}, 1, address, extract=extract, lookup=True)
