"""A rich CRM configuration made directly through REST (never through b24cfg), for export tests.

``seed(client)`` builds, on a fresh sandbox portal, what an admin would have clicked together:

* four smart processes with codes, relations both ways, feature switches, extra pipelines and
  edited stages (renamed, added, deleted), and custom fields of every type (one of them a crm field
  that targets another smart process through ``DYNAMIC_{entityTypeId}``), labels in en and de;
* a second deal pipeline, edited deal stages in both (renamed, recoloured, added; deleted only in
  the new one), a second contact pipeline;
* lead statuses added and renamed, a quote status renamed, SOURCE items added;
* a digital workplace holding two of the smart processes;
* fields of every user type on deal, lead, contact, company and quote (``crm.{entity}.userfield.add``).

It returns the ids a test needs to change the portal further (``Seeded``). Deleting starter rows
of the built-in entities is kept apart (``delete_builtin_defaults``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b24cfg.clock import SimulatedClock
from b24cfg.planner.plan import PortalIdentity
from b24cfg.portal import Client, WebhookAuth
from b24cfg.sandbox.portal import SANDBOX_WEBHOOK_CODE, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport

IDENTITY = PortalIdentity("https://sandbox.test")


def sandbox(path: Path | None = None) -> Client:
    """A client of a fresh sandbox portal (in memory, or kept in the state file ``path``), reached
    in-process, on a simulated clock and without pacing."""
    clock = SimulatedClock()
    portal = SandboxPortal(path, clock=clock)
    return Client(WebhookAuth(f"{IDENTITY.url}/rest/1/{SANDBOX_WEBHOOK_CODE}/"), transport=SandboxTransport(portal),
                  clock=clock, pacing=None)


ENTITIES = ("deal", "lead", "contact", "company", "quote")
FIELD_TYPES = (
    "string", "integer", "double", "boolean", "date", "datetime", "enumeration", "employee", "crm", "file", "url",
    "address", "money", "crm_status", "iblock_element", "iblock_section",
)

# code -> (title, crm.type fields besides title/code)
SMART_PROCESSES: dict[str, tuple[str, dict[str, Any]]] = {
    "vacancy": ("Vacancies", {"isCategoriesEnabled": "Y", "isStagesEnabled": "Y", "isObserversEnabled": "Y",
                              "isRecyclebinEnabled": "Y"}),
    "candidate": ("Candidates", {"isStagesEnabled": "Y", "isClientEnabled": "Y", "isObserversEnabled": "Y",
                                 "isAutomationEnabled": "Y", "isUseInUserfieldEnabled": "Y",
                                 "isBeginCloseDatesEnabled": "Y"}),
    "contract": ("Contracts", {"isCategoriesEnabled": "Y", "isStagesEnabled": "Y", "isDocumentsEnabled": "Y",
                               "isLinkWithProductsEnabled": "Y", "isMycompanyEnabled": "Y",
                               "isSourceEnabled": "Y", "isBizProcEnabled": "Y", "isSetOpenPermissions": "N"}),
    "supplier": ("Suppliers", {}),
}


@dataclass
class Seeded:
    """What ``seed`` made: crm.type ``id`` and ``entityTypeId`` per code, and a few more ids."""

    type_id: dict[str, int] = field(default_factory=dict)
    etid: dict[str, int] = field(default_factory=dict)
    categories: dict[tuple[str, str], int] = field(default_factory=dict)
    """(owner code or entity, pipeline name) -> category id."""
    sp_fields: dict[tuple[str, str], int] = field(default_factory=dict)
    """(smart process code, field code) -> userfieldconfig id."""
    entity_fields: dict[tuple[str, str], int] = field(default_factory=dict)
    """(entity, field code) -> crm.{entity}.userfield id."""
    workplace: int = 0


def _settings(user_type: str, *, dynamic: int | None = None) -> dict[str, Any]:
    """Non-default settings of a field of ``user_type`` (what an admin would pick)."""
    if user_type == "string":
        return {"DEFAULT_VALUE": "n/a", "ROWS": 3}
    if user_type == "integer":
        return {"DEFAULT_VALUE": 1}
    if user_type == "double":
        return {"PRECISION": 4}
    if user_type == "boolean":
        return {"DEFAULT_VALUE": 1, "DISPLAY": "RADIO"}
    if user_type == "enumeration":
        return {"DISPLAY": "UI", "LIST_HEIGHT": 3}
    if user_type == "crm":
        out = {"LEAD": "N", "CONTACT": "Y", "COMPANY": "Y", "DEAL": "Y"}
        if dynamic is not None:
            out[f"DYNAMIC_{dynamic}"] = "Y"
        return out
    if user_type == "crm_status":
        return {"ENTITY_TYPE": "SOURCE"}
    if user_type in ("iblock_element", "iblock_section"):
        return {"IBLOCK_TYPE_ID": "lists", "IBLOCK_ID": 12, "DISPLAY": "LIST", "LIST_HEIGHT": 5}
    return {}


def _code(user_type: str) -> str:
    return user_type.upper()


def stage(client: Client, entity_id: str, status_id: str, name: str, sort: int, color: str | None = None,
           semantics: str | None = None) -> int:
    fields: dict[str, Any] = {"ENTITY_ID": entity_id, "STATUS_ID": status_id, "NAME": name, "SORT": sort}
    if color:
        fields["COLOR"] = color
    if semantics:
        fields["SEMANTICS"] = semantics
    return int(client.call("crm.status.add", {"fields": fields}))


def statuses(client: Client, entity_id: str) -> dict[str, Mapping[str, Any]]:
    """The rows of one crm.status directory by their STATUS_ID without prefix."""
    rows = client.call("crm.status.list", {"filter": {"ENTITY_ID": entity_id}})
    return {str(r["STATUS_ID"]).split(":", 1)[-1]: r for r in rows}


def rename_status(client: Client, entity_id: str, code: str, name: str) -> None:
    row = statuses(client, entity_id)[code]
    # SORT goes along: an update without it moves the row to 10 (reference crm §5.4).
    client.call("crm.status.update", {"id": row["ID"], "fields": {"NAME": name, "SORT": row["SORT"]}})


def delete_status(client: Client, entity_id: str, code: str) -> None:
    row = statuses(client, entity_id)[code]
    client.call("crm.status.delete", {"id": row["ID"], "params": {"FORCED": "Y"}})


def _run(client: Client, commands: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Independent commands in batches of 50; every one must succeed. Their results in order."""
    out: list[Any] = []
    for result in client.batches(commands):
        assert result.ok, {k: str(e) for k, e in result.errors.items()}
        out += [result[command.key] for command in result.batch.commands]
    return out


