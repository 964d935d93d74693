"""Read what the manifests manage from the portal, in as few requests as the API allows.

Round 1 is one batch: the first two pages of ``crm.type.list`` and every ``crm.status.list`` row
(that list is not paginated, so all stages of every pipeline come in one command). Then any further
type pages, and for each managed smart process ``crm.type.get`` (the list omits relations),
``crm.category.list`` and ``userfieldconfig.list`` on ``CRM_{id}`` once per label language (a list
carries the labels of the one language it selects); last, ``userfieldconfig.get`` for each
enumeration field (only ``get`` returns the items). 50 commands per request. A listing that comes
back short is an error, never "nothing exists".

CHOICE: labels are read in English plus the languages the manifests' label maps name, not in every
language of the portal: ``get`` per field would give them all, at one command per field (3000
fields: 60 requests instead of 9). So a plain-text label is compared in English only; a text
changed on the portal in another language alone goes unseen (README, "What the REST API cannot do").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from b24cfg.model import Address, Resource, State
from b24cfg.portal import Batch, Client
from b24cfg.portal.client import PAGE
from b24cfg.portal.errors import IncompleteListing, PortalError
from b24cfg.resources import field, pipeline, smart_process, stage


LABEL_LANGUAGE = "en"
"""The language a plain-text label is compared in (the portal writes it to every language)."""


def read(client: Client, codes: Iterable[str], titles: Iterable[str] = (), languages: Iterable[str] = ()) -> State:
    """The live State of the smart processes with these codes (and of code-less ones with these
    titles, which the planner may adopt), field labels in English and ``languages``."""
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
    state = _build(client, managed, statuses, names, sorted({LABEL_LANGUAGE, *languages}))
    state.taken = {int(t["entityTypeId"]): str(t.get("code") or f"#{t['id']} {t.get('title')!r}")
                   for t in types if t not in managed}
    return state


def _field_list(raw: Mapping[str, Any], language: str, start: int = 0) -> tuple[str, dict[str, Any]]:
    return ("userfieldconfig.list", {
        "moduleId": "crm", "filter": {"entityId": f"CRM_{raw['id']}"}, "select": {"0": "*", "language": language},
        "order": {"id": "ASC"}, "start": start,
    })


def _build(
    client: Client, managed: list[Mapping[str, Any]], statuses: list[Any], names: Mapping[int, str],
    languages: list[str],
) -> State:
    per = 2 + len(languages)
    commands: list[tuple[str, dict[str, Any]]] = []
    for raw in managed:
        commands += [("crm.type.get", {"id": raw["id"]}), ("crm.category.list", {"entityTypeId": raw["entityTypeId"]})]
        commands += [_field_list(raw, language) for language in languages]
    results, totals = _run_with_totals(client, commands)
    # Further pages of field lists (more than 50 fields on one smart process).
    more = [(i, language, start) for i in range(len(managed)) for n, language in enumerate(languages)
            for start in range(PAGE, totals[i * per + 2 + n], PAGE)]
    pages = _run(client, [_field_list(managed[i], language, start) for i, language, start in more])
    listed: dict[tuple[int, str], list[Any]] = {
        (i, language): list(results[i * per + 2 + n]["fields"])
        for i in range(len(managed)) for n, language in enumerate(languages)
    }
    for (i, language, _), page in zip(more, pages):
        listed[(i, language)].extend(page["fields"])
    merged = {i: _merge_languages([listed[(i, language)] for language in languages]) for i in range(len(managed))}
    # Only names in b24cfg's scheme (UF_CRM_{type id}_{CODE}) become resources; of those, only
    # enumerations need a get (for their items).
    wanted = [(i, row["id"]) for i in merged for row in merged[i] if row.get("userTypeId") == "enumeration"
              and field.code_of(str(row.get("fieldName", "")), int(managed[i]["id"]))]
    answers = _run(client, [("userfieldconfig.get", {"moduleId": "crm", "id": fid}) for _, fid in wanted])
    items: dict[tuple[int, str], list[Any]] = {}
    for (i, fid), answer in zip(wanted, answers):
        if isinstance(answer, Mapping) and isinstance(answer.get("field"), Mapping):
            items[(i, str(fid))] = list(answer["field"].get("enum") or [])
    full = {i: [{**row, "enum": items.get((i, str(row["id"])), [])} for row in merged[i]] for i in merged}

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


def _merge_languages(lists: list[list[Any]]) -> list[dict[str, Any]]:
    """One row per field, its ``editFormLabel`` holding every language read."""
    rows: dict[str, dict[str, Any]] = {}
    for fields in lists:
        for raw in fields:
            row = rows.setdefault(str(raw["id"]), {**raw, "editFormLabel": {}})
            label = raw.get("editFormLabel")
            if isinstance(label, Mapping):
                row["editFormLabel"].update({k: v for k, v in label.items() if v is not None})
    return list(rows.values())


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
