"""Smart processes, pipelines and directories: ``crm.type.*``, ``crm.category.*``, ``crm.status.*``.

Facts come from reference/bitrix24-rest-crm.md (cited as "crm §n") and the documented fixtures in
reference/bitrix24-rest-crm-examples.json; where docs and server source disagree the docs win.
Points the reference leaves open are decided in comments starting ``CHOICE:``.

Two response styles live side by side (crm §1): the Engine families (``crm.type``, ``crm.category``)
read camelCase parameters literally and answer with ints, ``"Y"``/``"N"`` and wrappers
(``type``, ``types``, ``category``, ``categories``, ``fields``); the legacy ``crm.status`` resolves
``id``/``fields``/``filter``/``order`` case-insensitively and answers with UPPER keys whose values
are all strings or null.

State owned by this module (JSON types only)::

    state["types"]       {str(id): type}   camelCase records, see _FLAGS; "linkedUserFields" inside.
                         Other modules read id/entityTypeId/title/code/customSectionId/is*; the
                         digital-workplace module may set customSectionId.
    state["categories"]  [category]        {"id", "entityTypeId", "name", "sort", "isDefault",
                         "isSystem", "code", "originId", "originatorId"}; deal funnels have their own
                         id space (default funnel 0), so a category is identified by
                         (entityTypeId, id).
    state["statuses"]    [row]             {"ID": int, "ENTITY_ID", "STATUS_ID", "NAME", "NAME_INIT",
                         "SORT": int, "SYSTEM", "CATEGORY_ID": int|None, "COLOR", "SEMANTICS": "S"|"F"|None}
    state["relations"]   [relation]        one row per custom (parent, child) binding:
                         {"parent": etid, "child": etid, "isChildrenListEnabled": "Y"|"N"}

Sequences (tests align them with ``portal.set_next_id(name, n)``)::

    crm_type_id            type row ids (CRM_{id}, UF_CRM_{id}_*), from 1
    crm_entity_type_id     automatic entityTypeId, 1032, 1034, ... (crm §9: seeded 1030, +2 before use)
    crm_item_category_id   one id space for SPA, contact, company, invoice and document categories
    crm_deal_category_id   deal funnels, from 1 (the default funnel is 0)
    crm_status_id          status rows, from 1 in steps of 2 (the cloud database's increment: every
                           documented ID is odd and consecutive ones differ by 2)

Portal options read here: ``status_update_sort_reset`` (default True, the source quirk of crm §5.4:
crm.status.update without SORT sets SORT to 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from b24cfg.sandbox import ormfilter
from b24cfg.sandbox.core import (
    Call,
    Listed,
    RestError,
    State,
    as_int,
    method,
    next_id,
    paginate,
    php_empty,
    php_list,
    seeder,
    yn,
)

DEAL, CONTACT, COMPANY, LEAD, QUOTE, ORDER = 2, 3, 4, 1, 7, 14
SMART_INVOICE, SMART_DOCUMENT = 31, 36
CLIENTS = (CONTACT, COMPANY)
# Dynamic-type based system types: they have categories like SPAs but are not crm.type rows.
DYNAMIC_BASED = (SMART_INVOICE, SMART_DOCUMENT)

# CCrmOwnerType names of the static types without pipelines, for "Entity type LEAD is not
# supported" (crm §4.2); any other unknown entityTypeId is an SPA that is not there (NOT_FOUND).
_UNSUPPORTED_TYPE_NAMES = {
    1: "LEAD", 5: "INVOICE", 6: "ACTIVITY", 7: "QUOTE", 8: "REQUISITE", 9: "DEAL_CATEGORY",
    10: "CUSTOM_ACTIVITY_TYPE", 11: "WAIT", 12: "CALL_LIST", 13: "DEAL_RECURRING", 14: "ORDER",
    15: "ORDER_CHECK", 16: "ORDER_SHIPMENT", 17: "ORDER_PAYMENT", 18: "INVOICE_RECURRING",
}


# --- public helpers ----------------------------------------------------------------------------
def stage_entity_id(entity_type_id: int, category_id: int) -> str:
    """The crm.status ENTITY_ID holding the stages of a pipeline (crm §5.3).

    ``DEAL_STAGE`` / ``DEAL_STAGE_{cid}`` for deals, ``STATUS`` for leads, ``QUOTE_STATUS`` for
    quotes, ``SMART_INVOICE_STAGE_{cid}``, ``SMART_DOCUMENT_STAGE_{cid}`` and
    ``DYNAMIC_{entityTypeId}_STAGE_{cid}`` for smart processes.
    """
    if entity_type_id == DEAL:
        return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"
    if entity_type_id == LEAD:
        return "STATUS"
    if entity_type_id == QUOTE:
        return "QUOTE_STATUS"
    if entity_type_id == SMART_INVOICE:
        return f"SMART_INVOICE_STAGE_{category_id}"
    if entity_type_id == SMART_DOCUMENT:
        return f"SMART_DOCUMENT_STAGE_{category_id}"
    return f"DYNAMIC_{entity_type_id}_STAGE_{category_id}"


def stage_prefix(entity_type_id: int, category_id: int) -> str:
    """The STATUS_ID prefix of a pipeline's stages, without the ``:`` (``""`` when there is none).

    ``C{cid}`` for deal funnels other than the default one, ``DT{entityTypeId}_{cid}`` for smart
    processes, invoices and documents; a stage's STATUS_ID is ``{prefix}:{CODE}`` or just ``CODE``.
    """
    if entity_type_id in (LEAD, QUOTE):
        return ""
    if entity_type_id == DEAL:
        return f"C{category_id}" if category_id else ""
    return f"DT{entity_type_id}_{category_id}"


# --- small shared helpers --------------------------------------------------------------------------
def _now(call: Call) -> str:
    """Engine dates: ISO-8601 with the portal's offset (crm §1)."""
    tz = call.state["portal"].get("tz", "+00:00")
    sign = 1 if tz[0] == "+" else -1
    offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    return datetime.fromtimestamp(call.portal.clock.time(), offset).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _engine_admin(call: Call, text: str = "Access denied") -> None:
    """Engine permission error (crm §13.32): code ACCESS_DENIED, HTTP 400."""
    if not call.is_admin:
        raise RestError("ACCESS_DENIED", text)


def _legacy_admin(call: Call) -> None:
    """crm.status writes need "Allow to modify settings" (crm §5.4); legacy error code is ``""``."""
    if not call.is_admin:
        raise RestError("", "Access denied.")


def _required(call: Call, name: str) -> Any:
    """An Engine action argument that must be present (crm §13.3: code 100)."""
    value = call.exact(name)
    if value is None:
        raise RestError(100, f"Could not find value for parameter {{{name}}}")
    return value


def _engine_fields(call: Call) -> dict[str, Any]:
    value = _required(call, "fields")
    return value if isinstance(value, dict) else {}


def _count_items(state: State, entity_type_id: int, *, recycle_bin: bool = False, **match: Any) -> int:
    """CRM items of a type (live ones, or those in the recycle bin) matching ``categoryId``/``stageId``."""
    return sum(
        row["count"] for row in state["items"]
        if row["entityTypeId"] == entity_type_id and bool(row.get("recycleBin")) == recycle_bin
        and all(row.get(key) == value for key, value in match.items())
    )


def _type_by_etid(state: State, entity_type_id: int) -> dict[str, Any] | None:
    return next((t for t in state["types"].values() if t["entityTypeId"] == entity_type_id), None)


# --- default rows --------------------------------------------------------------------------------
# (code, name, sort, system, color, semantics); NAME_INIT follows CCrmStatus::Add (system rows only)
# unless a set says otherwise.
Stage = tuple[str, str, int, str, str | None, str | None]

