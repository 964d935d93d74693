"""Smart processes (``crm.type``): read, normalise, and the calls that change them.

Quirks handled here (reference crm §2-3): ``crm.type.list`` omits relations, so each managed type
is read with ``crm.type.get``; relations are replaced per side on every update and fail silently,
so the whole desired side is always sent (``isChildrenListEnabled`` as the strings "true"/"false")
and apply reads back; predefined contact/company parents (``features.client``) are not relations
a manifest manages; deleting a type does not purge its user fields, so a replace deletes them first;
pipelines cannot be switched off while more than one exists, so that switch waits for the pipeline
deletes (tier 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.manifest.compile import FEATURE_FLAGS, LINKED_USER_FIELDS
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import Call, Out, is_y, yn

KIND = "smart_process"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE = frozenset({"entityTypeId"})
IDS = ("id", "entityTypeId")
"""Portal ids a live smart process carries; the first identifies it."""

BUILTIN_IDS = {"lead": 1, "deal": 2, "contact": 3, "company": 4, "quote": 7, "order": 14, "invoice": 31}
BUILTIN_NAMES = {v: k for k, v in BUILTIN_IDS.items()}


def address_of(raw: Mapping[str, Any]) -> Address:
    code = str(raw.get("code") or "")
    return Address(KIND, (code if code else f"#{raw['id']}",))


def read(raw: Mapping[str, Any], names: Mapping[int, str]) -> Resource:
    """A live smart process from ``crm.type.get``; ``names`` maps entityTypeIds to codes."""
    attrs: dict[str, Any] = {"title": str(raw.get("title", "")), "entityTypeId": int(raw["entityTypeId"])}
    for name, flag in FEATURE_FLAGS.items():
        attrs[f"features.{name}"] = is_y(raw.get(flag))
    linked = raw.get("linkedUserFields") or {}
    for name, key in LINKED_USER_FIELDS.items():
        attrs[f"features.linkedUserFields.{name}"] = is_y(linked.get(key)) if isinstance(linked, Mapping) else False
    relations = raw.get("relations") or {}
    for side, attr in (("parent", "relations.parents"), ("child", "relations.children")):
        entries = relations.get(side, []) if isinstance(relations, Mapping) else []
        attrs[attr] = sorted(
            (
                {"type": type_name(int(e["entityTypeId"]), names), "showInCard": is_y(e.get("isChildrenListEnabled"))}
                for e in entries if not is_y(e.get("isPredefined"))
            ),
            key=lambda r: r["type"],
        )
    return Resource(
        address_of(raw), attrs, {"id": int(raw["id"]), "entityTypeId": int(raw["entityTypeId"])}, origin="portal",
    )


def type_name(entity_type_id: int, names: Mapping[int, str]) -> str:
    """A related type as manifests name it: built-in name, smart-process code, or ``#<entityTypeId>``."""
    return BUILTIN_NAMES.get(entity_type_id) or names.get(entity_type_id) or f"#{entity_type_id}"


def type_id(name: str) -> int | Out:
    """The entityTypeId of a type named in a manifest: built in, or another smart process's (maybe new)."""
    if name in BUILTIN_IDS:
        return BUILTIN_IDS[name]
    return Out(Address(KIND, (name,)), "entityTypeId")


def _flags(attrs: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, flag in FEATURE_FLAGS.items():
        if f"features.{name}" in attrs:
            fields[flag] = yn(bool(attrs[f"features.{name}"]))
    linked = {key: "true" if attrs[f"features.linkedUserFields.{name}"] else "false"
              for name, key in LINKED_USER_FIELDS.items() if f"features.linkedUserFields.{name}" in attrs}
    if linked:
        fields["linkedUserFields"] = linked
    return fields


def _relations(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, attr in (("parent", "relations.parents"), ("child", "relations.children")):
        if attr in attrs:
            out[side] = [
                {"entityTypeId": type_id(r["type"]), "isChildrenListEnabled": "true" if r["showInCard"] else "false"}
                for r in attrs[attr]
            ]
    return out


def calls(change: Change) -> list[Call]:
    address = change.address
    me = {"id": Out(address, "id"), "entityTypeId": Out(address, "entityTypeId")}
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        assert change.before is not None
        for child in change.cascade:
            if child.address.kind == "field":  # crm.type.delete leaves user fields behind (crm §14.19)
                result.append(Call("userfieldconfig.delete", {"moduleId": "crm", "id": child.ids["id"]}, 0, address))
        result.append(Call("crm.type.delete", {"id": change.before.ids["id"]}, 0, address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        fields: dict[str, Any] = {"title": attrs["title"], "code": address.key[0], **_flags(attrs)}
        if "entityTypeId" in attrs:
            fields["entityTypeId"] = attrs["entityTypeId"]
        result.append(Call("crm.type.add", {"fields": fields}, 0, address,
                           produces={"id": ("type", "id"), "entityTypeId": ("type", "entityTypeId")}))
        relations = _relations(attrs)
        if any(relations.values()):
            # Related smart processes may be created in this same apply: set relations one tier later.
            result.append(Call("crm.type.update", {"id": me["id"], "fields": {"relations": relations}}, 1, address))
    if change.action is Action.UPDATE:
        assert change.after is not None
        changed = {a.name for a in change.attrs}
        desired = {k: v for k, v in change.after.attrs.items() if k in changed}
        fields = _flags(desired)
        if fields.get("isCategoriesEnabled") == "N":
            # The portal refuses to switch pipelines off while more than one exists: after the
            # pipeline deletes (tier 3).
            del fields["isCategoriesEnabled"]
            result.append(Call("crm.type.update", {"id": me["id"], "fields": {"isCategoriesEnabled": "N"}}, 4,
                               address))
        if "title" in changed:
            fields["title"] = desired["title"]
        if "code" in changed:  # a smart process made by hand, adopted by its title: give it the code
            fields["code"] = address.key[0]
        if fields:
            result.append(Call("crm.type.update", {"id": me["id"], "fields": fields}, 0, address))
        relations = _relations(desired)
        if relations:
            result.append(Call("crm.type.update", {"id": me["id"], "fields": {"relations": relations}}, 1, address))
    return result
