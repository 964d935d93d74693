"""Read what the manifests manage from the portal, in as few requests as the API allows.

Round 1 is one batch: the first two pages of ``crm.type.list`` and every ``crm.status.list`` row
(that list is not paginated, so all stages of every pipeline come in one command). Then any further
type pages, and for each managed smart process ``crm.type.get`` (the list omits relations),
``crm.category.list`` and ``userfieldconfig.list`` on ``CRM_{id}``; last, ``userfieldconfig.get``
for each field: only ``get`` returns the labels of every language at once (a list carries the labels
of the one language it selects, so a label written in another language would go unseen) and the
items of an enumeration. 50 commands per request. A listing that comes back short is an error,
never "nothing exists".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from b24cfg.model import Address, Resource, State
from b24cfg.portal import Batch, Client
from b24cfg.portal.client import PAGE
from b24cfg.portal.errors import IncompleteListing, PortalError
from b24cfg.resources import field, pipeline, smart_process, stage


def read(client: Client, codes: Iterable[str], titles: Iterable[str] = ()) -> State:
    """The live State of the smart processes with these codes (and of code-less ones with these
    titles, which the planner may adopt), field labels in every language the portal holds."""
    codes, titles = set(codes), set(titles)
    first = Batch(halt=False)
    types_key = first.add("crm.type.list", {"order": {"id": "ASC"}, "start": 0}).key
    # A second page costs nothing inside the batch and saves a round trip on portals with 51-100 types.
    second_key = first.add("crm.type.list", {"order": {"id": "ASC"}, "start": PAGE}).key
    statuses_key = first.add("crm.status.list", {"order": {"SORT": "ASC"}}).key
    answer = client.batch(first)
    _raise_errors(answer.errors)
    types = list(answer[types_key]["types"])
    total = answer.totals.get(types_key, len(types))
    if total > PAGE:
        types.extend(answer[second_key]["types"])
    pages = [("crm.type.list", {"order": {"id": "ASC"}, "start": start}) for start in range(2 * PAGE, total, PAGE)]
    for page in _run(client, pages):
        types.extend(page["types"])
    if len(types) != total:
        raise IncompleteListing(f"got {len(types)} of {total} smart processes", method="crm.type.list")
    statuses = list(answer[statuses_key])
    names = {int(t["entityTypeId"]): str(t["code"]) for t in types if t.get("code")}
    managed = [t for t in types if t.get("code") in codes or (not t.get("code") and t.get("title") in titles)]
    state = _build(client, managed, statuses, names)
    state.taken = {int(t["entityTypeId"]): str(t.get("code") or f"#{t['id']} {t.get('title')!r}")
                   for t in types if t not in managed}
    return state


def _field_list(raw: Mapping[str, Any], start: int = 0) -> tuple[str, dict[str, Any]]:
    return ("userfieldconfig.list", {
        "moduleId": "crm", "filter": {"entityId": f"CRM_{raw['id']}"}, "order": {"id": "ASC"}, "start": start,
    })


def _build(client: Client, managed: list[Mapping[str, Any]], statuses: list[Any], names: Mapping[int, str]) -> State:
    per = 3
    commands: list[tuple[str, dict[str, Any]]] = []
    for raw in managed:
        commands += [("crm.type.get", {"id": raw["id"]}), ("crm.category.list", {"entityTypeId": raw["entityTypeId"]}),
                     _field_list(raw)]
    results, totals = _run_with_totals(client, commands)
    # Further pages of field lists (more than 50 fields on one smart process).
    more = [(i, start) for i in range(len(managed)) for start in range(PAGE, totals[i * per + 2], PAGE)]
    pages = _run(client, [_field_list(managed[i], start) for i, start in more])
    listed: dict[int, list[Any]] = {i: list(results[i * per + 2]["fields"]) for i in range(len(managed))}
    for (i, _), page in zip(more, pages):
        listed[i].extend(page["fields"])
    # Only names in b24cfg's scheme (UF_CRM_{type id}_{CODE}) become resources: the rest is not read in full.
    wanted = [(i, row["id"]) for i in listed for row in listed[i]
              if field.code_of(str(row.get("fieldName", "")), int(managed[i]["id"]))]
    answers = _run(client, [("userfieldconfig.get", {"moduleId": "crm", "id": fid}) for _, fid in wanted])
    full: dict[int, list[Mapping[str, Any]]] = {i: [] for i in listed}
    for (i, _), answer in zip(wanted, answers):
        if isinstance(answer, Mapping) and isinstance(answer.get("field"), Mapping):
            full[i].append(answer["field"])  # None: deleted between the list and the get

    state = State()
    rows_by_directory: dict[str, list[Any]] = {}
    for row in statuses:
        rows_by_directory.setdefault(str(row.get("ENTITY_ID")), []).append(row)
    for i, raw in enumerate(managed):
        sp = smart_process.read(results[i * per]["type"], names)
        state.add(sp)
        for category in results[i * per + 1]["categories"]:
            live_pipeline = pipeline.read(category, sp.address)
            state.add(live_pipeline)
            for row in rows_by_directory.get(f"DYNAMIC_{raw['entityTypeId']}_STAGE_{category['id']}", []):
                state.add(stage.read(row, live_pipeline.address))
        for raw_field in full[i]:
            found = field.read(raw_field, sp.address, int(raw["id"]), names)
            if found is not None and found.address not in state:
                state.add(found)
    return state


def _raise_errors(errors: Mapping[str, PortalError]) -> None:
    for error in errors.values():
        raise error


def _run_with_totals(client: Client, commands: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[int]]:
    """Independent reads, 50 per request; results and totals in command order; any error raises."""
    results: list[Any] = []
    totals: list[int] = []
    for answer in client.batches(commands, halt=False):
        _raise_errors(answer.errors)
        for command in answer.batch.commands:
            if command.key not in answer.results:
                raise IncompleteListing("a read in a batch did not run", method=command.method)
            results.append(answer.results[command.key])
            totals.append(answer.totals.get(command.key, 0))
    return results, totals


def _run(client: Client, commands: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return _run_with_totals(client, commands)[0]


def count_items(client: Client, queries: Mapping[Address, tuple[int, Mapping[str, Any]]]) -> dict[Address, int]:
    """How many CRM items each address holds: ``crm.item.list`` totals, 50 queries per request."""
    addresses = sorted(queries)
    commands = [
        ("crm.item.list", {"entityTypeId": queries[a][0], "filter": dict(queries[a][1]), "select": ["id"]})
        if queries[a][1] else ("crm.item.list", {"entityTypeId": queries[a][0], "select": ["id"]})
        for a in addresses
    ]
    results, totals = _run_with_totals(client, commands)
    return {a: totals[i] if totals[i] else len(results[i].get("items", [])) for i, a in enumerate(addresses)}