def _smart_processes(client: Client, seeded: Seeded) -> None:
    for code, (title, flags) in SMART_PROCESSES.items():
        made = client.call("crm.type.add", {"fields": {"title": title, "code": code, **flags}})["type"]
        seeded.type_id[code], seeded.etid[code] = int(made["id"]), int(made["entityTypeId"])
    etid = seeded.etid
    # Relations: a vacancy lists its candidates; a contract is a child of deals and of suppliers.
    client.call("crm.type.update", {"id": seeded.type_id["candidate"], "fields": {
        "relations": {"parent": [{"entityTypeId": etid["vacancy"], "isChildrenListEnabled": "true"}]},
        "linkedUserFields": {"CALENDAR_EVENT|UF_CRM_CAL_EVENT": "true", "TASKS_TASK|UF_CRM_TASK": "true"},
    }})
    client.call("crm.type.update", {"id": seeded.type_id["contract"], "fields": {"relations": {
        "parent": [{"entityTypeId": 2, "isChildrenListEnabled": "true"},
                   {"entityTypeId": etid["supplier"], "isChildrenListEnabled": "false"}],
        "child": [{"entityTypeId": 7, "isChildrenListEnabled": "true"}],
    }}})


def _smart_process_pipelines(client: Client, seeded: Seeded) -> None:
    etid = seeded.etid
    for code in SMART_PROCESSES:
        for category in client.call("crm.category.list", {"entityTypeId": etid[code]})["categories"]:
            seeded.categories[(code, str(category["name"]))] = int(category["id"])
    # Vacancies: the default pipeline renamed, its stages reworked.
    default = seeded.categories[("vacancy", "General")]
    client.call("crm.category.update", {"entityTypeId": etid["vacancy"], "id": default,
                                        "fields": {"name": "Open positions", "sort": 100}})
    seeded.categories[("vacancy", "Open positions")] = seeded.categories.pop(("vacancy", "General"))
    stages = f"DYNAMIC_{etid['vacancy']}_STAGE_{default}"
    rename_status(client, stages, "NEW", "Open")
    rename_status(client, stages, "PREPARATION", "On hold")
    delete_status(client, stages, "CLIENT")
    rename_status(client, stages, "SUCCESS", "Filled")
    stage(client, stages, "CANCELLED", "Cancelled", 60, "#FF5752", "F")
    # A second vacancy pipeline with its own stages.
    made = client.call("crm.category.add", {"entityTypeId": etid["vacancy"],
                                            "fields": {"name": "Internships", "sort": 200}})["category"]
    seeded.categories[("vacancy", "Internships")] = int(made["id"])
    stages = f"DYNAMIC_{etid['vacancy']}_STAGE_{made['id']}"
    stage(client, stages, "SCREENING", "Screening", 25, "#2FC6F6")
    rename_status(client, stages, "CLIENT", "Mentor approval")

    # Contracts: two pipelines, one of them made the default.
    made = client.call("crm.category.add", {"entityTypeId": etid["contract"],
                                            "fields": {"name": "Renewals", "sort": 700}})["category"]
    seeded.categories[("contract", "Renewals")] = int(made["id"])
    client.call("crm.category.update", {"entityTypeId": etid["contract"], "id": made["id"],
                                        "fields": {"isDefault": "Y"}})
    stages = f"DYNAMIC_{etid['contract']}_STAGE_{made['id']}"
    stage(client, stages, "NEGOTIATION", "Negotiation", 35, "#FFA900")
    rename_status(client, stages, "FAIL", "Not renewed")

    # Candidates: the starter stages replaced one by one.
    default = seeded.categories[("candidate", "General")]
    stages = f"DYNAMIC_{etid['candidate']}_STAGE_{default}"
    stage(client, stages, "INTERVIEW", "Interview", 25, "#55D0E0")
    stage(client, stages, "OFFER", "Offer", 35, "#FFA900")
    stage(client, stages, "WITHDRAWN", "Withdrawn", 60, "#FF5752", "F")
    rename_status(client, stages, "CLIENT", "Reference check")


