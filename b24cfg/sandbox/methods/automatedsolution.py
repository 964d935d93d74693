"""Digital workplaces: ``crm.automatedsolution.{fields,add,update,get,list,delete}`` (reference crm §8).

An Engine controller (``Bitrix\\Crm\\Controller\\AutomatedSolution``): camelCase parameters read
literally, ints in the output, results wrapped in ``automatedSolution``/``automatedSolutions``
(except ``fields``), errors with the Engine codes the docs list.

State: ``state["automated_solutions"][str(id)] = {"id", "title", "customSectionId"}``. A workplace
owns an intranet custom section whose id differs from the workplace id (reference crm §8, last
point), and a smart process belongs to a workplace when its record in ``state["types"]`` (owned by
methods/crm.py) carries that ``customSectionId``. ``typeIds`` are therefore derived from the types,
so a type moved or deleted through ``crm.type.*`` shows up here without any bookkeeping.

Portal options read here:
  ``automated_solution_limit`` (int | None, default None): how many workplaces the plan allows;
  ``add`` beyond it answers ``LIMIT_EXCEEDED``. None means unlimited.
"""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox import ormfilter
from b24cfg.sandbox.core import Call, Listed, RestError, State, as_int, method, paginate, php_list, seeder

ALLOWED_LIST_FIELDS = ("id", "title")


@seeder
def _seed(state: State) -> None:
    state.setdefault("automated_solutions", {})


def _solutions(call: Call) -> dict[str, dict[str, Any]]:
    return call.state.setdefault("automated_solutions", {})  # type: ignore[no-any-return]


def _types(call: Call) -> dict[str, dict[str, Any]]:
    return call.state.get("types", {})  # type: ignore[no-any-return]


def _type_ids(call: Call, solution: dict[str, Any]) -> list[int]:
    section = solution["customSectionId"]
    return sorted(int(t["id"]) for t in _types(call).values() if t.get("customSectionId") == section)


def _public(call: Call, solution: dict[str, Any]) -> dict[str, Any]:
    return {"id": solution["id"], "title": solution["title"], "typeIds": _type_ids(call, solution)}


def _require_admin(call: Call) -> None:
    # "can edit automated solutions" is a CRM-admin right; the docs' example text (list page).
    if not call.is_admin:
        raise RestError("ACCESS_DENIED", "Insufficient permissions")


def _required_id(call: Call) -> int:
    value = call.exact("id")
    if value is None:
        raise RestError(100, "Could not find value for parameter {id}")
    return as_int(value)


def _fields(call: Call) -> dict[str, Any]:
    fields = call.exact("fields")
    return fields if isinstance(fields, dict) else {}


def _normalise_type_ids(value: Any) -> list[int]:
    """``ArrayHelper::normalizeArrayValuesByInt``: positive ints, once each. Ids that are not
    ``crm.type`` ids bind nothing, so they are silently ignored (reference crm §8)."""
    raw = php_list(value)
    values = raw if raw is not None else [value]
    return sorted({n for n in (as_int(v) for v in values) if n > 0})


def _bind(call: Call, solution: dict[str, Any], type_ids: list[int]) -> None:
    """``setTypeBindingsInAutomatedSolution``: the listed types move here (out of the CRM or another
    workplace); types of this workplace that are not listed go back to the CRM."""
    section = solution["customSectionId"]
    for record in _types(call).values():
        if int(record["id"]) in type_ids:
            record["customSectionId"] = section
        elif record.get("customSectionId") == section:
            record["customSectionId"] = None


def _get_or_404(call: Call, solution_id: int) -> dict[str, Any]:
    solution = _solutions(call).get(str(solution_id))
    if solution is None:
        raise RestError("NOT_FOUND", "Digital workplace with such id not found")
    return solution


@method("crm.automatedsolution.fields", scope="crm")
def fields(call: Call) -> dict[str, Any]:
    _require_admin(call)

    def info(kind: str, upper: str, *, required: bool = False, read_only: bool = False, multiple: bool = False) -> dict[str, Any]:
        return {
            "type": kind, "isRequired": required, "isReadOnly": read_only, "isImmutable": False,
            "isMultiple": multiple, "isDynamic": False, "title": upper, "upperName": upper,
        }

    # Unlike crm.type.fields the map is not wrapped in "fields" (reference crm §8).
    return {
        "id": info("integer", "ID", read_only=True),
        "title": info("string", "TITLE", required=True),
        "typeIds": info("crm_dynamic_type", "TYPE_IDS", multiple=True),
    }


