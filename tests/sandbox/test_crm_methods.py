"""Behaviour of crm.type.*, crm.category.* and crm.status.* (reference crm §13 items 1-22, 32)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.sandbox.methods.crm import stage_entity_id, stage_prefix
from b24cfg.sandbox.portal import SandboxPortal
from tests.support.reference import ok, rest

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def fail(portal: SandboxPortal, method: str, params: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
    """Call and return the error body; the call must be refused with HTTP 400."""
    status, body = rest(portal, method, params, token=token)
    assert status == 400 and "error" in body, body
    return body  # type: ignore[no-any-return]


def add_type(portal: SandboxPortal, **fields: Any) -> dict[str, Any]:
    return ok(portal, "crm.type.add", {"fields": {"title": "SPA", **fields}})["type"]  # type: ignore[no-any-return]


def get_type(portal: SandboxPortal, type_id: int) -> dict[str, Any]:
    return ok(portal, "crm.type.get", {"id": type_id})["type"]  # type: ignore[no-any-return]


def add_category(portal: SandboxPortal, entity_type_id: int, **fields: Any) -> dict[str, Any]:
    params = {"entityTypeId": entity_type_id, "fields": {"name": "Pipeline", **fields}}
    return ok(portal, "crm.category.add", params)["category"]  # type: ignore[no-any-return]


def categories(portal: SandboxPortal, entity_type_id: int) -> list[dict[str, Any]]:
    return ok(portal, "crm.category.list", {"entityTypeId": entity_type_id})["categories"]  # type: ignore[no-any-return]


def stages(portal: SandboxPortal, entity_id: str) -> list[dict[str, Any]]:
    return ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": entity_id}})  # type: ignore[no-any-return]


def status_row(portal: SandboxPortal, entity_id: str, status_id: str) -> dict[str, Any]:
    rows = ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": entity_id, "STATUS_ID": status_id}})
    assert len(rows) == 1, rows
    return rows[0]  # type: ignore[no-any-return]


def add_status(portal: SandboxPortal, **fields: Any) -> int:
    return ok(portal, "crm.status.add", {"fields": {"NAME": "Stage", **fields}})  # type: ignore[no-any-return]


def plain_user(portal: SandboxPortal) -> str:
    """An OAuth token of a user without CRM administration rights."""
    portal.add_webhook(7, "plainuserhook0001", ["crm"])
    return portal.issue_token(user_id=7)


def parents(spa: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(r["entityTypeId"], r["isChildrenListEnabled"], r["isPredefined"]) for r in spa["relations"]["parent"]]


def children(spa: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(r["entityTypeId"], r["isChildrenListEnabled"], r["isPredefined"]) for r in spa["relations"]["child"]]


# --- §13.1 envelopes, §13.2 styles -----------------------------------------------------------------
def test_type_list_pages_by_50_with_total_and_next(portal: SandboxPortal) -> None:
    for n in range(51):
        add_type(portal, title=f"SPA {n}")
    status, first = rest(portal, "crm.type.list", {})
    assert status == 200 and len(first["result"]["types"]) == 50
    assert (first["total"], first["next"]) == (51, 50) and "time" in first
    _, last = rest(portal, "crm.type.list", {"start": 50})
    assert [t["title"] for t in last["result"]["types"]] == ["SPA 50"] and "next" not in last


def test_unpaginated_lists_carry_total_without_next(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    for n in range(55):
        add_category(portal, spa["entityTypeId"], name=f"P{n}")
    _, body = rest(portal, "crm.category.list", {"entityTypeId": spa["entityTypeId"], "start": 50})
    assert len(body["result"]["categories"]) == 56 and body["total"] == 56 and "next" not in body
    _, body = rest(portal, "crm.status.list", {})
    assert body["total"] == len(body["result"]) > 50 and "next" not in body


def test_business_errors_are_http_400_envelopes(portal: SandboxPortal) -> None:
    status, body = rest(portal, "crm.type.get", {"id": 404})
    assert status == 400 and body == {"error": 0, "error_description": "SPA not found"}


def test_engine_answers_use_ints_yn_and_iso_dates(portal: SandboxPortal) -> None:
    spa = add_type(portal, isStagesEnabled=True, isClientEnabled="N")
    assert isinstance(spa["id"], int) and isinstance(spa["entityTypeId"], int) and isinstance(spa["createdBy"], int)
    assert (spa["isStagesEnabled"], spa["isClientEnabled"], spa["isSetOpenPermissions"]) == ("Y", "N", "Y")
    assert ISO.fullmatch(spa["createdTime"]) and spa["createdTime"] == spa["updatedTime"]
    category = categories(portal, spa["entityTypeId"])[0]
    assert isinstance(category["id"], int) and isinstance(category["sort"], int) and category["isDefault"] == "Y"


def test_status_rows_are_strings_or_null(portal: SandboxPortal) -> None:
    for row in ok(portal, "crm.status.list", {}):
        for key, value in row.items():
            assert key == "EXTRA" or value is None or isinstance(value, str), (key, value)
    row = status_row(portal, "DEAL_STAGE", "NEW")
    assert ok(portal, "crm.status.get", {"id": row["ID"]}) == {k: v for k, v in row.items() if k != "EXTRA"}
    assert isinstance(ok(portal, "crm.status.entity.items", {"entityId": "DEAL_STAGE"})[0]["SORT"], int)


# --- §13.3 crm.type.add required input --------------------------------------------------------------
def test_type_add_without_fields(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.type.add", {}) == {"error": 100, "error_description": "Could not find value for parameter {fields}"}


@pytest.mark.parametrize("title", [None, "", "   "])
def test_type_add_needs_a_title_after_trim(portal: SandboxPortal, title: str | None) -> None:
    fields = {} if title is None else {"title": title}
    assert fail(portal, "crm.type.add", {"fields": fields})["error"] == "BX_EMPTY_REQUIRED"
    assert add_type(portal, title="  Contracts  ")["title"] == "Contracts"


def test_type_reads_camel_case_keys_only(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.type.add", {"fields": {"TITLE": "Upper"}})["error"] == "BX_EMPTY_REQUIRED"
    assert add_type(portal, IS_STAGES_ENABLED="Y")["isStagesEnabled"] == "N"


# --- §13.4 entityTypeId ------------------------------------------------------------------------------
def test_entity_type_id_is_assigned_1032_1034(portal: SandboxPortal) -> None:
    assert [add_type(portal)["entityTypeId"] for _ in range(2)] == [1032, 1034]
    portal.set_next_id("crm_entity_type_id", 1040)
    add_type(portal, entityTypeId=1042)
    assert [add_type(portal)["entityTypeId"] for _ in range(2)] == [1040, 1044]  # a taken value is skipped


@pytest.mark.parametrize("entity_type_id", [31, 36, 100, 192, 1029, 1031, 2025])
def test_entity_type_id_outside_the_ranges(portal: SandboxPortal, entity_type_id: int) -> None:
    body = fail(portal, "crm.type.add", {"fields": {"title": "X", "entityTypeId": entity_type_id}})
    assert body == {"error": "INVALID_ARG_VALUE", "error_description": "entityTypeId is out of allowed range"}


@pytest.mark.parametrize("entity_type_id", [128, 191, 1030, 4096])
def test_entity_type_id_inside_the_ranges(portal: SandboxPortal, entity_type_id: int) -> None:
    assert add_type(portal, entityTypeId=entity_type_id)["entityTypeId"] == entity_type_id


def test_entity_type_id_is_unique(portal: SandboxPortal) -> None:
    add_type(portal, entityTypeId=1100)
    assert fail(portal, "crm.type.add", {"fields": {"title": "Again", "entityTypeId": 1100}})["error"] == "BX_INVALID_VALUE"


# --- §13.5 crm.type.update ---------------------------------------------------------------------------
def test_type_update_ignores_read_only_and_immutable_keys(portal: SandboxPortal, clock: SimulatedClock) -> None:
    spa = add_type(portal)
    clock.advance(3600)
    fields = {
        "id": 99, "entityTypeId": 1500, "name": "Other", "createdBy": 5, "createdTime": "2020-01-01T00:00:00+00:00",
        "updatedBy": 5, "updatedTime": "2020-01-01T00:00:00+00:00", "isExternal": "N", "isPaymentsEnabled": "Y",
    }
    updated = ok(portal, "crm.type.update", {"id": spa["id"], "fields": fields})["type"]
    assert {k: updated[k] for k in ("id", "entityTypeId", "createdBy", "createdTime", "isPaymentsEnabled")} == {
        "id": spa["id"], "entityTypeId": spa["entityTypeId"], "createdBy": 1, "createdTime": spa["createdTime"],
        "isPaymentsEnabled": "N",
    }
    assert updated["updatedBy"] == 1 and updated["updatedTime"] > spa["updatedTime"]


def test_type_update_is_partial(portal: SandboxPortal) -> None:
    spa = add_type(portal, title="Keep", code="keep", isStagesEnabled="Y", isDocumentsEnabled="Y")
    ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"isDocumentsEnabled": "N"}})
    after = get_type(portal, spa["id"])
    assert (after["title"], after["code"], after["isStagesEnabled"], after["isDocumentsEnabled"]) == ("Keep", "keep", "Y", "N")


def test_external_type_needs_a_workplace(portal: SandboxPortal) -> None:
    body = fail(portal, "crm.type.add", {"fields": {"title": "X", "isExternal": "true"}})
    assert body == {"error": 0, "error_description": "Select a workplace where the SPA will be located"}


# --- §13.6 update guards ----------------------------------------------------------------------------
def test_pipelines_cannot_be_disabled_while_there_are_two(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    extra = add_category(portal, spa["entityTypeId"])
    body = fail(portal, "crm.type.update", {"id": spa["id"], "fields": {"isCategoriesEnabled": "N"}})
    assert body == {"error": "BX_ERROR", "error_description": "You cannot disable pipelines if there more than one of them."}
    ok(portal, "crm.category.delete", {"entityTypeId": spa["entityTypeId"], "id": extra["id"]})
    assert ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"isCategoriesEnabled": "N"}})["type"]["isCategoriesEnabled"] == "N"


def test_recycle_bin_cannot_be_disabled_while_it_holds_items(portal: SandboxPortal) -> None:
    spa = add_type(portal, isRecyclebinEnabled="Y")
    portal.add_items(spa["entityTypeId"], count=2)  # live items do not matter
    portal.add_items(spa["entityTypeId"], recycle_bin=True)
    body = fail(portal, "crm.type.update", {"id": spa["id"], "fields": {"isRecyclebinEnabled": "N", "title": "New"}})
    assert body["error"] == "BX_ERROR"
    assert body["error_description"] == "Remove all items of this type from the Recycle Bin before disabling it."
    assert get_type(portal, spa["id"])["title"] == "SPA"  # nothing of the refused update stuck


# --- §13.7 default pipeline and stages ---------------------------------------------------------------
def test_new_spa_gets_its_default_pipeline_with_five_stages(portal: SandboxPortal) -> None:
    portal.set_next_id("crm_item_category_id", 40)
    spa = add_type(portal, entityTypeId=1050, isCategoriesEnabled="N")
    assert categories(portal, 1050) == [{"id": 40, "name": "General", "sort": 500, "entityTypeId": 1050, "isDefault": "Y"}]
    rows = stages(portal, "DYNAMIC_1050_STAGE_40")
    assert [(r["STATUS_ID"], r["NAME"], r["NAME_INIT"], r["SORT"], r["SYSTEM"], r["COLOR"], r["SEMANTICS"]) for r in rows] == [
        ("DT1050_40:NEW", "Start", "Start", "10", "Y", "#22B9FF", None),
        ("DT1050_40:PREPARATION", "Preparation", "Preparation", "20", "N", "#88B9FF", None),
        ("DT1050_40:CLIENT", "Approval", "Approval", "30", "N", "#10e5fc", None),
        ("DT1050_40:SUCCESS", "Success", "Success", "40", "Y", "#00ff00", "S"),
        ("DT1050_40:FAIL", "Failure", "Failure", "50", "Y", "#ff0000", "F"),
    ]
    assert {r["CATEGORY_ID"] for r in rows} == {"40"} and spa["isCategoriesEnabled"] == "N"


# --- §13.8 full and short type -----------------------------------------------------------------------
def test_full_type_and_list_row(portal: SandboxPortal) -> None:
    spa = add_type(portal, isClientEnabled="Y", code="contracts")
    full = get_type(portal, spa["id"])
    assert parents(full) == [(3, "Y", "Y"), (4, "Y", "Y")] and children(full) == []
    assert full["linkedUserFields"] == {
        "CALENDAR_EVENT|UF_CRM_CAL_EVENT": "N", "TASKS_TASK|UF_CRM_TASK": "N", "TASKS_TASK_TEMPLATE|UF_CRM_TASK": "N",
    }
    assert full["customSections"] == [] and full["customSectionId"] is None
    row = ok(portal, "crm.type.list", {})["types"][0]
    assert set(full) - set(row) == {"relations", "linkedUserFields", "customSections"}
    assert row["code"] == "contracts" and "customSectionId" in row
    assert ok(portal, "crm.type.getByEntityTypeId", {"entityTypeId": spa["entityTypeId"]})["type"] == full


def test_add_answer_has_code_only_when_sent(portal: SandboxPortal) -> None:
    assert "code" not in add_type(portal)
    assert add_type(portal, code="x")["code"] == "x"
    assert get_type(portal, 1)["code"] == ""


# --- §13.9 relations ----------------------------------------------------------------------------------
def test_relation_side_is_authoritative(portal: SandboxPortal) -> None:
    spa = add_type(portal, relations={"parent": [{"entityTypeId": 1}, {"entityTypeId": 2}], "child": [{"entityTypeId": 3}]})
    updated = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"relations": {"parent": [{"entityTypeId": 2, "isChildrenListEnabled": "true"}]}}})
    assert parents(updated["type"]) == [(2, "Y", "N")]
    assert children(updated["type"]) == [(3, "N", "N")]  # the absent side is untouched
    cleared = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"relations": {"parent": []}}})["type"]
    assert parents(cleared) == [] and children(cleared) == [(3, "N", "N")]


def test_children_list_is_enabled_only_by_the_string_true(portal: SandboxPortal) -> None:
    entries = [
        {"entityTypeId": 1, "isChildrenListEnabled": "true"}, {"entityTypeId": 2, "isChildrenListEnabled": "Y"},
        {"entityTypeId": 7, "isChildrenListEnabled": True}, {"entityTypeId": 31},
    ]
    assert parents(add_type(portal, relations={"parent": entries})) == [(1, "Y", "N"), (2, "N", "N"), (7, "N", "N"), (31, "N", "N")]


def test_relations_to_disallowed_types_are_ignored_silently(portal: SandboxPortal) -> None:
    parent = [{"entityTypeId": t} for t in (3, 4, 999, 0, -2, 36)] + ["junk", {"isChildrenListEnabled": "true"}]
    child = [{"entityTypeId": 14}, {"entityTypeId": 2}]
    spa = add_type(portal, relations={"parent": parent, "child": child})
    assert parents(spa) == [] and children(spa) == [(2, "N", "N")]
    own = [{"entityTypeId": spa["entityTypeId"]}]
    status, body = rest(portal, "crm.type.update", {"id": spa["id"], "fields": {"relations": {"parent": own, "child": own}}})
    assert status == 200 and children(body["result"]["type"]) == []  # never an error, the binding just is not saved


def test_relations_are_mirrored_on_the_partner(portal: SandboxPortal) -> None:
    a = add_type(portal, title="A")
    b = add_type(portal, title="B", relations={"child": [{"entityTypeId": a["entityTypeId"], "isChildrenListEnabled": "true"}]})
    assert children(b) == [(a["entityTypeId"], "Y", "N")]
    assert parents(get_type(portal, a["id"])) == [(b["entityTypeId"], "Y", "N")]
    ok(portal, "crm.type.update", {"id": a["id"], "fields": {"relations": {"parent": []}}})
    assert children(get_type(portal, b["id"])) == []


def test_predefined_client_parents_follow_is_client_enabled(portal: SandboxPortal) -> None:
    spa = add_type(portal, isClientEnabled="Y", relations={"parent": [{"entityTypeId": 1}]})
    # Contact/Company cannot be named or removed on the parent side; omitting them keeps them.
    updated = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"relations": {"parent": [{"entityTypeId": 3, "isChildrenListEnabled": "false"}]}}})
    assert parents(updated["type"]) == [(3, "Y", "Y"), (4, "Y", "Y")]
    off = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"isClientEnabled": "N"}})["type"]
    assert parents(off) == []


# --- §13.10 linkedUserFields ------------------------------------------------------------------------
def test_linked_user_fields_need_use_in_userfield(portal: SandboxPortal) -> None:
    linked = {"TASKS_TASK|UF_CRM_TASK": "true"}
    spa = add_type(portal, linkedUserFields=linked)
    assert spa["linkedUserFields"]["TASKS_TASK|UF_CRM_TASK"] == "N"
    on = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"isUseInUserfieldEnabled": "Y", "linkedUserFields": linked}})
    assert on["type"]["linkedUserFields"]["TASKS_TASK|UF_CRM_TASK"] == "Y"


def test_linked_user_fields_true_enables_anything_else_disables(portal: SandboxPortal) -> None:
    linked = {"CALENDAR_EVENT|UF_CRM_CAL_EVENT": "true", "TASKS_TASK|UF_CRM_TASK": "true", "UNKNOWN|UF": "true"}
    spa = add_type(portal, isUseInUserfieldEnabled="Y", linkedUserFields=linked)
    assert set(spa["linkedUserFields"]) == {"CALENDAR_EVENT|UF_CRM_CAL_EVENT", "TASKS_TASK|UF_CRM_TASK", "TASKS_TASK_TEMPLATE|UF_CRM_TASK"}
    change = {"CALENDAR_EVENT|UF_CRM_CAL_EVENT": "Y", "TASKS_TASK_TEMPLATE|UF_CRM_TASK": "true"}
    after = ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"linkedUserFields": change}})["type"]
    assert after["linkedUserFields"] == {
        "CALENDAR_EVENT|UF_CRM_CAL_EVENT": "N", "TASKS_TASK|UF_CRM_TASK": "Y", "TASKS_TASK_TEMPLATE|UF_CRM_TASK": "Y",
    }


# --- §13.11 crm.type.delete ---------------------------------------------------------------------------
def test_type_with_items_is_not_deleted(portal: SandboxPortal) -> None:
    spa = add_type(portal)
    portal.add_items(spa["entityTypeId"])
    assert fail(portal, "crm.type.delete", {"id": spa["id"]})["error"] == "BX_ERROR"
    assert get_type(portal, spa["id"])["id"] == spa["id"]


def test_type_delete_cascades(portal: SandboxPortal) -> None:
    partner = add_type(portal, title="Partner")
    spa = add_type(portal, isCategoriesEnabled="Y", relations={"parent": [{"entityTypeId": partner["entityTypeId"]}]})
    extra = add_category(portal, spa["entityTypeId"])
    portal.add_items(spa["entityTypeId"], recycle_bin=True)
    assert ok(portal, "crm.type.delete", {"id": spa["id"]}) == []
    assert fail(portal, "crm.type.get", {"id": spa["id"]})["error_description"] == "SPA not found"
    assert stages(portal, stage_entity_id(spa["entityTypeId"], extra["id"])) == []
    assert children(get_type(portal, partner["id"])) == []
    assert fail(portal, "crm.category.list", {"entityTypeId": spa["entityTypeId"]})["error"] == "NOT_FOUND"
    assert not [i for i in portal.state["items"] if i["entityTypeId"] == spa["entityTypeId"]]


def test_type_delete_answers(portal: SandboxPortal) -> None:
    _, body = rest(portal, "crm.type.delete", {})
    assert body["result"] is None  # documented: no id, nothing deleted
    assert fail(portal, "crm.type.delete", {"id": 77}) == {"error": 0, "error_description": "Smart process not found"}


# --- §13.12 crm.category basics ---------------------------------------------------------------------
@pytest.mark.parametrize(("method", "text"), [
    ("crm.category.list", "Smart process not found"), ("crm.category.update", "Smart process not found"),
    ("crm.category.get", "SPA not found"), ("crm.category.add", "SPA not found"),
    ("crm.category.delete", "SPA not found"), ("crm.category.fields", "SPA not found"),
])
def test_category_unknown_type_is_not_found(portal: SandboxPortal, method: str, text: str) -> None:
    body = fail(portal, method, {"entityTypeId": 1500, "id": 1, "fields": {"name": "X"}})
    assert body == {"error": "NOT_FOUND", "error_description": text}


@pytest.mark.parametrize(("entity_type_id", "name"), [(1, "LEAD"), (7, "QUOTE"), (14, "ORDER")])
def test_category_unsupported_types(portal: SandboxPortal, entity_type_id: int, name: str) -> None:
    body = fail(portal, "crm.category.add", {"entityTypeId": entity_type_id, "fields": {"name": "X"}})
    assert body == {"error": "ENTITY_TYPE_NOT_SUPPORTED", "error_description": f"Entity type {name} is not supported"}


def test_category_list_is_sorted_by_sort(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    late, early = add_category(portal, spa["entityTypeId"], sort=900), add_category(portal, spa["entityTypeId"], sort=100)
    assert [c["id"] for c in categories(portal, spa["entityTypeId"])] == [early["id"], categories(portal, spa["entityTypeId"])[1]["id"], late["id"]]
    assert categories(portal, spa["entityTypeId"])[1]["isDefault"] == "Y"


def test_deal_funnels(portal: SandboxPortal) -> None:
    assert categories(portal, 2) == [{"id": 0, "name": "General", "sort": 300, "entityTypeId": 2, "isDefault": "Y"}]
    funnel = add_category(portal, 2, name="Wholesale", originId="ext-1")
    assert funnel == {"id": 1, "name": "Wholesale", "sort": 500, "entityTypeId": 2, "isDefault": "N", "originId": "ext-1", "originatorId": ""}
    assert ok(portal, "crm.category.get", {"entityTypeId": 2, "id": 0})["category"]["isDefault"] == "Y"


def test_item_categories_share_one_id_space_apart_from_deals(portal: SandboxPortal) -> None:
    a, b = add_type(portal), add_type(portal)
    ids = [categories(portal, t["entityTypeId"])[0]["id"] for t in (a, b)] + [add_category(portal, 3)["id"]]
    assert ids == [3, 4, 5]  # 1 and 2 are the portal's invoice and document pipelines
    assert add_category(portal, 2)["id"] == 1


def test_client_categories(portal: SandboxPortal) -> None:
    default = categories(portal, 3)[0]
    assert default == {"id": 0, "name": "General", "sort": 500, "entityTypeId": 3, "isDefault": "Y", "isSystem": "Y", "code": None}
    assert fail(portal, "crm.category.add", {"entityTypeId": 4, "fields": {"name": "X", "isDefault": "Y"}}) == {
        "error": 0, "error_description": "Default client category does not support updating default state",
    }
    before = len(ok(portal, "crm.status.list", {}))
    vendors = add_category(portal, 4, name="Vendors")
    assert (vendors["isSystem"], vendors["code"]) == ("N", None)
    assert len(ok(portal, "crm.status.list", {})) == before  # client pipelines have no stages
    assert ok(portal, "crm.category.delete", {"entityTypeId": 4, "id": vendors["id"]}) is None
    assert ok(portal, "crm.category.list", {"entityTypeId": 3, "filter": {"code": "NONE"}})["categories"] == []


def test_category_fields_per_type(portal: SandboxPortal) -> None:
    spa = add_type(portal)
    fields = ok(portal, "crm.category.fields", {"entityTypeId": spa["entityTypeId"]})["fields"]
    assert set(fields) == {"id", "name", "sort", "entityTypeId", "isDefault", "isSystem", "code"}
    assert fields["isDefault"]["isReadOnly"] is False and fields["code"]["isReadOnly"] is True
    assert ok(portal, "crm.category.fields", {"entityTypeId": 2})["fields"]["isDefault"]["isReadOnly"] is True


# --- §13.13 default stages of new pipelines ----------------------------------------------------------
def test_new_spa_pipeline_gets_five_stages(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    category = add_category(portal, spa["entityTypeId"])
    prefix = f"DT{spa['entityTypeId']}_{category['id']}:"
    rows = stages(portal, f"DYNAMIC_{spa['entityTypeId']}_STAGE_{category['id']}")
    assert [r["STATUS_ID"] for r in rows] == [prefix + c for c in ("NEW", "PREPARATION", "CLIENT", "SUCCESS", "FAIL")]


def test_new_deal_funnel_gets_eight_stages(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2)
    rows = stages(portal, f"DEAL_STAGE_{funnel['id']}")
    codes = ["NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY"]
    assert [r["STATUS_ID"] for r in rows] == [f"C{funnel['id']}:{c}" for c in codes]
    assert [r["SEMANTICS"] for r in rows][-3:] == ["S", "F", "F"] and {r["CATEGORY_ID"] for r in rows} == {str(funnel["id"])}
    assert [r["SYSTEM"] for r in rows] == ["Y", "N", "N", "N", "N", "Y", "Y", "N"]


# --- §13.14 the default flag ----------------------------------------------------------------------------
def test_is_default_moves_to_the_new_pipeline(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    first = categories(portal, spa["entityTypeId"])[0]
    second = add_category(portal, spa["entityTypeId"], isDefault="Y")
    third = add_category(portal, spa["entityTypeId"])
    defaults = lambda: [c["id"] for c in categories(portal, spa["entityTypeId"]) if c["isDefault"] == "Y"]  # noqa: E731
    assert defaults() == [second["id"]]
    ok(portal, "crm.category.update", {"entityTypeId": spa["entityTypeId"], "id": third["id"], "fields": {"isDefault": "Y"}})
    assert defaults() == [third["id"]]
    ok(portal, "crm.category.update", {"entityTypeId": spa["entityTypeId"], "id": third["id"], "fields": {"isDefault": "N"}})
    assert defaults() == [third["id"]] and first["id"] not in defaults()


def test_is_default_is_ignored_for_deals(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2, isDefault="Y")
    ok(portal, "crm.category.update", {"entityTypeId": 2, "id": funnel["id"], "fields": {"isDefault": "Y"}})
    assert [c["id"] for c in categories(portal, 2) if c["isDefault"] == "Y"] == [0]


# --- §13.15 crm.category.delete -------------------------------------------------------------------------
def test_category_delete_refusals(portal: SandboxPortal) -> None:
    spa = add_type(portal, isCategoriesEnabled="Y")
    etid = spa["entityTypeId"]
    default = categories(portal, etid)[0]
    busy = add_category(portal, etid)
    portal.add_items(etid, category_id=busy["id"])
    assert fail(portal, "crm.category.delete", {"entityTypeId": etid, "id": default["id"]}) == {
        "error": "BX_ERROR", "error_description": "This funnel is the default funnel",
    }
    assert fail(portal, "crm.category.delete", {"entityTypeId": etid, "id": busy["id"]})["error_description"] == "Elements related to the funnel found"
    assert fail(portal, "crm.category.delete", {"entityTypeId": 3, "id": 0}) == {
        "error": "REMOVING_DISABLED", "error_description": "Deletion of system category is prohibited",
    }
    assert fail(portal, "crm.category.delete", {"entityTypeId": etid, "id": 999}) == {"error": "NOT_FOUND", "error_description": "Element not found"}


def test_deal_funnel_delete_refusals(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2, name="Retail")
    portal.add_items(2, category_id=funnel["id"], stage_id=f"C{funnel['id']}:NEW")
    assert fail(portal, "crm.category.delete", {"entityTypeId": 2, "id": 0}) == {"error": 0, "error_description": "Default deal category cannot be deleted"}
    assert fail(portal, "crm.category.delete", {"entityTypeId": 2, "id": funnel["id"]}) == {"error": 0, "error_description": "Deals related to the funnel Retail found"}


def test_category_delete_removes_its_stages(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2)
    _, body = rest(portal, "crm.category.delete", {"entityTypeId": 2, "id": funnel["id"]})
    assert "result" in body and body["result"] is None
    assert stages(portal, f"DEAL_STAGE_{funnel['id']}") == []
    assert fail(portal, "crm.category.get", {"entityTypeId": 2, "id": funnel["id"]})["error"] == "NOT_FOUND"


# --- §13.16 category fields ------------------------------------------------------------------------------
def test_negative_sort_is_ignored(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2, sort=-5)
    assert funnel["sort"] == 500
    updated = ok(portal, "crm.category.update", {"entityTypeId": 2, "id": funnel["id"], "fields": {"sort": -1, "name": "Renamed"}})
    assert (updated["category"]["sort"], updated["category"]["name"]) == (500, "Renamed")


def test_category_name_rules(portal: SandboxPortal) -> None:
    for fields in ({}, {"name": "  "}, {"name": "x" * 256}):
        assert fail(portal, "crm.category.add", {"entityTypeId": 2, "fields": fields})["error"] == 0
    assert add_category(portal, 2, name="x" * 255)["name"] == "x" * 255


def test_system_pipelines_cannot_be_added(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.category.add", {"entityTypeId": 2, "fields": {"name": "S", "isSystem": "Y"}}) == {
        "error": "ADDING_DISABLED", "error_description": "Adding a system category is prohibited",
    }


# --- §13.17 crm.status.add ----------------------------------------------------------------------------------
def test_status_add_unknown_directory(portal: SandboxPortal) -> None:
    body = fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "DEAL_STAGE_9", "STATUS_ID": "X", "NAME": "X"}})
    assert body == {"error": "", "error_description": "Specified entity type is not supported."}
    body = fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "X", "NAME": "  "}})
    assert body == {"error": "", "error_description": "The field Title is required."}


@pytest.mark.parametrize(("entity", "given", "stored"), [
    ("DEAL_STAGE_1", "DECISION", "C1:DECISION"), ("DEAL_STAGE_1", "C1:DECISION", "C1:DECISION"),
    ("DEAL_STAGE_1", "C7:DECISION", "C1:DECISION"), ("DEAL_STAGE", "X:FOO", "FOO"), ("SOURCE", "a:b:c", "b:c"),
])
def test_status_id_prefix_is_normalised(portal: SandboxPortal, entity: str, given: str, stored: str) -> None:
    add_category(portal, 2)
    new_id = add_status(portal, ENTITY_ID=entity, STATUS_ID=given, SORT=5)
    assert isinstance(new_id, int) and ok(portal, "crm.status.get", {"id": new_id})["STATUS_ID"] == stored


@pytest.mark.parametrize(("entity", "longest"), [("STATUS", 21), ("QUOTE_STATUS", 22), ("DEAL_STAGE", 22), ("DEAL_STAGE_1", 19), ("SOURCE", 50)])
def test_status_id_length_per_directory(portal: SandboxPortal, entity: str, longest: int) -> None:
    add_category(portal, 2)
    body = fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": entity, "STATUS_ID": "A" * (longest + 1), "NAME": "Long", "SORT": 5}})
    assert body["error"] == "ERROR_CORE" and str(longest) in body["error_description"]
    add_status(portal, ENTITY_ID=entity, STATUS_ID="A" * longest, SORT=5)


def test_status_id_charset_of_stage_directories(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "NEW STAGE", "NAME": "N", "SORT": 5}})["error"] == "ERROR_CORE"
    add_status(portal, ENTITY_ID="STATUS", STATUS_ID="new-stage_2", SORT=5)
    add_status(portal, ENTITY_ID="SOURCE", STATUS_ID="Trade fair #1 (Berlin)")


def test_status_add_defaults(portal: SandboxPortal) -> None:
    new_id = add_status(portal, ENTITY_ID="SOURCE", STATUS_ID="FAIR", SYSTEM="Y", SORT=0, COLOR="AABBCC", NAME_INIT="x")
    assert ok(portal, "crm.status.get", {"id": new_id}) == {
        "ID": str(new_id), "ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Stage", "NAME_INIT": "", "SORT": "10",
        "SYSTEM": "N", "CATEGORY_ID": "0", "COLOR": "#AABBCC", "SEMANTICS": None,
    }


def test_status_add_category_id(portal: SandboxPortal) -> None:
    funnel = add_category(portal, 2)
    spa = add_type(portal)
    cid = categories(portal, spa["entityTypeId"])[0]["id"]
    deal_stage = add_status(portal, ENTITY_ID=f"DEAL_STAGE_{funnel['id']}", STATUS_ID="X", SORT=5)
    bare = add_status(portal, ENTITY_ID=stage_entity_id(spa["entityTypeId"], cid), STATUS_ID="X", SORT=5)
    sent = add_status(portal, ENTITY_ID=stage_entity_id(spa["entityTypeId"], cid), STATUS_ID="Y", SORT=5, CATEGORY_ID=cid)
    got = [ok(portal, "crm.status.get", {"id": i})["CATEGORY_ID"] for i in (deal_stage, bare, sent)]
    assert got == [str(funnel["id"]), "0", str(cid)]


def test_status_duplicate(portal: SandboxPortal) -> None:
    add_status(portal, ENTITY_ID="SOURCE", STATUS_ID="FAIR")
    assert fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Again"}}) == {
        "error": "ERROR_CORE", "error_description": "The specified status ID already exists.",
    }


def test_status_fields_keys_are_case_insensitive_at_top_level(portal: SandboxPortal) -> None:
    new_id = ok(portal, "crm.status.add", {"FIELDS": {"ENTITY_ID": "SOURCE", "STATUS_ID": "UP", "NAME": "Up"}})
    assert ok(portal, "crm.status.get", {"ID": new_id})["STATUS_ID"] == "UP"
    assert fail(portal, "crm.status.add", {"fields": "x"}) == {"error": "", "error_description": "Parameter 'fields' must be array."}


# --- §13.18 semantics rules ----------------------------------------------------------------------------------
def test_only_one_success_stage_per_directory(portal: SandboxPortal) -> None:
    spa = add_type(portal)
    entity = stage_entity_id(spa["entityTypeId"], categories(portal, spa["entityTypeId"])[0]["id"])
    assert fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": entity, "STATUS_ID": "WIN2", "NAME": "W", "SEMANTICS": "S"}})["error"] == "ERROR_CORE"
    add_status(portal, ENTITY_ID=entity, STATUS_ID="LOST2", SEMANTICS="F", SORT=60)


def test_default_deal_pipeline_keeps_process_stages_before_won(portal: SandboxPortal) -> None:
    body = fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "LATE", "NAME": "Late", "SORT": 65}})
    assert body["error"] == "" and body["error_description"].startswith("Cannot create more stages after the final stage")
    add_status(portal, ENTITY_ID="DEAL_STAGE", STATUS_ID="EARLY", SORT=60)
    add_status(portal, ENTITY_ID="DEAL_STAGE", STATUS_ID="LOST_LATE", SORT=90, SEMANTICS="F")
    add_category(portal, 2)
    add_status(portal, ENTITY_ID="DEAL_STAGE_1", STATUS_ID="LATE", SORT=65)  # documented for DEAL_STAGE only


# --- §13.19 crm.status.update ----------------------------------------------------------------------------------
def test_status_update_writes_only_name_sort_color(portal: SandboxPortal) -> None:
    row = status_row(portal, "DEAL_STAGE", "WON")
    fields = {"NAME": "Won!", "SORT": 65, "COLOR": "123456", "ENTITY_ID": "SOURCE", "STATUS_ID": "X", "CATEGORY_ID": 5, "SEMANTICS": "F", "SYSTEM": "N", "NAME_INIT": "x"}
    assert ok(portal, "crm.status.update", {"id": row["ID"], "fields": fields}) is True
    after = ok(portal, "crm.status.get", {"id": row["ID"]})
    assert after == {**{k: v for k, v in row.items() if k != "EXTRA"}, "NAME": "Won!", "SORT": "65", "COLOR": "#123456"}


def test_status_update_ignores_an_empty_name(portal: SandboxPortal) -> None:
    row = status_row(portal, "SOURCE", "CALL")
    ok(portal, "crm.status.update", {"id": row["ID"], "fields": {"NAME": "  ", "SORT": 10}})
    assert ok(portal, "crm.status.get", {"id": row["ID"]})["NAME"] == "Call"


def test_status_update_without_sort_moves_the_stage_to_10(portal: SandboxPortal) -> None:
    row = status_row(portal, "DEAL_STAGE", "EXECUTING")
    ok(portal, "crm.status.update", {"id": row["ID"], "fields": {"NAME": "Doing"}})
    assert ok(portal, "crm.status.get", {"id": row["ID"]})["SORT"] == "10"


def test_status_update_sort_reset_can_be_switched_off(clock: SimulatedClock) -> None:
    portal = SandboxPortal(clock=clock, options={"status_update_sort_reset": False})
    row = status_row(portal, "DEAL_STAGE", "EXECUTING")
    ok(portal, "crm.status.update", {"id": row["ID"], "fields": {"NAME": "Doing"}})
    assert ok(portal, "crm.status.get", {"id": row["ID"]})["SORT"] == "40"
    ok(portal, "crm.status.update", {"id": row["ID"], "fields": {"SORT": -3}})
    assert ok(portal, "crm.status.get", {"id": row["ID"]})["SORT"] == "10"


def test_status_update_and_delete_identify_the_row(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.status.update", {"id": 0, "fields": {"NAME": "X"}}) == {
        "error": "Invalid identifier.", "error_description": "An incorrect identifier was passed.",
    }
    assert fail(portal, "crm.status.update", {"id": 99999, "fields": {"NAME": "X"}})["error"] == "Status is not found."
    assert fail(portal, "crm.status.delete", {"id": "abc"})["error"] == "Invalid identifier."
    assert fail(portal, "crm.status.delete", {"id": 99999})["error"] == "Status is not found."


# --- §13.20 crm.status.delete ------------------------------------------------------------------------------------
def test_system_rows_need_forced(portal: SandboxPortal) -> None:
    spa = add_type(portal)
    entity = stage_entity_id(spa["entityTypeId"], categories(portal, spa["entityTypeId"])[0]["id"])
    new = [r for r in stages(portal, entity) if r["STATUS_ID"].endswith(":NEW")][0]
    assert fail(portal, "crm.status.delete", {"id": new["ID"], "params": {"FORCED": "N"}})["error"] == ""
    assert ok(portal, "crm.status.delete", {"id": new["ID"], "params": {"FORCED": "Y"}}) is True
    plain = [r for r in stages(portal, entity) if r["SYSTEM"] == "N"][0]
    assert ok(portal, "crm.status.delete", {"id": plain["ID"]}) is True
    assert len(stages(portal, entity)) == 3


def test_stage_with_items_is_not_deleted(portal: SandboxPortal) -> None:
    row = status_row(portal, "DEAL_STAGE", "PREPARATION")
    portal.add_items(2, category_id=0, stage_id="PREPARATION")
    assert fail(portal, "crm.status.delete", {"id": row["ID"]}) == {"error": "", "error_description": "There are active items in this status."}
    other = status_row(portal, "DEAL_STAGE", "EXECUTING")
    portal.add_items(2, category_id=0, stage_id="EXECUTING", recycle_bin=True)  # deleted items do not hold it
    assert ok(portal, "crm.status.delete", {"id": other["ID"]}) is True


# --- §13.21 crm.status.list -----------------------------------------------------------------------------------------
def test_status_list_filters_exactly(portal: SandboxPortal) -> None:
    rows = ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE", "SEMANTICS": "F", "SYSTEM": "N"}})
    assert [r["STATUS_ID"] for r in rows] == ["APOLOGY"]
    assert ok(portal, "crm.status.list", {"filter": {"STATUS_ID": "NE"}}) == []
    assert [r["ENTITY_ID"] for r in ok(portal, "crm.status.list", {"filter": {"STATUS_ID": "NEW", "ENTITY_ID": ""}})] == ["STATUS", "DEAL_STAGE"]


def test_status_list_order(portal: SandboxPortal) -> None:
    default = ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})
    assert [int(r["SORT"]) for r in default] == sorted(int(r["SORT"]) for r in default)
    by_name = ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}, "order": {"NAME": "desc"}})
    assert [r["NAME"] for r in by_name] == sorted((r["NAME"] for r in default), reverse=True)
    unknown = ok(portal, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}, "order": {"COLOR": "ASC"}})
    assert [int(r["ID"]) for r in unknown] == sorted((int(r["ID"]) for r in default), reverse=True)


def test_status_list_rows_carry_extra(portal: SandboxPortal) -> None:
    rows = {r["STATUS_ID"]: r["EXTRA"] for r in stages(portal, "QUOTE_STATUS")}
    assert rows["DRAFT"] == {"SEMANTICS": "process", "COLOR": "#39A8EF"}
    assert [rows[c]["SEMANTICS"] for c in ("APPROVED", "DECLAINED", "APOLOGY")] == ["success", "failure", "apology"]


# --- §13.22 crm.status.entity.types / items -----------------------------------------------------------------------------
def test_entity_types_list_every_pipeline(portal: SandboxPortal) -> None:
    spa = add_type(portal, title="Contracts", entityTypeId=1100, isStagesEnabled="N")
    second = add_category(portal, 1100, name="Renewals", sort=600)
    funnel = add_category(portal, 2, name="Retail")
    entries = {e["ID"]: e for e in ok(portal, "crm.status.entity.types")}
    first_cid = categories(portal, 1100)[0]["id"]
    assert entries[f"DYNAMIC_1100_STAGE_{second['id']}"] == {
        "ID": f"DYNAMIC_1100_STAGE_{second['id']}", "NAME": "Contracts (Renewals)", "SEMANTIC_INFO": [],
        "PREFIX": f"DT1100_{second['id']}", "FIELD_ATTRIBUTE_SCOPE": f"category_{second['id']}", "ENTITY_TYPE_ID": 1100,
        "IS_ENABLED": False, "CATEGORY_ID": second["id"], "CATEGORY_NAME": "Renewals", "CATEGORY_SORT": 600,
        "IS_DEFAULT_CATEGORY": False,
    }
    assert entries[f"DYNAMIC_1100_STAGE_{first_cid}"]["IS_DEFAULT_CATEGORY"] is True
    assert entries[f"DEAL_STAGE_{funnel['id']}"]["PREFIX"] == f"C{funnel['id']}"
    assert entries[f"DEAL_STAGE_{funnel['id']}"]["PARENT_ID"] == "DEAL_STAGE"
    assert entries["DEAL_STAGE"]["NAME"] == "General deal stages"
    ok(portal, "crm.type.update", {"id": spa["id"], "fields": {"isStagesEnabled": "Y"}})
    assert all(e["IS_ENABLED"] for e in ok(portal, "crm.status.entity.types") if e.get("ENTITY_TYPE_ID") == 1100)


def test_entity_items(portal: SandboxPortal) -> None:
    items = ok(portal, "crm.status.entity.items", {"entity_id": "quote_status"})
    assert items[0] == {"NAME": "New", "SORT": 10, "STATUS_ID": "DRAFT"} and len(items) == 5
    assert fail(portal, "crm.status.entity.items", {"entityId": "NOPE"})["error"] == "The parameter entityId is not defined or invalid."


# --- §13.32 permissions ------------------------------------------------------------------------------------------------
def test_engine_writes_need_crm_admin(portal: SandboxPortal) -> None:
    spa = add_type(portal)
    token = plain_user(portal)
    denied = {"error": "ACCESS_DENIED", "error_description": "Access denied"}
    assert fail(portal, "crm.type.add", {"fields": {"title": "X"}}, token=token) == denied
    assert fail(portal, "crm.type.update", {"id": spa["id"], "fields": {"title": "X"}}, token=token) == denied
    assert fail(portal, "crm.type.delete", {"id": spa["id"]}, token=token) == denied
    assert fail(portal, "crm.type.list", {}, token=token) == denied
    assert fail(portal, "crm.category.add", {"entityTypeId": 2, "fields": {"name": "X"}}, token=token) == denied
    assert fail(portal, "crm.category.delete", {"entityTypeId": 2, "id": 0}, token=token) == denied
    assert ok(portal, "crm.type.get", {"id": spa["id"]}, token=token)["type"]["id"] == spa["id"]
    assert ok(portal, "crm.category.list", {"entityTypeId": 2}, token=token)["categories"]


def test_status_writes_need_settings_rights(portal: SandboxPortal) -> None:
    token = plain_user(portal)
    row = status_row(portal, "SOURCE", "CALL")
    denied = {"error": "", "error_description": "Access denied."}
    assert fail(portal, "crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "X", "NAME": "X"}}, token=token) == denied
    assert fail(portal, "crm.status.update", {"id": row["ID"], "fields": {"NAME": "X"}}, token=token) == denied
    assert fail(portal, "crm.status.delete", {"id": row["ID"]}, token=token) == denied
    assert ok(portal, "crm.status.get", {"id": row["ID"]}, token=token)["NAME"] == "Call"


# --- batch --------------------------------------------------------------------------------------------------------------
def test_batch_builds_a_pipeline_on_a_new_spa(portal: SandboxPortal) -> None:
    cmd = {
        "t": "crm.type.add?fields[title]=Batch&fields[isCategoriesEnabled]=Y"
             "&fields[relations][parent][0][entityTypeId]=2&fields[relations][parent][0][isChildrenListEnabled]=true",
        "c": "crm.category.add?entityTypeId=$result[t][type][entityTypeId]&fields[name]=Second&fields[sort]=10",
        "l": "crm.category.list?entityTypeId=$result[t][type][entityTypeId]",
    }
    result = ok(portal, "batch", {"halt": 1, "cmd": cmd})
    assert result["result_error"] == []
    spa = result["result"]["t"]["type"]
    assert parents(spa) == [(2, "Y", "N")]
    assert [c["name"] for c in result["result"]["l"]["categories"]] == ["Second", "General"]
    assert result["result_total"]["l"] == 2
    assert len(stages(portal, stage_entity_id(spa["entityTypeId"], result["result"]["c"]["category"]["id"]))) == 5


def test_batch_adds_a_deal_stage_and_renames_it(portal: SandboxPortal) -> None:
    cmd = {
        "f": "crm.category.add?entityTypeId=2&fields[name]=Wholesale",
        "s": "crm.status.add?fields[ENTITY_ID]=DEAL_STAGE_$result[f][category][id]&fields[STATUS_ID]=CHECK&fields[NAME]=Check",
        "u": "crm.status.update?id=$result[s]&fields[NAME]=Checked&fields[SORT]=15",
    }
    result = ok(portal, "batch", {"halt": 0, "cmd": cmd})
    assert result["result"]["u"] is True
    assert ok(portal, "crm.status.get", {"id": result["result"]["s"]})["STATUS_ID"] == "C1:CHECK"


def test_batch_type_list_filter_groups(portal: SandboxPortal) -> None:
    for title in ("Alpha", "Beta", "Gamma"):
        add_type(portal, title=title)
    cmd = {"l": "crm.type.list?filter[0][logic]=OR&filter[0][0][title]=Alpha&filter[0][1][%title]=amm&order[id]=DESC"}
    result = ok(portal, "batch", {"cmd": cmd})
    assert [t["title"] for t in result["result"]["l"]["types"]] == ["Gamma", "Alpha"]


# --- crm.type.list filter and order --------------------------------------------------------------------------------------
def test_type_list_filter_operators(portal: SandboxPortal) -> None:
    for n in range(1, 6):
        add_type(portal, title=f"T{n}", isStagesEnabled="Y" if n % 2 else "N")
    titles = lambda f: [t["title"] for t in ok(portal, "crm.type.list", {"filter": f})["types"]]  # noqa: E731
    assert titles({"title": "t1"}) == ["T1"] and titles({"title": "T"}) == []  # exact, case-insensitive
    assert titles({">=id": 4}) == ["T4", "T5"] and titles({"@id": [1, 3]}) == ["T1", "T3"]
    assert titles({"!@id": [1, 2, 3], "isStagesEnabled": "Y"}) == ["T5"]
    assert titles({"=%title": "T_"}) == ["T1", "T2", "T3", "T4", "T5"] and titles({"!%title": "3"}) == ["T1", "T2", "T4", "T5"]
    assert titles({"entityTypeId": "1036"}) == ["T3"]


def test_type_list_validates_order(portal: SandboxPortal) -> None:
    assert fail(portal, "crm.type.list", {"order": {"relations": "ASC"}})["error_description"] == "Invalid order: field 'relations' is not allowed in order"
    body = fail(portal, "crm.type.list", {"order": {"id": "UP"}})
    assert body["error_description"] == "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'id'"
    assert fail(portal, "crm.type.list", {"filter": {"0": {"!=%bogus": "x"}}})["error_description"] == "Invalid filter: field 'bogus' is not allowed in filter"


# --- the seeded portal and the public helpers -----------------------------------------------------------------------------
def test_a_fresh_portal_looks_like_a_new_bitrix24(portal: SandboxPortal) -> None:
    entity_ids = [e["ID"] for e in ok(portal, "crm.status.entity.types")]
    for entity in ("STATUS", "SOURCE", "CONTACT_TYPE", "COMPANY_TYPE", "EMPLOYEES", "INDUSTRY", "DEAL_TYPE", "DEAL_STAGE",
                   "QUOTE_STATUS", "HONORIFIC", "CALL_LIST"):
        assert entity in entity_ids and stages(portal, entity), entity
    assert [r["STATUS_ID"] for r in stages(portal, "STATUS")] == ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    assert [r["STATUS_ID"] for r in stages(portal, "QUOTE_STATUS")] == ["DRAFT", "SENT", "APPROVED", "DECLAINED", "APOLOGY"]
    assert len(stages(portal, "DEAL_STAGE")) == 8 and {r["CATEGORY_ID"] for r in stages(portal, "DEAL_STAGE")} == {None}
    assert ok(portal, "crm.type.list", {})["types"] == []
    ids = [int(r["ID"]) for r in ok(portal, "crm.status.list", {"order": {"ID": "ASC"}})]
    assert ids[:3] == [1, 3, 5]


def test_stage_entity_id_and_prefix() -> None:
    assert [stage_entity_id(2, 0), stage_entity_id(2, 4), stage_entity_id(1, 0), stage_entity_id(7, 0)] == [
        "DEAL_STAGE", "DEAL_STAGE_4", "STATUS", "QUOTE_STATUS",
    ]
    assert [stage_entity_id(31, 2), stage_entity_id(36, 3), stage_entity_id(1032, 7)] == [
        "SMART_INVOICE_STAGE_2", "SMART_DOCUMENT_STAGE_3", "DYNAMIC_1032_STAGE_7",
    ]
    assert [stage_prefix(2, 0), stage_prefix(2, 4), stage_prefix(1, 0), stage_prefix(1032, 7)] == ["", "C4", "", "DT1032_7"]


def test_state_survives_a_file_round_trip(tmp_path: Any, clock: SimulatedClock) -> None:
    path = tmp_path / "portal.json"
    first = SandboxPortal(path, clock=clock)
    spa = add_type(first, relations={"child": [{"entityTypeId": 2}]})
    second = SandboxPortal(path, clock=clock)
    assert get_type(second, spa["id"]) == get_type(first, spa["id"])
