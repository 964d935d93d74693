"""Render a live State as manifest files: what ``b24cfg export`` writes (pure: no I/O, no network).

The files describe the portal as it is, so loading and compiling them gives back exactly the live
attributes and ``plan`` right after an export shows no changes. Output is byte-stable: the same
portal state always renders the same text (no timestamps, no portal address, no ids beyond what a
manifest needs, never a secret), so re-exports diff cleanly in git.

Decisions a user will notice
----------------------------
Files
  * ``smart-processes/<code>.yaml`` (kind SmartProcess), ``entities/<entity>.yaml`` (CrmEntity),
    ``directories/<entity id in lower case>.yaml`` (Directory), ``workplaces/<code>.yaml``
    (Workplace). The first line is the editor's schema modeline, as in the examples; what was left
    out (and why) follows as ``# Left out: ...`` comments, then ``# Note: ...`` for values written
    differently from the portal's.
Only what differs from a default is written
  * features: the switches that differ from the schema's defaults; ``linkedUserFields`` only with
    ``useInUserFields``. Fields: ``multiple``/``mandatory``/``showInFilter``/``searchable`` when
    true, ``editInList`` when false, ``sort`` when not 100, and only the ``settings`` whose value
    differs from what the portal stores for a field of that type when nothing is written.
  * ``entityTypeId`` is never written (the file promotes to other portals by code).
Always written
  * Both relation sides (also ``[]``: a written side is authoritative), every ``sort`` of
    pipelines, stages, statuses, enumeration items and directory items, ``fields`` (maybe ``[]``).
Codes and keys that the portal does not have
  * A smart process without a code gets one from its title (lower-case ASCII, other characters
    become ``_``; ``smart_process_<id>`` when that gives nothing usable or a built-in type name;
    ``_2``, ``_3``... against duplicates), with a comment: b24cfg adopts it by its title and writes
    the code on the first apply. Every reference to it (relations, crm-field targets, workplaces)
    uses that code. Workplaces get codes the same way (``workplace_<id>`` as fallback).
  * Pipeline keys: the slug of the name; the default pipeline gets ``main`` when its name gives no
    slug, others ``pipeline_<position>``; unique within the owner.
Order
  * Pipelines by (sort, id), stages/statuses/directory items by (sort, code), enumeration items by
    sort (then as the portal lists them), fields by code; keys in the order the schema declares.
Complete lists prune
  * A list written with every entry the portal has (pipelines, a pipeline's stages, statuses,
    fields, directory items) gets ``prune: true``, so applying the export to another portal makes
    its lists match exactly (losing data there still needs ``--allow-destroy``). A list with
    anything left out never prunes.
What cannot be written faithfully is left out, never written wrong
  * A field, a pipeline's stages, a relation side or a whole pipelines list that would not pass
    ``b24cfg validate`` or would not read back as the portal holds it is left out (the manifest
    then does not manage it) with a ``# Left out:`` comment saying why.
  * Sorts never decrease down a list (ties are kept); a portal sort below 1 is raised to 1 and
    noted, as the first apply will store it.
YAML
  * Text that YAML 1.2 would read as something else (``"123"``, ``"true"``, ``"#FF0000"``) is
    double-quoted; a literal ``${`` is written ``$${`` (the loader's variable escape).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from b24cfg.manifest.compile import SETTINGS_STORED, field_attrs, settings_value, stage_attrs, stored_settings
from b24cfg.manifest.schema import (
    BUILTIN_TYPES, ENTITY_FIELD_SETTINGS, ENTITY_FIELD_TARGETS, PLAIN_DIRECTORIES, SMART_PROCESS_CODE, CustomField,
    DirectoryItem, EntityField, Features, LinkedUserFields, Pipeline, Stage,
)
from b24cfg.model import ENTITIES, STATUS_ENTITIES, Address, Resource, State
from b24cfg.planner.diff import project

MODELINE = "# yaml-language-server: $schema=../../schemas/{kind}.json"
"""The editor modeline of the examples, relative to ``<manifests>/<folder>/<file>.yaml``."""
MAX_CODE = 50
FIELD_SORT_DEFAULT = 100
PIPELINE_ENTITIES = ("deal", "contact", "company")
"""Built-in entities with pipelines; only deal pipelines have stages."""


@dataclass(frozen=True)
class ExportFile:
    """One manifest file: a relative POSIX path and its text."""

    path: str
    text: str


# --- names -------------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """``text`` as a manifest code (``^[a-z][a-z0-9_]{0,49}$``), or "" when it gives none."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    code = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:MAX_CODE].rstrip("_")
    return code if re.fullmatch(SMART_PROCESS_CODE, code) else ""


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"_{number}"
        candidate = base[:MAX_CODE - len(suffix)].rstrip("_") + suffix
    taken.add(candidate)
    return candidate