def _smart_process_fields(client: Client, seeded: Seeded) -> None:
    commands: list[tuple[str, dict[str, Any]]] = []
    keys: list[tuple[str, str]] = []

    def add(code: str, field_code: str, user_type: str, label: Any, **extra: Any) -> None:
        type_id = seeded.type_id[code]
        commands.append(("userfieldconfig.add", {"moduleId": "crm", "field": {
            "entityId": f"CRM_{type_id}", "fieldName": f"UF_CRM_{type_id}_{field_code}", "userTypeId": user_type,
            "editFormLabel": label if isinstance(label, dict) else {"en": label}, **extra,
        }}))
        keys.append((code, field_code))

    # Every type on candidates.
    for user_type in FIELD_TYPES:
        extra: dict[str, Any] = {}
        settings = _settings(user_type, dynamic=seeded.etid["vacancy"] if user_type == "crm" else None)
        if settings:
            extra["settings"] = settings
        if user_type == "enumeration":
            extra["enum"] = [{"value": "Junior", "xmlId": "junior", "sort": 10},
                             {"value": "Middle", "xmlId": "middle", "sort": 20, "def": "Y"},
                             {"value": "Senior", "xmlId": "senior", "sort": 30}]
        if user_type == "string":
            extra.update({"mandatory": "Y", "showFilter": "Y", "isSearchable": "Y"})
        if user_type == "url":
            extra["multiple"] = "Y"
        if user_type == "date":
            extra["sort"] = 250
        add("candidate", _code(user_type), user_type, {"en": f"Candidate {user_type}", "de": f"Kandidat {user_type}"},
            **extra)
    # A few on the others, one of them a crm field targeting another smart process only.
    add("vacancy", "DEPARTMENT", "string", "Department", showFilter="Y")
    add("vacancy", "HEADCOUNT", "integer", "Positions to fill", settings={"DEFAULT_VALUE": 2})
    add("vacancy", "HIRING_MANAGER", "employee", "Hiring manager", mandatory="Y")
    add("contract", "SUPPLIER", "crm", "Supplier",
        settings={"LEAD": "N", "CONTACT": "N", "COMPANY": "N", "DEAL": "N", f"DYNAMIC_{seeded.etid['supplier']}": "Y"})
    add("contract", "AMOUNT", "money", "Amount")
    add("contract", "KIND", "enumeration", "Kind", multiple="Y",
        enum=[{"value": "Purchase", "xmlId": "purchase", "sort": 10, "def": "Y"},
              {"value": "Lease", "xmlId": "lease", "sort": 20, "def": "Y"}])
    add("supplier", "RATING", "double", "Rating")
    for key, result in zip(keys, _run(client, commands)):
        seeded.sp_fields[key] = int(result["field"]["id"])