# crm §5.6; names as in the documented DEAL_STAGE list (fixtures[17]).
DEAL_STAGES: list[Stage] = [
    ("NEW", "New", 10, "Y", "#39A8EF", None),
    ("PREPARATION", "Document preparation", 20, "N", "#2FC6F6", None),
    ("PREPAYMENT_INVOICE", "Prepayment invoice", 30, "N", "#55D0E0", None),
    ("EXECUTING", "In progress", 40, "N", "#47E4C2", None),
    ("FINAL_INVOICE", "Final invoice", 50, "N", "#FFA900", None),
    ("WON", "Deal successful", 60, "Y", "#7BD500", "S"),
    ("LOSE", "Deal failed", 70, "Y", "#FF5752", "F"),
    ("APOLOGY", "Failure reason analysis", 80, "N", "#FF5752", "F"),
]
# crm §5.6 (DefaultStages scenario); names as in the docs tutorial (fixtures[21]), NAME_INIT = NAME.
SPA_STAGES: list[Stage] = [
    ("NEW", "Start", 10, "Y", "#22B9FF", None),
    ("PREPARATION", "Preparation", 20, "N", "#88B9FF", None),
    ("CLIENT", "Approval", 30, "N", "#10e5fc", None),
    ("SUCCESS", "Success", 40, "Y", "#00ff00", "S"),
    ("FAIL", "Failure", 50, "Y", "#ff0000", "F"),
]
# CHOICE: a fresh smart-invoice pipeline gets CCrmStatus::GetDefaultInvoiceStatuses (the reference
# does not list the smart-invoice set; these codes N/S/P/D are the ones invoices use).
INVOICE_STAGES: list[Stage] = [
    ("N", "New", 100, "Y", "#39A8EF", None),
    ("S", "Sent to client", 110, "N", "#2FC6F6", None),
    ("P", "Paid", 130, "Y", "#7BD500", "S"),
    ("D", "Declined", 140, "Y", "#FF5752", "F"),
]
# CCrmStatus::GetDefaultSmartDocumentStatuses.
DOCUMENT_STAGES: list[Stage] = [
    ("DRAFT", "Draft", 10, "Y", "#00A9F4", None),
    ("PROCESSING", "Processing", 20, "N", "#00C9FA", None),
    ("SENT", "Sent", 30, "N", "#00D3E2", None),
    ("SEMISIGNED", "Partly signed", 40, "N", "#FEA300", None),
    ("SIGNED", "Signed", 50, "N", "#47E4C2", None),
    ("ARCHIVE", "Archive", 60, "N", "#7BD500", "S"),
    ("NOTSIGNED", "Not signed", 70, "Y", "#FF5752", "F"),
]
# Static directories of a new portal, in CCrmStatus::InstallDefault order (crm §5.6).
STATIC_DIRECTORIES: dict[str, list[Stage]] = {
    "STATUS": [
        ("NEW", "Unassigned", 10, "Y", "#39A8EF", None),
        ("IN_PROCESS", "In progress", 20, "N", "#2FC6F6", None),
        ("PROCESSED", "Processed", 30, "N", "#55D0E0", None),
        ("CONVERTED", "Good lead", 40, "Y", "#7BD500", "S"),
        ("JUNK", "Junk lead", 50, "Y", "#FF5752", "F"),
    ],
    "SOURCE": [
        ("CALL", "Call", 10, "Y", None, None), ("EMAIL", "E-Mail", 20, "N", None, None),
        ("WEB", "Website", 30, "N", None, None), ("ADVERTISING", "Advertising", 40, "N", None, None),
        ("PARTNER", "Existing client", 50, "N", None, None),
        ("RECOMMENDATION", "By recommendation", 60, "N", None, None),
        ("TRADE_SHOW", "Show/Exhibition", 70, "N", None, None), ("WEBFORM", "CRM form", 75, "Y", None, None),
        ("CALLBACK", "Callback", 77, "Y", None, None), ("RC_GENERATOR", "Sales boost", 78, "Y", None, None),
        ("STORE", "Online store", 79, "Y", None, None), ("OTHER", "Other", 80, "N", None, None),
    ],
    "CONTACT_TYPE": [
        ("CLIENT", "Clients", 10, "N", None, None), ("SUPPLIER", "Suppliers", 20, "N", None, None),
        ("PARTNER", "Partners", 30, "N", None, None), ("OTHER", "Other", 40, "N", None, None),
    ],
    "COMPANY_TYPE": [
        ("CUSTOMER", "Client", 10, "N", None, None), ("SUPPLIER", "Supplier", 20, "N", None, None),
        ("COMPETITOR", "Competitor", 30, "N", None, None), ("PARTNER", "Partner", 40, "N", None, None),
        ("OTHER", "Other", 50, "N", None, None),
    ],
    "EMPLOYEES": [
        ("EMPLOYEES_1", "fewer than 50", 10, "Y", None, None), ("EMPLOYEES_2", "50-250", 20, "N", None, None),
        ("EMPLOYEES_3", "250-500", 30, "N", None, None), ("EMPLOYEES_4", "over 500", 40, "N", None, None),
    ],
    "INDUSTRY": [
        ("IT", "Information Technology", 10, "N", None, None), ("TELECOM", "Telecommunication", 20, "N", None, None),
        ("MANUFACTURING", "Manufacturing", 30, "N", None, None), ("BANKING", "Banking Services", 40, "N", None, None),
        ("CONSULTING", "Consulting", 50, "N", None, None), ("FINANCE", "Finance", 60, "N", None, None),
        ("GOVERNMENT", "Government", 70, "N", None, None), ("DELIVERY", "Delivery", 80, "N", None, None),
        ("ENTERTAINMENT", "Entertainment", 90, "N", None, None), ("NOTPROFIT", "Non-profit", 100, "N", None, None),
        ("OTHER", "Other", 110, "N", None, None),
    ],
    "DEAL_TYPE": [
        ("SALE", "Sales", 10, "Y", None, None), ("COMPLEX", "Integrated sale", 20, "N", None, None),
        ("GOODS", "Merchandise sale", 30, "N", None, None), ("SERVICES", "Service sale", 40, "N", None, None),
        ("SERVICE", "After-sales service", 50, "N", None, None),
    ],
    "DEAL_STAGE": DEAL_STAGES,
    "QUOTE_STATUS": [
        ("DRAFT", "New", 10, "Y", "#39A8EF", None),
        ("SENT", "Sent to client", 20, "N", "#2FC6F6", None),
        ("APPROVED", "Approved", 30, "Y", "#7BD500", "S"),
        ("DECLAINED", "Declined", 40, "Y", "#FF5752", "F"),
        ("APOLOGY", "Analyze failure", 50, "N", "#FF5752", "F"),
    ],
    "HONORIFIC": [
        ("HNR_EN_1", "Mr.", 10, "N", None, None), ("HNR_EN_2", "Mrs.", 20, "N", None, None),
        ("HNR_EN_3", "Ms.", 30, "N", None, None), ("HNR_EN_4", "Dr.", 40, "N", None, None),
    ],
    "CALL_LIST": [
        ("IN_WORK", "In progress", 10, "Y", None, None), ("SUCCESS", "Successful", 20, "Y", None, None),
        ("WRONG_NUMBER", "Wrong number", 30, "Y", None, None), ("STOP_CALLING", "Do not call", 40, "Y", None, None),
    ],
}
# Directory names in crm.status.entity.types (crm §5.5; texts of fixtures[19]).
_DIRECTORY_NAMES = {
    "STATUS": "Lead stages", "SOURCE": "Sources", "CONTACT_TYPE": "Contact type", "COMPANY_TYPE": "Company type",
    "EMPLOYEES": "Number of employees", "INDUSTRY": "Industry", "DEAL_TYPE": "Deal type",
    "QUOTE_STATUS": "Quote stages", "HONORIFIC": "Inquiries", "CALL_LIST": "Call statuses",
}
_SEMANTIC_INFO = {
    "STATUS": ("NEW", "CONVERTED", "JUNK"),
    "QUOTE_STATUS": ("DRAFT", "APPROVED", "DECLAINED"),
}
# CHOICE: the default pipeline of a new SPA is called "General" as in the docs' entity-types
# example (crm §14.3; the server's lang default is "New pipeline"). Deal funnel 0, the client
# default pipelines and the invoice/document pipelines of a fresh portal use the same name.
DEFAULT_CATEGORY_NAME = "General"


