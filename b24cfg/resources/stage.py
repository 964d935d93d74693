"""Stages of smart-process and deal pipelines (``crm.status`` rows in ``DYNAMIC_{etid}_STAGE_{cid}``,
``DEAL_STAGE`` for the default deal pipeline, ``DEAL_STAGE_{cid}`` for the others).

Quirks handled here (reference crm §5): STATUS_ID is sent as the bare code (the server adds the
``DT{etid}_{cid}:`` or ``C{cid}:`` prefix); CATEGORY_ID is sent explicitly (else SPA stages get 0); every update
sends NAME, SORT and COLOR (an update without SORT moves the stage to 10); SEMANTICS is immutable,
so changing it replaces the stage; system stages are deleted with ``FORCED``. A new pipeline comes
with stages the portal creates by itself (five for a smart process, eight for deals): they are
predicted, reused when listed and removed when not, never duplicated. The portal refuses a new deal
process stage sorted after the success stage, so stage updates (which move it) run before creates.
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
DEAL_STAGES = (
    ("NEW", "New", 10, "#39A8EF", "process"),
    ("PREPARATION", "Document preparation", 20, "#2FC6F6", "process"),
    ("PREPAYMENT_INVOICE", "Prepayment invoice", 30, "#55D0E0", "process"),
    ("EXECUTING", "In progress", 40, "#47E4C2", "process"),
    ("FINAL_INVOICE", "Final invoice", 50, "#FFA900", "process"),
    ("WON", "Deal successful", 60, "#7BD500", "success"),
    ("LOSE", "Deal failed", 70, "#FF5752", "failure"),
    ("APOLOGY", "Failure reason analysis", 80, "#FF5752", "failure"),
)
"""The stages a new deal pipeline gets (``CCrmStatus::GetDefaultDealStages``, reference crm §5.6)."""
_SYSTEM = {"NEW", "SUCCESS", "FAIL", "WON", "LOSE"}


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
    # Made by the portal and never renamed: a default the manifest may reuse or remove. Only a
    # smart process's stages all carry NAME_INIT; of deal stages only the system ones do, so an
    # untouched deal stage is treated like any other (kept unless pruned).
    untouched = bool(row.get("NAME_INIT")) and row.get("NAME_INIT") == name \
        and str(row.get("ENTITY_ID", "")).startswith("DYNAMIC_")
    return Resource(pipeline.child(KIND, code), attrs, ids, origin="portal-default" if untouched else "portal")


def predicted(pipeline: Address) -> list[Resource]:
    """The stages the portal will create with a new pipeline (none for contacts and companies)."""
    owner = pipeline.key[0]
    stages = DEAL_STAGES if owner == "deal" else () if owner in ("contact", "company") else DEFAULT_STAGES
    return [
        Resource(pipeline.child(KIND, code), {"name": name, "sort": sort, "semantics": semantics, "color": color},
                 {"system": code in _SYSTEM}, origin="predicted")
        for code, name, sort, color, semantics in stages
    ]


def _directory(address: Address, known: str | None = None) -> tuple[Out, Join | str]:
    """The pipeline id and its stage directory: as read when the pipeline exists (``known``, the
    only way to name ``DEAL_STAGE`` of the default deal pipeline), else built from ids to come."""
    pipeline = address.parent()
    assert pipeline is not None
    sp = pipeline.parent()
    assert sp is not None
    cid = Out(pipeline, "id")
    if known:
        return cid, known
    if sp.kind == "entity":  # a new deal pipeline: never the default one
        return cid, Join.of("DEAL_STAGE_", cid)
    return cid, Join.of("DYNAMIC_", Out(sp, "entityTypeId"), "_STAGE_", cid)


def calls(change: Change) -> list[Call]:
    where: dict[str, Any] = {}
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        known = change.after.ids.get("stages") or (change.before.ids.get("ENTITY_ID") if change.before else None)
        cid, entity_id = _directory(change.address, known)
        where = {"ENTITY_ID": entity_id, "CATEGORY_ID": cid}
    return row_calls(change, where, _id(change) if change.before is not None else 0)


def row_calls(change: Change, where: Mapping[str, Any], row_id: int | Out) -> list[Call]:
    """The crm.status calls of a stage or status row: delete (``FORCED``: system rows too), add
    into the directory ``where`` names, update (NAME, SORT and COLOR always: without SORT the
    portal moves the row to 10; ENTITY_ID, STATUS_ID and SEMANTICS are immutable)."""
    address = change.address
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        result.append(Call("crm.status.delete", {"id": row_id, "params": {"FORCED": "Y"}}, 2, address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        fields: dict[str, Any] = {"ENTITY_ID": where["ENTITY_ID"], "STATUS_ID": address.key[-1],
                                  "NAME": attrs["name"], "SORT": attrs["sort"],
                                  **{k: v for k, v in where.items() if k != "ENTITY_ID"}}
        if attrs.get("color"):
            fields["COLOR"] = attrs["color"]
        if attrs.get("semantics") in SEMANTICS_CODE:
            fields["SEMANTICS"] = SEMANTICS_CODE[attrs["semantics"]]
        result.append(Call("crm.status.add", {"fields": fields}, 2, address, produces={"ID": ()}))
    if change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        attrs = {**change.before.attrs, **change.after.attrs}
        update: dict[str, Any] = {"NAME": attrs["name"], "SORT": attrs["sort"]}
        if attrs.get("color"):
            update["COLOR"] = attrs["color"]
        result.append(Call("crm.status.update", {"id": row_id, "fields": update}, 2, address))
    return result


def _id(change: Change) -> int | Out:
    assert change.before is not None
    return int(change.before.ids["ID"]) if "ID" in change.before.ids else Out(change.address, "ID")


def lookup(address: Address) -> Call:
    """Read the stages the portal made for a new pipeline, to learn their ids."""
    pipeline = address.parent()
    assert pipeline is not None
    _, entity_id = _directory(address)

    def extract(result: Any) -> dict[Address, dict[str, Any]]:
        found: dict[Address, dict[str, Any]] = {}
        for row in result or []:
            code = str(row["STATUS_ID"]).split(":", 1)[-1]
            found[pipeline.child(KIND, code)] = {"ID": int(row["ID"])}
        return found

    return Call("crm.status.list", {"filter": {"ENTITY_ID": entity_id}}, 1, address, extract=extract, lookup=True)
