"""Behaviour of the custom-field families: one rule per test (reference crm §6, §7, §13 items 23-30, 32)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from b24cfg.sandbox.portal import SandboxPortal
from tests.sandbox.userfield_helpers import make_spa, register_app_type, rest_as
from tests.support.reference import ok, rest

NON_ADMIN = (7, "staffhook0000001")


def config(portal: SandboxPortal, method: str, **params: Any) -> tuple[int, Any]:
    return rest(portal, f"userfieldconfig.{method}", {"moduleId": "crm", **params})


def config_ok(portal: SandboxPortal, method: str, **params: Any) -> Any:
    return ok(portal, f"userfieldconfig.{method}", {"moduleId": "crm", **params})


def config_error(portal: SandboxPortal, method: str, **params: Any) -> tuple[str, str]:
    status, body = config(portal, method, **params)
    assert status == 400, body
    return body["error"], body["error_description"]


def spa_field(portal: SandboxPortal, name: str = "UF_CRM_7_COLOR", **extra: Any) -> dict[str, Any]:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": name, "userTypeId": "string", **extra}
    return config_ok(portal, "add", field=field)["field"]  # type: ignore[no-any-return]


def legacy(portal: SandboxPortal, method: str, params: dict[str, Any], entity: str = "deal") -> tuple[int, Any]:
    return rest(portal, f"crm.{entity}.userfield.{method}", params)


def legacy_ok(portal: SandboxPortal, method: str, params: dict[str, Any], entity: str = "deal") -> Any:
    return ok(portal, f"crm.{entity}.userfield.{method}", params)


def legacy_error(portal: SandboxPortal, method: str, params: dict[str, Any], entity: str = "deal") -> tuple[str, str]:
    status, body = legacy(portal, method, params, entity)
    assert status == 400, body
    return body["error"], body["error_description"]


def deal_field(portal: SandboxPortal, **fields: Any) -> int:
    return legacy_ok(portal, "add", {"fields": {"FIELD_NAME": "NOTE", "USER_TYPE_ID": "string", **fields}})  # type: ignore[no-any-return]


def non_admin(portal: SandboxPortal) -> None:
    portal.add_webhook(NON_ADMIN[0], NON_ADMIN[1], ["crm", "userfieldconfig"])


# === userfieldconfig: access =======================================================================
def test_config_needs_the_scope_named_by_module_id(portal: SandboxPortal) -> None:
    portal.add_webhook(1, "ufonlyhook", ["userfieldconfig"])
    status, body = rest_as(portal, 1, "ufonlyhook", "userfieldconfig.list", {"moduleId": "crm"})
    assert (status, body["error"], body["error_description"]) == (400, "", "The current method required more scopes. (crm)")


def test_config_needs_its_own_scope_too(portal: SandboxPortal) -> None:
    portal.add_webhook(1, "crmonlyhook", ["crm"])
    status, body = rest_as(portal, 1, "crmonlyhook", "userfieldconfig.list", {"moduleId": "crm"})
    assert (status, body["error"]) == (403, "insufficient_scope")


def test_config_knows_only_the_crm_module(portal: SandboxPortal) -> None:
    assert config_error(portal, "getTypes", moduleId="tasks") == ("", "No settings for UserFieldAccess")


def test_config_entity_id_is_crm_type_id_not_entity_type_id(portal: SandboxPortal) -> None:
    make_spa(portal, 7, entity_type_id=1044)
    field = {"entityId": "CRM_1044", "fieldName": "UF_CRM_1044_X", "userTypeId": "string"}
    assert config_error(portal, "add", field=field) == ("", "You cannot create custom fields")
    assert spa_field(portal)["entityId"] == "CRM_7"


def test_config_fixed_entity_ids_are_available(portal: SandboxPortal) -> None:
    field = config_ok(portal, "add", field={"entityId": "CRM_DEAL", "fieldName": "UF_CRM_DEAL_X", "userTypeId": "string"})
    assert field["field"]["entityId"] == "CRM_DEAL"


def test_config_field_name_must_start_with_uf_entity_prefix(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_COLOR", "userTypeId": "string"}
    assert config_error(portal, "add", field=field) == ("", "You cannot create custom fields")


def test_config_field_name_longer_than_50_is_rejected(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_" + "X" * 42, "userTypeId": "string"}
    assert config_error(portal, "add", field=field) == ("", "Field name is too long (more than 50 characters).")
    field["fieldName"] = "UF_CRM_7_" + "X" * 41
    assert config_ok(portal, "add", field=field)["field"]["fieldName"] == field["fieldName"]


def test_config_field_name_is_not_upper_cased(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_color", "userTypeId": "string"}
    assert config_error(portal, "add", field=field) == (
        "", "Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _.",
    )


def test_config_field_name_is_unique_per_entity(portal: SandboxPortal) -> None:
    spa_field(portal)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_COLOR", "userTypeId": "integer"}
    assert config_error(portal, "add", field=field) == ("", "The field UF_CRM_7_COLOR for entity CRM_7 already exists.")


@pytest.mark.parametrize("user_type_id", ["colour", "resourcebooking"])
def test_config_unknown_or_withheld_type_is_rejected(portal: SandboxPortal, user_type_id: str) -> None:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_X", "userTypeId": user_type_id}
    assert config_error(portal, "add", field=field) == ("", "Incorrect custom type specified.")


def test_config_non_admin_cannot_create(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    non_admin(portal)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_X", "userTypeId": "string"}
    status, body = rest_as(portal, *NON_ADMIN, "userfieldconfig.add", {"moduleId": "crm", "field": field})
    assert (status, body["error"], body["error_description"]) == (400, "", "You cannot create custom fields")


# === userfieldconfig: add output ====================================================================
def test_config_output_ids_and_sorts_are_strings(portal: SandboxPortal) -> None:
    field = spa_field(portal, "UF_CRM_7_KIND", userTypeId="enumeration", enum=[{"value": "A", "sort": 10}])
    assert isinstance(field["id"], str) and field["sort"] == "100"
    assert field["enum"][0] == {
        "id": field["enum"][0]["id"], "userFieldId": field["id"], "value": "A", "def": "N", "sort": "10",
        "xmlId": field["enum"][0]["xmlId"],
    }
    assert all(isinstance(v, str) for v in field["enum"][0].values())


def test_config_add_defaults(portal: SandboxPortal) -> None:
    field = spa_field(portal, showInList="N", showFilter="Y")
    assert {k: field[k] for k in ("multiple", "mandatory", "showFilter", "showInList", "editInList", "isSearchable")} == {
        "multiple": "N", "mandatory": "N", "showFilter": "E", "showInList": "Y", "editInList": "Y", "isSearchable": "N",
    }


def test_config_type_defaults_fill_settings(portal: SandboxPortal) -> None:
    field = spa_field(portal, settings={"ROWS": 3, "UNKNOWN": 1})
    assert field["settings"] == {"SIZE": 20, "ROWS": 3, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0, "DEFAULT_VALUE": ""}


def test_config_string_label_is_a_general_value(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de"]
    field = spa_field(portal, editFormLabel="Colour")
    assert field["editFormLabel"] == {"en": "Colour", "de": "Colour"}


def test_config_add_label_rows_cover_portal_languages(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "ru"]
    field = spa_field(portal, editFormLabel={"en": "Colour"})
    assert field["languageId"] == {"en": "en", "ru": "ru"}
    assert (field["editFormLabel"], field["helpMessage"]) == ({"en": "Colour"}, {"en": None, "ru": None})


def test_config_add_label_rows_option_passed_languages_only(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"userfieldconfig_add_label_rows": "passed"})
    field = spa_field(portal, editFormLabel={"en": "Colour"})
    assert (field["languageId"], field["helpMessage"]) == ({"en": "en"}, {"en": None})


# === userfieldconfig: update ========================================================================
def test_config_update_ignores_identity_type_and_multiplicity(portal: SandboxPortal) -> None:
    make_spa(portal, 8)
    field = spa_field(portal)
    changed = config_ok(portal, "update", id=field["id"], field={
        "entityId": "CRM_8", "fieldName": "UF_CRM_8_OTHER", "userTypeId": "integer", "multiple": "Y", "sort": 300,
    })["field"]
    assert [changed[k] for k in ("entityId", "fieldName", "userTypeId", "multiple", "sort")] == [
        "CRM_7", "UF_CRM_7_COLOR", "string", "N", "300",
    ]


def test_config_update_labels_rewrite_every_row(portal: SandboxPortal) -> None:
    field = spa_field(portal, editFormLabel={"en": "Colour", "de": "Farbe"}, helpMessage={"en": "Pick one"})
    changed = config_ok(portal, "update", id=field["id"], field={"editFormLabel": {"en": "Color"}})["field"]
    assert changed["languageId"] == {"en": "en"}
    assert (changed["editFormLabel"], changed["helpMessage"]) == ({"en": "Color"}, {"en": None})


def test_config_update_without_labels_keeps_them(portal: SandboxPortal) -> None:
    field = spa_field(portal, editFormLabel={"en": "Colour"})
    changed = config_ok(portal, "update", id=field["id"], field={"mandatory": "Y"})["field"]
    assert changed["editFormLabel"] == field["editFormLabel"]


def test_config_update_replaces_settings(portal: SandboxPortal) -> None:
    field = spa_field(portal, "UF_CRM_7_KIND", userTypeId="enumeration", settings={"DISPLAY": "UI", "CAPTION_NO_VALUE": "-"})
    changed = config_ok(portal, "update", id=field["id"], field={"settings": {"LIST_HEIGHT": 3}})["field"]
    assert changed["settings"] == {"DISPLAY": "LIST", "LIST_HEIGHT": 3, "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"}


def enum_field(portal: SandboxPortal, multiple: str = "Y") -> dict[str, Any]:
    return spa_field(portal, "UF_CRM_7_KIND", userTypeId="enumeration", multiple=multiple, enum=[
        {"value": "A", "sort": 10, "xmlId": "A"}, {"value": "B", "sort": 20, "xmlId": "B", "def": "Y"},
        {"value": "C", "sort": 30, "xmlId": "C"},
    ])


def test_config_update_enum_ignored_without_user_type_id(portal: SandboxPortal) -> None:
    field = enum_field(portal)
    changed = config_ok(portal, "update", id=field["id"], field={"enum": [{"value": "Z"}]})["field"]
    assert [e["value"] for e in changed["enum"]] == ["A", "B", "C"]


def test_config_update_enum_is_authoritative(portal: SandboxPortal) -> None:
    field = enum_field(portal)
    a, b, _c = field["enum"]
    changed = config_ok(portal, "update", id=field["id"], field={"userTypeId": "enumeration", "enum": [
        {"id": a["id"], "value": "A2", "sort": 10}, {"id": b["id"], "value": "B", "del": "Y"}, {"value": "D", "sort": 40},
    ]})["field"]
    assert [(e["value"], e["xmlId"]) for e in changed["enum"]][:1] == [("A2", "A")]  # xmlId inherited
    assert [e["value"] for e in changed["enum"]] == ["A2", "D"]  # B deleted by flag, C by omission


# === userfieldconfig: get / delete / list ===========================================================
@pytest.mark.parametrize(("method", "text"), [
    ("get", "You do not have permission to view user field settings"),
    ("update", "You cannot change the settings of the user field"),
    ("delete", "You cannot delete the user field"),
])
def test_config_unknown_id_gets_the_permission_text(portal: SandboxPortal, method: str, text: str) -> None:
    assert config_error(portal, method, id=999, field={}) == ("", text)


def test_config_existing_field_outside_available_entities_is_hidden(portal: SandboxPortal) -> None:
    field = spa_field(portal)
    non_admin(portal)
    status, body = rest_as(portal, *NON_ADMIN, "userfieldconfig.get", {"moduleId": "crm", "id": field["id"]})
    assert (status, body["error_description"]) == (400, "You do not have permission to view user field settings")
    ok(portal, "crm.type.delete", {"id": 7})
    assert config_error(portal, "get", id=field["id"])[1] == "You do not have permission to view user field settings"


def test_config_delete_returns_null_and_removes(portal: SandboxPortal) -> None:
    field = spa_field(portal)
    assert config_ok(portal, "delete", id=field["id"]) is None
    assert config_error(portal, "get", id=field["id"])[1] == "You do not have permission to view user field settings"


def test_config_list_spans_available_entities_only(portal: SandboxPortal) -> None:
    spa_field(portal)
    deal_field(portal)
    make_spa(portal, 9)
    config_ok(portal, "add", field={"entityId": "CRM_9", "fieldName": "UF_CRM_9_X", "userTypeId": "string"})
    ok(portal, "crm.type.delete", {"id": 9})  # the SPA is gone: its fields are no longer anyone's to see
    listed = config_ok(portal, "list")["fields"]
    assert sorted(f["fieldName"] for f in listed) == ["UF_CRM_7_COLOR", "UF_CRM_NOTE"]


def test_config_list_entity_filter_outside_available_is_denied(portal: SandboxPortal) -> None:
    assert config_error(portal, "list", filter={"entityId": "CRM_999"}) == (
        "", "You do not have permission to view user field settings",
    )


def test_config_list_non_admin_is_denied(portal: SandboxPortal) -> None:
    non_admin(portal)
    status, body = rest_as(portal, *NON_ADMIN, "userfieldconfig.list", {"moduleId": "crm"})
    assert (status, body["error_description"]) == (400, "You do not have permission to view user field settings")


def test_config_list_filters_with_camel_case_keys(portal: SandboxPortal) -> None:
    spa_field(portal)
    spa_field(portal, "UF_CRM_7_SIZE", userTypeId="integer")
    listed = config_ok(portal, "list", filter={"entityId": "CRM_7", "userTypeId": "integer"})["fields"]
    assert [f["fieldName"] for f in listed] == ["UF_CRM_7_SIZE"]


def test_config_list_is_paginated_by_50(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    for n in range(51):
        config_ok(portal, "add", field={"entityId": "CRM_7", "fieldName": f"UF_CRM_7_F{n}", "userTypeId": "string"})
    status, first = config(portal, "list")
    _, second = config(portal, "list", start=first["next"])
    assert (len(first["result"]["fields"]), first["next"], first["total"]) == (50, 50, 51)
    assert len(second["result"]["fields"]) == 1 and "next" not in second


def test_config_list_orders_by_sort_then_id_by_default(portal: SandboxPortal) -> None:
    late = spa_field(portal, "UF_CRM_7_LATE", sort=200)
    early = spa_field(portal, "UF_CRM_7_EARLY", sort=100)
    assert [f["id"] for f in config_ok(portal, "list")["fields"]] == [early["id"], late["id"]]
    assert [f["id"] for f in config_ok(portal, "list", order={"id": "DESC"})["fields"]] == [early["id"], late["id"]]
    assert [f["id"] for f in config_ok(portal, "list", order={"id": "ASC"})["fields"]] == [late["id"], early["id"]]


def test_config_list_select_keeps_the_columns_asked_for(portal: SandboxPortal) -> None:
    spa_field(portal)
    (listed,) = config_ok(portal, "list", select=["id", "fieldName"])["fields"]
    assert listed == {"id": listed["id"], "fieldName": "UF_CRM_7_COLOR", "settings": None}


def test_config_list_without_language_has_no_labels_or_enum(portal: SandboxPortal) -> None:
    enum_field(portal)
    (listed,) = config_ok(portal, "list")["fields"]
    assert not {"languageId", "editFormLabel", "enum"} & set(listed)


# === enumeration values (both families) =============================================================
def test_enum_xml_id_must_be_unique_within_the_field(portal: SandboxPortal) -> None:
    make_spa(portal, 7)
    field = {"entityId": "CRM_7", "fieldName": "UF_CRM_7_KIND", "userTypeId": "enumeration",
             "enum": [{"value": "A", "xmlId": "SAME"}, {"value": "B", "xmlId": "SAME"}]}
    assert config_error(portal, "add", field=field) == ("", "Fail to save enumeration field values")


def test_enum_xml_id_is_generated_as_md5(portal: SandboxPortal) -> None:
    field = spa_field(portal, "UF_CRM_7_KIND", userTypeId="enumeration", enum=[{"value": "A"}, {"value": "B"}])
    xml_ids = [e["xmlId"] for e in field["enum"]]
    assert all(len(x) == 32 and int(x, 16) >= 0 for x in xml_ids) and len(set(xml_ids)) == 2


def test_enum_def_other_than_y_is_n(portal: SandboxPortal) -> None:
    field = spa_field(portal, "UF_CRM_7_KIND", userTypeId="enumeration", multiple="Y",
                      enum=[{"value": "A", "def": "yes"}, {"value": "B", "def": "Y"}])
    assert [e["def"] for e in field["enum"]] == ["N", "Y"]


def test_enum_single_value_field_keeps_only_the_first_default(portal: SandboxPortal) -> None:
    item_id = legacy_ok(portal, "add", {"fields": {
        "FIELD_NAME": "KIND", "USER_TYPE_ID": "enumeration",
        "LIST": [{"VALUE": "A", "DEF": "N"}, {"VALUE": "B", "DEF": "Y"}, {"VALUE": "C", "DEF": "Y"}],
    }})
    assert [i["DEF"] for i in legacy_ok(portal, "get", {"id": item_id})["LIST"]] == ["N", "Y", "N"]


def test_enum_multiple_field_keeps_every_default(portal: SandboxPortal) -> None:
    item_id = legacy_ok(portal, "add", {"fields": {
        "FIELD_NAME": "KIND", "USER_TYPE_ID": "enumeration", "MULTIPLE": "Y",
        "LIST": [{"VALUE": "A", "DEF": "Y"}, {"VALUE": "B", "DEF": "Y"}],
    }})
    assert [i["DEF"] for i in legacy_ok(portal, "get", {"id": item_id})["LIST"]] == ["Y", "Y"]


def test_enum_new_default_on_single_field_replaces_the_old_one(portal: SandboxPortal) -> None:
    field_id = legacy_ok(portal, "add", {"fields": {
        "FIELD_NAME": "KIND", "USER_TYPE_ID": "enumeration", "LIST": [{"VALUE": "A", "DEF": "Y"}, {"VALUE": "B"}],
    }})
    b = legacy_ok(portal, "get", {"id": field_id})["LIST"][1]
    legacy_ok(portal, "update", {"id": field_id, "fields": {"LIST": [{"ID": b["ID"], "VALUE": "B", "DEF": "Y"}]}})
    assert [i["DEF"] for i in legacy_ok(portal, "get", {"id": field_id})["LIST"]] == ["N", "Y"]


def test_enum_legacy_duplicate_xml_id_is_error_core_and_the_field_stays(portal: SandboxPortal) -> None:
    error = legacy_error(portal, "add", {"fields": {
        "FIELD_NAME": "KIND", "USER_TYPE_ID": "enumeration",
        "LIST": [{"VALUE": "A", "XML_ID": "X"}, {"VALUE": "B", "XML_ID": "X"}],
    }})
    assert error == ("ERROR_CORE", "List item with value XML_ID=X already exists.")
    (created,) = legacy_ok(portal, "list", {})
    assert (created["FIELD_NAME"], created["LIST"]) == ("UF_CRM_KIND", [])


# === crm.*.userfield: add ==========================================================================
@pytest.mark.parametrize(("given", "stored"), [
    ("note", "UF_CRM_NOTE"), ("UF_NOTE", "UF_CRM_NOTE"), ("uf_crm_note", "UF_CRM_NOTE"), ("UF_CRM_7_NOTE", "UF_CRM_7_NOTE"),
])
def test_legacy_field_name_gets_the_uf_crm_prefix(portal: SandboxPortal, given: str, stored: str) -> None:
    field_id = legacy_ok(portal, "add", {"fields": {"FIELD_NAME": given, "USER_TYPE_ID": "string"}})
    assert legacy_ok(portal, "get", {"id": field_id})["FIELD_NAME"] == stored


def test_legacy_name_over_50_with_prefix_is_error_core(portal: SandboxPortal) -> None:
    assert legacy_error(portal, "add", {"fields": {"FIELD_NAME": "X" * 44, "USER_TYPE_ID": "string"}}) == (
        "ERROR_CORE", "Field name is too long (more than 50 characters).",
    )
    assert isinstance(legacy_ok(portal, "add", {"fields": {"FIELD_NAME": "X" * 43, "USER_TYPE_ID": "string"}}), int)


def test_legacy_invalid_characters_are_error_core(portal: SandboxPortal) -> None:
    assert legacy_error(portal, "add", {"fields": {"FIELD_NAME": "NOTE-1", "USER_TYPE_ID": "string"}}) == (
        "ERROR_CORE", "Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _.",
    )


def test_legacy_unknown_type_is_error_core(portal: SandboxPortal) -> None:
    assert legacy_error(portal, "add", {"fields": {"FIELD_NAME": "X", "USER_TYPE_ID": "colour"}}) == (
        "ERROR_CORE", "Incorrect custom type specified.",
    )


def test_legacy_missing_name_and_type_are_joined(portal: SandboxPortal) -> None:
    assert legacy_error(portal, "add", {"fields": {"SORT": 10}}) == (
        "", "The 'USER_TYPE_ID' field is not found.\nThe 'FIELD_NAME' field is not found.",
    )


def test_legacy_add_reads_top_level_params_without_fields(portal: SandboxPortal) -> None:
    field_id = legacy_ok(portal, "add", {"FIELD_NAME": "TOP", "USER_TYPE_ID": "string"})
    assert legacy_ok(portal, "get", {"id": field_id})["FIELD_NAME"] == "UF_CRM_TOP"


def test_legacy_add_returns_int_id(portal: SandboxPortal) -> None:
    portal.set_next_id("userfield", 41)
    assert deal_field(portal) == 41


def test_legacy_labels_fan_out_to_every_portal_language(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de", "ru"]
    field_id = deal_field(portal, LABEL="Note", EDIT_FORM_LABEL={"en": "Note (en)", "xx": "dropped"}, LIST_COLUMN_LABEL="Col")
    row = legacy_ok(portal, "get", {"id": field_id})
    assert row["EDIT_FORM_LABEL"] == {"en": "Note (en)", "de": "Note", "ru": "Note"}
    assert row["LIST_COLUMN_LABEL"] == {"en": "Col", "de": "Col", "ru": "Col"}
    assert row["HELP_MESSAGE"] == {"en": "Note", "de": "Note", "ru": "Note"}


def test_legacy_label_defaults_to_the_field_name(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en"]
    assert legacy_ok(portal, "get", {"id": deal_field(portal)})["EDIT_FORM_LABEL"] == {"en": "UF_CRM_NOTE"}


@pytest.mark.parametrize(("type_id", "settings", "expected"), [
    ("string", {"DEFAULT_VALUE": "x", "SIZE": 99},
     {"SIZE": 20, "ROWS": 1, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0, "DEFAULT_VALUE": "x"}),
    ("double", {}, {"PRECISION": 2, "SIZE": 20, "MIN_VALUE": 0.0, "MAX_VALUE": 0.0, "DEFAULT_VALUE": None}),
    ("boolean", {"DEFAULT_VALUE": "1"}, {"DEFAULT_VALUE": 1, "DISPLAY": "CHECKBOX", "LABEL": ["", ""], "LABEL_CHECKBOX": ""}),
    ("enumeration", {"DISPLAY": "ui"}, {"DISPLAY": "UI", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"}),
    ("datetime", {}, {"DEFAULT_VALUE": {"TYPE": "NONE", "VALUE": ""}, "USE_SECOND": "Y", "USE_TIMEZONE": "N"}),
    ("crm", {}, {"LEAD": "Y", "CONTACT": "N", "COMPANY": "N", "DEAL": "N", "ORDER": "N"}),
])
def test_legacy_type_defaults(portal: SandboxPortal, type_id: str, settings: dict[str, Any], expected: dict[str, Any]) -> None:
    field_id = deal_field(portal, USER_TYPE_ID=type_id, SETTINGS=settings)
    assert legacy_ok(portal, "get", {"id": field_id})["SETTINGS"] == expected


def test_legacy_boolean_is_never_multiple(portal: SandboxPortal) -> None:
    field_id = deal_field(portal, USER_TYPE_ID="boolean", MULTIPLE="Y")
    assert legacy_ok(portal, "get", {"id": field_id})["MULTIPLE"] == "N"


@pytest.mark.parametrize(("type_id", "given", "stored"), [("string", "Y", "E"), ("string", "I", "N"), ("employee", "Y", "I")])
def test_legacy_show_filter_normalisation(portal: SandboxPortal, type_id: str, given: str, stored: str) -> None:
    field_id = deal_field(portal, USER_TYPE_ID=type_id, SHOW_FILTER=given)
    assert legacy_ok(portal, "get", {"id": field_id})["SHOW_FILTER"] == stored


def test_legacy_values_are_strings(portal: SandboxPortal) -> None:
    row = legacy_ok(portal, "get", {"id": deal_field(portal, SORT=250)})
    assert (row["ID"], row["SORT"], row["XML_ID"]) == (str(row["ID"]), "250", None)


def test_legacy_entity_limit_is_an_internal_server_error(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"userfield_limit_per_entity": 2})
    deal_field(portal, FIELD_NAME="ONE")
    deal_field(portal, FIELD_NAME="TWO")
    status, body = legacy(portal, "add", {"fields": {"FIELD_NAME": "THREE", "USER_TYPE_ID": "string"}})
    assert (status, body["error"]) == (500, "INTERNAL_SERVER_ERROR")
    assert isinstance(legacy_ok(portal, "add", {"fields": {"FIELD_NAME": "THREE", "USER_TYPE_ID": "string"}}, "lead"), int)


# === crm.*.userfield: update =========================================================================
def test_legacy_update_returns_true_and_keeps_type_and_multiplicity(portal: SandboxPortal) -> None:
    field_id = deal_field(portal, MULTIPLE="Y")
    assert legacy_ok(portal, "update", {"id": field_id, "fields": {"USER_TYPE_ID": "integer", "MULTIPLE": "N",
                                                                 "FIELD_NAME": "OTHER"}}) is True
    row = legacy_ok(portal, "get", {"id": field_id})
    assert (row["USER_TYPE_ID"], row["MULTIPLE"], row["FIELD_NAME"]) == ("string", "Y", "UF_CRM_NOTE")


def test_legacy_update_replaces_only_the_labels_passed(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de"]
    field_id = deal_field(portal, LABEL="Note")
    legacy_ok(portal, "update", {"id": field_id, "fields": {"EDIT_FORM_LABEL": {"de": "Notiz"}}})
    row = legacy_ok(portal, "get", {"id": field_id})
    assert row["EDIT_FORM_LABEL"] == {"en": "", "de": "Notiz"}
    assert row["LIST_COLUMN_LABEL"] == {"en": "Note", "de": "Note"}


def test_legacy_update_merges_settings(portal: SandboxPortal) -> None:
    field_id = deal_field(portal, SETTINGS={"DEFAULT_VALUE": "a", "ROWS": 3})
    legacy_ok(portal, "update", {"id": field_id, "fields": {"SETTINGS": {"DEFAULT_VALUE": "b"}}})
    assert legacy_ok(portal, "get", {"id": field_id})["SETTINGS"]["ROWS"] == 3
    legacy_ok(portal, "update", {"id": field_id, "fields": {"SETTINGS": {"ROWS": 99}}})
    settings = legacy_ok(portal, "get", {"id": field_id})["SETTINGS"]
    assert (settings["DEFAULT_VALUE"], settings["ROWS"]) == ("b", 50)


def list_field(portal: SandboxPortal) -> tuple[int, list[dict[str, Any]]]:
    field_id = legacy_ok(portal, "add", {"fields": {
        "FIELD_NAME": "KIND", "USER_TYPE_ID": "enumeration", "MULTIPLE": "Y",
        "LIST": [{"VALUE": v, "XML_ID": v, "SORT": n * 10} for n, v in enumerate("ABCD", start=1)],
    }})
    return field_id, legacy_ok(portal, "get", {"id": field_id})["LIST"]


def test_legacy_update_list_is_incremental(portal: SandboxPortal) -> None:
    field_id, (a, b, c, _d) = list_field(portal)
    legacy_ok(portal, "update", {"id": field_id, "fields": {"LIST": [
        {"ID": a["ID"], "DEL": "Y"}, {"ID": b["ID"], "VALUE": ""}, {"ID": c["ID"], "VALUE": "C2", "XML_ID": "C"},
        {"VALUE": "E", "SORT": 50},
    ]}})
    items = legacy_ok(portal, "get", {"id": field_id})["LIST"]
    assert [(i["VALUE"], i["XML_ID"]) for i in items] == [("C2", "C"), ("D", "D"), ("E", items[2]["XML_ID"])]


def test_legacy_update_of_an_item_without_xml_id_rehashes_it(portal: SandboxPortal) -> None:
    field_id, (a, *_rest) = list_field(portal)
    legacy_ok(portal, "update", {"id": field_id, "fields": {"LIST": [{"ID": a["ID"], "VALUE": "A2"}]}})
    assert legacy_ok(portal, "get", {"id": field_id})["LIST"][0]["XML_ID"] == hashlib.md5(b"A2").hexdigest()


def test_legacy_update_keeps_xml_id_with_the_option_off(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"userfield_enum_update_rehashes_xml_id": False})
    field_id, (a, *_rest) = list_field(portal)
    legacy_ok(portal, "update", {"id": field_id, "fields": {"LIST": [{"ID": a["ID"], "VALUE": "A2"}]}})
    assert legacy_ok(portal, "get", {"id": field_id})["LIST"][0]["XML_ID"] == "A"


def test_legacy_update_needs_fields_as_an_array(portal: SandboxPortal) -> None:
    field_id = deal_field(portal)
    assert legacy_error(portal, "update", {"id": field_id, "fields": "x"}) == ("", "Parameter 'fields' must be array.")


# === crm.*.userfield: get / update / delete errors ===================================================
@pytest.mark.parametrize("method", ["get", "update", "delete"])
def test_legacy_invalid_id(portal: SandboxPortal, method: str) -> None:
    assert legacy_error(portal, method, {"id": -1, "fields": {}}) == ("", "ID is not defined or invalid.")


@pytest.mark.parametrize("method", ["get", "update", "delete"])
def test_legacy_missing_id_is_error_not_found(portal: SandboxPortal, method: str) -> None:
    assert legacy_error(portal, method, {"id": 404, "fields": {}}) == ("ERROR_NOT_FOUND", "The entity with ID '404' is not found.")


@pytest.mark.parametrize("method", ["get", "update", "delete"])
def test_legacy_field_of_another_entity_is_access_denied(portal: SandboxPortal, method: str) -> None:
    field_id = deal_field(portal)
    assert legacy_error(portal, method, {"id": field_id, "fields": {}}, entity="company") == ("", "Access denied.")


def test_legacy_delete_returns_true_and_removes(portal: SandboxPortal) -> None:
    field_id = deal_field(portal)
    assert legacy_ok(portal, "delete", {"id": field_id}) is True
    assert legacy_error(portal, "get", {"id": field_id})[0] == "ERROR_NOT_FOUND"


# === crm.*.userfield: list ==========================================================================
def test_legacy_list_is_unpaginated_with_total(portal: SandboxPortal) -> None:
    for n in range(60):
        deal_field(portal, FIELD_NAME=f"F{n}")
    status, body = legacy(portal, "list", {})
    assert (len(body["result"]), body["total"], "next" in body) == (60, 60, False)


def test_legacy_list_labels_only_with_lang_and_as_strings(portal: SandboxPortal) -> None:
    portal.state["portal"]["languages"] = ["en", "de"]
    deal_field(portal, EDIT_FORM_LABEL={"en": "Note", "de": "Notiz"})
    (plain,) = legacy_ok(portal, "list", {})
    (german,) = legacy_ok(portal, "list", {"filter": {"LANG": "de"}})
    assert "EDIT_FORM_LABEL" not in plain
    assert german["EDIT_FORM_LABEL"] == "Notiz"


def test_legacy_list_filters_exactly_and_orders(portal: SandboxPortal) -> None:
    deal_field(portal, FIELD_NAME="B", SORT=10, MANDATORY="Y")
    deal_field(portal, FIELD_NAME="A", SORT=20, MANDATORY="Y")
    deal_field(portal, FIELD_NAME="C", SORT=30)
    listed = legacy_ok(portal, "list", {"filter": {"MANDATORY": "Y"}, "order": {"FIELD_NAME": "ASC"}})
    assert [r["FIELD_NAME"] for r in listed] == ["UF_CRM_A", "UF_CRM_B"]


@pytest.mark.parametrize("param", ["filter", "order"])
def test_legacy_list_needs_arrays(portal: SandboxPortal, param: str) -> None:
    assert legacy_error(portal, "list", {param: "x"}) == ("", f"Parameter '{param}' must be array.")


def test_legacy_list_is_per_entity(portal: SandboxPortal) -> None:
    deal_field(portal)
    assert legacy_ok(portal, "list", {}, entity="lead") == []


# === permissions (§13 item 32) ======================================================================
@pytest.mark.parametrize("method", ["add", "update", "delete"])
def test_legacy_writes_need_an_admin(portal: SandboxPortal, method: str) -> None:
    field_id = deal_field(portal)
    non_admin(portal)
    params = {"id": field_id, "fields": {"FIELD_NAME": "X", "USER_TYPE_ID": "string"}}
    status, body = rest_as(portal, *NON_ADMIN, f"crm.deal.userfield.{method}", params)
    assert (status, body["error"], body["error_description"]) == (400, "", "Access denied.")


def test_legacy_reads_are_open_to_crm_users(portal: SandboxPortal) -> None:
    field_id = deal_field(portal)
    non_admin(portal)
    status, body = rest_as(portal, *NON_ADMIN, "crm.deal.userfield.get", {"id": field_id})
    assert status == 200 and body["result"]["ID"] == str(field_id)


def test_legacy_reads_need_an_admin_with_the_option(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"userfield_read_requires_admin": True})
    non_admin(portal)
    status, body = rest_as(portal, *NON_ADMIN, "crm.deal.userfield.list", {})
    assert (status, body["error_description"]) == (400, "Access denied.")


# === both families share one store; batch ===========================================================
def test_legacy_fields_are_visible_to_userfieldconfig(portal: SandboxPortal) -> None:
    field_id = deal_field(portal)
    listed = config_ok(portal, "list", filter={"entityId": "CRM_DEAL"})["fields"]
    assert [(f["id"], f["fieldName"]) for f in listed] == [(str(field_id), "UF_CRM_NOTE")]


def test_batch_adds_a_field_and_reads_it_back_by_reference(portal: SandboxPortal) -> None:
    result = ok(portal, "batch", {"halt": 1, "cmd": {
        "add": "crm.deal.userfield.add?fields[FIELD_NAME]=batched&fields[USER_TYPE_ID]=enumeration"
               "&fields[LIST][0][VALUE]=One&fields[LIST][1][VALUE]=Two&fields[LIST][1][DEF]=Y",
        "get": "crm.deal.userfield.get?id=$result[add]",
        "cfg": "userfieldconfig.get?moduleId=crm&id=$result[add]",
    }})
    assert result["result_error"] == []
    assert result["result"]["get"]["FIELD_NAME"] == "UF_CRM_BATCHED"
    assert [e["def"] for e in result["result"]["cfg"]["field"]["enum"]] == ["N", "Y"]


# === reference methods and app types ================================================================
def test_settings_fields_per_type(portal: SandboxPortal) -> None:
    assert ok(portal, "crm.userfield.settings.fields", {"type": "double"}) == {
        "DEFAULT_VALUE": {"type": "double", "title": "Default Value"}, "PRECISION": {"type": "int", "title": "Precision"},
    }
    assert ok(portal, "crm.userfield.settings.fields", {"type": "file"}) == []


def test_settings_fields_needs_a_type(portal: SandboxPortal) -> None:
    status, body = rest(portal, "crm.userfield.settings.fields", {})
    assert (status, body["error"], body["error_description"]) == (400, "", "Parameter 'type' is not specified or empty.")


def test_enumeration_fields(portal: SandboxPortal) -> None:
    assert list(ok(portal, "crm.userfield.enumeration.fields")) == ["ID", "SORT", "VALUE", "DEF", "DEL"]


def test_app_types_are_offered_to_their_app_and_usable_by_code(portal: SandboxPortal, app_token: str) -> None:
    from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID

    register_app_type(portal, SANDBOX_CLIENT_ID, "rating", "Rating")
    assert {"ID": "rating", "title": "Rating"} in ok(portal, "crm.userfield.types", token=app_token)
    assert {"ID": "rating", "title": "Rating"} not in ok(portal, "crm.userfield.types")
    field_id = deal_field(portal, USER_TYPE_ID="rating", SHOW_FILTER="Y")
    row = legacy_ok(portal, "get", {"id": field_id})
    assert (row["USER_TYPE_ID"], row["USER_TYPE_OWNER"], row["SHOW_FILTER"]) == ("rating", SANDBOX_CLIENT_ID, "N")
