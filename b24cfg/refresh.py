"""Read what the manifests manage from the portal, in as few requests as the API allows.

Round 1 is one batch: the first two pages of ``crm.type.list``, every ``crm.status.list`` row
(that list is not paginated, so all stages of every pipeline, lead and quote statuses and plain
directories come in one command), and for each built-in entity read its ``crm.category.list`` and
one ``crm.{entity}.userfield.list`` per label language (neither is paginated, and enumeration items
come with the list), the first page of workplaces, and what the application registers (its
version, its options — the fingerprints — and the robot, activity, trigger, event and placement
lists, none of them paginated). Then any further
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

import re
from collections.abc import Mapping
from typing import Any

from b24cfg.manifest.schema import ITEM_CODE
from b24cfg.model import APPLICATION, STATUS_ENTITIES, Address, Resource, Scope, State
from b24cfg.portal import Batch, Client
from b24cfg.portal.client import PAGE
from b24cfg.portal.errors import IncompleteListing, PortalError
from b24cfg.resources import (
    entity_field, event_binding, field, pipeline, placement, robot, smart_process, stage, status, trigger, workplace,
)


LABEL_LANGUAGE = "en"
"""The language a plain-text label is compared in (the portal writes it to every language)."""


ENTITY_TYPE_IDS = {name: smart_process.BUILTIN_IDS[name] for name in ("lead", "deal", "contact", "company", "quote")}
PIPELINE_ENTITIES = ("deal", "contact", "company")
APP_LISTS = {"robot": "bizproc.robot.list", "activity": "bizproc.activity.list",
             "trigger": "crm.automation.trigger.list", "event": "event.get", "placement": "placement.get"}
"""How each kind the application registers is listed (codes only for robots and activities)."""


def read(client: Client, scope: Scope, *, every_smart_process: bool = False) -> State:
    """The live State of what ``scope`` names (``every_smart_process``: all of them, for export)."""
    codes, titles = set(scope.codes), set(scope.titles)
    first = Batch(halt=False)
    types_key = first.add("crm.type.list", {"order": {"id": "ASC"}, "start": 0}).key
    # A second page costs nothing inside the batch and saves a round trip on portals with 51-100 types.
    second_key = first.add("crm.type.list", {"order": {"id": "ASC"}, "start": PAGE}).key
    statuses_key = first.add("crm.status.list", {"order": {"SORT": "ASC"}}).key
    languages = sorted({LABEL_LANGUAGE, *scope.languages})
    # Built-in entities: pipelines and fields need no ids from anywhere, so they ride in this batch.
    entity_keys = {
        entity: (
            first.add("crm.category.list", {"entityTypeId": ENTITY_TYPE_IDS[entity]}).key
            if entity in PIPELINE_ENTITIES else None,
            [first.add(f"crm.{entity}.userfield.list", {"order": {"ID": "ASC"}, "filter": {"LANG": language}}).key
             for language in languages],
        )
        for entity in scope.entities
    }
    workplaces_key = first.add("crm.automatedsolution.list", {"order": {"id": "ASC"}, "start": 0}).key \
        if scope.workplaces else None
    app_keys = {name: first.add(method, {}).key for name, method in
                (("info", "app.info"), ("options", "app.option.get"), *((k, APP_LISTS[k]) for k in scope.app))} \
        if scope.app else {}
    answer = client.batch(first)
    _raise_errors(answer.errors)
    types = list(answer[types_key]["types"])
    total = answer.totals.get(types_key, len(types))
    if total > PAGE:
        types.extend(answer[second_key]["types"])
    pages = [("crm.type.list", {"order": {"id": "ASC"}, "start": start}) for start in range(2 * PAGE, total, PAGE)]
    workplaces: list[Any] = []
    if workplaces_key is not None:
        workplaces = list(answer[workplaces_key]["automatedSolutions"])
        solutions_total = answer.totals.get(workplaces_key, len(workplaces))
        pages += [("crm.automatedsolution.list", {"order": {"id": "ASC"}, "start": start})
                  for start in range(PAGE, solutions_total, PAGE)]
    for (method, _), page in zip(pages, _run(client, pages)):
        (types if method == "crm.type.list" else workplaces).extend(
            page["types"] if method == "crm.type.list" else page["automatedSolutions"])
    if len(types) != total:
        raise IncompleteListing(f"got {len(types)} of {total} smart processes", method="crm.type.list")
    statuses = list(answer[statuses_key])
    names = {int(t["entityTypeId"]): str(t["code"]) for t in types if t.get("code")}
    managed = types if every_smart_process else \
        [t for t in types if t.get("code") in codes or (not t.get("code") and t.get("title") in titles)]
    state = _build(client, managed, statuses, names, languages)
    state.taken = {int(t["entityTypeId"]): str(t.get("code") or f"#{t['id']} {t.get('title')!r}")
                   for t in types if t not in managed}
    state.type_ids = {str(t["code"]): int(t["id"]) for t in types if t.get("code")}
    rows_by_directory = _by_directory(statuses)
    for entity, (categories_key, field_keys) in entity_keys.items():
        fields = _merge_languages([list(answer[key]) for key in field_keys], languages)
        categories = list(answer[categories_key]["categories"]) if categories_key is not None else []
        _entity(state, entity, categories, rows_by_directory, fields, names)
    for directory in scope.directories:
        address = Address("directory", (directory,))
        state.add(Resource(address, {}, origin="portal"))
        for row in rows_by_directory.get(directory, []):
            _add_status(state, row, address)
    codes_by_id = {int(t["id"]): str(t.get("code") or f"#{t['id']}") for t in types}
    for raw in workplaces:
        state.add(workplace.read(raw, codes_by_id))
    if app_keys:
        _application(state, {name: answer[key] for name, key in app_keys.items()})
    return state


def _application(state: State, answers: Mapping[str, Any]) -> None:
    """The application (its version, which fingerprints are stamped with) and what it registered."""
    info = answers["info"] if isinstance(answers["info"], Mapping) else {}
    version = int(info.get("VERSION") or 0)
    state.add(Resource(APPLICATION, {}, {"version": version}, origin="portal"))
    # app.option.get answers [] when the application has no options (an empty PHP array).
    options = answers["options"] if isinstance(answers["options"], Mapping) else {}
    for kind in ("robot", "activity"):
        for code in answers.get(kind) or []:
            state.add(robot.read(kind, str(code), options, version))
    for raw in answers.get("trigger") or []:
        state.add(trigger.read(raw))
    taken: set[Address] = set()
    for raw in answers.get("event") or []:
        state.add(event_binding.read(raw, options, version, taken))
    for raw in answers.get("placement") or []:
        found = placement.read(raw, options, version)
        if found.address in state:
            continue  # a user-mode placement bound again for another user: one binding for b24cfg
        state.add(found)


def _by_directory(statuses: list[Any]) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    for row in statuses:
        rows.setdefault(str(row.get("ENTITY_ID")), []).append(row)
    return rows


def _add_status(state: State, row: Mapping[str, Any], parent: Address) -> None:
    found = status.read(row, parent)
    if re.fullmatch(ITEM_CODE, found.address.key[-1]):
        state.add(found)
    else:
        state.skipped.setdefault(parent, []).append(
            f"{found.address.key[-1]!r} ({found.attrs['name']}): a code b24cfg cannot address (A-Z, a-z, 0-9, _ and "
            "- only)")


def _entity(
    state: State, entity: str, categories: list[Any], rows_by_directory: Mapping[str, list[Any]],
    fields: list[dict[str, Any]], names: Mapping[int, str],
) -> None:
    """A built-in entity with its pipelines (and deal stages), lead/quote statuses and fields."""
    address = Address("entity", (entity,))
    state.add(Resource(address, {}, origin="portal"))
    for category in categories:
        live_pipeline = pipeline.read(category, address)
        state.add(live_pipeline)
        for row in rows_by_directory.get(str(live_pipeline.ids["stages"]), []) if entity == "deal" else []:
            state.add(stage.read(row, live_pipeline.address))
    if entity in STATUS_ENTITIES:
        for row in rows_by_directory.get(STATUS_ENTITIES[entity], []):
            _add_status(state, row, address)
    for raw in fields:
        found = entity_field.read(raw, address, names)
        if found is None:
            state.skipped.setdefault(address, []).append(
                f"field {raw.get('FIELD_NAME')}: a name outside the UF_CRM_ scheme")
        elif found.address not in state:
            state.add(found)


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
    rows_by_directory = _by_directory(statuses)
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
            if found is None:
                state.skipped.setdefault(sp.address, []).append(
                    f"field {raw_field.get('fieldName')}: a name outside the UF_CRM_{raw['id']}_ scheme")
            elif found.address not in state:
                state.add(found)
    return state


def _merge_languages(lists: list[list[Any]], languages: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per field, its label holding every language read. ``userfieldconfig.list`` gives a
    one-language map per call; ``crm.*.userfield.list`` gives the text of the ``LANG`` it was
    filtered by: pass the ``languages`` its lists were read in, in order."""
    rows: dict[str, dict[str, Any]] = {}
    key, id_key = ("EDIT_FORM_LABEL", "ID") if languages else ("editFormLabel", "id")
    for position, fields in enumerate(lists):
        for raw in fields:
            row = rows.setdefault(str(raw[id_key]), {**raw, key: {}})
            label = raw.get(key)
            if isinstance(label, Mapping):
                row[key].update({k: v for k, v in label.items() if v is not None})
            elif languages and label not in (None, ""):
                row[key][languages[position]] = label
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
