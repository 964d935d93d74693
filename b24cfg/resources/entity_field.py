"""Custom fields of the built-in CRM entities (``crm.{lead,deal,contact,company,quote}.userfield.*``).

The legacy ``UserFieldProxy`` family (reference crm §7), reached through ``field.py`` for addresses
such as ``field.deal.BUDGET``; not an adapter of its own. Attributes have the names and normal forms
of ``field.py``, so diffs, compile and export treat both families alike.

Quirks handled here: the field name is ``UF_CRM_{CODE}`` and the server adds the prefix itself; type
and multiple are immutable (changing them replaces the field and loses its values); only a few
settings per type are written at all (``WRITABLE_SETTINGS``), and an update *merges* them into the
stored ones; labels not sent on update are kept, a label sent replaces every language (languages
not given become empty); ``LABEL`` on add fills every language a map leaves out (else the raw field
name would); the enumeration list is incremental: stored items not mentioned are kept, so each one
to drop is sent with ``DEL: "Y"``, and items keep their ids (the choice every CRM item holds) by
being sent with ``ID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.manifest.compile import label_value
from b24cfg.manifest.schema import ENTITY_FIELD_SETTINGS, ENTITY_FIELD_TARGETS
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, Change
from b24cfg.resources.base import TARGET_KEYS, Call, is_y, match_items, settings_attrs, yn

KIND = "field"
IMMUTABLE = frozenset({"type", "multiple"})
IDS = ("id",)
"""Portal ids a live field carries; the first identifies it."""

ENTITY_IDS = {"lead": "CRM_LEAD", "deal": "CRM_DEAL", "contact": "CRM_CONTACT", "company": "CRM_COMPANY",
              "quote": "CRM_QUOTE"}
PREFIX = "UF_CRM_"

WRITABLE_SETTINGS = ENTITY_FIELD_SETTINGS
"""Per type, the SETTINGS keys ``crm.*.userfield.add/update`` write (UserFieldProxy); any other key
is dropped by the proxy (the type then fills its default). crm_status and crm write none the
manifest gives: ENTITY_TYPE comes from ``directory``, LEAD/CONTACT/COMPANY/DEAL from ``targets``."""
TARGETS = ENTITY_FIELD_TARGETS
"""The only crm-field targets this family stores."""

_LABELS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL")


def code_of(field_name: str) -> str | None:
    """``UF_CRM_BUDGET`` -> ``BUDGET``; None for a name outside b24cfg's scheme."""
    return field_name[len(PREFIX):] or None if field_name.startswith(PREFIX) else None


def _method(address: Address, verb: str) -> str:
    return f"crm.{address.key[0]}.userfield.{verb}"


def read(row: Mapping[str, Any], entity: Address, names: Mapping[int, str] | None = None) -> Resource | None:
    """A live field from one ``crm.{e}.userfield.list`` row whose ``EDIT_FORM_LABEL`` is a
    ``{lang: text}`` map (the refresh merges the per-language lists); None for a name outside
    b24cfg's scheme. ``names`` (entityTypeId -> smart-process code) names ``DYNAMIC_n`` targets."""
    code = code_of(str(row.get("FIELD_NAME", "")))
    if not code:
        return None
    user_type = str(row.get("USER_TYPE_ID", ""))
    raw_settings = row.get("SETTINGS")
    stored = dict(raw_settings) if isinstance(raw_settings, Mapping) else {}
    label = row.get("EDIT_FORM_LABEL")
    attrs: dict[str, Any] = {
        "type": user_type, "multiple": is_y(row.get("MULTIPLE")),
        "label": label_value(label) if isinstance(label, Mapping) else str(label or ""),
        "mandatory": is_y(row.get("MANDATORY")), "showInFilter": str(row.get("SHOW_FILTER") or "N") != "N",
        "editInList": is_y(row.get("EDIT_IN_LIST")), "searchable": is_y(row.get("IS_SEARCHABLE")),
        "sort": int(row.get("SORT") or 0),
    }
    attrs.update(settings_attrs(user_type, stored, names or {}))
    enum = [e for e in row.get("LIST") or [] if isinstance(e, Mapping)]
    if user_type == "enumeration":
        attrs["items"] = [
            {"value": str(e.get("VALUE", "")), "default": is_y(e.get("DEF")), "sort": int(e.get("SORT") or 0),
             "xmlId": str(e.get("XML_ID") or "")}
            for e in sorted(enum, key=lambda e: (int(e.get("SORT") or 0), int(e.get("ID") or 0)))
        ]
    ids = {"id": int(row["ID"]), "entityId": str(row.get("ENTITY_ID", "")), "fieldName": str(row["FIELD_NAME"]),
           "settings": stored,
           "enum": [{"id": int(e["ID"]), "value": str(e.get("VALUE", "")), "xmlId": str(e.get("XML_ID") or "")}
                    for e in enum]}
    return Resource(entity.child(KIND, code), attrs, ids, origin="portal")