def _entity_fields(client: Client, seeded: Seeded) -> None:
    commands: list[tuple[str, dict[str, Any]]] = []
    keys: list[tuple[str, str]] = []
    for entity in ENTITIES:
        for user_type in FIELD_TYPES:
            fields: dict[str, Any] = {"FIELD_NAME": f"X_{_code(user_type)}", "USER_TYPE_ID": user_type,
                                      "LABEL": f"{entity.title()} {user_type}"}
            settings = _settings(user_type)
            if settings:
                fields["SETTINGS"] = settings
            if user_type == "enumeration":
                fields["LIST"] = [{"VALUE": "Low", "XML_ID": "low", "SORT": 10},
                                  {"VALUE": "Normal", "XML_ID": "normal", "SORT": 20, "DEF": "Y"},
                                  {"VALUE": "High", "XML_ID": "high", "SORT": 30}]
            if user_type == "string":
                fields.update({"MANDATORY": "Y", "SHOW_FILTER": "Y", "SORT": 50,
                               "EDIT_FORM_LABEL": {"en": f"{entity.title()} note", "de": f"{entity.title()} Notiz"}})
            if user_type == "file":
                fields["MULTIPLE"] = "Y"
            commands.append((f"crm.{entity}.userfield.add", {"fields": fields}))
            keys.append((entity, f"X_{_code(user_type)}"))
    for key, result in zip(keys, _run(client, commands)):
        seeded.entity_fields[key] = int(result)


def _built_in(client: Client, seeded: Seeded) -> None:
    # Deal: the default pipeline's stages edited (renamed, recoloured, one added; deleting one of
    # its starter stages is ``delete_builtin_defaults``), a second pipeline with its own.
    rename_status(client, "DEAL_STAGE", "PREPARATION", "Proposal")
    row = statuses(client, "DEAL_STAGE")["EXECUTING"]
    client.call("crm.status.update", {"id": row["ID"], "fields": {"COLOR": "#0B7A75", "SORT": row["SORT"]}})
    stage(client, "DEAL_STAGE", "NEGOTIATION", "Negotiation", 45, "#FFA900")
    made = client.call("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Partners", "sort": 200}})
    category = int(made["category"]["id"])
    seeded.categories[("deal", "Partners")] = category
    rename_status(client, f"DEAL_STAGE_{category}", "NEW", "Lead-in")
    delete_status(client, f"DEAL_STAGE_{category}", "FINAL_INVOICE")
    stage(client, f"DEAL_STAGE_{category}", "PILOT", "Pilot", 45, "#47E4C2")
    # Contacts get a second pipeline.
    made = client.call("crm.category.add", {"entityTypeId": 3, "fields": {"name": "Suppliers", "sort": 300}})
    seeded.categories[("contact", "Suppliers")] = int(made["category"]["id"])
    # Leads: a status added, one renamed. Quotes: one renamed.
    stage(client, "STATUS", "QUALIFIED", "Qualified", 25, "#FFA900")
    rename_status(client, "STATUS", "IN_PROCESS", "Working on it")
    rename_status(client, "QUOTE_STATUS", "SENT", "Sent for review")
    # Sources: two added, one renamed.
    stage(client, "SOURCE", "JOB_BOARD", "Job board", 90)
    stage(client, "SOURCE", "REFERRAL", "Employee referral", 95)
    rename_status(client, "SOURCE", "TRADE_SHOW", "Trade fair")


def _workplace(client: Client, seeded: Seeded) -> None:
    made = client.call("crm.automatedsolution.add", {"fields": {
        "title": "Recruiting", "typeIds": [seeded.type_id["vacancy"], seeded.type_id["candidate"]]}})
    seeded.workplace = int(made["automatedSolution"]["id"])


def delete_builtin_defaults(client: Client) -> None:
    """Delete starter rows the portal made with the built-in entities: a non-system stage of the
    default deal pipeline, a non-system lead status and a non-system SOURCE item."""
    delete_status(client, "DEAL_STAGE", "PREPAYMENT_INVOICE")
    delete_status(client, "STATUS", "PROCESSED")
    delete_status(client, "SOURCE", "ADVERTISING")


def shift_ids(client: Client) -> None:
    """Make and delete one of everything, so the next objects get other ids than on a fresh portal."""
    made = client.call("crm.type.add", {"fields": {"title": "Scratch", "code": "scratch"}})["type"]
    client.call("crm.type.delete", {"id": made["id"]})
    category = client.call("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Scratch"}})["category"]
    client.call("crm.category.delete", {"entityTypeId": 2, "id": category["id"]})
    field_id = client.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "SCRATCH", "USER_TYPE_ID": "string"}})
    client.call("crm.deal.userfield.delete", {"id": field_id})
    status_id = stage(client, "SOURCE", "SCRATCH", "Scratch", 500)
    client.call("crm.status.delete", {"id": status_id})


def seed(client: Client) -> Seeded:
    """Build the configuration described in the module docstring; return its ids."""
    seeded = Seeded()
    _smart_processes(client, seeded)
    _smart_process_pipelines(client, seeded)
    _smart_process_fields(client, seeded)
    _entity_fields(client, seeded)
    _built_in(client, seeded)
    _workplace(client, seeded)
    return seeded
