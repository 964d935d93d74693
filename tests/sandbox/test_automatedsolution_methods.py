"""Behaviour of crm.automatedsolution.*: one rule per test (reference crm §8, §13 items 31-32)."""

from __future__ import annotations

from typing import Any

import pytest

from b24cfg.sandbox.portal import SandboxPortal
from tests.sandbox.userfield_helpers import make_spa, rest_as
from tests.support.reference import ok, rest


def add(portal: SandboxPortal, title: str = "HR", type_ids: list[Any] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": title}
    if type_ids is not None:
        fields["typeIds"] = type_ids
    return ok(portal, "crm.automatedsolution.add", {"fields": fields})["automatedSolution"]  # type: ignore[no-any-return]


def error(portal: SandboxPortal, method: str, params: dict[str, Any]) -> tuple[Any, str]:
    status, body = rest(portal, f"crm.automatedsolution.{method}", params)
    assert status == 400, body
    return body["error"], body["error_description"]


def test_type_ids_are_crm_type_ids_not_entity_type_ids(portal: SandboxPortal) -> None:
    spa = make_spa(portal, 3, entity_type_id=1036)
    assert add(portal, type_ids=[1036])["typeIds"] == []
    assert add(portal, "Sales", type_ids=[3])["typeIds"] == [3]
    assert spa["customSectionId"] is not None


def test_unknown_type_ids_are_ignored(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    assert add(portal, type_ids=[3, 99, 0, -3])["typeIds"] == [3]


def test_type_ids_accept_strings_from_query_strings(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    make_spa(portal, 4)
    assert add(portal, type_ids=["4", "3", "3"])["typeIds"] == [3, 4]


def test_title_is_required(portal: SandboxPortal) -> None:
    assert error(portal, "add", {"fields": {"title": "   ", "typeIds": []}}) == (
        "BX_EMPTY_REQUIRED", "The required field 'Title' is not filled",
    )


def test_title_is_trimmed(portal: SandboxPortal) -> None:
    assert add(portal, "  HR  ")["title"] == "HR"


def test_update_cannot_empty_the_title(portal: SandboxPortal) -> None:
    workplace = add(portal)
    assert error(portal, "update", {"id": workplace["id"], "fields": {"title": ""}}) == (
        "BX_EMPTY_REQUIRED", "Required field is not filled",
    )


def test_update_without_type_ids_keeps_them(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    workplace = add(portal, type_ids=[3])
    updated = ok(portal, "crm.automatedsolution.update", {"id": workplace["id"], "fields": {"title": "People"}})
    assert updated["automatedSolution"] == {"id": workplace["id"], "title": "People", "typeIds": [3]}


def test_update_type_ids_replace_the_set_and_unbind_the_rest(portal: SandboxPortal) -> None:
    first, second = make_spa(portal, 3), make_spa(portal, 4)
    workplace = add(portal, type_ids=[3])
    updated = ok(portal, "crm.automatedsolution.update", {"id": workplace["id"], "fields": {"typeIds": [4]}})
    assert updated["automatedSolution"]["typeIds"] == [4]
    assert first["customSectionId"] is None and second["customSectionId"] is not None


def test_binding_moves_a_type_out_of_another_workplace(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    old = add(portal, "Old", type_ids=[3])
    add(portal, "New", type_ids=[3])
    assert ok(portal, "crm.automatedsolution.get", {"id": old["id"]})["automatedSolution"]["typeIds"] == []


def test_deleted_types_leave_the_workplace(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    workplace = add(portal, type_ids=[3])
    ok(portal, "crm.type.delete", {"id": 3})
    assert ok(portal, "crm.automatedsolution.get", {"id": workplace["id"]})["automatedSolution"]["typeIds"] == []


def test_delete_with_bound_types_is_refused(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    workplace = add(portal, type_ids=[3])
    assert error(portal, "delete", {"id": workplace["id"]}) == (
        "HAS_BOUND_TYPES", "Cannot delete the workplace that has SPAs. Move them to another workplace",
    )
    ok(portal, "crm.automatedsolution.update", {"id": workplace["id"], "fields": {"typeIds": []}})
    assert ok(portal, "crm.automatedsolution.delete", {"id": workplace["id"]}) is None


def test_delete_of_a_missing_workplace_is_a_silent_success(portal: SandboxPortal) -> None:
    assert ok(portal, "crm.automatedsolution.delete", {"id": 404}) is None


@pytest.mark.parametrize("method", ["get", "update"])
def test_missing_workplace_is_not_found(portal: SandboxPortal, method: str) -> None:
    assert error(portal, method, {"id": 404, "fields": {"title": "X"}}) == (
        "NOT_FOUND", "Digital workplace with such id not found",
    )


def test_id_is_a_required_parameter(portal: SandboxPortal) -> None:
    assert error(portal, "get", {}) == (100, "Could not find value for parameter {id}")


def test_fields_result_is_not_wrapped(portal: SandboxPortal) -> None:
    assert sorted(ok(portal, "crm.automatedsolution.fields")) == ["id", "title", "typeIds"]


@pytest.mark.parametrize(("params", "text"), [
    ({"filter": {"typeIds": 3}}, "Invalid filter: field 'typeIds' is not allowed in filter"),
    ({"filter": {"0": {">id": 1, "!%customSectionId": 2}}}, "Invalid filter: field 'customSectionId' is not allowed in filter"),
    ({"order": {"typeIds": "ASC"}}, "Invalid order: field 'typeIds' is not allowed in order"),
    ({"order": {"id": "UP"}}, "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'id'"),
])
def test_list_accepts_only_id_and_title(portal: SandboxPortal, params: dict[str, Any], text: str) -> None:
    assert error(portal, "list", params) == ("INVALID_ARG_VALUE", text)


def test_list_filters_and_orders(portal: SandboxPortal) -> None:
    for title in ("HR", "Hiring", "R&D"):
        add(portal, title)
    status, body = rest(portal, "crm.automatedsolution.list", {"filter": {"=%title": "H%"}, "order": {"title": "DESC"}})
    assert [w["title"] for w in body["result"]["automatedSolutions"]] == ["HR", "Hiring"]
    assert body["total"] == 2


def test_list_or_logic(portal: SandboxPortal) -> None:
    ids = [add(portal, title)["id"] for title in ("A", "B", "C")]
    listed = ok(portal, "crm.automatedsolution.list", {"filter": {"logic": "OR", "title": "A", ">=id": ids[2]}})
    assert [w["title"] for w in listed["automatedSolutions"]] == ["A", "C"]


def test_list_is_paginated_by_50(portal: SandboxPortal) -> None:
    for n in range(51):
        add(portal, f"W{n}")
    _, first = rest(portal, "crm.automatedsolution.list", {})
    _, second = rest(portal, "crm.automatedsolution.list", {"start": first["next"]})
    assert (len(first["result"]["automatedSolutions"]), first["next"], first["total"]) == (50, 50, 51)
    assert [w["title"] for w in second["result"]["automatedSolutions"]] == ["W50"] and "next" not in second


@pytest.mark.parametrize("method", ["fields", "add", "get", "list", "delete"])
def test_non_admin_is_denied(portal: SandboxPortal, method: str) -> None:
    portal.add_webhook(7, "staffhook0000001", ["crm"])
    status, body = rest_as(portal, 7, "staffhook0000001", f"crm.automatedsolution.{method}", {"id": 1, "fields": {"title": "X"}})
    assert (status, body["error"], body["error_description"]) == (400, "ACCESS_DENIED", "Insufficient permissions")


def test_plan_limit(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"automated_solution_limit": 1})
    add(portal)
    status, body = rest(portal, "crm.automatedsolution.add", {"fields": {"title": "Second"}})
    assert (status, body["error"]) == (400, "LIMIT_EXCEEDED")


def test_batch_creates_and_reads_back_by_reference(portal: SandboxPortal) -> None:
    make_spa(portal, 3)
    result = ok(portal, "batch", {"halt": 1, "cmd": {
        "add": "crm.automatedsolution.add?fields[title]=HR&fields[typeIds][0]=3",
        "get": "crm.automatedsolution.get?id=$result[add][automatedSolution][id]",
    }})
    assert result["result_error"] == []
    assert result["result"]["get"]["automatedSolution"]["typeIds"] == [3]
