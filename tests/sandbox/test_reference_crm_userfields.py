"""Replays every documented userfieldconfig.*, crm.*.userfield.*, crm.userfield.* and
crm.automatedsolution.* example of reference/bitrix24-rest-crm-examples.json against the sandbox.

Each test builds the fixture's preconditions through REST (ids pinned with ``set_next_id``),
sends the documented request and checks status and response shape (and, for errors, the exact
code and text).
"""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID, SandboxPortal
from tests.sandbox.userfield_helpers import make_spa, register_app_type, rest_as
from tests.support.reference import assert_shape, crm_fixture, ok, rest

REPLAYED: set[str] = {f"fixtures[{i}]" for i in range(23, 47)} | {f"error_fixtures[{i}]" for i in range(14, 23)}

DOCS_LANGUAGES = [
    "ar", "br", "de", "en", "fr", "hi", "id", "in", "it", "ja", "kz", "la", "ms", "pl", "ru", "sc", "tc", "th",
    "tr", "ua", "vn",
]


def replay(portal: SandboxPortal, index: int, *, errors: bool = False, request: dict[str, Any] | None = None) -> Any:
    fixture = crm_fixture(index, errors=errors)
    status, body = rest(portal, fixture["method"], fixture["request"] if request is None else request)
    assert status == fixture["http_status"], body
    assert_shape(fixture["response"], body)
    if errors:
        assert (body["error"], body["error_description"]) == (
            fixture["response"]["error"], fixture["response"]["error_description"],
        )
    return body


def add_config_field(portal: SandboxPortal, field_id: int, **overrides: Any) -> dict[str, Any]:
    """The docs' CRM_7 list field (fixture 24's request) with id ``field_id``."""
    make_spa(portal, 7)
    portal.set_next_id("userfield", field_id)
    field = {**crm_fixture(24)["request"]["field"], **overrides}
    return ok(portal, "userfieldconfig.add", {"moduleId": "crm", "field": field})["field"]  # type: ignore[no-any-return]


# --- userfieldconfig.* ---------------------------------------------------------------------------
def test_fixture_23_get_types_lists_built_in_and_app_types(portal: SandboxPortal) -> None:
    portal.state["auth"]["apps"][SANDBOX_CLIENT_ID]["id"] = 219  # the docs' app registered "test"
    register_app_type(portal, SANDBOX_CLIENT_ID, "test", "Test type")
    body = replay(portal, 23)
    assert body["result"]["types"]["rest_219_test"] == {"userTypeId": "rest_219_test", "description": "Test type"}


