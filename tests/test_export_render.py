"""``export.render``: live State -> manifest files that load, validate and compile back to the live attributes."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from b24cfg.export import ExportFile, render, slug
from b24cfg.manifest import load_manifests
from b24cfg.manifest.loader import load_documents
from b24cfg.manifest.compile import FEATURE_FLAGS, LINKED_USER_FIELDS, compile_manifests
from b24cfg.manifest.schema import KINDS
from b24cfg.model import Address, Origin, Resource, State
from b24cfg.planner.diff import compare, project
from b24cfg.resources import ADAPTERS


# --- building live states ------------------------------------------------------------------------------
def features(*on: str) -> dict[str, Any]:
    """Every feature attribute as a live smart process holds it; ``on`` names switch on."""
    out: dict[str, Any] = {f"features.{name}": name == "openPermissions" for name in FEATURE_FLAGS}
    out.update({f"features.linkedUserFields.{name}": False for name in LINKED_USER_FIELDS})
    out.update({f"features.{name}": True for name in on})
    return out


def res(address: str, attrs: Mapping[str, Any], ids: Mapping[str, Any] | None = None,
        origin: Origin = "portal") -> Resource:
    return Resource(Address.parse(address), dict(attrs), dict(ids or {}), origin=origin)


def sp(address: str, title: str, etid: int, type_id: int, *on: str, parents: Sequence[Any] = (),
       children: Sequence[Any] = ()) -> Resource:
    return res(address, {"title": title, "entityTypeId": etid, **features(*on),
                         "relations.parents": list(parents), "relations.children": list(children)},
               {"id": type_id, "entityTypeId": etid})


def pipeline(address: str, name: str, sort: int, default: bool) -> Resource:
    category = int(address.rsplit("#", 1)[1])
    return res(address, {"name": name, "sort": sort, "default": default}, {"id": category, "entityTypeId": 2})


def stage(address: str, name: str, sort: int, semantics: str = "process", color: str = "",
          origin: Origin = "portal") -> Resource:
    return res(address, {"name": name, "sort": sort, "semantics": semantics, "color": color}, {"ID": 1}, origin)


def status(address: str, name: str, sort: int, semantics: str = "process", color: str = "") -> Resource:
    return res(address, {"name": name, "sort": sort, "semantics": semantics, "color": color}, {"ID": 1})


STRING = {"SIZE": "20", "ROWS": "1", "REGEXP": "", "MIN_LENGTH": "0", "MAX_LENGTH": "0", "DEFAULT_VALUE": ""}
ENUMERATION = {"DISPLAY": "LIST", "LIST_HEIGHT": "1", "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"}


def field(address: str, user_type: str, label: Any, **attrs: Any) -> Resource:
    base = {"type": user_type, "multiple": False, "label": label, "mandatory": False, "showInFilter": False,
            "editInList": True, "searchable": False, "sort": 100, "settings": {}}
    return res(address, {**base, **attrs}, {"id": 1})


def portal() -> list[Resource]:
    """A portal with a bit of everything: a coded and a code-less smart process linked both ways,
    fields of several types, a deal with two pipelines, lead statuses, sources and a workplace."""
    return [
        sp("smart_process.contract", "Contracts", 1040, 5, "pipelines", "stages", "client", "useInUserFields",
           "automation", "linkedUserFields.tasks",
           parents=[{"type": "deal", "showInCard": True}], children=[{"type": "#1042", "showInCard": False}]),
        pipeline("pipeline.contract.#11", "Contract approval", 500, True),
        pipeline("pipeline.contract.#12", "Renewals", 600, False),
        stage("stage.contract.#11.DRAFT", "Draft", 10, color="#ACE9FB", origin="portal-default"),
        stage("stage.contract.#11.APPROVED", "Approved", 20, "success", "#7BD500"),
        stage("stage.contract.#11.REJECTED", "Rejected", 30, "failure"),
        stage("stage.contract.#12.NEW", "New", 10),
        stage("stage.contract.#12.WON", "Won", 20, "success"),
        stage("stage.contract.#12.LOST", "Lost", 30, "failure"),
        field("field.contract.AMOUNT", "money", "Contract value", mandatory=True, showInFilter=True,
              settings={"DEFAULT_VALUE": ""}),
        field("field.contract.CONTRACT_TYPE", "enumeration", {"de": "Vertragsart", "en": "Contract type"},
              multiple=True, searchable=True, settings={**ENUMERATION, "DISPLAY": "CHECKBOX"},
              items=[{"value": "Sales", "default": True, "sort": 10, "xmlId": "sales"},
                     {"value": "NO", "default": True, "sort": 20, "xmlId": "no"},
                     {"value": "123", "default": False, "sort": 30, "xmlId": ""}]),
        field("field.contract.DEAL", "crm", "Deal", targets=["#DYNAMIC_1042", "deal"]),
        field("field.contract.CHANNEL", "crm_status", "Channel", directory="SOURCE"),
        field("field.contract.NOTE", "string", "Note ${var.X}: #1", editInList=False, sort=200,
              settings={**STRING, "ROWS": "5", "DEFAULT_VALUE": "on"}),
        field("field.contract.RATE", "double", "Rate", settings={
            "PRECISION": "2", "SIZE": "20", "MIN_VALUE": "0.0", "MAX_VALUE": "0.0", "DEFAULT_VALUE": "1.5"}),
        field("field.contract.SIGNED", "date", "Signed on",
              settings={"DEFAULT_VALUE": {"TYPE": "NOW", "VALUE": ""}}),
        field("field.contract.FLAG", "boolean", "Urgent", settings={
            "DEFAULT_VALUE": "1", "DISPLAY": "CHECKBOX", "LABEL": ["", ""], "LABEL_CHECKBOX": ""}),
        sp("smart_process.#7", "Claims & Returns", 1042, 7, parents=[{"type": "contract", "showInCard": False}]),
        pipeline("pipeline.#7.#20", "General", 500, True),
        stage("stage.#7.#20.NEW", "Start", 10, color="#22B9FF", origin="portal-default"),
        stage("stage.#7.#20.SUCCESS", "Success", 40, "success", "#00FF00", origin="portal-default"),
        stage("stage.#7.#20.FAIL", "Failure", 50, "failure", "#FF0000", origin="portal-default"),
        res("entity.deal", {}), res("entity.lead", {}), res("entity.contact", {}),
        pipeline("pipeline.deal.#0", "General", 100, True),
        pipeline("pipeline.deal.#3", "Partners", 200, False),
        stage("stage.deal.#0.NEW", "New", 10), stage("stage.deal.#0.WON", "Won", 20, "success"),
        stage("stage.deal.#0.LOSE", "Lost", 30, "failure"),
        stage("stage.deal.#3.NEW", "New", 10), stage("stage.deal.#3.WON", "Won", 20, "success"),
        stage("stage.deal.#3.LOSE", "Lost", 30, "failure"),
        field("field.deal.BUDGET", "integer", "Budget",
              settings={"SIZE": "20", "MIN_VALUE": "0", "MAX_VALUE": "0", "DEFAULT_VALUE": "5"}),
        field("field.deal.1612345678", "string", "Old field", settings={**STRING, "SIZE": "30"}),
        field("field.deal.PARTNER", "crm", "Partner", targets=["company", "contact"]),
        status("status.lead.NEW", "New", 10, color="#39A8EF"),
        status("status.lead.1", "Called", 20),
        status("status.lead.CONVERTED", "Converted", 30, "success"),
        status("status.lead.JUNK", "Junk", 40, "failure"),
        res("directory.SOURCE", {}),
        res("status.SOURCE.CALL", {"name": "Call", "sort": 10}),
        res("status.SOURCE.WEB", {"name": "Website", "sort": 20}),
        res("workplace.#3", {"title": "Legal", "smartProcesses": ["#7", "contract"]}, {"id": 3}),
    ]


def state(resources: Iterable[Resource]) -> State:
    live = State()
    for resource in resources:
        live.add(resource)
    return live


def by_path(files: Iterable[ExportFile]) -> dict[str, str]:
    return {f.path: f.text for f in files}


def write(files: Iterable[ExportFile], root: Path) -> None:
    for file in files:
        target = root / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.text, encoding="utf-8")


# --- the round trip ------------------------------------------------------------------------------------
def _rewrite(attrs: Mapping[str, Any], etids: Mapping[str, str], ids: Mapping[str, str]) -> dict[str, Any]:
    """Live attributes with references to code-less smart processes replaced by the exported codes."""
    out = dict(attrs)
    for side in ("relations.parents", "relations.children"):
        if side in out:
            out[side] = sorted(({**r, "type": etids.get(r["type"], r["type"])} for r in out[side]),
                               key=lambda r: r["type"])
    if "targets" in out:
        out["targets"] = sorted(etids.get(f"#{t.removeprefix('#DYNAMIC_')}", t) if t.startswith("#DYNAMIC_") else t
                                for t in out["targets"])
    if "smartProcesses" in out:
        out["smartProcesses"] = sorted(ids.get(p, p) for p in out["smartProcesses"])
    return out


def rekeyed(live: State, desired: State) -> dict[Address, Resource]:
    """By live address, each live resource moved to the address a manifest gives it (the planner's matching:
    smart processes by code or title, pipelines by name, workplaces by title, the rest by code)."""
    owners: dict[Address, Address] = {}
    etids: dict[str, str] = {}
    ids: dict[str, str] = {}
    for have in live.of_kind("smart_process"):
        code = have.address.key[0]
        if code.startswith("#"):
            [code] = [w.address.key[0] for w in desired.of_kind("smart_process")
                      if w.attrs["title"] == have.attrs["title"]]
            etids[f"#{have.attrs['entityTypeId']}"] = code
            ids[f"#{have.ids['id']}"] = code
        owners[have.address] = Address("smart_process", (code,))
    for kind in ("entity", "directory"):
        owners.update({r.address: r.address for r in live.of_kind(kind)})
    for have in live.of_kind("workplace"):
        owners.update({have.address: w.address for w in desired.of_kind("workplace")
                       if w.attrs["title"] == have.attrs["title"]})
    for have in live.of_kind("pipeline"):
        parent = have.address.parent()
        assert parent is not None
        owner = owners[parent]
        owners.update({have.address: w.address for w in desired.children(owner, "pipeline")
                       if w.attrs["name"] == have.attrs["name"]})
    out: dict[Address, Resource] = {}
    for have in live:
        parent = have.address.parent()
        if have.address in owners:
            address = owners[have.address]
        elif parent in owners:
            address = owners[parent].child(have.address.kind, have.address.key[-1])
        else:
            continue
        out[have.address] = replace(have, address=address, attrs=_rewrite(have.attrs, etids, ids))
    return out


def changes(want: Resource, have: Resource) -> list[str]:
    if want.address.kind in ADAPTERS:
        return [f"{want.address} {c.name}: {c.old!r} -> {c.new!r}" for c in compare(want, have)]
    return [f"{want.address} {name}" for name, value in want.attrs.items()
            if project(value, have.attrs.get(name)) != value]


def round_trip(live: State, tmp_path: Path, notes: Mapping[Address, Sequence[str]] = {}) -> State:
    """Export, load, validate and compile; every desired resource equals the live one it describes."""
    write(render(live, notes), tmp_path)
    manifests, problems = load_manifests([tmp_path])
    assert problems == []
    warnings: list[str] = []
    desired, _ = compile_manifests(manifests, warnings)
    assert warnings == []
    haves = {have.address: have for have in rekeyed(live, desired).values()}
    missing = [str(w.address) for w in desired if w.address not in haves]
    assert missing == []
    assert [line for want in desired for line in changes(want, haves[want.address])] == []
    return desired


# --- tests -----------------------------------------------------------------------------------------------
GOLDEN = """\
# yaml-language-server: $schema=../../schemas/SmartProcess.json
kind: SmartProcess
code: tickets
title: Tickets