def _number(resource: Resource, key: str = "id") -> int:
    """A portal id: from ``ids``, else from a ``#<id>`` address part."""
    value = resource.ids.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    last = resource.address.key[-1]
    return int(last[1:]) if re.fullmatch(r"#\d+", last) else 0


class _Names:
    """Manifest codes of smart processes and workplaces, invented where the portal has none."""

    def __init__(self, live: State) -> None:
        processes = live.of_kind("smart_process")
        self.code: dict[Address, str] = {}
        self.invented: set[Address] = set()
        self.title_shared: set[Address] = set()
        # Codes of every smart process on the portal: a subset export still names the ones it
        # does not describe (relations, crm targets, workplaces).
        taken = {r.address.key[0] for r in processes if not r.address.key[0].startswith("#")} | set(live.type_ids)
        for resource in processes:
            if not resource.address.key[0].startswith("#"):
                self.code[resource.address] = resource.address.key[0]
        codeless = sorted((r for r in processes if r.address.key[0].startswith("#")), key=_number)
        titles = [str(r.attrs.get("title", "")) for r in codeless]
        for resource in codeless:
            base = slug(str(resource.attrs.get("title", "")))
            if not base or base in BUILTIN_TYPES:
                base = f"smart_process_{_number(resource)}"
            self.code[resource.address] = _unique(base, taken)
            self.invented.add(resource.address)
            if titles.count(str(resource.attrs.get("title", ""))) > 1:
                self.title_shared.add(resource.address)
        self.known = set(self.code.values()) | set(live.type_ids)
        self.by_entity_type: dict[int, str] = {}
        self.by_id: dict[int, str] = {}
        for resource in processes:
            etid = resource.attrs.get("entityTypeId", resource.ids.get("entityTypeId"))
            if isinstance(etid, int):
                self.by_entity_type[etid] = self.code[resource.address]
            self.by_id[_number(resource)] = self.code[resource.address]
        self.workplace: dict[Address, str] = {}
        taken_workplaces: set[str] = set()
        workplaces = live.of_kind("workplace")
        for resource in workplaces:
            if not resource.address.key[0].startswith("#"):
                taken_workplaces.add(resource.address.key[0])
                self.workplace[resource.address] = resource.address.key[0]
        for resource in sorted((r for r in workplaces if r.address.key[0].startswith("#")), key=_number):
            base = slug(str(resource.attrs.get("title", "")))
            if not base or base in BUILTIN_TYPES:
                base = f"workplace_{_number(resource)}"
            self.workplace[resource.address] = _unique(base, taken_workplaces)

    def type_name(self, name: str) -> str | None:
        """A related type or crm-field target as manifests name it; None when it names nothing known."""
        match = re.fullmatch(r"#(?:DYNAMIC_)?(\d+)", name)
        if match:
            return self.by_entity_type.get(int(match.group(1)))
        return name if name in BUILTIN_TYPES or name in self.known else None

    def smart_process(self, name: str) -> str | None:
        """A workplace's smart process (code, or ``#<crm.type id>``) as a manifest code."""
        match = re.fullmatch(r"#(\d+)", name)
        if match:
            return self.by_id.get(int(match.group(1)))
        return name if name in self.known else None


# --- what goes into one file ----------------------------------------------------------------------------
@dataclass
class _Doc:
    kind: str
    path: str
    data: dict[str, Any]
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comments: dict[str, list[str]] = field(default_factory=dict)
    """Comment lines written above a top-level key."""
    complete: set[str] = field(default_factory=set)
    """Lists written with every entry the portal has (they get ``prune``)."""


def _problem(error: ValidationError) -> str:
    detail = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in detail["loc"])
    return f"{where}: {detail['msg']}" if where else str(detail["msg"])


def _validated(model: type[BaseModel], data: Mapping[str, Any]) -> tuple[BaseModel | None, str]:
    try:
        return model.model_validate(dict(data)), ""
    except ValidationError as error:
        return None, _problem(error)