def test_fixture_24_add(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    portal.state["portal"]["languages"] = ["en", "ru"]  # the docs' portal
    portal.set_next_id("userfield", 6953)
    body = replay(portal, 24)
    assert body["result"]["field"]["id"] == "6953"


def test_fixture_25_get(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de"]
    add_config_field(portal, 7095, editFormLabel={"en": "List of characteristics", "de": "Liste der Merkmale"})
    body = replay(portal, 25)
    assert body["result"]["field"]["editFormLabel"] == {"en": "List of characteristics", "de": "Liste der Merkmale"}


def test_fixture_26_update(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de"]
    add_config_field(portal, 7095, editFormLabel={"en": "List of characteristics", "de": "Liste der Merkmale"})
    body = replay(portal, 26)
    assert body["result"]["field"]["mandatory"] == "Y"


def test_fixture_27_list(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    for n in range(94):
        ok(portal, "userfieldconfig.add", {"moduleId": "crm", "field": {
            "entityId": "CRM_7", "fieldName": f"UF_CRM_7_MULTI_{n}", "userTypeId": "enumeration", "multiple": "Y",
            "editFormLabel": {"de": f"Merkmale {n}"},
        }})
    ok(portal, "userfieldconfig.add", {"moduleId": "crm", "field": {
        "entityId": "CRM_7", "fieldName": "UF_CRM_7_SINGLE", "userTypeId": "string", "editFormLabel": {"de": "Einzeln"},
    }})
    body = replay(portal, 27)
    assert (body["total"], body["next"], len(body["result"]["fields"])) == (94, 50, 50)


def test_fixture_28_delete(portal: SandboxPortal) -> None:
    add_config_field(portal, 6953)
    replay(portal, 28)
    assert rest(portal, "userfieldconfig.get", {"moduleId": "crm", "id": 6953})[0] == 400


# --- crm.*.userfield.* ---------------------------------------------------------------------------
def test_fixture_29_deal_add_string(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 6997)
    assert replay(portal, 29)["result"] == 6997


def test_fixture_30_deal_add_enumeration(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 6998)
    assert replay(portal, 30)["result"] == 6998


def test_fixture_31_deal_update(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 536)
    ok(portal, "crm.deal.userfield.add", crm_fixture(29)["request"])
    assert replay(portal, 31)["result"] is True


def test_fixture_32_deal_get(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 6997)
    ok(portal, "crm.deal.userfield.add", crm_fixture(29)["request"])
    ok(portal, "crm.deal.userfield.update", {**crm_fixture(31)["request"], "id": 6997})
    body = replay(portal, 32)
    assert body["result"]["FIELD_NAME"] == "UF_CRM_HELLO_WORLD"
    assert sorted(body["result"]["EDIT_FORM_LABEL"]) == DOCS_LANGUAGES


def crm_status_fields(portal: SandboxPortal, entity: str) -> None:
    """Two multiple+mandatory directory bindings the filter keeps and one field it drops."""
    for name, multiple in (("INDUSTRY_A", "Y"), ("INDUSTRY_B", "Y"), ("INDUSTRY_C", "N")):
        ok(portal, f"crm.{entity}.userfield.add", {"fields": {
            "FIELD_NAME": name, "USER_TYPE_ID": "crm_status", "MULTIPLE": multiple, "MANDATORY": "Y",
            "LABEL": "Directory", "SETTINGS": {"ENTITY_TYPE": "INDUSTRY"},
        }})


def test_fixture_33_deal_list(portal: SandboxPortal) -> None:
    crm_status_fields(portal, "deal")
    body = replay(portal, 33)
    assert [row["FIELD_NAME"] for row in body["result"]] == ["UF_CRM_INDUSTRY_A", "UF_CRM_INDUSTRY_B"]
    assert body["total"] == 2


def test_fixture_34_deal_delete(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 432)
    ok(portal, "crm.deal.userfield.add", crm_fixture(29)["request"])
    assert replay(portal, 34)["result"] is True


def test_fixture_35_lead_add(portal: SandboxPortal) -> None:
    field_id = replay(portal, 35)["result"]
    assert ok(portal, "crm.lead.userfield.get", {"id": field_id})["FIELD_NAME"] == "UF_CRM_ENUMERATION_EXAMPLE"


def test_fixture_36_contact_update_edits_the_list_incrementally(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 536)
    portal.set_next_id("userfield_enum", 115)
    ok(portal, "crm.contact.userfield.add", {"fields": {
        "FIELD_NAME": "ENUMERATION_EXAMPLE", "USER_TYPE_ID": "enumeration",
        "LIST": [{"VALUE": f"List item #{n}", "XML_ID": f"XML_ID_{n}", "SORT": n * 100} for n in range(1, 5)],
    }})
    replay(portal, 36)
    items = ok(portal, "crm.contact.userfield.get", {"id": 536})["LIST"]
    assert [(i["ID"], i["VALUE"], i["SORT"]) for i in items] == [
        ("117", "List item #3 (changed)", "50"), ("118", "List item #4", "400"), ("119", "List item #5", "500"),
    ]


def test_fixture_37_company_get(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = [lid for lid in DOCS_LANGUAGES if lid != "ru"]  # the docs' portal
    portal.set_next_id("userfield", 399)
    ok(portal, "crm.company.userfield.add", {"fields": {
        "FIELD_NAME": "HELLO_WORLD", "USER_TYPE_ID": "string", "MULTIPLE": "Y",
        "LIST_FILTER_LABEL": "Hello, world! Filter (changed)", "EDIT_FORM_LABEL": {"en": "Hello, World! Edit (changed)"},
    }})
    body = replay(portal, 37)
    assert set(body["result"]["LIST_FILTER_LABEL"].values()) == {"Hello, world! Filter (changed)"}


def test_fixture_38_quote_list(portal: SandboxPortal) -> None:
    crm_status_fields(portal, "quote")
    body = replay(portal, 38)
    assert {row["ENTITY_ID"] for row in body["result"]} == {"CRM_QUOTE"}


# --- crm.userfield.* -----------------------------------------------------------------------------
def test_fixture_39_types(portal: SandboxPortal) -> None:
    body = replay(portal, 39)
    assert body["result"] == crm_fixture(39)["response"]["result"]


def test_fixture_40_fields(portal: SandboxPortal) -> None:
    body = replay(portal, 40)
    assert body["result"] == crm_fixture(40)["response"]["result"]


# --- crm.automatedsolution.* ---------------------------------------------------------------------
def test_fixture_41_automatedsolution_fields(portal: SandboxPortal) -> None:
    body = replay(portal, 41)
    assert body["result"] == crm_fixture(41)["response"]["result"]


def test_fixture_42_automatedsolution_add(portal: SandboxPortal) -> None:
    for type_id in (1, 2, 3):
        make_spa(portal, type_id)
    body = replay(portal, 42)
    assert body["result"]["automatedSolution"] == {"id": 1, "title": "HR", "typeIds": [1, 2, 3]}


def add_workplace(portal: SandboxPortal, workplace_id: int, title: str, type_ids: list[int]) -> None:
    for type_id in type_ids:
        make_spa(portal, type_id)
    portal.set_next_id("automated_solution", workplace_id)
    ok(portal, "crm.automatedsolution.add", {"fields": {"title": title, "typeIds": type_ids}})


def test_fixture_43_automatedsolution_update(portal: SandboxPortal) -> None:
    add_workplace(portal, 238, "HR", [129])
    body = replay(portal, 43)
    assert body["result"]["automatedSolution"] == crm_fixture(43)["response"]["result"]["automatedSolution"]


def test_fixture_44_automatedsolution_get(portal: SandboxPortal) -> None:
    add_workplace(portal, 393, "HR", [4, 9, 77, 157, 225])
    body = replay(portal, 44)
    assert body["result"]["automatedSolution"] == crm_fixture(44)["response"]["result"]["automatedSolution"]


def test_fixture_45_automatedsolution_list(portal: SandboxPortal) -> None:
    add_workplace(portal, 238, "HR", [129])
    add_workplace(portal, 240, "Customer Success", [])
    add_workplace(portal, 267, "R&D", [14, 158])
    body = replay(portal, 45)
    # The docs print ascending ids for order DESC; the sandbox honours the order.
    assert [w["id"] for w in body["result"]["automatedSolutions"]] == [267, 240, 238]


def test_fixture_46_automatedsolution_delete(portal: SandboxPortal) -> None:
    add_workplace(portal, 5, "Empty", [])
    replay(portal, 46)
    assert rest(portal, "crm.automatedsolution.get", {"id": 5})[1]["error"] == "NOT_FOUND"


# --- error fixtures ------------------------------------------------------------------------------
def test_error_fixture_14_add_without_field_name(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    replay(portal, 14, errors=True)


def test_error_fixture_15_get_of_unknown_id_is_a_permission_error(portal: SandboxPortal) -> None:
    replay(portal, 15, errors=True)


def test_error_fixture_16_get_types_without_the_crm_scope(portal: SandboxPortal) -> None:
    portal.add_webhook(1, "ufonlyhook", ["userfieldconfig"])
    fixture = crm_fixture(16, errors=True)
    status, body = rest_as(portal, 1, "ufonlyhook", fixture["method"], fixture["request"])
    assert status == fixture["http_status"]
    assert body == fixture["response"]


def test_error_fixture_17_add_without_type(portal: SandboxPortal) -> None:
    replay(portal, 17, errors=True)


def test_error_fixture_18_get_with_invalid_id(portal: SandboxPortal) -> None:
    replay(portal, 18, errors=True)


def test_error_fixture_19_update_of_another_entitys_field(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 536)
    ok(portal, "crm.lead.userfield.add", {"fields": {"FIELD_NAME": "LEAD_ONLY", "USER_TYPE_ID": "string"}})
    replay(portal, 19, errors=True)


def test_error_fixture_20_automatedsolution_add_without_title(portal: SandboxPortal) -> None:
    replay(portal, 20, errors=True)


def test_error_fixture_21_automatedsolution_get_missing(portal: SandboxPortal) -> None:
    replay(portal, 21, errors=True)


def test_error_fixture_22_automatedsolution_delete_with_bound_types(portal: SandboxPortal) -> None:
    add_workplace(portal, 5, "HR", [12])
    replay(portal, 22, errors=True)
