"""crm.item.list over the sandbox's aggregated item rows: counts, pagination, ids, errors, batch."""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox.portal import SandboxPortal
from tests.support.reference import ok, rest


def listing(portal: SandboxPortal, params: dict[str, Any]) -> dict[str, Any]:
    """The whole successful answer of crm.item.list (``result``, ``total``, ``next``)."""
    status, body = rest(portal, "crm.item.list", params)
    assert status == 200 and "result" in body, body
    return body  # type: ignore[no-any-return]


def total(portal: SandboxPortal, entity_type_id: int, flt: dict[str, Any] | None = None) -> int:
    return listing(portal, {"entityTypeId": entity_type_id, "filter": flt or {}})["total"]  # type: ignore[no-any-return]


def error(portal: SandboxPortal, params: dict[str, Any]) -> dict[str, Any]:
    status, body = rest(portal, "crm.item.list", params)
    assert status == 400, body
    return {"error": body["error"], "error_description": body["error_description"]}


def spa_with_pipeline(portal: SandboxPortal) -> tuple[int, int, int]:
    """A stage-enabled smart process with a second pipeline: (entityTypeId, default id, second id)."""
    spa = ok(portal, "crm.type.add", {"fields": {"title": "Orders", "isStagesEnabled": "Y", "isCategoriesEnabled": "Y"}})["type"]
    etid = spa["entityTypeId"]
    default = ok(portal, "crm.category.list", {"entityTypeId": etid})["categories"][0]["id"]
    second = ok(portal, "crm.category.add", {"entityTypeId": etid, "fields": {"name": "Returns"}})["category"]["id"]
    return etid, default, second


def test_counts_by_type_pipeline_and_stage(portal: SandboxPortal) -> None:
    etid, default, second = spa_with_pipeline(portal)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:NEW", count=4)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:CLIENT", count=2)
    portal.add_items(etid, category_id=second, stage_id=f"DT{etid}_{second}:NEW", count=3)
    portal.add_items(2, category_id=0, stage_id="NEW", count=5)  # deals are another type
    assert total(portal, etid) == 9
    assert total(portal, etid, {"categoryId": default}) == 6
    assert total(portal, etid, {"=categoryId": second}) == 3
    assert total(portal, etid, {"CATEGORY_ID": str(second)}) == 3  # UPPER names and string values too
    assert total(portal, etid, {"stageId": f"DT{etid}_{default}:NEW"}) == 4
    assert total(portal, etid, {"=stageId": f"DT{etid}_{default}:CLIENT", "categoryId": default}) == 2
    assert total(portal, etid, {"@stageId": [f"DT{etid}_{default}:CLIENT", f"DT{etid}_{second}:NEW"]}) == 5
    assert total(portal, etid, {"stageId": f"DT{etid}_{default}:SUCCESS"}) == 0
    assert total(portal, 2, {"stageId": "NEW"}) == 5 and total(portal, 2, {"categoryId": 1}) == 0


def test_items_are_camel_case_objects_with_stable_ids(portal: SandboxPortal) -> None:
    etid, default, second = spa_with_pipeline(portal)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:NEW", count=2)
    portal.add_items(2, category_id=0, stage_id="NEW")  # each type has its own id space
    portal.add_items(etid, category_id=second, stage_id=f"DT{etid}_{second}:FAIL")
    body = listing(portal, {"entityTypeId": etid})
    assert body["result"] == {"items": [
        {"id": 1, "entityTypeId": etid, "categoryId": default, "stageId": f"DT{etid}_{default}:NEW"},
        {"id": 2, "entityTypeId": etid, "categoryId": default, "stageId": f"DT{etid}_{default}:NEW"},
        {"id": 3, "entityTypeId": etid, "categoryId": second, "stageId": f"DT{etid}_{second}:FAIL"},
    ]}
    assert body["total"] == 3 and "next" not in body
    portal.add_items(etid, category_id=second, stage_id=f"DT{etid}_{second}:NEW")
    again = listing(portal, {"entityTypeId": etid, "order": {"id": "DESC"}, "select": ["id", "stageId", "bogus"]})
    assert again["result"]["items"] == [
        {"id": 4, "stageId": f"DT{etid}_{second}:NEW"}, {"id": 3, "stageId": f"DT{etid}_{second}:FAIL"},
        {"id": 2, "stageId": f"DT{etid}_{default}:NEW"}, {"id": 1, "stageId": f"DT{etid}_{default}:NEW"},
    ]
    assert listing(portal, {"entityTypeId": 2})["result"]["items"] == [
        {"id": 1, "entityTypeId": 2, "categoryId": 0, "stageId": "NEW"},
    ]


