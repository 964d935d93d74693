"""What every resource adapter provides, and the calls it hands to the executor.

An adapter turns a ``Change`` into REST ``Call``s. A call's parameters may hold values that exist
only once an earlier call ran: ``Out(address, name)`` (the new smart process's ``entityTypeId``)
and ``Join`` (text around such values, ``CRM_`` + id). The executor fills them in from what it
already knows, or — inside one batch — with a ``$result[...]`` reference where the server's greedy
reference syntax allows it (a whole value, or the end of one); otherwise it sends the call in the
next request. A call declares what it produces by result path (usable inside the batch) or by an
``extract`` function (a lookup whose rows are matched on the client).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from b24cfg.manifest.compile import settings_value

from b24cfg.model import Address


@dataclass(frozen=True)
class Out:
    """A portal id a resource will have: known when it exists, produced by a call when it is new."""

    address: Address
    name: str


@dataclass(frozen=True)
class Join:
    """Text made of literal parts and ``Out`` values (``UF_CRM_`` + id + ``_AMOUNT``)."""

    parts: tuple[str | Out, ...]

    @classmethod
    def of(cls, *parts: str | int | Out) -> Join:
        return cls(tuple(p if isinstance(p, Out) else str(p) for p in parts))


Extract = Callable[[Any], Mapping[Address, Mapping[str, Any]]]


@dataclass(frozen=True)
class Call:
    """One REST call made for a change.

    ``tier`` orders calls across changes (parents first); ``produces`` maps output names of
    ``address`` to their path in the result; ``extract`` reads outputs for any addresses from
    the result on the client (lookups of what the portal created by itself).
    """

    method: str
    params: Mapping[str, Any]
    tier: int
    address: Address
    produces: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    extract: Extract | None = None
    lookup: bool = False
    """A read made only to learn ids; it does not count as applying the change."""


def outs(value: Any) -> list[Out]:
    """Every ``Out`` inside a parameter value (keys included)."""
    found: list[Out] = []
    if isinstance(value, Out):
        found.append(value)
    elif isinstance(value, Join):
        found.extend(p for p in value.parts if isinstance(p, Out))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found.extend(outs(key))
            found.extend(outs(item))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.extend(outs(item))
    return found


def yn(value: bool) -> str:
    return "Y" if value else "N"


def is_y(value: Any) -> bool:
    return value in ("Y", "y", True, "true", 1, "1")


def match_items(items: list[Mapping[str, Any]], live: list[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """Desired enumeration items (by position) matched to live ones, which keep their id and so the
    choice every CRM item holds: by xmlId; failing that (an xmlId given to items made without
    one), the unclaimed live item with the same value."""
    by_xml = {e["xmlId"]: e for e in live if e.get("xmlId")}
    matches: dict[int, Mapping[str, Any]] = {}
    for position, item in enumerate(items):
        if item.get("xmlId") and item["xmlId"] in by_xml:
            matches[position] = by_xml[item["xmlId"]]
    claimed = {id(e) for e in matches.values()}
    for position, item in enumerate(items):
        if position in matches:
            continue
        found = next((e for e in live if e["value"] == item["value"] and id(e) not in claimed), None)
        if found is not None:
            matches[position] = found
            claimed.add(id(found))
    return matches


TARGET_KEYS = {"lead": "LEAD", "deal": "DEAL", "contact": "CONTACT", "company": "COMPANY", "quote": "QUOTE",
               "invoice": "SMART_INVOICE"}
"""crm-field settings key of each built-in target (smart processes are ``DYNAMIC_{entityTypeId}``)."""
TARGET_NAMES = {v: k for k, v in TARGET_KEYS.items()}
DYNAMIC = re.compile(r"^DYNAMIC_(\d+)$")


def settings_attrs(user_type: str, stored: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    """A live field's settings as manifests hold them: crm target flags become ``targets``
    (built-in names, smart-process codes by ``names`` entityTypeId, else ``#<key>``; orders are
    never a target), crm_status ``ENTITY_TYPE`` becomes ``directory``, the rest ``settings``."""
    settings = dict(stored)
    attrs: dict[str, Any] = {}
    if user_type == "crm":
        targets = []
        for key in list(settings):
            match = DYNAMIC.match(key)
            if key in TARGET_NAMES or match or key == "ORDER":
                value = settings.pop(key)
                if is_y(value) and key != "ORDER":
                    targets.append(TARGET_NAMES.get(key) or names.get(int(match.group(1)) if match else 0)
                                   or f"#{key}")
        attrs["targets"] = sorted(targets)
    if user_type == "crm_status":
        attrs["directory"] = str(settings.pop("ENTITY_TYPE", "") or "")
    attrs["settings"] = settings_value(settings)
    return attrs
