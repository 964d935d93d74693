"""CRM items: ``crm.item.list``, just enough to count what a type, pipeline or stage holds.

Facts come from the docs page ``api-reference/crm/universal/crm-item-list.md`` of
bitrix24/b24restdocs (HEAD ``5988ed13``), ``…/universal/object-fields.md`` for the fields each type
has, and, for what the page leaves open, the server source ``Bitrix\\Crm\\Controller\\Item::listAction``
and ``Bitrix\\Rest\\Engine\\RestManager`` (navigation). Points neither settles are decided in
comments starting ``CHOICE:``.

The sandbox keeps no item records, only aggregated rows (owned by the crm module, filled by
``SandboxPortal.add_items``)::

    state["items"]  [row]  {"entityTypeId", "categoryId", "stageId", "count", "recycleBin"}

This module expands those rows into items on the fly and writes nothing. Item ids are
synthesized, stable while rows are only appended: each type has its own id space (every CRM type
has its own table), and a row's items take the next ``count`` ids of its type in row order.
Recycle-bin rows take ids too (the items existed before they were deleted) but are never listed.
"""

from __future__ import annotations

import re
from typing import Any

from b24cfg.sandbox import ormfilter
from b24cfg.sandbox.core import Call, Listed, RestError, State, as_int, method, paginate, php_list
from b24cfg.sandbox.methods.crm import COMPANY, CONTACT, DEAL, DYNAMIC_BASED, LEAD, QUOTE

PAGE = 50  # IRestService::LIST_LIMIT
DONT_CALCULATE_COUNT = -1  # RestManager::DONT_CALCULATE_COUNT

# Item fields the sandbox models, by their UPPER_SNAKE (ORM) name -> the row key / camelCase name.
_ID, _ENTITY_TYPE_ID, _CATEGORY_ID, _STAGE_ID = "ID", "ENTITY_TYPE_ID", "CATEGORY_ID", "STAGE_ID"
_CAMEL = {_ID: "id", _ENTITY_TYPE_ID: "entityTypeId", _CATEGORY_ID: "categoryId", _STAGE_ID: "stageId"}

# object-fields.md: leads and quotes have no categoryId; contacts and companies have no stageId;
# deals, invoices, documents and smart processes have both (an SPA's stageId only while
# isStagesEnabled is Y).
_WITHOUT_CATEGORY = (LEAD, QUOTE)
_WITHOUT_STAGE = (CONTACT, COMPANY)


def _fields(state: State, entity_type_id: int) -> list[str] | None:
    """The modelled fields of a type's items in output order, or None when crm.item has no such type."""
    spa = next((t for t in state["types"].values() if t["entityTypeId"] == entity_type_id), None)
    if spa is None and entity_type_id not in (LEAD, DEAL, CONTACT, COMPANY, QUOTE, *DYNAMIC_BASED):
        return None
    fields = [_ID, _ENTITY_TYPE_ID]
    if entity_type_id not in _WITHOUT_CATEGORY:
        fields.append(_CATEGORY_ID)
    if entity_type_id not in _WITHOUT_STAGE and (spa is None or spa["isStagesEnabled"] == "Y"):
        fields.append(_STAGE_ID)
    return fields


def _upper(name: str, known: list[str]) -> str:
    """The server's camelCase -> UPPER_SNAKE key conversion; known UPPER names pass unchanged
    (``Item::getFactory`` pre-registers them with ``preprocessUpperFieldNames``)."""
    if name in known:
        return name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _items(state: State, entity_type_id: int) -> list[dict[str, Any]]:
    """Every live item of a type, in id order (camelCase keys)."""
    out: list[dict[str, Any]] = []
    next_id = 1
    rows: list[dict[str, Any]] = state["items"]
    for row in rows:
        if row["entityTypeId"] != entity_type_id:
            continue
        count = max(as_int(row.get("count")), 0)
        if not row.get("recycleBin"):
            # CHOICE: a row added without a pipeline or stage lists its items with null there,
            # exactly as the crm module's delete guards (_count_items) see them; give both to
            # add_items to get what a real portal would show.
            out.extend(
                {"id": next_id + k, "entityTypeId": entity_type_id, "categoryId": row.get("categoryId"),
                 "stageId": row.get("stageId")}
                for k in range(count)
            )
        next_id += count
    return out


def _get(item: dict[str, Any], field: str) -> Any:
    """Read a field named as the (already UPPER_SNAKE-converted) filter or order names it."""
    return item.get(_CAMEL.get(field, ""))