def _add_status(
    state: State, entity_id: str, status_id: str, name: str, sort: int, *, system: str = "N",
    color: str | None = None, semantics: str | None = None, category_id: int | None = None,
    name_init: str | None = None,
) -> dict[str, Any]:
    row = {
        "ID": next_id(state, "crm_status_id", 1, 2), "ENTITY_ID": entity_id, "STATUS_ID": status_id,
        "NAME": name, "NAME_INIT": name_init if name_init is not None else (name if system == "Y" else ""),
        "SORT": sort, "SYSTEM": system, "CATEGORY_ID": category_id, "COLOR": color, "SEMANTICS": semantics,
    }
    state["statuses"].append(row)
    return row


def _add_stage_set(state: State, entity_type_id: int, category_id: int, stages: list[Stage], *, name_init: bool) -> None:
    entity_id = stage_entity_id(entity_type_id, category_id)
    prefix = stage_prefix(entity_type_id, category_id)
    for code, name, sort, system, color, semantics in stages:
        _add_status(
            state, entity_id, f"{prefix}:{code}" if prefix else code, name, sort, system=system, color=color,
            semantics=semantics, category_id=category_id, name_init=name if name_init else None,
        )


def _create_default_stages(state: State, entity_type_id: int, category_id: int) -> None:
    """What a new pipeline gets (crm §4.4, §13.7, §13.13); client pipelines have no stages."""
    if entity_type_id == DEAL:
        _add_stage_set(state, DEAL, category_id, DEAL_STAGES, name_init=False)
    elif entity_type_id == SMART_INVOICE:
        _add_stage_set(state, entity_type_id, category_id, INVOICE_STAGES, name_init=False)
    elif entity_type_id == SMART_DOCUMENT:
        _add_stage_set(state, entity_type_id, category_id, DOCUMENT_STAGES, name_init=False)
    elif entity_type_id not in CLIENTS:
        _add_stage_set(state, entity_type_id, category_id, SPA_STAGES, name_init=True)


def _new_category(
    state: State, entity_type_id: int, name: str, sort: int, *, is_default: str = "N", category_id: int | None = None,
) -> dict[str, Any]:
    if category_id is None:
        sequence = "crm_deal_category_id" if entity_type_id == DEAL else "crm_item_category_id"
        category_id = next_id(state, sequence)
    record = {
        "id": category_id, "entityTypeId": entity_type_id, "name": name, "sort": sort, "isDefault": is_default,
        "isSystem": "N", "code": None, "originId": "", "originatorId": "",
    }
    state["categories"].append(record)
    return record


@seeder
def seed(state: State) -> None:
    """A new Bitrix24: the directories, deal funnel 0 and the system pipelines (crm §5.6)."""
    state.update({"types": {}, "categories": [], "statuses": [], "relations": []})
    for entity_id, rows in STATIC_DIRECTORIES.items():
        for code, name, sort, system, color, semantics in rows:
            _add_status(state, entity_id, code, name, sort, system=system, color=color, semantics=semantics)
    # CHOICE: deal funnel 0 sorts at 300, as in the documented crm.category.list (fixtures[11]).
    _new_category(state, DEAL, DEFAULT_CATEGORY_NAME, 300, is_default="Y", category_id=0)
    for client in CLIENTS:
        # The client default pipeline is virtual (ClientDefaultCategory): id 0, default, system.
        _new_category(state, client, DEFAULT_CATEGORY_NAME, 500, is_default="Y", category_id=0)["isSystem"] = "Y"
    # CHOICE: smart invoices and document signing are enabled, as in the documented
    # crm.status.entity.types example (fixtures[19]); each has its default pipeline.
    for entity_type_id in DYNAMIC_BASED:
        category = _new_category(state, entity_type_id, DEFAULT_CATEGORY_NAME, 500, is_default="Y")
        _create_default_stages(state, entity_type_id, category["id"])


# --- directories (crm.status.entity.types) ---------------------------------------------------------
@dataclass(frozen=True)
class Directory:
    """One crm.status ENTITY_ID and what the server knows about it."""

    entity_id: str
    entity_type_id: int | None  # owner CRM type, None for plain directories such as SOURCE
    category_id: int | None
    prefix: str
    descriptor: dict[str, Any] = field(compare=False)


def _categories(state: State, entity_type_id: int) -> list[dict[str, Any]]:
    """Pipelines of a type in list order: by sort, then id (crm §4.6)."""
    rows = [c for c in state["categories"] if c["entityTypeId"] == entity_type_id]
    return sorted(rows, key=lambda c: (c["sort"], c["id"]))


def _semantic_info(start: str, success: str, failure: str) -> dict[str, Any]:
    return {"START_FIELD": start, "FINAL_SUCCESS_FIELD": success, "FINAL_UNSUCCESS_FIELD": failure, "FINAL_SORT": 0}


def _plain(entity_id: str) -> Directory:
    descriptor: dict[str, Any] = {"ID": entity_id, "NAME": _DIRECTORY_NAMES[entity_id]}
    owner = {"STATUS": LEAD, "QUOTE_STATUS": QUOTE}.get(entity_id)
    if owner is not None:
        descriptor["SEMANTIC_INFO"] = _semantic_info(*_SEMANTIC_INFO[entity_id])
        descriptor["ENTITY_TYPE_ID"] = owner
    return Directory(entity_id, owner, None, "", descriptor)


def _pipeline(entity_type_id: int, category: dict[str, Any], name: str, **extra: Any) -> Directory:
    cid = category["id"]
    prefix = stage_prefix(entity_type_id, cid)
    descriptor = {
        "ID": stage_entity_id(entity_type_id, cid), "NAME": name, "SEMANTIC_INFO": [], "PREFIX": prefix,
        "FIELD_ATTRIBUTE_SCOPE": f"category_{cid}", "ENTITY_TYPE_ID": entity_type_id, "IS_ENABLED": True,
        "CATEGORY_ID": cid, **extra,
    }
    return Directory(descriptor["ID"], entity_type_id, cid, prefix, descriptor)


def _system_pipelines(state: State, entity_type_id: int, label: str) -> list[Directory]:
    # CHOICE: every invoice/document pipeline is listed; a lone pipeline is named by the fixed
    # label (fixtures[19]), several as "label (pipeline)" like SPA pipelines.
    categories = _categories(state, entity_type_id)
    plural = {SMART_INVOICE: "Invoices", SMART_DOCUMENT: "Documents"}[entity_type_id]
    return [
        _pipeline(entity_type_id, c, label if len(categories) == 1 else f"{plural} ({c['name']})") for c in categories
    ]


def _deal_directories(state: State) -> list[Directory]:
    # CHOICE: funnels come in crm.category.list order and, once there is more than one funnel, are
    # named "{funnel} deal stages" (fixtures[19] lists DEAL_STAGE_1 "Newest deal stages" before
    # DEAL_STAGE "General deal stages"); a portal with funnel 0 alone says "Deal stages".
    funnels = _categories(state, DEAL)
    customized = len(funnels) > 1
    out = []
    for funnel in funnels:
        cid = funnel["id"]
        prefix = stage_prefix(DEAL, cid)
        name = f"{funnel['name']} deal stages" if customized else "Deal stages"
        semantic = _semantic_info(*(f"{prefix}:{code}" if prefix else code for code in ("NEW", "WON", "LOSE")))
        if cid == 0:
            descriptor: dict[str, Any] = {
                "ID": "DEAL_STAGE", "NAME": name, "SEMANTIC_INFO": semantic, "FIELD_ATTRIBUTE_SCOPE": "",
                "ENTITY_TYPE_ID": DEAL, "CATEGORY_ID": 0,
            }
        else:
            # Funnel entries carry CATEGORY_ID as a string (documented example, fixtures[19]).
            descriptor = {
                "ID": f"DEAL_STAGE_{cid}", "NAME": name, "PARENT_ID": "DEAL_STAGE", "SEMANTIC_INFO": semantic,
                "PREFIX": prefix, "FIELD_ATTRIBUTE_SCOPE": f"category_{cid}", "ENTITY_TYPE_ID": DEAL,
                "CATEGORY_ID": str(cid),
            }
        out.append(Directory(descriptor["ID"], DEAL, cid, prefix, descriptor))
    return out


