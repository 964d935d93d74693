"""Pipelines (``crm.category``) of smart processes, deals, contacts and companies.

Pipelines have no code on the portal: live ones are keyed ``#<id>`` and the planner matches them to
manifest keys by name, and the manifest's default pipeline to the portal's default one (reference
crm §4). A new smart process comes with a default pipeline the portal creates by itself; it is
predicted here and reused, never duplicated. The default flag moves by promoting another pipeline
(``isDefault: "Y"`` demotes the old default; "N" is ignored), so deletes run after promotions.
Deals, contacts and companies keep their own default pipeline (id 0): ``isDefault`` is read-only
there, so it is never sent (the planner refuses a manifest that moves it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call, Out, is_y
from b24cfg.resources.smart_process import BUILTIN_IDS

KIND = "pipeline"
DEPENDS_ON = ("smart_process",)
IMMUTABLE: frozenset[str] = frozenset()
IDS = ("id",)
"""Portal ids a live pipeline carries; the first identifies it."""
DEFAULT = {"name": "General", "sort": 500, "default": True}
"""What the portal names and sorts a new smart process's default pipeline (the docs say "General";
some portals say "New pipeline" — it is renamed to the manifest's name either way)."""


def stage_directory(entity_type_id: int, category_id: int) -> str:
    """The crm.status ENTITY_ID of a pipeline's stages (reference crm §5.3)."""
    if entity_type_id == BUILTIN_IDS["deal"]:
        return f"DEAL_STAGE_{category_id}" if category_id else "DEAL_STAGE"
    return f"DYNAMIC_{entity_type_id}_STAGE_{category_id}"


def read(raw: Mapping[str, Any], parent: Address) -> Resource:
    attrs = {"name": str(raw.get("name", "")), "sort": int(raw.get("sort") or 0), "default": is_y(raw.get("isDefault"))}
    ids = {"id": int(raw["id"]), "entityTypeId": int(raw["entityTypeId"]),
           "stages": stage_directory(int(raw["entityTypeId"]), int(raw["id"]))}
    return Resource(parent.child(KIND, f"#{raw['id']}"), attrs, ids, origin="portal")


def owner_type_id(owner: Address) -> int | Out:
    """The entityTypeId of a pipeline owner: fixed for deals, contacts and companies."""
    return BUILTIN_IDS[owner.key[0]] if owner.kind == "entity" else Out(owner, "entityTypeId")


def predicted_default(parent: Address) -> Resource:
    return Resource(parent.child(KIND, "#default"), dict(DEFAULT), origin="predicted")


def calls(change: Change) -> list[Call]:
    address = change.address
    sp = address.parent()
    assert sp is not None
    etid = owner_type_id(sp)
    if change.action is Action.DELETE:
        assert change.before is not None
        ids = change.before.ids
        return [Call("crm.category.delete", {"entityTypeId": ids["entityTypeId"], "id": ids["id"]}, 3, address)]
    assert change.after is not None
    attrs = change.after.attrs
    fields: dict[str, Any] = {"name": attrs["name"], "sort": attrs["sort"]}
    if attrs.get("default") and sp.kind == "smart_process":
        fields["isDefault"] = "Y"
    if change.action is Action.CREATE:
        return [Call("crm.category.add", {"entityTypeId": etid, "fields": fields}, 1, address,
                     produces={"id": ("category", "id")})]
    return [Call("crm.category.update", {"entityTypeId": etid, "id": Out(address, "id"), "fields": fields}, 1, address)]


def lookup(address: Address) -> Call:
    """Find the default pipeline the portal made for a new smart process."""
    sp = address.parent()
    assert sp is not None

    def extract(result: Any) -> dict[Address, dict[str, Any]]:
        for category in (result or {}).get("categories", []):
            if is_y(category.get("isDefault")):
                return {address: {"id": int(category["id"]), "entityTypeId": int(category["entityTypeId"])}}
        return {}

    return Call("crm.category.list", {"entityTypeId": owner_type_id(sp)}, 0, address, extract=extract,
                lookup=True)