@method("crm.automatedsolution.add", scope="crm")
def add(call: Call) -> dict[str, Any]:
    _require_admin(call)
    limit = call.portal.options.get("automated_solution_limit")
    if limit is not None and len(_solutions(call)) >= int(limit):
        raise RestError("LIMIT_EXCEEDED", "The number of available digital workspaces has been exceeded")
    data = _fields(call)
    title = str(data.get("title") or "").strip()
    if not title:
        raise RestError("BX_EMPTY_REQUIRED", "The required field 'Title' is not filled")
    solution_id = call.next_id("automated_solution")
    # CHOICE: custom sections get their own sequence, so workplace id and section id differ as the
    # docs warn they do (crm-automated-solution-get.md).
    solution = {"id": solution_id, "title": title, "customSectionId": call.next_id("custom_section")}
    _solutions(call)[str(solution_id)] = solution
    _bind(call, solution, _normalise_type_ids(data.get("typeIds", [])))
    return {"automatedSolution": _public(call, solution)}


@method("crm.automatedsolution.update", scope="crm")
def update(call: Call) -> dict[str, Any]:
    _require_admin(call)
    solution = _get_or_404(call, _required_id(call))
    data = _fields(call)
    if "title" in data:
        title = str(data["title"] or "").strip()
        if not title:
            # The server's CanNotBeEmptied guard; the text is the update page's.
            raise RestError("BX_EMPTY_REQUIRED", "Required field is not filled")
        solution["title"] = title
    # Unpassed keys keep their values; a passed typeIds replaces the whole set (docs warning).
    if "typeIds" in data:
        _bind(call, solution, _normalise_type_ids(data["typeIds"]))
    return {"automatedSolution": _public(call, solution)}


@method("crm.automatedsolution.get", scope="crm")
def get(call: Call) -> dict[str, Any]:
    _require_admin(call)
    return {"automatedSolution": _public(call, _get_or_404(call, _required_id(call)))}


def _validated_order(call: Call) -> list[tuple[str, str]]:
    order = call.exact("order")
    if not isinstance(order, dict) or not order:
        return [("id", "ASC")]
    out: list[tuple[str, str]] = []
    for field, direction in order.items():
        if field not in ALLOWED_LIST_FIELDS:
            raise RestError("INVALID_ARG_VALUE", f"Invalid order: field '{field}' is not allowed in order")
        if str(direction).upper() not in ("ASC", "DESC"):
            raise RestError(
                "INVALID_ARG_VALUE",
                f"Invalid order: allowed sort directions are ASC, DESC. But got '{direction}' for field '{field}'",
            )
        out.append((field, str(direction).upper()))
    return out


def _validated_filter(call: Call) -> dict[str, Any]:
    flt = ormfilter.group(call.exact("filter"))
    if flt is None:
        return {}
    for _op, field in ormfilter.conditions(flt):
        if field not in ALLOWED_LIST_FIELDS:
            raise RestError("INVALID_ARG_VALUE", f"Invalid filter: field '{field}' is not allowed in filter")
    return flt


@method("crm.automatedsolution.list", scope="crm")
def list_(call: Call) -> Listed:
    _require_admin(call)
    order = _validated_order(call)
    flt = _validated_filter(call)

    def get_field(row: dict[str, Any], field: str) -> Any:
        return row.get(field)

    rows = [s for s in _solutions(call).values() if ormfilter.matches(s, flt, get_field)]
    rows = ormfilter.sort_rows(rows, order, get_field)
    page = paginate([_public(call, s) for s in rows], call.exact("start"))
    return Listed({"automatedSolutions": page.result}, total=page.total, next=page.next)


@method("crm.automatedsolution.delete", scope="crm")
def delete(call: Call) -> None:
    _require_admin(call)
    solution = _solutions(call).get(str(_required_id(call)))
    if solution is None:
        return None  # deleting a missing workplace is a silent success (reference crm §8)
    if _type_ids(call, solution):
        raise RestError("HAS_BOUND_TYPES", "Cannot delete the workplace that has SPAs. Move them to another workplace")
    del _solutions(call)[str(solution["id"])]
    return None