def directories(state: State) -> list[Directory]:
    """Every crm.status directory of the portal, in CCrmStatus::GetEntityTypes order (crm §5.5)."""
    out = [_plain(e) for e in ("STATUS", "SOURCE", "CONTACT_TYPE", "COMPANY_TYPE", "EMPLOYEES", "INDUSTRY", "DEAL_TYPE")]
    out += _system_pipelines(state, SMART_INVOICE, "Invoice stages")
    out += _deal_directories(state)
    out += [_plain(e) for e in ("QUOTE_STATUS", "HONORIFIC", "CALL_LIST")]
    out += _system_pipelines(state, SMART_DOCUMENT, "Document stages")
    for record in sorted(state["types"].values(), key=lambda t: t["id"]):
        etid = record["entityTypeId"]
        for category in _categories(state, etid):
            out.append(_pipeline(
                etid, category, f"{record['title']} ({category['name']})",
                IS_ENABLED=record["isStagesEnabled"] == "Y", CATEGORY_NAME=category["name"],
                CATEGORY_SORT=category["sort"], IS_DEFAULT_CATEGORY=category["isDefault"] == "Y",
            ))
    return out


def _directory(state: State, entity_id: str) -> Directory | None:
    match = re.fullmatch(r"DYNAMIC_(\d+)_STAGE_(\d+)", entity_id)
    if match:
        # The one smart-process pipeline asked for, without building every directory of the portal
        # (the same entry directories() would list).
        etid, cid = int(match.group(1)), int(match.group(2))
        record = _type_by_etid(state, etid)
        category = next((c for c in state["categories"] if c["entityTypeId"] == etid and c["id"] == cid), None)
        if record is None or category is None:
            return None
        return _pipeline(
            etid, category, f"{record['title']} ({category['name']})", IS_ENABLED=record["isStagesEnabled"] == "Y",
            CATEGORY_NAME=category["name"], CATEGORY_SORT=category["sort"],
            IS_DEFAULT_CATEGORY=category["isDefault"] == "Y",
        )
    return next((d for d in directories(state) if d.entity_id == entity_id), None)


# ================================================================================================
# crm.type.*  (crm §2, §3)
# ================================================================================================
# Writable Y/N flags with their defaults (crm §2.2); isPaymentsEnabled/isCountersEnabled are system.
_FLAGS = {
    "isCategoriesEnabled": "N", "isStagesEnabled": "N", "isBeginCloseDatesEnabled": "N", "isClientEnabled": "N",
    "isUseInUserfieldEnabled": "N", "isLinkWithProductsEnabled": "N", "isMycompanyEnabled": "N",
    "isDocumentsEnabled": "N", "isSourceEnabled": "N", "isObserversEnabled": "N", "isRecyclebinEnabled": "N",
    "isAutomationEnabled": "N", "isBizProcEnabled": "N", "isSetOpenPermissions": "Y",
}
_COLUMNS = (
    "id", "title", "code", "createdBy", "entityTypeId", "customSectionId", *_FLAGS, "isPaymentsEnabled",
    "isCountersEnabled", "createdTime", "updatedTime", "updatedBy",
)
_LINKED_USER_FIELDS = ("CALENDAR_EVENT|UF_CRM_CAL_EVENT", "TASKS_TASK|UF_CRM_TASK", "TASKS_TASK_TEMPLATE|UF_CRM_TASK")

# crm.type.fields as documented (fixtures[0]): (name, type, required, read-only, immutable, title).
_TYPE_FIELDS = [
    ("id", "integer", False, True, False, "ID"),
    ("title", "string", True, False, False, "Title"),
    ("code", "string", False, False, False, "Symbolic Code"),
    ("createdBy", "user", False, True, False, "Created By"),
    ("entityTypeId", "integer", True, False, True, "Type Identifier"),
    ("customSectionId", "integer", False, False, True, "Digital Workspace"),
    ("isCategoriesEnabled", "boolean", False, False, False, "Use custom funnels and sales tunnels in the smart process"),
    ("isStagesEnabled", "boolean", False, False, False, "Use custom stages and Kanban in the smart process"),
    ("isBeginCloseDatesEnabled", "boolean", False, False, False, "Fields 'Start Date' and 'End Date'"),
    ("isClientEnabled", "boolean", False, False, False, "Field 'Client'"),
    ("isUseInUserfieldEnabled", "boolean", False, False, False, "Use in user field"),
    ("isLinkWithProductsEnabled", "boolean", False, False, False, "Link with catalog products"),
    ("isMycompanyEnabled", "boolean", False, False, False, "Field 'Your Company Details'"),
    ("isDocumentsEnabled", "boolean", False, False, False, "Document Printing"),
    ("isSourceEnabled", "boolean", False, False, False, "Fields 'Source' and 'Additional Information about Source'"),
    ("isObserversEnabled", "boolean", False, False, False, "Field 'Observers'"),
    ("isRecyclebinEnabled", "boolean", False, False, False, "Use Recycle Bin"),
    ("isAutomationEnabled", "boolean", False, False, False, "Use Automation rules and triggers in the smart process"),
    ("isBizProcEnabled", "boolean", False, False, False, "Use business process designer in the smart process"),
    ("isSetOpenPermissions", "boolean", False, False, False, "Make new funnels available to everyone"),
    ("createdTime", "datetime", False, False, False, "Creation Date"),
    ("updatedTime", "datetime", False, False, False, "Modification Date"),
    ("updatedBy", "user", False, True, False, "Modified By"),
]
_TYPE_FIELD_NAMES = {row[0] for row in _TYPE_FIELDS}