def _reads_back(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    """The attributes of ``want`` that the live ``have`` (projected onto them) does not equal."""
    return [name for name, value in want.items() if project(value, have.get(name)) != value]


def _increasing(sorts: Sequence[int]) -> list[int]:
    """Sorts raised by the least amount so that they never decrease and are >= 1 (manifest rule;
    equal sorts are kept, as portals have them)."""
    out: list[int] = []
    for sort in sorts:
        out.append(max(sort, out[-1] if out else 1))
    return out


def _sort_of(resource: Resource) -> int:
    sort = resource.attrs.get("sort")
    return sort if isinstance(sort, int) and not isinstance(sort, bool) else 0


# --- stages, statuses, pipelines ---------------------------------------------------------------------
def _stages(resources: Iterable[Resource], what: str, doc: _Doc) -> list[dict[str, Any]] | None:
    """Stage (or status) entries in display order; None (with a reason) when they cannot be written."""
    rank = {"process": 0, "success": 1, "failure": 2}
    # Ties keep the portal's semantic order (process, success, failure), then go by code.
    ordered = sorted(resources, key=lambda r: (_sort_of(r), rank.get(str(r.attrs.get("semantics")), 0),
                                               r.address.key[-1]))
    sorts = _increasing([_sort_of(r) for r in ordered])
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    for resource, sort in zip(ordered, sorts):
        code, attrs = resource.address.key[-1], resource.attrs
        entry: dict[str, Any] = {"code": code, "name": attrs.get("name")}
        if attrs.get("color"):
            entry["color"] = attrs["color"]
        if attrs.get("semantics", "process") != "process":
            entry["semantics"] = attrs["semantics"]
        entry["sort"] = sort
        model, problem = _validated(Stage, entry)
        if model is None:
            doc.left_out.append(f"{what}: {code}: {problem}")
            return None
        assert isinstance(model, Stage)
        differ = _reads_back(stage_attrs(model), {**attrs, "sort": sort})
        if differ:
            doc.left_out.append(f"{what}: {code}: {', '.join(differ)} would not read back as the portal holds it")
            return None
        if sort != _sort_of(resource):
            notes.append(f"{what}: {code}: sort {_sort_of(resource)} written as {sort} (sorts are at least 1; "
                         "the first apply stores it)")
        entries.append(entry)
    semantics = [str(e.get("semantics", "process")) for e in entries]
    portal = ", ".join(f"{e['code']} ({s})" for e, s in zip(entries, semantics))
    order = {"process": 0, "success": 1, "failure": 2}
    if semantics.count("success") != 1 or "process" not in semantics or "failure" not in semantics \
            or [order.get(s, 0) for s in semantics] != sorted(order.get(s, 0) for s in semantics):
        doc.left_out.append(
            f"{what}: a manifest needs process stages, then exactly one success stage, then failure stages, in "
            f"sort order; the portal has {portal}"
        )
        return None
    doc.notes.extend(notes)
    return entries


def _pipeline_keys(pipelines: Sequence[Resource]) -> list[str]:
    taken: set[str] = set()
    keys = []
    for position, pipeline in enumerate(pipelines, 1):
        base = slug(str(pipeline.attrs.get("name", "")))
        if not base:
            base = "main" if pipeline.attrs.get("default") else f"pipeline_{position}"
        keys.append(_unique(base, taken))
    return keys


def _pipelines(live: State, owner: Address, doc: _Doc, with_stages: bool) -> list[dict[str, Any]] | None:
    pipelines = sorted(live.children(owner, "pipeline"), key=lambda r: (_sort_of(r), _number(r)))
    if not pipelines:
        return None
    names = [str(p.attrs.get("name", "")).strip().casefold() for p in pipelines]
    twice = sorted({str(p.attrs.get("name", "")) for p, n in zip(pipelines, names) if names.count(n) > 1})
    if twice:
        doc.left_out.append(f"pipelines: more than one pipeline is named {', '.join(map(repr, twice))}, and b24cfg "
                            "finds pipelines by name; rename them on the portal")
        return None
    defaults = [p for p in pipelines if p.attrs.get("default")]
    if len(pipelines) > 1 and len(defaults) != 1:
        doc.left_out.append(f"pipelines: {len(defaults)} of them are marked default on the portal, a manifest needs "
                            "exactly one")
        return None
    keys = _pipeline_keys(pipelines)
    sorts = _increasing([_sort_of(p) for p in pipelines])
    entries: list[dict[str, Any]] = []
    for pipeline, key, sort in zip(pipelines, keys, sorts):
        entry: dict[str, Any] = {"key": key, "name": pipeline.attrs.get("name"), "sort": sort}
        if len(pipelines) > 1 and pipeline.attrs.get("default"):
            entry["default"] = True
        model, problem = _validated(Pipeline, entry)
        if model is None:
            doc.left_out.append(f"pipelines: pipeline {key}: {problem}")
            return None
        assert isinstance(model, Pipeline)
        want = {"name": model.name, "sort": model.sort, "default": bool(entry.get("default", len(pipelines) == 1))}
        differ = _reads_back(want, {**pipeline.attrs, "sort": sort})
        if differ:
            doc.left_out.append(f"pipelines: pipeline {key}: {', '.join(differ)} would not read back as the portal "
                                "holds it")
            return None
        if sort != _sort_of(pipeline):
            doc.notes.append(f"pipeline {key}: sort {_sort_of(pipeline)} written as {sort} (sorts are at least 1; "
                             "the first apply stores it)")
        if with_stages:
            stages = _stages(live.children(pipeline.address, "stage"), f"stages of pipeline {key}", doc)
            if stages is not None:
                entry["stages"] = stages
                entry["prune"] = True  # every stage is listed: the list is the whole truth
        entries.append(entry)
    return entries


# --- fields ---------------------------------------------------------------------------------------------
def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _integer_text(value: str) -> bool:
    return re.fullmatch(r"-?(0|[1-9][0-9]*)", value) is not None


def _candidates(value: Any) -> list[Any]:
    """How a setting's live value may be written, in the order a person would write it."""
    out: list[Any] = []
    if isinstance(value, str):
        if _integer_text(value):
            out.append(int(value))
        else:
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and yaml.safe_dump(number).removesuffix("\n...\n") == value:
                out.append(number)
    out.append(value)
    return out


def _settings(user_type: str, live: Mapping[str, Any], where: str, doc: _Doc, entity: str | None) -> dict[str, Any]:
    """The settings to write: keys that differ from what the portal stores when nothing is written.

    Fields of built-in entities only take the keys ``crm.{entity}.userfield`` writes; another key
    that differs from its default is noted as left out."""
    rules: Mapping[str, Callable[[Any], Any]] | None = SETTINGS_STORED.get(user_type)
    if rules is None:
        return dict(sorted(live.items()))
    writable = ENTITY_FIELD_SETTINGS.get(user_type, frozenset()) if entity else None
    out: dict[str, Any] = {}
    for key in sorted(live):
        if key not in rules:
            continue  # not a setting b24cfg can write for this type: the portal keeps what it has
        value = live[key]
        if value == settings_value(rules[key](None)):
            continue
        if writable is not None and key not in writable:
            doc.left_out.append(f"{where}: settings.{key} ({_shown(value)}): crm.{entity}.userfield cannot write it")
            continue
        for candidate in _candidates(value):
            kept, warnings = stored_settings(user_type, {key: candidate})
            if kept.get(key) == value and not warnings:
                out[key] = candidate
                break
        else:
            doc.left_out.append(f"{where}: settings.{key} ({_shown(value)}): no written value makes the portal store "
                                "exactly this")
    return out


def _field(resource: Resource, names: _Names, doc: _Doc, entity: str | None) -> dict[str, Any] | None:
    code, attrs = resource.address.key[-1], resource.attrs
    where = f"field {code}"
    user_type = str(attrs.get("type", ""))
    label = attrs.get("label")
    entry: dict[str, Any] = {"code": code, "type": user_type,
                             "label": dict(sorted(label.items())) if isinstance(label, Mapping) else label}
    for name in ("multiple", "mandatory", "showInFilter"):
        if attrs.get(name):
            entry[name] = True
    if attrs.get("editInList") is False:
        entry["editInList"] = False
    if attrs.get("searchable"):
        entry["searchable"] = True
    if attrs.get("sort", FIELD_SORT_DEFAULT) != FIELD_SORT_DEFAULT:
        entry["sort"] = attrs["sort"]
    settings = _settings(user_type, attrs.get("settings") or {}, where, doc, entity)
    if settings:
        entry["settings"] = settings
    have = dict(attrs)
    if "items" in attrs:
        items = list(attrs["items"] or [])
        ordered = sorted(items, key=lambda item: int(item.get("sort") or 0))  # stable: portal order within ties
        sorts = _increasing([int(item.get("sort") or 0) for item in ordered])
        written = []
        for item, sort in zip(ordered, sorts):
            out: dict[str, Any] = {"value": item.get("value")}
            if item.get("xmlId"):
                out["xmlId"] = item["xmlId"]
            if item.get("default"):
                out["default"] = True
            out["sort"] = sort
            written.append(out)
            if sort != int(item.get("sort") or 0):
                doc.notes.append(f"{where}: item {_shown(item.get('value'))}: sort {item.get('sort')} written as "
                                 f"{sort} (sorts are at least 1; the first apply stores it)")
        entry["items"] = written
        have["items"] = [{**item, "sort": sort} for item, sort in zip(ordered, sorts)]
    if "targets" in attrs:
        targets = [(target, names.type_name(str(target))) for target in attrs["targets"] or []]
        unknown = [target for target, name in targets if name is None]
        if unknown:
            doc.left_out.append(f"{where}: targets {', '.join(unknown)} name no type b24cfg knows")
            return None
        entry["targets"] = sorted({name for _, name in targets if name is not None})
        have["targets"] = entry["targets"]
        foreign = [name for name in entry["targets"] if entity and name not in ENTITY_FIELD_TARGETS]
        if foreign:
            doc.left_out.append(f"{where}: crm.{entity}.userfield keeps no target {', '.join(foreign)}")
            return None
    if "directory" in attrs:
        entry["directory"] = attrs["directory"]
    problem = _field_problem(entry)
    if problem:
        doc.left_out.append(f"{where}: {problem}")
        return None
    model, problem = _validated(EntityField if entity else CustomField, entry)
    if model is None:
        doc.left_out.append(f"{where}: {problem}")
        return None
    assert isinstance(model, CustomField)
    differ = _reads_back(field_attrs(model), have)
    if differ:
        doc.left_out.append(f"{where}: {', '.join(differ)} would not read back as the portal holds it")
        return None
    return entry


def _field_problem(entry: Mapping[str, Any]) -> str:
    """What ``b24cfg validate`` would refuse in a field beyond its schema (validate.py check_fields)."""
    user_type = entry["type"]
    if user_type == "boolean" and entry.get("multiple"):
        return "a boolean field cannot be multiple in a manifest"
    if user_type == "enumeration":
        items = entry.get("items") or []
        if not items:
            return "an enumeration without items cannot be written"
        values = [item["value"] for item in items]
        xml_ids = [item["xmlId"] for item in items if "xmlId" in item]
        if len(set(values)) != len(values):
            return "two items have the same value"
        if len(set(xml_ids)) != len(xml_ids):
            return "two items have the same xmlId"
        if not entry.get("multiple") and sum(1 for item in items if item.get("default")) > 1:
            return "more than one item is the default of a single-value field"
    if user_type == "crm" and not entry.get("targets"):
        return "a crm field without targets cannot be written"
    if user_type == "crm_status" and not entry.get("directory"):
        return "a crm_status field without a directory cannot be written"
    return ""


def _fields(live: State, owner: Address, names: _Names, doc: _Doc) -> list[dict[str, Any]]:
    fields = sorted(live.children(owner, "field"), key=lambda r: r.address.key[-1])
    entity = owner.key[0] if owner.kind == "entity" else None
    entries = [entry for resource in fields if (entry := _field(resource, names, doc, entity)) is not None]
    if len(entries) == len(fields):
        doc.complete.add("fields")
    return entries


# --- one document per top-level resource -----------------------------------------------------------
def _features(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in Features.model_fields.items():
        alias = info.alias or name
        if alias == "linkedUserFields":
            continue
        value = bool(attrs.get(f"features.{alias}", info.default))
        if value != info.default:
            out[alias] = value
    if attrs.get("features.useInUserFields"):
        linked = {}
        for name, info in LinkedUserFields.model_fields.items():
            alias = info.alias or name
            value = bool(attrs.get(f"features.linkedUserFields.{alias}", info.default))
            if value != info.default:
                linked[alias] = value
        if linked:
            out["linkedUserFields"] = linked
    return out


def _relations(resource: Resource, code: str, names: _Names, doc: _Doc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in ("parents", "children"):
        entries = resource.attrs.get(f"relations.{side}")
        if entries is None:
            continue
        written = []
        problem = ""
        for entry in entries:
            name = names.type_name(str(entry.get("type")))
            if name is None:
                problem = f"{entry.get('type')} is no type b24cfg knows"
            elif name == code:
                problem = "a smart process cannot be related to itself in a manifest"
            elif side == "parents" and name in ("contact", "company"):
                problem = f"{name} is linked through features.client, not listed as a parent"
            elif side == "children" and name == "order":
                problem = "order cannot be a child in a manifest"
            else:
                relation: dict[str, Any] = {"type": name}
                if entry.get("showInCard"):
                    relation["showInCard"] = True
                written.append(relation)
        if problem:
            doc.left_out.append(f"relations.{side}: {problem}")
            continue
        out[side] = sorted(written, key=lambda r: str(r["type"]))
    return out


def _smart_process(live: State, resource: Resource, names: _Names) -> _Doc:
    code = names.code[resource.address]
    attrs = resource.attrs
    doc = _Doc("SmartProcess", f"smart-processes/{code}.yaml", {"kind": "SmartProcess", "code": code,
                                                                  "title": attrs.get("title")})
    if resource.address in names.invented:
        comment = ["The portal has no code for this smart process: b24cfg finds it by its title and writes this",
                   "code on the first apply."]
        if resource.address in names.title_shared:
            comment += ["Another smart process without a code has the same title, so b24cfg cannot tell them",
                        "apart: rename one of them on the portal first."]
        doc.comments["code"] = comment
    features = _features(attrs)
    if features:
        doc.data["features"] = features
    relations = _relations(resource, code, names, doc)
    if relations:
        doc.data["relations"] = relations
    with_stages = bool(attrs.get("features.stages"))
    if not with_stages and any(live.children(p.address, "stage") for p in live.children(resource.address, "pipeline")):
        doc.left_out.append("stages: the smart process has stages switched off, so its pipelines' stages are not "
                            "listed")
    pipelines = _pipelines(live, resource.address, doc, with_stages)
    if pipelines is not None:
        doc.data["pipelines"] = pipelines
        doc.complete.add("pipelines")
    fields = _fields(live, resource.address, names, doc)
    _prune(doc, ("pipelines", "fields"))
    doc.data["fields"] = fields
    return doc


def _prune(doc: _Doc, lists: Sequence[str]) -> None:
    """``prune`` for every list written in full (nothing in it left out): an export describes the
    portal completely, so applying it elsewhere makes that portal's lists match exactly. A list
    with something left out never prunes, or applying it would delete what it could not write."""
    prune = {name: True for name in lists if name in doc.complete}
    if prune:
        doc.data["prune"] = prune


def _entity(live: State, resource: Resource, names: _Names) -> _Doc:
    entity = resource.address.key[0]
    doc = _Doc("CrmEntity", f"entities/{entity}.yaml", {"kind": "CrmEntity", "entity": entity})
    if entity in PIPELINE_ENTITIES:
        pipelines = _pipelines(live, resource.address, doc, entity == "deal")
        if pipelines is not None:
            doc.data["pipelines"] = pipelines
            doc.complete.add("pipelines")
    if entity in STATUS_ENTITIES:
        statuses = _stages(live.children(resource.address, "status"), "statuses", doc)
        if statuses is not None:
            doc.data["statuses"] = statuses
            doc.complete.add("statuses")
    doc.data["fields"] = _fields(live, resource.address, names, doc)
    _prune(doc, ("pipelines", "statuses", "fields"))
    return doc


def _directory(live: State, resource: Resource) -> _Doc:
    directory = resource.address.key[0]
    doc = _Doc("Directory", f"directories/{directory.lower()}.yaml", {"kind": "Directory", "directory": directory})
    ordered = sorted(live.children(resource.address, "status"), key=lambda r: (_sort_of(r), r.address.key[-1]))
    sorts = _increasing([_sort_of(r) for r in ordered])
    items = []
    for item, sort in zip(ordered, sorts):
        code = item.address.key[-1]
        entry = {"code": code, "name": item.attrs.get("name"), "sort": sort}
        model, problem = _validated(DirectoryItem, entry)
        if model is None:
            doc.left_out.append(f"item {code}: {problem}")
            continue
        assert isinstance(model, DirectoryItem)
        if _reads_back({"name": model.name}, item.attrs):
            doc.left_out.append(f"item {code}: its name would not read back as the portal holds it")
            continue
        items.append(entry)
        if sort != _sort_of(item):
            doc.notes.append(f"item {code}: sort {_sort_of(item)} written as {sort} (sorts are at least 1; "
                             "the first apply stores it)")
    doc.data["items"] = items
    if len(items) == len(ordered):
        doc.data["prune"] = True
    return doc


def _workplace(resource: Resource, names: _Names) -> _Doc:
    code = names.workplace[resource.address]
    doc = _Doc("Workplace", f"workplaces/{code}.yaml", {"kind": "Workplace", "code": code,
                                                          "title": resource.attrs.get("title")})
    processes = set()
    for name in resource.attrs.get("smartProcesses") or []:
        found = names.smart_process(str(name))
        if found is None:
            doc.left_out.append(f"smartProcesses: {name} is no smart process b24cfg knows")
        else:
            processes.add(found)
    doc.data["smartProcesses"] = sorted(processes)
    return doc


# --- YAML --------------------------------------------------------------------------------------------------
_MISREAD = re.compile(
    r"(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)
"""Plain scalars the manifest loader (YAML 1.2 core schema) reads as something other than text."""


class _Flow(dict[str, Any]):
    """A mapping written on one line (enumeration items, label maps), as the examples do."""


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; double quotes where quotes are needed, as in the examples."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: _Dumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if _MISREAD.fullmatch(value) else None)


def _represent_list(dumper: _Dumper, value: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, (dict, list)) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_flow(dumper: _Dumper, value: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_Flow, _represent_flow)


def _prepared(value: Any, path: tuple[str, ...] = ()) -> Any:
    """``value`` ready to dump: ``${`` escaped in text, flow style where the examples use it."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, Mapping):
        out = {str(k): _prepared(v, (*path, str(k))) for k, v in value.items()}
        return _Flow(out) if path[-1:] in (("label",), ("items",)) else out
    if isinstance(value, (list, tuple)):
        return [_prepared(item, path) for item in value]
    return value


def _dump(key: str, value: Any) -> str:
    return yaml.dump(
        {key: _prepared(value, (key,))}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
        default_flow_style=False, width=1000,
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _text(doc: _Doc, notes: Sequence[str]) -> str:
    lines = [MODELINE.format(kind=doc.kind)]
    left_out = sorted({_one_line(n) for n in [*notes, *doc.left_out]})
    written = sorted({_one_line(n) for n in doc.notes})
    if left_out or written:
        lines.append("#")
        lines.extend(f"# Left out: {note}" for note in left_out)
        lines.extend(f"# Note: {note}" for note in written)
    text = "\n".join(lines) + "\n"
    for key, value in doc.data.items():
        if isinstance(value, (Mapping, list)):
            text += "\n"
        text += "".join(f"# {line}\n" for line in doc.comments.get(key, []))
        text += _dump(key, value)
    return text


def _top(address: Address) -> Address:
    *_, top = (address, *address.ancestors())
    return top


def render(live: State, notes: Mapping[Address, Sequence[str]] = {}) -> list[ExportFile]:
    """The manifest files describing ``live``, sorted by path; ``notes`` (reasons the reader left
    something out, by top-level address) become ``# Left out:`` comments of that resource's file."""
    names = _Names(live)
    docs: dict[Address, _Doc] = {}
    for resource in live.of_kind("smart_process"):
        docs[resource.address] = _smart_process(live, resource, names)
    for resource in live.of_kind("entity"):
        if resource.address.key[0] in ENTITIES:
            docs[resource.address] = _entity(live, resource, names)
    for resource in live.of_kind("directory"):
        if resource.address.key[0] in PLAIN_DIRECTORIES:  # the only ones a Directory manifest describes
            docs[resource.address] = _directory(live, resource)
    for resource in live.of_kind("workplace"):
        docs[resource.address] = _workplace(resource, names)
    by_file: dict[Address, list[str]] = {}
    for address, texts in notes.items():
        by_file.setdefault(_top(address), []).extend(texts)
    files = [ExportFile(doc.path, _text(doc, by_file.get(address, []))) for address, doc in docs.items()]
    return sorted(files, key=lambda f: f.path)
