"""Widgets (``placement.bind`` / ``placement.unbind``), read with ``placement.get``.

A placement is keyed, as the portal keys it, by (placement, handler). There is no update: titles
and options change by an unbind, then a bind (reference platform §5), so every attribute is
immutable. A title written as one text is compared with the row's TITLE/DESCRIPTION/GROUP_NAME; a
map of languages is sent as LANG_ALL and compared with ``langAll``; ``placement.get`` has no
top-level group name, so a one-text group name is read from the language entry holding the title.
The portal keeps only the options a placement declares. A fingerprint with no digests marks what
b24cfg bound (``fingerprint.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Change
from b24cfg.resources import fingerprint
from b24cfg.resources.base import Call

KIND = "placement"
DEPENDS_ON: tuple[str, ...] = ()
IMMUTABLE = frozenset({"handler", "title", "description", "groupName", "langAll", "options"})
IDS = ("placement",)
NATURAL = True
_TEXTS = (("title", "TITLE"), ("description", "DESCRIPTION"), ("groupName", "GROUP_NAME"))


def read(raw: Mapping[str, Any], options: Mapping[str, Any], version: int) -> Resource:
    placement, handler = str(raw.get("placement") or "").upper(), str(raw.get("handler") or "")
    lang_all: Mapping[str, Any] = raw["langAll"] if isinstance(raw.get("langAll"), Mapping) else {}
    languages = {str(language): {name: str((texts or {}).get(key) or "") for name, key in _TEXTS}
                 for language, texts in sorted(lang_all.items())}
    title = str(raw.get("title") or "")
    own = next((texts for texts in languages.values() if texts["title"] == title), {})
    attrs = {
        "handler": handler, "title": title, "description": str(raw.get("description") or ""),
        "groupName": str(raw.get("groupName") or own.get("groupName") or ""), "langAll": languages,
        "options": dict(raw["options"]) if isinstance(raw.get("options"), Mapping) else {},
    }
    address = Address(KIND, (placement, handler))
    ids = {"placement": placement, "handler": handler, "userId": int(raw.get("userId") or 0),
           "fingerprint": fingerprint.read(options, address, version).status}
    return Resource(address, attrs, ids, items=0, origin="portal")


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
    before = change.before.ids if change.before is not None else None
    unbind = Call("placement.unbind", {"PLACEMENT": before["placement"], "HANDLER": before["handler"]}, change.tier,
                  change.address) if before is not None else None
    bind = _bind(change.address, change.after.attrs, change.tier) if change.after is not None else None
    return fingerprint.rebind(change, unbind, bind, {})