def test_pagination_of_120_items(portal: SandboxPortal) -> None:
    etid, default, _ = spa_with_pipeline(portal)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:NEW", count=120)
    first = listing(portal, {"entityTypeId": etid})
    assert (len(first["result"]["items"]), first["total"], first["next"]) == (50, 120, 50)
    second = listing(portal, {"entityTypeId": etid, "start": first["next"]})
    assert (len(second["result"]["items"]), second["total"], second["next"]) == (50, 120, 100)
    third = listing(portal, {"entityTypeId": etid, "start": second["next"]})
    assert (len(third["result"]["items"]), third["total"]) == (20, 120) and "next" not in third
    ids = [i["id"] for page in (first, second, third) for i in page["result"]["items"]]
    assert ids == list(range(1, 121))
    # PageNavigation pages: a start inside a page starts at that page's first row.
    assert listing(portal, {"entityTypeId": etid, "start": 75})["result"]["items"][0]["id"] == 51


def test_start_minus_one_skips_the_count(portal: SandboxPortal) -> None:
    etid, default, _ = spa_with_pipeline(portal)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:NEW", count=60)
    body = listing(portal, {"entityTypeId": etid, "start": -1})
    assert len(body["result"]["items"]) == 50
    assert "total" not in body and "next" not in body


def test_recycle_bin_items_are_not_listed(portal: SandboxPortal) -> None:
    etid, default, _ = spa_with_pipeline(portal)
    stage = f"DT{etid}_{default}:NEW"
    portal.add_items(etid, category_id=default, stage_id=stage, count=2)
    portal.add_items(etid, category_id=default, stage_id=stage, count=3, recycle_bin=True)
    portal.add_items(etid, category_id=default, stage_id=stage, count=1)
    body = listing(portal, {"entityTypeId": etid, "filter": {"stageId": stage}})
    assert body["total"] == 3
    # Deleted items keep their ids: the live ones after them do not move down.
    assert [i["id"] for i in body["result"]["items"]] == [1, 2, 6]


def test_fields_follow_the_type(portal: SandboxPortal) -> None:
    portal.add_items(3, category_id=0)  # contacts: pipelines but no stages
    assert listing(portal, {"entityTypeId": 3})["result"]["items"] == [{"id": 1, "entityTypeId": 3, "categoryId": 0}]
    portal.add_items(1, stage_id="NEW")  # leads: stages but no pipelines
    assert listing(portal, {"entityTypeId": 1})["result"]["items"] == [{"id": 1, "entityTypeId": 1, "stageId": "NEW"}]
    plain = ok(portal, "crm.type.add", {"fields": {"title": "No stages"}})["type"]["entityTypeId"]
    assert error(portal, {"entityTypeId": plain, "filter": {"stageId": "X"}}) == {
        "error": "INVALID_ARG_VALUE", "error_description": "Invalid filter: field 'stageId' is not allowed in filter",
    }


def test_unknown_type_and_bad_arguments(portal: SandboxPortal) -> None:
    not_found = {"error": "NOT_FOUND", "error_description": "SPA not found"}
    assert error(portal, {"entityTypeId": 1040}) == not_found
    assert error(portal, {"entityTypeId": 14}) == not_found  # orders are not crm.item types
    assert error(portal, {}) == {"error": 100, "error_description": "Could not find value for parameter {entityTypeId}"}
    assert error(portal, {"entityTypeId": 2, "filter": {"title": "x"}})["error_description"] == (
        "Invalid filter: field 'title' is not allowed in filter"
    )
    assert error(portal, {"entityTypeId": 2, "order": {"stageId": "UP"}})["error_description"] == (
        "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'stageId'"
    )
    etid = ok(portal, "crm.type.add", {"fields": {"title": "Gone"}})["type"]
    ok(portal, "crm.type.delete", {"id": etid["id"]})
    assert error(portal, {"entityTypeId": etid["entityTypeId"]}) == not_found


def test_counts_inside_batch(portal: SandboxPortal) -> None:
    etid, default, second = spa_with_pipeline(portal)
    portal.add_items(etid, category_id=default, stage_id=f"DT{etid}_{default}:NEW", count=7)
    portal.add_items(etid, category_id=second, stage_id=f"DT{etid}_{second}:NEW", count=2)
    cmd = {
        "all": f"crm.item.list?entityTypeId={etid}&select[]=id",
        "pipe": f"crm.item.list?entityTypeId={etid}&filter[categoryId]={second}&select[]=id",
        # "=" inside a key must be encoded: parse_str splits the pair at the first "=".
        "stage": f"crm.item.list?entityTypeId={etid}&filter[%3DstageId]=DT{etid}_{default}:NEW&select[]=id",
        "none": "crm.item.list?entityTypeId=1040",
    }
    result = ok(portal, "batch", {"halt": 0, "cmd": cmd})
    assert result["result_total"] == {"all": 9, "pipe": 2, "stage": 7}
    assert result["result"]["pipe"]["items"] == [{"id": 8}, {"id": 9}]
    assert result["result_error"]["none"]["error"] == "NOT_FOUND"