def _filter(call: Call, fields: list[str]) -> dict[str, Any]:
    """``filter`` with every key converted to UPPER_SNAKE (operators kept), nested groups included.

    CHOICE: only the fields the sandbox models (id, entityTypeId, categoryId, stageId) may be
    filtered; any other name is refused with the documented "not allowed in filter" error, so a
    filter the sandbox cannot evaluate never answers a wrong count. The error names the field as
    the caller wrote it, as crm.type.list does.
    """

    def convert(group: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in group.items():
            if str(key).lower() == "logic":
                out[str(key)] = value
                continue
            sub = ormfilter.group(value) if str(key).lstrip("-").isdigit() else None
            if sub is not None:
                out[str(key)] = convert(sub)
                continue
            op, name = ormfilter.split_key(str(key))
            upper = _upper(name, fields)
            if upper not in fields:
                raise RestError("INVALID_ARG_VALUE", f"Invalid filter: field '{name}' is not allowed in filter")
            out[op + upper] = value
        return out

    return convert(ormfilter.group(call.exact("filter")) or {})


def _order(call: Call, fields: list[str]) -> list[tuple[str, str]]:
    raw = call.exact("order")
    order: list[tuple[str, str]] = []
    for name, direction in (raw.items() if isinstance(raw, dict) else []):
        upper = _upper(str(name), fields)
        if upper not in fields:
            raise RestError("INVALID_ARG_VALUE", f"Invalid order: field '{name}' is not allowed in order")
        text = "" if direction is None else str(direction)
        if text.upper() not in ("ASC", "DESC"):
            raise RestError(
                "INVALID_ARG_VALUE",
                f"Invalid order: allowed sort directions are ASC, DESC. But got '{text}' for field '{name}'",
            )
        order.append((upper, text.upper()))
    # CHOICE: without an order the items come by id, ascending (the table's natural order).
    return order or [(_ID, "ASC")]


def _select(call: Call, fields: list[str]) -> list[str] | None:
    """The camelCase keys to keep, or None for all (``['*']``, the default)."""
    raw = call.exact("select")
    # CHOICE: a select that is not an array is read as the default ['*'].
    names = php_list(raw)
    if names is None or "*" in names:
        return None
    # Item::prepareSelect drops names the type does not have; getJsonForItems then keeps exactly
    # the selected keys (id only when it was asked for).
    wanted = {_upper(str(n), fields) for n in names}
    return [_CAMEL[f] for f in fields if f in wanted]


@method("crm.item.list", scope="crm")
def item_list(call: Call) -> Listed:
    raw_type = call.exact("entityTypeId")
    if raw_type is None:
        # Engine action argument missing (crm §13.3).
        raise RestError(100, "Could not find value for parameter {entityTypeId}")
    entity_type_id = as_int(raw_type)
    state = call.state
    fields = _fields(state, entity_type_id)
    if fields is None:
        # The documented answer for an entityTypeId with no factory (crm-item-list.md, HEAD docs).
        raise RestError("NOT_FOUND", "SPA not found")
    flt = _filter(call, fields)
    order = _order(call, fields)
    keep = _select(call, fields)
    # CHOICE: no per-item read permissions in the sandbox: every user reads every item.
    rows = [i for i in _items(state, entity_type_id) if ormfilter.matches(i, flt, _get)]
    rows = ormfilter.sort_rows(rows, order, _get)
    present = [_CAMEL[f] for f in fields]
    out: list[Any] = []
    for row in rows:
        item = {key: row[key] for key in (keep if keep is not None else present)}
        # An empty select leaves PHP an empty array, which JSON prints as [].
        out.append(item if item else [])
    start = as_int(call.exact("start"))
    # RestManager::initialize: PageNavigation pages of 50, so the offset is start rounded down to
    # a page boundary; start <= 0 is the first page.
    offset = (start // PAGE) * PAGE if start > 0 else 0
    page = paginate(out, offset, PAGE)
    if start == DONT_CALCULATE_COUNT:
        # RestManager::getNavigationData: start=-1 skips the count, and with it total and next.
        # CHOICE: the source's behaviour; the docs only describe start=-1 for legacy lists
        # (settings/performance/huge-data.md, where total reads 0).
        return Listed({"items": page.result})
    return Listed({"items": page.result}, total=page.total, next=page.next)