def _upper_name(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _field_info(name: str, kind: str, required: bool, read_only: bool, immutable: bool, title: str) -> dict[str, Any]:
    return {
        "type": kind, "isRequired": required, "isReadOnly": read_only, "isImmutable": immutable,
        "isMultiple": False, "isDynamic": False, "title": title, "upperName": _upper_name(name),
    }


def _entity_type_id_allowed(value: int) -> bool:
    """Docs range (crm §9): 128..191 or an even number from 1030; 31/36 fall outside both."""
    # CHOICE: "from 128 to 192" is read as the source's half-open DynamicTypeStart..DynamicTypeEnd.
    return 128 <= value < 192 or (value >= 1030 and value % 2 == 0)


def _allowed_partners(state: State, entity_type_id: int, side: str) -> list[int]:
    """Types a relation side may name (crm §3.2, RelationManager::getAvailableForBindingEntityTypes)."""
    partners = [LEAD, DEAL, CONTACT, COMPANY, ORDER, QUOTE, SMART_INVOICE]
    partners += sorted(t["entityTypeId"] for t in state["types"].values())
    excluded = {CONTACT, COMPANY} if side == "parent" else {ORDER}
    return [p for p in partners if p != entity_type_id and p not in excluded]


def _save_relation_side(state: State, entity_type_id: int, side: str, entries: list[Any]) -> None:
    """One present side is authoritative over the allowed partners (crm §3.2, §13.9).

    Entries naming other types are ignored, and nothing here ever fails the call: the server drops
    binding errors because the action still returns the type (crm §1).
    """
    allowed = _allowed_partners(state, entity_type_id, side)
    wanted: dict[int, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        partner = as_int(entry.get("entityTypeId"))
        if partner > 0 and partner in allowed:
            # Only the exact string "true" enables the list; "Y" and JSON true do not (crm §3.2).
            wanted[partner] = "Y" if entry.get("isChildrenListEnabled") == "true" else "N"
    relations = state["relations"]
    for partner in allowed:
        pair = (partner, entity_type_id) if side == "parent" else (entity_type_id, partner)
        row = next((r for r in relations if (r["parent"], r["child"]) == pair), None)
        if partner in wanted and row is None:
            relations.append({"parent": pair[0], "child": pair[1], "isChildrenListEnabled": wanted[partner]})
        elif partner in wanted and row is not None:
            row["isChildrenListEnabled"] = wanted[partner]
        elif row is not None:
            relations.remove(row)


def _save_relations(state: State, record: dict[str, Any], value: Any) -> None:
    if not isinstance(value, dict):
        return
    for side in ("parent", "child"):
        entries = php_list(value.get(side)) if side in value else None
        if entries is not None:
            _save_relation_side(state, record["entityTypeId"], side, entries)


def _save_linked_user_fields(record: dict[str, Any], value: Any) -> None:
    """Only when the type is usable in user fields; "true" enables, anything else disables (crm §3.3)."""
    if record["isUseInUserfieldEnabled"] != "Y" or not isinstance(value, dict):
        return
    for key in _LINKED_USER_FIELDS:
        if key in value:
            record["linkedUserFields"][key] = "Y" if value[key] == "true" else "N"


def _relations_out(state: State, record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    etid = record["entityTypeId"]
    parents: list[dict[str, Any]] = []
    if record["isClientEnabled"] == "Y":
        # Contact and Company are predefined parents of a client-enabled SPA (crm §3.2).
        parents += [{"entityTypeId": p, "isChildrenListEnabled": "Y", "isPredefined": "Y"} for p in CLIENTS]
    parents += [
        {"entityTypeId": r["parent"], "isChildrenListEnabled": r["isChildrenListEnabled"], "isPredefined": "N"}
        for r in state["relations"] if r["child"] == etid
    ]
    children = [
        {"entityTypeId": r["child"], "isChildrenListEnabled": r["isChildrenListEnabled"], "isPredefined": "N"}
        for r in state["relations"] if r["parent"] == etid
    ]
    return {"parent": parents, "child": children}


def _type_out(state: State, record: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """Full type for get/add/update; list rows omit relations, linkedUserFields, customSections (crm §2.1)."""
    out = {name: record[name] for name in _COLUMNS}
    if full:
        out["relations"] = _relations_out(state, record)
        out["linkedUserFields"] = dict(record["linkedUserFields"])
        # CHOICE: the deprecated customSections list is always empty, as in every documented example.
        out["customSections"] = []
    return out


def _find_type(call: Call, not_found: str) -> dict[str, Any]:
    # CHOICE: a missing id is looked up as id 0, i.e. reported as not found.
    record: dict[str, Any] | None = call.state["types"].get(str(as_int(call.exact("id"))))
    if record is None:
        raise RestError(0, not_found)
    return record


def _check_external(fields: dict[str, Any]) -> None:
    if fields.get("isExternal") == "true" and php_empty(fields.get("customSectionId")):
        raise RestError(0, "Select a workplace where the SPA will be located")


def _custom_section(value: Any) -> int | None:
    # CHOICE: the deprecated customSectionId is stored as given (the digital-workplace module owns
    # the workplaces and reads this value); crm.automatedsolution.* is the documented way to bind.
    return None if php_empty(value) else as_int(value)


@method("crm.type.fields", scope="crm")
def type_fields(call: Call) -> dict[str, Any]:
    _engine_admin(call, "Access Denied")  # this page documents the capital D (error_fixtures[4])
    return {"fields": {row[0]: _field_info(*row) for row in _TYPE_FIELDS}}


@method("crm.type.add", scope="crm")
def type_add(call: Call) -> dict[str, Any]:
    _engine_admin(call)
    fields = _engine_fields(call)
    state = call.state
    _check_external(fields)
    requested = as_int(fields.get("entityTypeId"))
    if requested and not _entity_type_id_allowed(requested):
        # CHOICE: every out-of-range value gets the documented INVALID_ARG_VALUE text (crm §14.1).
        raise RestError("INVALID_ARG_VALUE", "entityTypeId is out of allowed range")
    title = _text(fields.get("title")).strip()
    if not title:
        # ORM required-field error, same wording as crm.automatedsolution.add's documented one.
        raise RestError("BX_EMPTY_REQUIRED", "The required field 'Title' is not filled")
    if requested and _type_by_etid(state, requested) is not None:
        # CHOICE: ORM unique-validator error; the text is not documented.
        raise RestError("BX_INVALID_VALUE", 'The value of the "Type Identifier" field must be unique')
    entity_type_id = requested
    while not entity_type_id or _type_by_etid(state, entity_type_id) is not None:
        entity_type_id = call.next_id("crm_entity_type_id", 1032, 2)
    now = _now(call)
    record: dict[str, Any] = {
        "id": call.next_id("crm_type_id"), "title": title, "code": _text(fields.get("code")),
        "createdBy": call.caller.user_id, "entityTypeId": entity_type_id,
        "customSectionId": _custom_section(fields.get("customSectionId")),
        **{flag: yn(fields.get(flag), default) for flag, default in _FLAGS.items()},
        "isPaymentsEnabled": "N", "isCountersEnabled": "N", "createdTime": now, "updatedTime": now,
        "updatedBy": call.caller.user_id, "linkedUserFields": {key: "N" for key in _LINKED_USER_FIELDS},
    }
    state["types"][str(record["id"])] = record
    # A new SPA always gets its default pipeline with 5 stages, whatever isCategoriesEnabled says (crm §2.3).
    category = _new_category(state, entity_type_id, DEFAULT_CATEGORY_NAME, 500, is_default="Y")
    _create_default_stages(state, entity_type_id, category["id"])
    _save_relations(state, record, fields.get("relations"))
    _save_linked_user_fields(record, fields.get("linkedUserFields"))
    out = _type_out(state, record)
    if "code" not in fields:
        # The freshly added ORM object carries only the columns that were set: the documented add
        # answer has no "code" unless one was sent (fixtures[1]); get/list show "".
        del out["code"]
    return {"type": out}


@method("crm.type.update", scope="crm")
def type_update(call: Call) -> dict[str, Any]:
    _engine_admin(call)
    record = _find_type(call, "SPA not found")
    raw = call.exact("fields")
    fields = raw if isinstance(raw, dict) else {}
    state = call.state
    _check_external(fields)
    # id, entityTypeId, name, created*/updated*, isExternal are never written (crm §13.5).
    changes: dict[str, Any] = {flag: yn(fields[flag]) for flag in _FLAGS if flag in fields}
    if "title" in fields:
        changes["title"] = _text(fields["title"]).strip()
        if not changes["title"]:
            raise RestError("BX_EMPTY_REQUIRED", "The required field 'Title' is not filled")
    if "code" in fields:
        changes["code"] = _text(fields["code"])
    if "customSectionId" in fields:
        changes["customSectionId"] = _custom_section(fields["customSectionId"])
    etid = record["entityTypeId"]
    # TypeTable::onBeforeUpdate guards (crm §2.3, §13.6).
    if (
        record["isCategoriesEnabled"] == "Y" and changes.get("isCategoriesEnabled") == "N"
        and len(_categories(state, etid)) > 1
    ):
        raise RestError("BX_ERROR", "You cannot disable pipelines if there more than one of them.")
    if (
        record["isRecyclebinEnabled"] == "Y" and changes.get("isRecyclebinEnabled") == "N"
        and _count_items(state, etid, recycle_bin=True) > 0
    ):
        raise RestError("BX_ERROR", "Remove all items of this type from the Recycle Bin before disabling it.")
    record.update(changes, updatedTime=_now(call), updatedBy=call.caller.user_id)
    _save_relations(state, record, fields.get("relations"))
    _save_linked_user_fields(record, fields.get("linkedUserFields"))
    return {"type": _type_out(state, record)}


@method("crm.type.get", scope="crm")
def type_get(call: Call) -> dict[str, Any]:
    # CHOICE: the sandbox has no per-SPA permissions; every user may read every SPA (docs: admin
    # or read access to the SPA).
    return {"type": _type_out(call.state, _find_type(call, "SPA not found"))}


@method("crm.type.getByEntityTypeId", scope="crm")
def type_get_by_entity_type_id(call: Call) -> dict[str, Any]:
    record = _type_by_etid(call.state, as_int(call.exact("entityTypeId")))
    if record is None:
        raise RestError(0, "Smart process not found")
    return {"type": _type_out(call.state, record)}


def _type_field(record: dict[str, Any], name: str) -> Any:
    return record.get(name)


@method("crm.type.list", scope="crm")
def type_list(call: Call) -> Listed:
    _engine_admin(call)
    # Field names and directions are validated like TypeController::validateFilter/validateOrder
    # (crm §2.5); matching and sorting are the D7 ORM rules shared by every Engine list.
    tree = ormfilter.group(call.exact("filter")) or {}
    for _op, name in ormfilter.conditions(tree):
        if name not in _TYPE_FIELD_NAMES:
            raise RestError("INVALID_ARG_VALUE", f"Invalid filter: field '{name}' is not allowed in filter")
    raw_order = call.exact("order")
    order: list[tuple[str, str]] = []
    for name, direction in (raw_order.items() if isinstance(raw_order, dict) else []):
        if name not in _TYPE_FIELD_NAMES:
            raise RestError("INVALID_ARG_VALUE", f"Invalid order: field '{name}' is not allowed in order")
        if _text(direction).upper() not in ("ASC", "DESC"):
            raise RestError(
                "INVALID_ARG_VALUE",
                f"Invalid order: allowed sort directions are ASC, DESC. But got '{direction}' for field '{name}'",
            )
        order.append((name, _text(direction).upper()))
    rows = [t for t in call.state["types"].values() if ormfilter.matches(t, tree, _type_field)]
    # CHOICE: without an order the list comes by id, ascending.
    rows = ormfilter.sort_rows(rows, order or [("id", "ASC")], _type_field)
    page = paginate([_type_out(call.state, t, full=False) for t in rows], call.exact("start"))
    return Listed({"types": page.result}, total=page.total, next=page.next)


@method("crm.type.delete", scope="crm")
def type_delete(call: Call) -> list[Any] | None:
    _engine_admin(call)
    if call.exact("id") is None:
        return None  # documented: null means that id was not passed
    record = _find_type(call, "Smart process not found")
    state = call.state
    etid = record["entityTypeId"]
    if _count_items(state, etid) > 0:
        raise RestError("BX_ERROR", "You cannot delete an entity type that has elements")
    # TypeTable::onAfterDelete cascade (crm §2.4, §13.11): pipelines and their stages, custom
    # relations, the recycle bin; user-field definitions stay (crm §14.19).
    for category in _categories(state, etid):
        _drop_category(state, category)
    state["relations"] = [r for r in state["relations"] if etid not in (r["parent"], r["child"])]
    state["items"] = [i for i in state["items"] if i["entityTypeId"] != etid]
    del state["types"][str(record["id"])]
    return []


# ================================================================================================
# crm.category.*  (crm §4)
# ================================================================================================
def _category_owner(call: Call, not_found: str) -> int:
    """The entityTypeId of a pipeline call, or the documented NOT_FOUND / NOT_SUPPORTED error."""
    entity_type_id = as_int(_required(call, "entityTypeId"))
    if entity_type_id in (DEAL, *CLIENTS, *DYNAMIC_BASED) or _type_by_etid(call.state, entity_type_id):
        # CHOICE: an SPA with isCategoriesEnabled=N still serves crm.category.* (crm §14.8, as
        # crm-category-add.md and the server's Dynamic factory say).
        return entity_type_id
    if entity_type_id in _UNSUPPORTED_TYPE_NAMES:
        name = _UNSUPPORTED_TYPE_NAMES[entity_type_id]
        raise RestError("ENTITY_TYPE_NOT_SUPPORTED", f"Entity type {name} is not supported")
    raise RestError("NOT_FOUND", not_found)


def _find_category(call: Call, entity_type_id: int) -> dict[str, Any]:
    category_id = as_int(_required(call, "id"))
    categories: list[dict[str, Any]] = call.state["categories"]
    for category in categories:
        if category["entityTypeId"] == entity_type_id and category["id"] == category_id:
            return category
    raise RestError("NOT_FOUND", "Element not found")


def _category_out(category: dict[str, Any]) -> dict[str, Any]:
    out = {key: category[key] for key in ("id", "name", "sort", "entityTypeId", "isDefault")}
    etid = category["entityTypeId"]
    if etid == DEAL and category["id"] != 0:
        # The default deal funnel has no origin keys (fixtures[11]).
        out.update(originId=category["originId"], originatorId=category["originatorId"])
    elif etid in CLIENTS:
        # CHOICE: isSystem/code only for contacts/companies, as the server and the documented
        # vendor-pipeline example emit them; the documented SPA answers have neither (crm §14.9).
        out.update(isSystem=category["isSystem"], code=category["code"])
    return out


def _category_name(fields: dict[str, Any]) -> str:
    # CHOICE: a missing or blank name is refused, as the docs' error table says (crm §14.4).
    name = _text(fields.get("name"))
    if not name.strip():
        raise RestError(0, "Field 'NAME' is required")
    if len(name) > 255:
        raise RestError(0, "Field 'NAME' must not be longer than 255 characters")  # CHOICE: text undocumented
    return name


def _category_sort(fields: dict[str, Any], current: int) -> int:
    # CHOICE: a negative sort is ignored (crm §14.5, §13.16: the server skips it; the docs add
    # "set to 0", which the server never does).
    if "sort" not in fields:
        return current
    sort = as_int(fields["sort"])
    return sort if sort >= 0 else current


def _make_default(state: State, category: dict[str, Any]) -> None:
    """Exactly one default pipeline per type: the previous one is demoted first (crm §4.4)."""
    for other in state["categories"]:
        if other["entityTypeId"] == category["entityTypeId"]:
            other["isDefault"] = "N"
    category["isDefault"] = "Y"


def _wants_default(entity_type_id: int, fields: dict[str, Any]) -> bool:
    """Whether ``isDefault`` asks for the default flag; deals ignore it (read-only there)."""
    if entity_type_id == DEAL or "isDefault" not in fields or yn(fields["isDefault"]) != "Y":
        return False
    if entity_type_id in CLIENTS:
        raise RestError(0, "Default client category does not support updating default state")
    return True


def _drop_category(state: State, category: dict[str, Any]) -> None:
    entity_id = stage_entity_id(category["entityTypeId"], category["id"])
    state["statuses"] = [s for s in state["statuses"] if s["ENTITY_ID"] != entity_id]
    state["categories"].remove(category)


_CATEGORY_FIELDS = [
    ("id", "integer", False, True, False, "ID"),
    ("name", "string", False, False, False, "NAME"),
    ("sort", "integer", False, False, False, "SORT"),
]
_DEAL_CATEGORY_FIELDS = [
    ("entityTypeId", "integer", True, True, False, "ENTITY_TYPE_ID"),
    ("isDefault", "boolean", False, True, False, "IS_DEFAULT"),
    ("originId", "string", False, False, False, "ORIGIN_ID"),
    ("originatorId", "string", False, False, False, "ORIGINATOR_ID"),
]
# CHOICE: for other types isDefault is writable and isSystem/code read-only (crm §4.3); the
# entityTypeId description mirrors the deal one minus read-only, which the docs do not show.
_ITEM_CATEGORY_FIELDS = [
    ("entityTypeId", "integer", True, False, False, "ENTITY_TYPE_ID"),
    ("isDefault", "boolean", False, False, False, "IS_DEFAULT"),
    ("isSystem", "boolean", False, True, False, "IS_SYSTEM"),
    ("code", "string", False, True, False, "CODE"),
]


@method("crm.category.fields", scope="crm")
def category_fields(call: Call) -> dict[str, Any]:
    etid = _category_owner(call, "SPA not found")
    rows = _CATEGORY_FIELDS + (_DEAL_CATEGORY_FIELDS if etid == DEAL else _ITEM_CATEGORY_FIELDS)
    return {"fields": {row[0]: _field_info(*row) for row in rows}}


@method("crm.category.add", scope="crm")
def category_add(call: Call) -> dict[str, Any]:
    etid = _category_owner(call, "SPA not found")
    _engine_admin(call)
    fields = _engine_fields(call)
    if fields.get("isSystem") == "Y":
        raise RestError("ADDING_DISABLED", "Adding a system category is prohibited")
    name = _category_name(fields)
    sort = _category_sort(fields, 500)
    default = _wants_default(etid, fields)
    state = call.state
    category = _new_category(state, etid, name, sort)
    if etid == DEAL:
        category.update(originId=_text(fields.get("originId")), originatorId=_text(fields.get("originatorId")))
    if default:
        _make_default(state, category)
    _create_default_stages(state, etid, category["id"])
    return {"category": _category_out(category)}


@method("crm.category.update", scope="crm")
def category_update(call: Call) -> dict[str, Any]:
    etid = _category_owner(call, "Smart process not found")
    _engine_admin(call)
    category = _find_category(call, etid)
    fields = _engine_fields(call)
    if etid in CLIENTS and category["id"] == 0:
        raise RestError(0, "Default client category can not be changed")
    name = _category_name(fields) if "name" in fields else category["name"]
    # CHOICE: isDefault "N" on the current default is a no-op: the docs forbid un-defaulting and
    # a type keeps exactly one default pipeline (crm §14.6).
    default = _wants_default(etid, fields)
    category.update(name=name, sort=_category_sort(fields, category["sort"]))
    if etid == DEAL and category["id"] != 0:
        for key in ("originId", "originatorId"):
            if key in fields:
                category[key] = _text(fields[key])
    if default:
        _make_default(call.state, category)
    return {"category": _category_out(category)}


@method("crm.category.get", scope="crm")
def category_get(call: Call) -> dict[str, Any]:
    # CHOICE: no per-pipeline read permissions in the sandbox: every user may read every pipeline.
    etid = _category_owner(call, "SPA not found")
    return {"category": _category_out(_find_category(call, etid))}


@method("crm.category.list", scope="crm")
def category_list(call: Call) -> Listed:
    etid = _category_owner(call, "Smart process not found")
    rows = _categories(call.state, etid)
    raw_filter = call.exact("filter")
    if isinstance(raw_filter, dict) and "code" in raw_filter:
        # The server also filters by pipeline code (the documented vendor-pipeline tutorial).
        rows = [c for c in rows if c["code"] == raw_filter["code"]]
    # Not paginated: every pipeline at once, total = count, start ignored (crm §4.6, §10).
    return Listed({"categories": [_category_out(c) for c in rows]}, total=len(rows))


@method("crm.category.delete", scope="crm")
def category_delete(call: Call) -> None:
    etid = _category_owner(call, "SPA not found")
    _engine_admin(call)
    category = _find_category(call, etid)
    state = call.state
    if category["isSystem"] == "Y":
        raise RestError("REMOVING_DISABLED", "Deletion of system category is prohibited")
    items = _count_items(state, etid, categoryId=category["id"])
    if etid == DEAL:
        if category["id"] == 0:
            raise RestError(0, "Default deal category cannot be deleted")
        if items:
            raise RestError(0, f"Deals related to the funnel {category['name']} found")
    else:
        # CHOICE: a default pipeline is never deleted, as the docs say; the server refuses it only
        # while the type has items (crm §14.7).
        if category["isDefault"] == "Y":
            raise RestError("BX_ERROR", "This funnel is the default funnel")
        if items:
            raise RestError("BX_ERROR", "Elements related to the funnel found")
    _drop_category(state, category)  # with its stages (crm §4.5)
    return None  # the documented result is null


# ================================================================================================
# crm.status.*  (crm §5)
# ================================================================================================
# crm.status.fields as documented (fixtures[13]): no wrapper, no upperName.
_STATUS_FIELDS = [
    ("ID", "integer", False, True, False, "ID"),
    ("ENTITY_ID", "string", True, False, True, "Entity ID"),
    ("STATUS_ID", "string", True, False, True, "Status"),
    ("SORT", "integer", False, False, False, "Sorting"),
    ("NAME", "string", True, False, False, "Name"),
    ("NAME_INIT", "string", False, True, False, "Default Name"),
    ("SYSTEM", "char", False, True, False, "System"),
    ("CATEGORY_ID", "integer", False, False, True, "CATEGORY_ID"),
    ("COLOR", "string", False, False, False, "COLOR"),
    ("SEMANTICS", "char", False, False, True, "SEMANTICS"),
    ("EXTRA", "crm_status_extra", False, False, False, "Additional Fields"),
]
_STATUS_COLUMNS = (
    "ID", "ENTITY_ID", "STATUS_ID", "NAME", "NAME_INIT", "SORT", "SYSTEM", "CATEGORY_ID", "COLOR", "SEMANTICS",
)
_DEFAULT_SORT = 10  # CCrmStatus::DEFAULT_SORT


def _status_out(row: dict[str, Any]) -> dict[str, Any]:
    """A raw DB row: every value a string or null (crm §5.2)."""
    return {key: None if row[key] is None else str(row[key]) for key in _STATUS_COLUMNS}


def _extra_semantics(state: State, row: dict[str, Any]) -> str:
    if row["SEMANTICS"] == "S":
        return "success"
    if row["SEMANTICS"] != "F":
        return "process"
    # CHOICE: the first failure stage (by SORT, then ID) is "failure", later ones "apology"
    # (fixtures[17]: LOSE is failure, APOLOGY apology).
    failures = [s for s in state["statuses"] if s["ENTITY_ID"] == row["ENTITY_ID"] and s["SEMANTICS"] == "F"]
    first = min(failures, key=lambda s: (s["SORT"], s["ID"]))
    return "failure" if first is row else "apology"


def _legacy_fields(call: Call) -> dict[str, Any]:
    value = call.param("fields", "arFields")
    if not isinstance(value, dict):
        raise RestError("", "Parameter 'fields' must be array.")
    return value


def _legacy_id(call: Call, description: str) -> int:
    """The numeric ``id``; crm.status docs answer an invalid one with this odd code/description pair."""
    status_id = as_int(call.param("id"))
    if status_id <= 0:
        raise RestError("Invalid identifier.", description)
    return status_id


def _find_status(call: Call, status_id: int, description: str) -> dict[str, Any]:
    # Docs (error_fixtures[11]) put the message into "error" for a missing row; the server source
    # says "CRM Status is not found." with an empty code. Docs win. CHOICE: update and delete
    # answer the same way, with their pages' wording "Element not found" as the description.
    statuses: list[dict[str, Any]] = call.state["statuses"]
    row = next((s for s in statuses if s["ID"] == status_id), None)
    if row is None:
        raise RestError("Status is not found.", description)
    return row


def _normalise_status_id(state: State, directory: Directory, raw: str) -> str:
    """Prefix normalisation and CCrmStatus::validateStatusId (crm §5.3, §13.17)."""
    code = raw.split(":", 1)[1] if ":" in raw else raw
    status_id = f"{directory.prefix}:{code}" if directory.prefix else code
    prefix_length = len(status_id) - len(code)
    max_length = 50 - prefix_length  # STATUS_ID is varchar(50)
    permission_length = 30 - prefix_length  # b_crm_entity_perms.ATTR is varchar(30)
    strict = True
    if directory.entity_id == "STATUS":
        max_length = permission_length - len("STATUS_ID")
    elif directory.entity_id == "QUOTE_STATUS":
        max_length = permission_length - len("QUOTE_ID")
    elif directory.entity_type_id == DEAL:
        max_length = permission_length - len("STAGE_ID")
    else:
        strict = False
    # CHOICE: the server's texts for these two refusals are not in the reference.
    if len(code) > max_length:
        raise RestError("ERROR_CORE", f"The status ID must not be longer than {max_length} characters.")
    if strict and not re.fullmatch(r"[0-9A-Za-z_-]+", code):
        raise RestError("ERROR_CORE", "The status ID may contain only Latin letters, digits, hyphens and underscores.")
    if any(s["ENTITY_ID"] == directory.entity_id and s["STATUS_ID"] == status_id for s in state["statuses"]):
        raise RestError("ERROR_CORE", "The specified status ID already exists.")
    return status_id


@method("crm.status.fields", scope="crm")
def status_fields(call: Call) -> dict[str, Any]:
    infos = {row[0]: _field_info(*row) for row in _STATUS_FIELDS}
    for info in infos.values():
        del info["upperName"]
    return infos


@method("crm.status.add", scope="crm")
def status_add(call: Call) -> int:
    fields = _legacy_fields(call)
    _legacy_admin(call)
    state = call.state
    entity_id, raw_status_id = _text(fields.get("ENTITY_ID")), _text(fields.get("STATUS_ID"))
    required = (("ENTITY_ID", entity_id), ("STATUS_ID", raw_status_id))
    missing = [f"The field {key} is required." for key, value in required if not value]
    if missing:
        raise RestError("", "\n".join(missing))
    directory = _directory(state, entity_id)
    if directory is None:
        raise RestError("", "Specified entity type is not supported.")
    name = _text(fields.get("NAME")).strip()
    if not name:
        raise RestError("", "The field Title is required.")
    status_id = _normalise_status_id(state, directory, raw_status_id)
    # CHOICE: anything but S and F (including P) is the process group, read back as null (crm §14.12).
    semantics = fields.get("SEMANTICS") if fields.get("SEMANTICS") in ("S", "F") else None
    sort = as_int(fields.get("SORT"))
    sort = sort if sort > 0 else _DEFAULT_SORT
    siblings = [s for s in state["statuses"] if s["ENTITY_ID"] == entity_id]
    success = next((s for s in siblings if s["SEMANTICS"] == "S"), None)
    if semantics == "S" and success is not None:
        # StatusTable::onBeforeAdd: one success stage per directory (crm §5.4). CHOICE: text undocumented.
        raise RestError("ERROR_CORE", "There can be only one stage of the success group.")
    if entity_id == "DEAL_STAGE" and semantics is None and success is not None and sort > success["SORT"]:
        # Documented for DEAL_STAGE only; fixtures[14] adds SORT 70 to DEAL_STAGE_1 successfully.
        raise RestError(
            "", "Cannot create more stages after the final stage because the final successful stage already "
            "exists. Try using sort order values less than that of the final stage.",
        )
    if not php_empty(fields.get("CATEGORY_ID")):
        category_id = as_int(fields["CATEGORY_ID"])
    else:
        # CHOICE: like the server, only deal directories derive CATEGORY_ID from ENTITY_ID; SPA
        # stages added without it get 0 (crm §14.11), so clients should send it.
        category_id = (directory.category_id or 0) if directory.entity_type_id == DEAL else 0
    color = _text(fields.get("COLOR")) or None
    if color and not color.startswith("#"):
        color = f"#{color}"
    # SYSTEM is forced to N for REST callers (crm §5.4).
    row = _add_status(state, entity_id, status_id, name, sort, color=color, semantics=semantics, category_id=category_id)
    return int(row["ID"])


@method("crm.status.update", scope="crm")
def status_update(call: Call) -> bool:
    status_id = _legacy_id(call, "An incorrect identifier was passed.")
    fields = _legacy_fields(call)
    _legacy_admin(call)
    row = _find_status(call, status_id, "Element not found.")
    # Only NAME, SORT and COLOR are written; ENTITY_ID, STATUS_ID, CATEGORY_ID, SEMANTICS, SYSTEM
    # and NAME_INIT are dropped without a word (crm §5.4, §13.19).
    name = _text(fields.get("NAME")).strip()
    if name:
        row["NAME"] = name
    sort = as_int(fields.get("SORT"))
    if "SORT" in fields or call.portal.options.get("status_update_sort_reset", True):
        # Source quirk (crm §14.10): CCrmStatus::Update writes SORT=10 when it is missing or <= 0.
        row["SORT"] = sort if sort > 0 else _DEFAULT_SORT
    if fields.get("COLOR") is not None:
        color = _text(fields["COLOR"])
        row["COLOR"] = color if color.startswith("#") else f"#{color}"
    return True


@method("crm.status.get", scope="crm")
def status_get(call: Call) -> dict[str, Any]:
    # CHOICE: an id <= 0 gets crm.status.update's documented "Invalid identifier." answer.
    status_id = _legacy_id(call, "An incorrect identifier was passed.")
    return _status_out(_find_status(call, status_id, "Directory item not found."))


_LIST_KEYS = ("ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SYSTEM", "CATEGORY_ID", "SEMANTICS")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)  # NULLs first, as MySQL sorts them


def _status_matches(row: dict[str, Any], key: str, value: Any) -> bool:
    """One CCrmStatus::GetList filter condition (crm §5.5)."""
    text = _text(value)
    current = row[key]
    if key in ("ID", "SORT"):
        return bool(current == as_int(text))
    if key == "CATEGORY_ID":
        return current is not None and current == as_int(text)  # NULL never equals anything
    if key == "SYSTEM":
        return bool(current == ("Y" if text == "Y" else "N"))
    if current is None:
        return False
    if key == "NAME":
        # CHOICE: GetFilterQuery's search syntax is reduced to a case-insensitive substring match.
        return text.lower() in current.lower()
    return bool(current.lower() == text.lower())  # MySQL's case-insensitive collation


@method("crm.status.list", scope="crm")
def status_list(call: Call) -> Listed:
    state = call.state
    raw_filter, raw_order = call.param("filter"), call.param("order")
    conditions = {
        str(key).upper(): value for key, value in (raw_filter.items() if isinstance(raw_filter, dict) else [])
        if str(key).upper() in _LIST_KEYS and _text(value) not in ("", "NOT_REF")
    }
    rows = [s for s in state["statuses"] if all(_status_matches(s, k, v) for k, v in conditions.items())]
    order = raw_order if isinstance(raw_order, dict) and raw_order else {"SORT": "ASC"}
    known = [(str(k).upper(), _text(v).upper() == "ASC") for k, v in order.items() if str(k).upper() in _LIST_KEYS]
    # GetList falls back to "ID DESC" when no order key is recognised; ties keep ID order (CHOICE).
    rows.sort(key=lambda s: s["ID"], reverse=not known)
    for key, ascending in reversed(known):
        rows.sort(key=lambda s: _sort_key(s[key]), reverse=not ascending)
    out = []
    for row in rows:
        item = _status_out(row)
        item["EXTRA"] = {"SEMANTICS": _extra_semantics(state, row), "COLOR": row["COLOR"]}
        out.append(item)
    # Not paginated: everything with total and no next (crm §5.5, §10).
    return Listed(out, total=len(out))


@method("crm.status.delete", scope="crm")
def status_delete(call: Call) -> bool:
    status_id = _legacy_id(call, "An invalid identifier was passed.")
    _legacy_admin(call)
    row = _find_status(call, status_id, "Element not found.")
    state = call.state
    params = call.param("params")
    forced = isinstance(params, dict) and any(str(k).upper() == "FORCED" and v == "Y" for k, v in params.items())
    if row["SYSTEM"] == "Y" and not forced:
        raise RestError("", 'CRM System Status can be deleted only if parameter FORCED is specified and equal to "Y".')
    directory = _directory(state, row["ENTITY_ID"])
    if directory is not None and directory.entity_type_id is not None:
        # StatusTable::onBeforeDelete counts the items standing on the stage (crm §5.4).
        if _count_items(state, directory.entity_type_id, stageId=row["STATUS_ID"]) > 0:
            raise RestError("", "There are active items in this status.")
    state["statuses"].remove(row)
    return True


@method("crm.status.entity.types", scope="crm")
def status_entity_types(call: Call) -> list[dict[str, Any]]:
    return [d.descriptor for d in directories(call.state)]


@method("crm.status.entity.items", scope="crm")
def status_entity_items(call: Call) -> list[dict[str, Any]]:
    entity_id = _text(call.param("entityId", "entity_id")).upper()
    # CHOICE: an unknown directory is "incorrect" like a missing one, as the docs describe it.
    if not entity_id or _directory(call.state, entity_id) is None:
        raise RestError(
            "The parameter entityId is not defined or invalid.", "The directory ID is not specified or is incorrect.",
        )
    rows = sorted((s for s in call.state["statuses"] if s["ENTITY_ID"] == entity_id), key=lambda s: (s["SORT"], s["ID"]))
    return [{"NAME": s["NAME"], "SORT": s["SORT"], "STATUS_ID": s["STATUS_ID"]} for s in rows]
