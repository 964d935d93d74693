"""Widgets (``placement.bind`` / ``placement.unbind``), read with ``placement.get``.

A placement is keyed, as the portal keys it, by (placement, handler). There is no update: titles
and options change by an unbind, then a bind (reference platform §5), so every attribute is
immutable. A title written as one text is compared with the row's TITLE/DESCRIPTION/GROUP_NAME; a
map of languages is sent as LANG_ALL and compared with ``langAll``. The portal keeps only the
options a placement declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Change
from b24cfg.resources.base import Call

KIND = "placement"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE = frozenset({"handler", "title", "description", "groupName", "langAll", "options"})
IDS = ("placement",)
NATURAL = True
_TEXTS = (("title", "TITLE"), ("description", "DESCRIPTION"), ("groupName", "GROUP_NAME"))


def read(raw: Mapping[str, Any]) -> Resource:
    placement, handler = str(raw.get("placement") or "").upper(), str(raw.get("handler") or "")
    lang_all: Mapping[str, Any] = raw["langAll"] if isinstance(raw.get("langAll"), Mapping) else {}
    attrs = {
        "handler": handler, "title": str(raw.get("title") or ""), "description": str(raw.get("description") or ""),
        "groupName": str(raw.get("groupName") or raw.get("group_name") or ""),
        "langAll": {str(language): {name: str((texts or {}).get(key) or "") for name, key in _TEXTS}
                    for language, texts in sorted(lang_all.items())},
        "options": dict(raw["options"]) if isinstance(raw.get("options"), Mapping) else {},
    }
    ids = {"placement": placement, "handler": handler, "userId": int(raw.get("userId") or 0)}
    return Resource(Address(KIND, (placement, handler)), attrs, ids, items=0, origin="portal")


def _bind(address: Address, attrs: Mapping[str, Any], tier: int) -> Call:
    params: dict[str, Any] = {"PLACEMENT": address.key[0], "HANDLER": attrs["handler"]}
    if "langAll" in attrs:
        params["LANG_ALL"] = {language: {key: texts[name] for name, key in _TEXTS}
                              for language, texts in attrs["langAll"].items()}
    else:
        params.update({key: attrs[name] for name, key in _TEXTS if attrs.get(name)})
    if attrs["options"]:
        params["OPTIONS"] = dict(attrs["options"])
    return Call("placement.bind", params, tier, address)


def calls(change: Change) -> list[Call]:
    out: list[Call] = []
    if change.before is not None:
        ids = change.before.ids
        out.append(Call("placement.unbind", {"PLACEMENT": ids["placement"], "HANDLER": ids["handler"]}, change.tier,
                        change.address))
    if change.after is not None:
        out.append(_bind(change.address, change.after.attrs, change.tier))
    return out
