"""Custom fields of smart processes (``userfieldconfig.*`` on ``CRM_{type id}``); fields of built-in
entities go through ``crm.{entity}.userfield.*`` in ``entity_field``, which this adapter hands them to.

Quirks handled here (reference crm §6): the field name is ``UF_CRM_{type id}_{CODE}`` — the type's
``id``, not its entityTypeId; type and multiple are immutable (changing them replaces the field and
loses its values); an update replaces labels, settings and the enumeration list, so the whole
desired value is sent, merged with what the manifest does not manage; enumeration items are only
touched when ``userTypeId: "enumeration"`` rides along; ``showInList`` cannot be set at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.manifest.compile import label_value
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources import entity_field
from b24cfg.resources.base import (
    DYNAMIC, TARGET_KEYS, TARGET_NAMES, Call, Join, Out, is_y, match_items, settings_attrs, yn,
)

KIND = "field"
DEPENDS_ON = ("smart_process",)
IMMUTABLE = frozenset({"type", "multiple"})
IDS = ("id",)
"""Portal ids a live field carries; the first identifies it."""



def code_of(field_name: str, type_id: int) -> str | None:
    prefix = f"UF_CRM_{type_id}_"
    return field_name[len(prefix):] if field_name.startswith(prefix) else None


def read(raw: Mapping[str, Any], sp: Address, type_id: int, names: Mapping[int, str]) -> Resource | None:
    """A live field from ``userfieldconfig.list``; None for a name outside b24cfg's scheme."""
    code = code_of(str(raw.get("fieldName", "")), type_id)
    if not code:
        return None
    user_type = str(raw.get("userTypeId", ""))
    settings = dict(raw.get("settings") or {}) if isinstance(raw.get("settings"), Mapping) else {}
    attrs: dict[str, Any] = {
        "type": user_type, "multiple": is_y(raw.get("multiple")),
        "label": label_value(raw.get("editFormLabel") or {}) if isinstance(raw.get("editFormLabel"), Mapping)
        else str(raw.get("editFormLabel") or ""),
        "mandatory": is_y(raw.get("mandatory")), "showInFilter": str(raw.get("showFilter") or "N") != "N",
        "editInList": is_y(raw.get("editInList")), "searchable": is_y(raw.get("isSearchable")),
        "sort": int(raw.get("sort") or 0),
    }
    attrs.update(settings_attrs(user_type, settings, names))
    enum = [e for e in raw.get("enum") or [] if isinstance(e, Mapping)]
    if user_type == "enumeration":
        attrs["items"] = [
            {"value": str(e.get("value", "")), "default": is_y(e.get("def")), "sort": int(e.get("sort") or 0),
             "xmlId": str(e.get("xmlId") or "")}
            for e in sorted(enum, key=lambda e: (int(e.get("sort") or 0), int(e.get("id") or 0)))
        ]
    ids = {"id": int(raw["id"]), "entityId": str(raw.get("entityId", "")), "fieldName": str(raw["fieldName"]),
           "settings": dict(raw.get("settings") or {}) if isinstance(raw.get("settings"), Mapping) else {},
           "enum": [{"id": int(e["id"]), "value": str(e.get("value", "")), "xmlId": str(e.get("xmlId") or "")}
                    for e in enum]}
    return Resource(sp.child(KIND, code), attrs, ids, origin="portal")


def _settings(attrs: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str | Join, Any]:
    """The full settings to send: what is there, what the manifest says, targets/directory derived."""
    settings: dict[str | Join, Any] = {}
    settings.update(current)
    settings.update(attrs.get("settings", {}))
    if "targets" in attrs:
        for key in [k for k in settings if isinstance(k, str) and (k in TARGET_NAMES or DYNAMIC.match(k))]:
            settings[key] = "N"
        for target in attrs["targets"]:
            if target in TARGET_KEYS:
                settings[TARGET_KEYS[target]] = "Y"
            else:
                settings[Join.of("DYNAMIC_", Out(Address("smart_process", (target,)), "entityTypeId"))] = "Y"
    if "directory" in attrs:
        settings["ENTITY_TYPE"] = attrs["directory"]
    return settings


def _enum(items: list[Mapping[str, Any]], live: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The authoritative enumeration list: matched items go with their id (``match_items``)."""
    matches = match_items(items, live)
    out = []
    for position, item in enumerate(items):
        entry: dict[str, Any] = {"value": item["value"], "def": yn(item["default"]), "sort": item["sort"]}
        if item.get("xmlId"):
            entry["xmlId"] = item["xmlId"]
        if position in matches:
            entry["id"] = matches[position]["id"]
        out.append(entry)
    return out


def _body(attrs: Mapping[str, Any], settings: Mapping[str | Join, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mandatory": yn(attrs["mandatory"]), "showFilter": "E" if attrs["showInFilter"] else "N",
        "editInList": yn(attrs["editInList"]), "isSearchable": yn(attrs["searchable"]), "sort": attrs["sort"],
        "editFormLabel": attrs["label"],
    }
    if settings:  # an empty object cannot travel in a batch, and means "defaults" anyway
        body["settings"] = dict(settings)
    return body


def calls(change: Change) -> list[Call]:
    if change.address.builtin:
        return entity_field.calls(change)
    address = change.address
    sp = address.parent()
    assert sp is not None
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        assert change.before is not None
        result.append(Call("userfieldconfig.delete", {"moduleId": "crm", "id": change.before.ids["id"]}, 1, address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        type_id = Out(sp, "id")
        body = {
            "entityId": Join.of("CRM_", type_id), "fieldName": Join.of("UF_CRM_", type_id, "_", address.key[-1]),
            "userTypeId": attrs["type"], "multiple": yn(attrs["multiple"]), **_body(attrs, _settings(attrs, {})),
        }
        if attrs.get("items"):
            body["enum"] = _enum(attrs["items"], [])
        result.append(Call("userfieldconfig.add", {"moduleId": "crm", "field": body}, 1, address,
                           produces={"id": ("field", "id")}))
    if change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        attrs = {**change.before.attrs, **change.after.attrs}
        body = _body(attrs, _settings(attrs, change.before.ids.get("settings", {})))
        if any(a.name == "items" for a in change.attrs):
            body["userTypeId"] = "enumeration"  # without it the enum list is ignored (crm §6.5)
            body["enum"] = _enum(attrs["items"], change.before.ids.get("enum", []))
        result.append(Call("userfieldconfig.update", {"moduleId": "crm", "id": change.before.ids["id"], "field": body},
                           1, address))
    return result