features:
  stages: true
  openPermissions: false

relations:
  parents: []
  children:
    - type: deal
      showInCard: true

pipelines:
  - key: support
    name: Support
    sort: 10
    stages:
      - code: NEW
        name: New
        color: "#22B9FF"
        sort: 10
      - code: "1"
        name: "yes"
        sort: 20
      - code: DONE
        name: Done
        semantics: success
        sort: 30
      - code: FAIL
        name: Failed
        semantics: failure
        sort: 40
    prune: true

prune:
  pipelines: true
  fields: true

fields:
  - code: PRIORITY
    type: enumeration
    label: {de: Priorität, en: Priority}
    showInFilter: true
    sort: 150
    items:
      - {value: High, xmlId: high, default: true, sort: 10}
      - {value: Low, sort: 20}
  - code: TOPIC
    type: string
    label: Topic
    settings:
      ROWS: 3
"""


def tickets() -> list[Resource]:
    attrs = features("stages")
    attrs["features.openPermissions"] = False
    return [
        res("smart_process.tickets", {"title": "Tickets", "entityTypeId": 1100, **attrs, "relations.parents": [],
                                      "relations.children": [{"type": "deal", "showInCard": True}]},
            {"id": 9, "entityTypeId": 1100}),
        pipeline("pipeline.tickets.#30", "Support", 10, True),
        stage("stage.tickets.#30.NEW", "New", 10, color="#22B9FF"),
        stage("stage.tickets.#30.1", "yes", 20),
        stage("stage.tickets.#30.DONE", "Done", 30, "success"),
        stage("stage.tickets.#30.FAIL", "Failed", 40, "failure"),
        field("field.tickets.TOPIC", "string", "Topic", settings={**STRING, "ROWS": "3"}),
        field("field.tickets.PRIORITY", "enumeration", {"de": "Priorität", "en": "Priority"}, showInFilter=True,
              sort=150, settings=ENUMERATION, items=[{"value": "High", "default": True, "sort": 10, "xmlId": "high"},
                                                     {"value": "Low", "default": False, "sort": 20, "xmlId": ""}]),
    ]


def test_a_small_smart_process_renders_exactly(tmp_path: Path) -> None:
    live = state(tickets())
    assert render(live) == [ExportFile("smart-processes/tickets.yaml", GOLDEN)]
    round_trip(live, tmp_path)


def test_every_kind_round_trips_through_load_and_compile(tmp_path: Path) -> None:
    assert {"SmartProcess", "CrmEntity", "Directory", "Workplace"} <= set(KINDS)
    live = state(portal())
    desired = round_trip(live, tmp_path)
    # Everything on the portal is described, except the stages of a smart process with stages off.
    described = {address for address, have in rekeyed(live, desired).items() if have.address in desired}
    assert sorted(str(r.address) for r in live if r.address not in described) == [
        "stage.#7.#20.FAIL", "stage.#7.#20.NEW", "stage.#7.#20.SUCCESS",
    ]
    assert sorted(str(a) for a in desired.resources if a.kind == "stage" and a.key[0] == "claims_returns") == []
    assert sorted(f.path for f in render(live)) == [
        "directories/source.yaml", "entities/contact.yaml", "entities/deal.yaml", "entities/lead.yaml",
        "smart-processes/claims_returns.yaml", "smart-processes/contract.yaml", "workplaces/legal.yaml",
    ]


def test_output_is_byte_identical_whatever_the_insertion_order() -> None:
    resources = portal()
    first = render(state(resources))
    assert render(state(resources)) == first
    for seed in range(5):
        shuffled = list(resources)
        random.Random(seed).shuffle(shuffled)
        assert render(state(shuffled)) == first
    assert [f.path for f in first] == sorted(f.path for f in first)


def test_entity_directory_and_workplace_files() -> None:
    files = by_path(render(state(portal())))
    lead = files["entities/lead.yaml"]
    assert lead.startswith("# yaml-language-server: $schema=../../schemas/CrmEntity.json\nkind: CrmEntity\n"
                           "entity: lead\n")
    assert "pipelines" not in lead and '  - code: "1"\n    name: Called\n    sort: 20\n' in lead
    assert lead.endswith("\nfields: []\n\nprune:\n  statuses: true\n  fields: true\n")
    deal = files["entities/deal.yaml"]
    assert "statuses" not in deal and "  - key: general\n    name: General\n    sort: 100\n    default: true\n" in deal
    assert "  - key: partners\n    name: Partners\n    sort: 200\n    stages:\n" in deal
    assert "targets: [company, contact]" in deal
    assert files["entities/contact.yaml"].endswith(
        "kind: CrmEntity\nentity: contact\n\nfields: []\n\nprune:\n  fields: true\n")
    assert files["directories/source.yaml"] == (
        "# yaml-language-server: $schema=../../schemas/Directory.json\n"
        "kind: Directory\ndirectory: SOURCE\n\nitems:\n"
        "  - {code: CALL, name: Call, sort: 10}\n  - {code: WEB, name: Website, sort: 20}\nprune: true\n"
    )
    assert files["workplaces/legal.yaml"] == (
        "# yaml-language-server: $schema=../../schemas/Workplace.json\n"
        "kind: Workplace\ncode: legal\ntitle: Legal\n\nsmartProcesses: [claims_returns, contract]\n"
    )


def test_only_non_default_values_are_written_and_never_ids() -> None:
    contract = by_path(render(state(portal())))["smart-processes/contract.yaml"]
    assert "entityTypeId" not in contract and "1040" not in contract
    assert "openPermissions" not in contract and "products" not in contract
    assert "  linkedUserFields:\n    tasks: true\n" in contract
    # Settings: only what differs from the type's default, in a form that reads back the same.
    assert "    settings:\n      DEFAULT_VALUE: \"on\"\n      ROWS: 5\n" in contract
    assert "    settings:\n      DEFAULT_VALUE: 1.5\n      PRECISION: 2\n" in contract
    assert "    settings:\n      DEFAULT_VALUE: {TYPE: NOW, VALUE: \"\"}\n" not in contract
    assert "      DEFAULT_VALUE:\n        TYPE: NOW\n        VALUE: \"\"\n" in contract
    assert "      DEFAULT_VALUE: 1\n" in contract  # the boolean's checked default
    assert "SIZE" not in contract and "MIN_VALUE" not in contract and "SHOW_NO_VALUE" not in contract
    assert "    label: {de: Vertragsart, en: Contract type}\n    multiple: true\n    searchable: true\n" in contract
    assert '      - {value: "NO", xmlId: "no", default: true, sort: 20}\n      - {value: "123", sort: 30}\n' \
        in contract
    assert "    label: 'Note $${var.X}: #1'\n" not in contract
    assert "    label: \"Note $${var.X}: #1\"\n    editInList: false\n    sort: 200\n" in contract


def test_a_smart_process_without_a_code_gets_one_and_every_reference_follows() -> None:
    files = by_path(render(state(portal())))
    claims = files["smart-processes/claims_returns.yaml"]
    assert ("kind: SmartProcess\n# The portal has no code for this smart process: b24cfg finds it by its title and "
            "writes this\n# code on the first apply.\ncode: claims_returns\ntitle: Claims & Returns\n") in claims
    assert "relations:\n  parents:\n    - type: contract\n  children: []\n" in claims
    assert "# Left out: stages: the smart process has stages switched off" in claims
    assert "stages:" not in claims.split("\nkind:", 1)[1]
    contract = files["smart-processes/contract.yaml"]
    assert "  children:\n    - type: claims_returns\n" in contract
    assert "targets: [claims_returns, deal]" in contract
    assert "#1042" not in contract and "DYNAMIC" not in contract


def test_invented_codes_avoid_reserved_names_and_each_other() -> None:
    live = state([
        sp("smart_process.deal_x", "Existing", 1030, 1),
        sp("smart_process.#4", "Deal", 1032, 4),
        sp("smart_process.#5", "Договоры", 1034, 5),
        sp("smart_process.#6", "Deal X", 1036, 6),
        sp("smart_process.#8", "Deal X", 1038, 8),
        res("workplace.#1", {"title": "HR", "smartProcesses": ["#4", "deal_x"]}, {"id": 1}),
        res("workplace.#2", {"title": "H.R.", "smartProcesses": ["#5"]}, {"id": 2}),
    ])
    files = by_path(render(live))
    assert sorted(files) == [
        "smart-processes/deal_x.yaml", "smart-processes/deal_x_2.yaml", "smart-processes/deal_x_3.yaml",
        "smart-processes/smart_process_4.yaml", "smart-processes/smart_process_5.yaml",
        "workplaces/h_r.yaml", "workplaces/hr.yaml",
    ]
    assert "cannot tell them\n# apart" in files["smart-processes/deal_x_2.yaml"]
    assert "cannot tell them" not in files["smart-processes/smart_process_4.yaml"]
    assert "smartProcesses: [deal_x, smart_process_4]" in files["workplaces/hr.yaml"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Contract approval", "contract_approval"), ("  Über-Größe!  ", "uber_gro_e"), ("Продажи", ""),
    ("2024 plan", ""), ("a" * 60, "a" * 50), ("B2B  —  Partners", "b2b_partners"), ("ﬁle", "file"),
])
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_pipeline_keys_fall_back_to_main_and_positions(tmp_path: Path) -> None:
    live = state([
        res("entity.deal", {}),
        pipeline("pipeline.deal.#0", "Основная", 10, True),
        pipeline("pipeline.deal.#4", "Опт", 20, False),
        pipeline("pipeline.deal.#5", "Main", 30, False),
    ])
    deal = by_path(render(live))["entities/deal.yaml"]
    assert [line for line in deal.splitlines() if "key:" in line] == [
        "  - key: main", "  - key: pipeline_2", "  - key: main_2",
    ]
    round_trip(live, tmp_path)


def test_notes_and_what_cannot_be_written_become_comments(tmp_path: Path) -> None:
    resources = [
        *tickets(),
        # Two items with the same value: a manifest cannot hold them.
        field("field.tickets.TWICE", "enumeration", "Twice", settings=ENUMERATION, items=[
            {"value": "A", "default": False, "sort": 10, "xmlId": "a1"},
            {"value": "A", "default": False, "sort": 20, "xmlId": "a2"}]),
        field("field.tickets.GONE", "crm", "Gone", targets=["#DYNAMIC_9999"]),
        field("field.tickets.BLANK", "string", {}, settings=STRING),
        res("entity.deal", {}),
        pipeline("pipeline.deal.#0", "General", 10, True),
        # The success stage after a failure stage: the portal's order cannot be written.
        stage("stage.deal.#0.NEW", "New", 10), stage("stage.deal.#0.LOSE", "Lost", 20, "failure"),
        stage("stage.deal.#0.WON", "Won", 30, "success"),
    ]
    notes = {Address("entity", ("deal",)): ["field UF_CRM_X.Y: name outside b24cfg's scheme"],
             Address("field", ("tickets", "ODD")): ["type resourcebooking is not supported"]}
    live = state(resources)
    files = by_path(render(live, notes))
    deal = files["entities/deal.yaml"]
    assert deal.startswith(
        "# yaml-language-server: $schema=../../schemas/CrmEntity.json\n#\n"
        "# Left out: field UF_CRM_X.Y: name outside b24cfg's scheme\n"
        "# Left out: stages of pipeline general: a manifest needs process stages, then exactly one success stage, "
        "then failure stages, in sort order; the portal has NEW (process), LOSE (failure), WON (success)\n"
        "kind: CrmEntity\n"
    )
    tickets_file = files["smart-processes/tickets.yaml"]
    header = [line for line in tickets_file.splitlines() if line.startswith("# Left out:")]
    assert header == [
        "# Left out: field BLANK: label: the label map is empty; write one text, or languages such as "
        "{en: Amount, de: Betrag}",
        "# Left out: field GONE: targets #DYNAMIC_9999 name no type b24cfg knows",
        "# Left out: field TWICE: two items have the same value",
        "# Left out: type resourcebooking is not supported",
    ]
    assert "code: TWICE" not in tickets_file and "code: GONE" not in tickets_file
    # What is left out is simply not managed: the rest still round-trips.
    write(render(live, notes), tmp_path)
    assert load_manifests([tmp_path])[1] == []


def test_sorts_below_one_are_raised_and_noted_and_ties_kept(tmp_path: Path) -> None:
    live = state([
        res("directory.SOURCE", {}),
        res("status.SOURCE.WEB", {"name": "Website", "sort": 500}),
        res("status.SOURCE.CALL", {"name": "Call", "sort": 500}),
        res("status.SOURCE.EMAIL", {"name": "E-mail", "sort": 0}),
    ])
    text = by_path(render(live))["directories/source.yaml"]
    assert "# Note: item EMAIL: sort 0 written as 1 (sorts are at least 1; the first apply stores it)" in text
    assert text.endswith("  - {code: EMAIL, name: E-mail, sort: 1}\n  - {code: CALL, name: Call, sort: 500}\n"
                         "  - {code: WEB, name: Website, sort: 500}\nprune: true\n")
    write(render(live), tmp_path)
    assert load_manifests([tmp_path])[1] == []


def test_enumeration_items_with_equal_sorts_keep_the_portal_order(tmp_path: Path) -> None:
    live = state([*tickets()[:1], field("field.tickets.SIZE", "enumeration", "Size", settings=ENUMERATION, items=[
        {"value": "S", "default": False, "sort": 500, "xmlId": "s"},
        {"value": "M", "default": False, "sort": 500, "xmlId": "m"}])])
    text = by_path(render(live))["smart-processes/tickets.yaml"]
    assert "# Note" not in text
    assert "      - {value: S, xmlId: s, sort: 500}\n      - {value: M, xmlId: m, sort: 500}\n" in text
    write(render(live), tmp_path)
    assert load_manifests([tmp_path])[1] == []


@pytest.mark.parametrize("text", ["NO", "on", "123", "-7", "#FF0000", "1e5", "1.5e5", ".5", "0o17", "0x1F", "true",
                                  "False", "null", "~", ".inf", "", " padded ", "a: b", "- x", "[x]", "{x}", "'q'",
                                  '"q"', "${var.X}", "$${", "50%", "Ünïcödé — ok"])
def test_text_reads_back_as_written(tmp_path: Path, text: str) -> None:
    live = state([res("workplace.#1", {"title": text, "smartProcesses": []}, {"id": 1})])
    write(render(live), tmp_path)
    [document], problems = load_documents([tmp_path])
    assert problems == []
    assert document.data["title"] == text and type(document.data["title"]) is str
    if text.strip():
        assert load_manifests([tmp_path])[1] == []