def _settings(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The settings to send: the writable keys the manifest gives, plus those derived from
    ``targets`` (all four flags, so a dropped target is switched off) and ``directory``."""
    user_type = str(attrs["type"])
    writable = WRITABLE_SETTINGS.get(user_type, frozenset())
    settings = {k: v for k, v in (attrs.get("settings") or {}).items() if k in writable}
    if user_type == "crm" and "targets" in attrs:
        wanted = set(attrs["targets"] or [])
        for target in TARGETS:
            settings[TARGET_KEYS[target]] = yn(target in wanted)
    if user_type == "crm_status" and "directory" in attrs:
        settings["ENTITY_TYPE"] = attrs["directory"]
    return settings


def _default_label(label: str | Mapping[str, Any]) -> str:
    if isinstance(label, str):
        return label
    texts = [str(v) for v in label.values() if v not in (None, "")]
    return str(label["en"]) if label.get("en") else texts[0] if texts else ""


def _labels(label: str | Mapping[str, Any]) -> dict[str, Any]:
    value = label if isinstance(label, str) else dict(label)
    return {kind: value for kind in _LABELS}


def _flags(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "MANDATORY": yn(attrs["mandatory"]), "SHOW_FILTER": yn(attrs["showInFilter"]),
        "EDIT_IN_LIST": yn(attrs["editInList"]), "IS_SEARCHABLE": yn(attrs["searchable"]), "SORT": attrs["sort"],
    }


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"VALUE": item["value"], "SORT": item["sort"], "DEF": yn(item["default"])}
    if item.get("xmlId"):
        entry["XML_ID"] = item["xmlId"]
    return entry


def _list_update(items: list[Mapping[str, Any]], live: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The incremental LIST of an update. A desired item matches the live one with its xmlId;
    failing that, the unclaimed live item with its value. Matched items go with their ``ID`` (and
    the live xmlId when none is desired: an item sent without one gets md5(VALUE) instead), the
    others are added, and every live item left over is deleted — the portal keeps items not sent."""
    matches = match_items(items, live)
    claimed = {id(e) for e in matches.values()}
    out = []
    for position, item in enumerate(items):
        entry = _item(item)
        if position in matches:
            entry = {"ID": matches[position]["id"], **entry}
            if not entry.get("XML_ID") and matches[position].get("xmlId"):
                entry["XML_ID"] = matches[position]["xmlId"]
        out.append(entry)
    out.extend({"ID": e["id"], "DEL": "Y"} for e in live if id(e) not in claimed)
    return out


def calls(change: Change) -> list[Call]:
    address = change.address
    result: list[Call] = []
    if change.action in (Action.DELETE, Action.REPLACE):
        assert change.before is not None
        result.append(Call(_method(address, "delete"), {"id": change.before.ids["id"]}, 1, address))
    if change.action in (Action.CREATE, Action.REPLACE):
        assert change.after is not None
        attrs = change.after.attrs
        fields: dict[str, Any] = {
            "FIELD_NAME": address.key[-1], "USER_TYPE_ID": attrs["type"], "MULTIPLE": yn(attrs["multiple"]),
            **_flags(attrs), **_labels(attrs["label"]), "LABEL": _default_label(attrs["label"]),
        }
        settings = _settings(attrs)
        if settings:  # an empty object cannot travel in a batch, and means "defaults" anyway
            fields["SETTINGS"] = settings
        if attrs["type"] == "enumeration" and attrs.get("items"):
            fields["LIST"] = [_item(item) for item in attrs["items"]]
        result.append(Call(_method(address, "add"), {"fields": fields}, 1, address, produces={"id": ()}))
    if change.action is Action.UPDATE:
        assert change.after is not None and change.before is not None
        attrs = {**change.before.attrs, **change.after.attrs}
        changed = {a.name for a in change.attrs}
        fields = _flags(attrs)
        if "label" in changed:
            fields.update(_labels(attrs["label"]))
        if changed & {"settings", "targets", "directory"}:
            settings = _settings(attrs)
            if settings:
                fields["SETTINGS"] = settings
        if "items" in changed and attrs["type"] == "enumeration":
            items = _list_update(list(attrs.get("items") or []), list(change.before.ids.get("enum", [])))
            if items:  # nothing to add, keep or delete: an empty list cannot travel in a batch either
                fields["LIST"] = items
        result.append(Call(_method(address, "update"), {"id": change.before.ids["id"], "fields": fields}, 1, address))
    return result
