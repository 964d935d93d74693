"""Load manifests and check everything about them, reporting every problem at once.

``load_manifests`` runs in three passes, each collecting problems instead of stopping:

1. the loader (YAML syntax, duplicate keys, variables — see ``loader.py``);
2. the schema, per document: ``kind``, unknown keys, types, charsets and ranges (``schema.py``),
   with pydantic's error ``loc`` mapped back to ``file:line:column``;
3. the rules that relate values: uniqueness, stage semantics and order, defaults, references
   between manifests, relation consistency, and what the portal would silently ignore.

Pass 3 also runs on documents that failed pass 2: each part (features, relations, every pipeline,
every field, every automation step) is checked on its own when it is valid, so a typo in one field
does not hide a stage-order problem in the same file. Uniqueness across a list (pipeline keys and
names, field codes) is checked on the written values, so it holds even for invalid entries. What
a part's own schema problem hides (the stage rules of a pipeline with a broken stage, the
one-default rule while a pipeline is broken) shows up once that problem is fixed: reporting it
from half-read data would invent problems that are not there.

Decisions a user will notice (rules beyond the single-value checks in ``schema.py``)
------------------------------------------------------------------------------------
* Smart-process codes and pinned entityTypeIds are unique across all manifests.
* Pipelines: keys unique; names unique ignoring case (pipelines are matched by name); a listed
  ``pipelines`` is never empty (the portal always keeps a default pipeline); exactly one default;
  more than one pipeline needs ``features.pipelines: true`` (the portal refuses otherwise).
* Stages: codes unique per pipeline; at least one process, exactly one success and at least one
  failure stage; in list order process stages, then the success stage, then failure stages
  (the portal's deal rule, applied to every pipeline); sorts never decrease down the list (the
  same holds for pipelines and enumeration items; equal sorts are allowed, as portals have them); listing stages needs ``features.stages: true``.
* Features: ``automation`` needs ``stages``; ``linkedUserFields`` need ``useInUserFields`` — the
  portal silently ignores them otherwise.
* Relations: the type exists (built-in, or a smart-process code in these manifests); no relation
  to itself; no duplicates per side; contact/company are not parents (``features.client`` links
  them); order is not a child. The portal stores one link per pair, so when both smart processes
  are in the manifests: a side that is listed must include the link the other side declares
  (else applying it would remove the link), and explicit ``showInCard`` values must agree.
* Fields: codes unique; ``items``/``targets``/``directory`` only on their type and required there;
  a boolean field is never multiple; ``showInList: false`` is refused (userfieldconfig ignores
  showInList, so the portal could never be made to match); enumeration xmlIds and values unique; one default item unless
  multiple; crm targets resolve (not ``order``); ``settings`` keys that b24cfg derives from
  ``targets`` / ``directory`` are refused.
* Prune: ``prune.pipelines`` / ``prune.fields`` / a pipeline's ``prune`` need the list they prune
  to be written (``fields: []`` to really delete every field) — pruning against a missing list
  would delete everything.
* Automation: needs ``features.automation`` and listed pipelines; every step names a listed stage
  of an existing pipeline (the default one when ``pipeline`` is left out), each stage at most once.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from b24cfg.errors import ManifestError
from b24cfg.manifest.loader import DataPath, Document, load_documents
from b24cfg.manifest.problems import Location, Problem
from b24cfg.manifest.schema import (
    BUILTIN_TYPES, ENTITY_FIELD_SETTINGS, ENTITY_FIELD_TARGETS, FIELD_TARGET_TYPES, KINDS, Activity, Application,
    AutomationStep, CrmEntity, EventBinding, PlacementBinding, Robot, RobotProperty, Trigger,
    CustomField, Directory, EntityField, EntityPrune, Features, ManifestModel, Pipeline, Prune, Relation, Relations,
    SmartProcess, Stage, Workplace, effective_sorts,
)

_Model = TypeVar("_Model", bound=ManifestModel)

# Settings keys b24cfg writes itself from ``targets`` / ``directory``; a second source would fight it.
_DERIVED_SETTINGS: dict[str, tuple[str, frozenset[str]]] = {
    "crm": ("targets", frozenset({"LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "ORDER", "INVOICE", "SMART_INVOICE"})),
    "crm_status": ("directory", frozenset({"ENTITY_TYPE"})),
}


Spec = SmartProcess | CrmEntity | Directory | Workplace | Application
"""A manifest of any kind, as the schema read it."""


@dataclass(frozen=True)
class Manifest:
    """A manifest that passed the schema, with the document it was read from."""

    spec: Spec
    document: Document

    def where(self, *path: str | int) -> Location:
        """Where the value at ``path`` (YAML keys and list indices) was written, e.g. ``where("fields", 0)``."""
        return self.document.location(path)


SmartProcessManifest = Manifest
"""The name of ``Manifest`` from when smart processes were the only kind."""


def load_manifests(
    paths: Iterable[str | os.PathLike[str]], variables: Mapping[str, str] | None = None,
) -> tuple[list[Manifest], list[Problem]]:
    """Read and check every manifest under ``paths``.

    Returns the manifests whose documents passed the schema, and every problem found, sorted
    by location. Nothing may be planned from the manifests unless the problem list is empty.
    """
    documents, problems = load_documents(paths, variables)
    checker = _Checker(problems)
    parts = [found for document in documents if (found := checker.read(document)) is not None]
    checker.check(parts)
    manifests = [Manifest(part.spec, part.document) for part in parts if part.spec is not None]
    return manifests, sorted(set(problems))


def load_manifests_or_raise(
    paths: Iterable[str | os.PathLike[str]], variables: Mapping[str, str] | None = None,
) -> list[Manifest]:
    """``load_manifests``, raising ``ManifestError`` with every problem when there is any."""
    manifests, problems = load_manifests(paths, variables)
    if problems:
        raise ManifestError(problems)
    return manifests


@dataclass(frozen=True)
class _Parts:
    """A SmartProcess document split into the parts that passed the schema on their own.

    A part is None when it is invalid (its problems are already reported); lists keep the index of
    each valid entry so problems point at the right one.
    """

    document: Document
    spec: Spec | None
    kind: str
    code: str | None
    entity_type_id: int | None
    features: Features | None
    relations: Relations | None
    pipelines: list[tuple[int, Pipeline]] | None
    prune: Prune | None
    fields: list[tuple[int, CustomField]] | None
    automation: list[tuple[int, AutomationStep]] | None

    def written(self, *path: str | int) -> bool:
        return path in self.document.values

    def all_pipelines_valid(self) -> bool:
        """Whether every listed pipeline passed the schema: rules about the set need all of them."""
        written = self.document.data.get("pipelines")
        return self.pipelines is not None and isinstance(written, list) and len(self.pipelines) == len(written)

    def default_pipeline(self) -> Pipeline | None:
        if not self.all_pipelines_valid():
            return None
        pipelines = [pipeline for _, pipeline in self.pipelines or []]
        if len(pipelines) == 1 and pipelines[0].default is None:
            return pipelines[0]
        defaults = [pipeline for pipeline in pipelines if pipeline.default]
        return defaults[0] if len(defaults) == 1 else None


def _one(model: type[_Model], data: dict[str, Any], key: str) -> _Model | None:
    try:
        return model.model_validate(data[key]) if key in data else model()
    except ValidationError:
        return None


def _many(model: type[_Model], data: dict[str, Any], key: str) -> list[tuple[int, _Model]] | None:
    entries = data.get(key)
    if not isinstance(entries, list):
        return None
    valid: list[tuple[int, _Model]] = []
    for index, entry in enumerate(entries):
        try:
            valid.append((index, model.model_validate(entry)))
        except ValidationError:
            continue
    return valid


def _written_texts(entries: Any, key: str) -> list[tuple[int, str]]:
    """``(index, text)`` of ``key`` in each mapping of a written list, where it is text.

    Uniqueness across a list is checked on what was written, so an entry with an unrelated schema
    problem still counts as a duplicate.
    """
    if not isinstance(entries, list):
        return []
    return [(index, entry[key]) for index, entry in enumerate(entries)
            if isinstance(entry, dict) and isinstance(entry.get(key), str)]


def _suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing.

    Case slips and plurals ("contacts" for "contact") come first: spelling distance alone would
    offer "contracts".
    """
    options = list(choices)
    by_case = {choice.casefold(): choice for choice in options}
    match = by_case.get(word.casefold()) or by_case.get(word.casefold().removesuffix("s")) \
        or next(iter(difflib.get_close_matches(word, options, n=1)), None)
    return f" (did you mean '{match}'?)" if match else ""


def _readable(path: Sequence[str | int]) -> str:
    """``pipelines[0].stages[2].code`` for a data path."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def _unwrap(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [member for member in get_args(annotation) if member is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(path: Sequence[str | int], root: type[ManifestModel] = SmartProcess) -> type[ManifestModel] | None:
    """The manifest model that validates the value at ``path`` of a document of kind ``root``."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            current = next((info.annotation for info in current.model_fields.values() if info.alias == part), None)
            if current is None:
                return None
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, ManifestModel) else None


def _allowed_keys(model: type[ManifestModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _shown(value: Any) -> str:
    """A written value as the user would recognise it in YAML."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    return "a list" if isinstance(value, list) else "a mapping"


def _describe(error: ErrorDetails, root: type[ManifestModel] = SmartProcess) -> str:
    """A pydantic error as a sentence saying what is wrong and what to write instead."""
    loc, kind, value, context = error["loc"], error["type"], error["input"], error.get("ctx", {})
    if kind == "manifest":
        return error["msg"]
    if kind == "missing":
        model = _model_at(loc[:-1], root)
        noun = model.noun if model else "this entry"
        return f"{noun} is missing the required key '{loc[-1]}'; add it"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], root)
        if model is None:
            return f"unknown key '{loc[-1]}'; remove it"
        allowed = _allowed_keys(model)
        return f"unknown key '{loc[-1]}' in {model.noun}{_suggest(str(loc[-1]), allowed)}; allowed: {', '.join(allowed)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"{_shown(value)} is not allowed here{_suggest(str(value), options)}; use one of: {', '.join(options)}"
    if kind == "string_too_short":
        return "is empty; write a value"
    if kind == "string_too_long":
        return (f"is {len(str(value))} characters long; the portal keeps at most {context.get('max_length')} "
                f"— shorten it")
    if kind in {"greater_than_equal", "greater_than"}:
        return f"{_shown(value)} is too small; use a number of at least {context.get('ge', context.get('gt'))}"
    if kind.startswith("int_"):
        return f"expected a whole number, got {_shown(value)}"
    if kind.startswith("bool_"):
        return f"expected true or false, got {_shown(value)}"
    if kind.startswith("string_"):
        return f"expected text, got {_shown(value)}; quote it if it is meant as text"
    if kind == "list_type":
        return f"expected a list (entries starting with '- '), got {_shown(value)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"expected a mapping of keys and values, got {_shown(value)}"
    return str(error["msg"])


class _Checker:
    """Collects problems for every document and for the manifests as a whole."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def report(self, document: Document, path: Sequence[str | int], message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(document.location(path, key=key), message))

    def line(self, document: Document, path: Sequence[str | int]) -> str:
        """"line N" for "first written at" hints inside one document."""
        return f"line {document.location(path).line}"

    def duplicates(
        self, document: Document, entries: Iterable[tuple[DataPath, str, str]], describe: Callable[[str, str], str],
    ) -> None:
        """Report each entry ``(path, identity, shown)`` whose identity came before.

        ``describe(shown, "line N")`` words the message; N is where the first one was written.
        """
        first: dict[str, DataPath] = {}
        for path, identity, shown in entries:
            if identity in first:
                self.report(document, path, describe(shown, self.line(document, first[identity])))
            else:
                first[identity] = path

    # -- pass 2: kind and schema -------------------------------------------------------------------

    def read(self, document: Document) -> _Parts | None:
        data = document.data
        if not isinstance(data, dict):
            self.report(document, (), "a manifest must be a mapping that starts with 'kind:', such as "
                        "'kind: SmartProcess'; got "
                        f"{_shown(data)} — check the indentation of this document")
            return None
        if "kind" not in data:
            self.report(document, (), "missing 'kind'; add 'kind: SmartProcess' (or CrmEntity, Directory, Workplace, "
                        "Application) "
                        "at the top of this document")
            return None
        kind = data["kind"]
        if not isinstance(kind, str) or kind not in KINDS:
            self.report(document, ("kind",), f"unknown kind {_shown(kind)}{_suggest(str(kind), KINDS)}; this "
                        f"version understands: {', '.join(KINDS)}")
            return None
        spec: Spec | None = None
        try:
            spec = KINDS[kind].model_validate(data)  # type: ignore[assignment]
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                self.schema_problem(document, detail, KINDS[kind])
        code, entity_type_id = data.get("code"), data.get("entityTypeId")
        if kind != "SmartProcess":
            entity = data.get("entity")
            return _Parts(
                document=document, spec=spec, kind=kind,
                code=entity if kind == "CrmEntity" and isinstance(entity, str) else code if isinstance(code, str)
                else None,
                entity_type_id=None, features=None, relations=None,
                pipelines=_many(Pipeline, data, "pipelines") if kind == "CrmEntity" else None,
                prune=None, fields=_many(EntityField, data, "fields") if kind == "CrmEntity" else None,
                automation=None,
            )
        # Written values, valid or not, so a typo in one code does not also make every reference to
        # it dangle.
        return _Parts(
            document=document,
            spec=spec,
            kind=kind,
            code=code if isinstance(code, str) else None,
            entity_type_id=None if isinstance(entity_type_id, bool) or not isinstance(entity_type_id, int)
            else entity_type_id,
            features=_one(Features, data, "features"),
            relations=_one(Relations, data, "relations"),
            pipelines=_many(Pipeline, data, "pipelines"),
            prune=_one(Prune, data, "prune"),
            fields=_many(CustomField, data, "fields"),
            automation=_many(AutomationStep, data, "automation"),
        )

    def schema_problem(self, document: Document, error: ErrorDetails,
                       root: type[ManifestModel] = SmartProcess) -> None:
        loc = tuple(error["loc"])
        if any(loc[:length] in document.broken for length in range(len(loc) + 1)):
            return  # the loader already reported this value; its raw text would only fail again here
        if error["type"] == "missing":
            where = document.location(loc[:-1])
            subject = loc[:-1]
        elif loc and loc[-1] == "[key]":
            # A dict key failed (a settings name): point at the key, not at its value.
            where = document.location(loc[:-1], key=True)
            subject = loc[:-1]
        else:
            where = document.location(loc, key=error["type"] == "extra_forbidden")
            subject = loc[:-1] if error["type"] == "extra_forbidden" else loc
        prefix = f"{_readable(subject)}: " if subject else ""
        self.problems.append(Problem(where, prefix + _describe(error, root)))

    # -- pass 3: rules across values --------------------------------------------------------------

    def check(self, parts: list[_Parts]) -> None:
        registry = self.register([p for p in parts if p.kind == "SmartProcess"])
        self.check_others([p for p in parts if p.kind not in ("SmartProcess", "Application")])
        app = self.check_applications([p for p in parts if p.kind == "Application"])
        for part in parts:
            if part.kind == "CrmEntity":
                self.check_entity(part, registry)
            if part.kind != "SmartProcess":
                continue
            self.check_features(part)
            self.check_relations(part, registry)
            self.check_pipelines(part)
            self.check_prune(part)
            self.check_fields(part, registry)
            self.check_automation(part, app)
        self.check_relation_pairs(registry)

    def register(self, parts: list[_Parts]) -> dict[str, _Parts]:
        """The first manifest for each code; later ones with the same code or pinned id are reported."""
        registry: dict[str, _Parts] = {}
        pinned: dict[int, _Parts] = {}
        for part in parts:
            if part.code is not None:
                first = registry.setdefault(part.code, part)
                if first is not part:
                    self.report(part.document, ("code",),
                                f"smart-process code '{part.code}' is already used at "
                                f"{first.document.location(('code',))}; codes must be unique across all manifests "
                                f"— rename one of them")
            if part.entity_type_id is not None:
                holder = pinned.setdefault(part.entity_type_id, part)
                if holder is not part:
                    self.report(part.document, ("entityTypeId",),
                                f"entityTypeId {part.entity_type_id} is already pinned by '{holder.code}' at "
                                f"{holder.document.location(('entityTypeId',))}; pin a different one or leave it out")
        return registry

    def check_features(self, part: _Parts) -> None:
        features = part.features
        if features is None:
            return
        if features.automation and not features.stages:
            self.report(part.document, ("features", "automation"),
                        "features.automation is on but features.stages is off; the portal runs robots on stages "
                        "only — set stages: true or turn automation off")
        linked = features.linked_user_fields
        if (linked.calendar_events or linked.tasks or linked.task_templates) and not features.use_in_user_fields:
            self.report(part.document, ("features", "linkedUserFields"),
                        "linkedUserFields are switched on but features.useInUserFields is false, so the portal "
                        "ignores them; set useInUserFields: true", key=True)

    def check_relations(self, part: _Parts, registry: dict[str, _Parts]) -> None:
        if part.relations is None:
            return
        known = [*BUILTIN_TYPES, *registry]
        for side in ("parents", "children"):
            relations: list[Relation] | None = getattr(part.relations, side)
            seen: dict[str, int] = {}
            for index, relation in enumerate(relations or []):
                path = ("relations", side, index, "type")
                kind = relation.type
                if kind == part.code:
                    self.report(part.document, path,
                                f"'{kind}' is this smart process itself; a smart process cannot be related to "
                                f"itself — remove this entry")
                elif kind in seen:
                    self.report(part.document, path,
                                f"'{kind}' is listed twice in relations.{side} (first at "
                                f"{self.line(part.document, ('relations', side, seen[kind]))}); remove one")
                elif side == "parents" and kind in {"contact", "company"}:
                    self.report(part.document, path,
                                f"{kind} cannot be a listed parent: the portal links contacts and companies "
                                f"through features.client — remove this entry and set features.client: true")
                elif side == "children" and kind == "order":
                    self.report(part.document, path,
                                "order cannot be a child of a smart process (the portal allows it only as a "
                                "parent); move it to relations.parents or remove it")
                elif kind not in known:
                    self.report(part.document, path,
                                f"unknown type '{kind}': neither a built-in CRM type nor the code of a smart "
                                f"process in these manifests{_suggest(kind, known)}; fix the spelling or add the "
                                f"manifest that defines it")
                seen.setdefault(kind, index)

    def check_pipelines(self, part: _Parts) -> None:
        document, pipelines = part.document, part.pipelines
        if pipelines is None:
            return
        written = document.data["pipelines"]
        if not written:
            self.report(document, ("pipelines",),
                        "pipelines is an empty list, but a smart process always keeps its default pipeline; list "
                        "it, or leave pipelines out to keep the portal's", key=True)
            return
        self.duplicates(document, [(("pipelines", index, "key"), key, key)
                                   for index, key in _written_texts(written, "key")],
                        lambda key, first: f"pipeline key '{key}' is used twice (first at {first}); keys must be "
                                           f"unique within a smart process")
        self.duplicates(document, [(("pipelines", index, "name"), name.strip().casefold(), name.strip())
                                   for index, name in _written_texts(written, "name")],
                        lambda name, first: f"pipeline name '{name}' is used twice (first at {first}); b24cfg finds "
                                            f"pipelines on the portal by name — give each its own name")
        if part.all_pipelines_valid():
            self.check_defaults(part, pipelines)
        if len(written) > 1 and part.features is not None and not part.features.pipelines:
            path: DataPath = ("features", "pipelines") if part.written("features", "pipelines") else ("pipelines",)
            self.report(document, path,
                        f"{len(written)} pipelines are listed but features.pipelines is false, and the portal keeps "
                        f"a single pipeline then; set features.pipelines: true", key=True)
        self.check_sorts(document, [(("pipelines", index), pipeline.key, pipeline.sort)
                                    for index, pipeline in pipelines], "pipeline")
        for index, pipeline in pipelines:
            self.check_stages(document, index, pipeline)
        with_stages = [index for index, pipeline in pipelines if pipeline.stages]
        if with_stages and part.features is not None and not part.features.stages:
            where: DataPath = ("features", "stages") if part.written("features", "stages") \
                else ("pipelines", with_stages[0], "stages")
            self.report(document, where,
                        "stages are listed but features.stages is false, so items would not move through them; "
                        "set features.stages: true", key=True)

    def check_defaults(self, part: _Parts, pipelines: list[tuple[int, Pipeline]]) -> None:
        if len(pipelines) == 1 and pipelines[0][1].default is None:
            return
        defaults = [(index, pipeline) for index, pipeline in pipelines if pipeline.default]
        if not defaults:
            self.report(part.document, ("pipelines",),
                        "no pipeline is marked 'default: true'; mark exactly one — new items land in it", key=True)
        for index, pipeline in defaults[1:]:
            self.report(part.document, ("pipelines", index, "default"),
                        f"pipeline '{pipeline.key}' is marked default, but '{defaults[0][1].key}' already is; "
                        f"exactly one pipeline is the default — remove one 'default: true'")

    def check_sorts(self, document: Document, entries: list[tuple[DataPath, str, int | None]], noun: str) -> None:
        """Explicit sorts must not decrease down the list, so the list reads in display order.
        Equal sorts are allowed: portals have them (the portal then shows the older entry first),
        and an exported portal must validate as it is."""
        sorts = effective_sorts([sort for _, _, sort in entries])
        for position in range(1, len(entries)):
            if sorts[position] < sorts[position - 1]:
                path, name, _ = entries[position]
                self.report(document, (*path, "sort"),
                            f"{noun} '{name}' has sort {sorts[position]}, below the {sorts[position - 1]} of "
                            f"'{entries[position - 1][1]}' before it; sorts must not decrease down the list — raise "
                            f"it or leave sort out")

    def check_stages(self, document: Document, index: int, pipeline: Pipeline) -> None:
        base = ("pipelines", index, "stages")
        if pipeline.stages is None:
            if pipeline.prune:
                self.report(document, ("pipelines", index, "prune"),
                            f"pipeline '{pipeline.key}' has prune: true but no stages list, so every stage would be "
                            f"deleted; list the stages to keep, or remove prune")
            return
        self.check_stage_list(document, base, f"pipeline '{pipeline.key}'", pipeline.stages)

    def check_stage_list(
        self, document: Document, base: DataPath, owner: str, stages: list[Stage], listed: str = "stages",
    ) -> None:
        """Stage rules of one pipeline (or of the lead or quote statuses): unique codes, increasing
        sorts, one success stage, process stages first, failures last."""
        if not stages:
            self.report(document, base,
                        f"{owner} lists no stages, but a pipeline needs a process, a success and a failure stage; "
                        f"list them, or leave {listed} out to keep the portal's", key=True)
            return
        self.duplicates(document, [((*base, position, "code"), stage.code, stage.code)
                                   for position, stage in enumerate(stages)],
                        lambda code, first: f"stage code '{code}' is used twice in {owner} (first "
                                            f"at {first}); stage codes must be unique within a pipeline")
        self.check_sorts(document, [((*base, position), stage.code, stage.sort)
                                    for position, stage in enumerate(stages)], "stage")
        successes = [(position, stage) for position, stage in enumerate(stages) if stage.semantics == "success"]
        if not any(stage.semantics == "process" for stage in stages):
            self.report(document, base,
                        f"{owner} has no process stage; add at least one stage with semantics: "
                        f"process (the default) before the success stage", key=True)
        if not successes:
            self.report(document, base,
                        f"{owner} has no success stage; mark exactly one stage 'semantics: success'",
                        key=True)
        if not any(stage.semantics == "failure" for stage in stages):
            self.report(document, base,
                        f"{owner} has no failure stage; add at least one stage with semantics: "
                        f"failure", key=True)
        for position, stage in successes[1:]:
            self.report(document, (*base, position, "semantics"),
                        f"stage '{stage.code}' is a second success stage in {owner} (the first is "
                        f"'{successes[0][1].code}'); the portal allows exactly one — make it process or failure")
        final: str | None = None
        failure: str | None = None
        for position, stage in enumerate(stages):
            if stage.semantics == "process" and final is not None:
                self.report(document, (*base, position, "code"),
                            f"process stage '{stage.code}' comes after the final stage '{final}'; move it above the "
                            f"success and failure stages — the portal keeps process stages first")
            elif stage.semantics == "success" and failure is not None:
                self.report(document, (*base, position, "semantics"),
                            f"success stage '{stage.code}' comes after the failure stage '{failure}'; move it above "
                            f"the failure stages")
            if stage.semantics != "process":
                final = final or stage.code
            if stage.semantics == "failure":
                failure = failure or stage.code

    def check_prune(self, part: _Parts) -> None:
        data = part.document.data
        if part.prune is None:
            return
        if part.prune.pipelines and data.get("pipelines") is None:
            self.report(part.document, ("prune", "pipelines"),
                        "prune.pipelines is true but no pipelines are listed, so every pipeline would be deleted; "
                        "list the pipelines to keep, or set it to false")
        if part.prune.fields and data.get("fields") is None:
            self.report(part.document, ("prune", "fields"),
                        "prune.fields is true but fields is left out, which would delete every custom field and its "
                        "data; list the fields to keep (fields: [] to really delete them all), or set it to false")

    def check_fields(self, part: _Parts, registry: dict[str, _Parts]) -> None:
        document = part.document
        self.duplicates(document, [(("fields", index, "code"), code, code)
                                   for index, code in _written_texts(document.data.get("fields"), "code")],
                        lambda code, first: f"field code '{code}' is used twice (first at {first}); field codes "
                                            f"must be unique within a smart process")
        for index, field in part.fields or []:
            base = ("fields", index)
            for key, owner in (("items", "enumeration"), ("targets", "crm"), ("directory", "crm_status")):
                if getattr(field, key) is not None and field.type != owner:
                    self.report(document, (*base, key),
                                f"{key} only applies to {owner} fields, and field '{field.code}' is {field.type}; "
                                f"remove {key} or set type: {owner}", key=True)
            if not field.show_in_list:
                # Reference crm §6.4: userfieldconfig.add/update ignore showInList, so false could never
                # be applied.
                self.report(document, (*base, "showInList"),
                            f"showInList cannot be changed through the REST API (userfieldconfig ignores it), so "
                            f"field '{field.code}' would always show in the list; remove it, and hide the column in "
                            f"the list settings on the portal", key=True)
            if field.type == "boolean" and field.multiple:
                self.report(document, (*base, "multiple"),
                            f"boolean field '{field.code}' cannot be multiple (the portal forces it off); set "
                            f"multiple: false, or use an enumeration")
            if field.type == "enumeration":
                self.check_items(document, index, field)
            if field.type == "crm":
                self.check_targets(document, index, field, registry)
            if field.type == "crm_status" and field.directory is None:
                self.report(document, (*base, "type"),
                            f"crm_status field '{field.code}' needs directory: the crm.status ENTITY_ID to choose "
                            f"from, such as directory: SOURCE", key=True)
            if field.type in _DERIVED_SETTINGS:
                source, derived = _DERIVED_SETTINGS[field.type]
                for key in field.settings:
                    if key in derived or (field.type == "crm" and key.startswith("DYNAMIC_")):
                        self.report(document, (*base, "settings", key),
                                    f"settings.{key} is written by b24cfg from '{source}'; remove it from settings "
                                    f"and use {source} instead", key=True)

    def check_items(self, document: Document, index: int, field: CustomField) -> None:
        base = ("fields", index, "items")
        if not field.items:
            self.report(document, base if field.items is not None else ("fields", index, "type"),
                        f"enumeration field '{field.code}' has no items; list its choices under items", key=True)
            return
        self.duplicates(document, [((*base, position, "xmlId"), item.xml_id, item.xml_id)
                                   for position, item in enumerate(field.items) if item.xml_id is not None],
                        lambda xml_id, first: f"xmlId '{xml_id}' is used twice in field '{field.code}' (first at "
                                              f"{first}); the portal needs unique xmlIds within a field")
        self.duplicates(document, [((*base, position, "value"), item.value, item.value)
                                   for position, item in enumerate(field.items)],
                        lambda value, first: f"value '{value}' is listed twice in field '{field.code}' (first at "
                                             f"{first}); users could not tell them apart — make the values different")
        defaults = [position for position, item in enumerate(field.items) if item.default]
        if not field.multiple:
            for position in defaults[1:]:
                self.report(document, (*base, position, "default"),
                            f"field '{field.code}' holds one value, so only one item can be the default (the portal "
                            f"keeps the first); remove this 'default: true', or set multiple: true")
        self.check_sorts(document, [((*base, position), item.value, item.sort)
                                    for position, item in enumerate(field.items)], "item")

    def check_targets(self, document: Document, index: int, field: CustomField, registry: dict[str, _Parts]) -> None:
        base = ("fields", index, "targets")
        if not field.targets:
            self.report(document, base if field.targets is not None else ("fields", index, "type"),
                        f"crm field '{field.code}' needs targets: the types its values link to, such as "
                        f"targets: [deal, contact]", key=True)
            return
        known = [*FIELD_TARGET_TYPES, *registry]
        seen: set[str] = set()
        for position, target in enumerate(field.targets):
            if target in seen:
                self.report(document, (*base, position), f"target '{target}' is listed twice; remove one")
            elif target == "order":
                self.report(document, (*base, position),
                            f"a crm field cannot link to orders; use one of: {', '.join(FIELD_TARGET_TYPES)} or a "
                            f"smart-process code")
            elif target not in known:
                self.report(document, (*base, position),
                            f"unknown target '{target}': neither a built-in CRM type nor the code of a smart process "
                            f"in these manifests{_suggest(target, known)}; fix the spelling or add the manifest "
                            f"that defines it")
            seen.add(target)

    def check_automation(self, part: _Parts, app: Mapping[str, list[str]] | None) -> None:
        document, steps = part.document, part.automation
        if not steps:
            return
        for index, step in steps:
            if not (step.robots or step.app_robots or step.triggers):
                self.report(document, ("automation", index),
                            "this step names no robots, appRobots or triggers; list what sits on the stage, or "
                            "remove the step")
            for key, kind, codes in (("appRobots", "robot", step.app_robots), ("triggers", "trigger", step.triggers)):
                for position, code in enumerate(codes):
                    if app is None:
                        hint = "or move the name to robots (set up by hand)" if kind == "robot" else \
                            "or remove it (a trigger set up by hand can be named in the note)"
                        self.report(document, ("automation", index, key, position),
                                    f"{kind} '{code}' is an application {kind}, but no Application manifest is "
                                    f"given; add the Application manifest that defines it, {hint}")
                    elif app.get(kind) is None:
                        self.report(document, ("automation", index, key, position),
                                    f"{kind} '{code}' cannot be checked: the Application manifest lists no "
                                    f"{kind}s; list them there")
                    elif code in app.get("activity", []) and kind == "robot":
                        self.report(document, ("automation", index, key, position),
                                    f"'{code}' is an activity of the Application manifest; activities run in "
                                    f"business processes, not on stages — list a robot here")
                    elif code not in app[kind]:
                        self.report(document, ("automation", index, key, position),
                                    f"unknown {kind} '{code}'{_suggest(code, app[kind])}; use the code of a {kind} "
                                    f"in the Application manifest: {', '.join(app[kind]) or 'none listed'}")
        if part.features is not None and not part.features.automation:
            self.report(document, ("automation",),
                        "automation steps are documented but features.automation is false, so the portal runs no "
                        "robots; set features.automation: true", key=True)
        if document.data.get("pipelines") is None:
            self.report(document, ("automation",),
                        "automation names stages, but no pipelines are listed to check them against; list the "
                        "pipelines with their stages", key=True)
            return
        pipelines = {pipeline.key: pipeline for _, pipeline in part.pipelines or []}
        default = part.default_pipeline()
        seen: dict[tuple[str, str], int] = {}
        for index, step in steps:
            base = ("automation", index)
            if step.pipeline is None:
                pipeline = default
            elif step.pipeline in pipelines:
                pipeline = pipelines[step.pipeline]
            else:
                self.report(document, (*base, "pipeline"),
                            f"unknown pipeline '{step.pipeline}'{_suggest(step.pipeline, pipelines)}; use the key "
                            f"of a listed pipeline: {', '.join(pipelines)}")
                continue
            if pipeline is None:
                # No single default pipeline: that problem is reported with the pipelines.
                continue
            stage_codes = [stage.code for stage in pipeline.stages or []]
            if pipeline.stages is None:
                self.report(document, (*base, "stage"),
                            f"pipeline '{pipeline.key}' lists no stages, so stage '{step.stage}' cannot be checked; "
                            f"list the pipeline's stages")
            elif step.stage not in stage_codes:
                self.report(document, (*base, "stage"),
                            f"stage '{step.stage}' is not listed in pipeline '{pipeline.key}'"
                            f"{_suggest(step.stage, stage_codes)}; use one of: {', '.join(stage_codes)}")
            elif (pipeline.key, step.stage) in seen:
                self.report(document, base,
                            f"stage '{step.stage}' of pipeline '{pipeline.key}' is documented twice (first at "
                            f"{self.line(document, ('automation', seen[pipeline.key, step.stage]))}); merge the "
                            f"robots into one step")
            seen.setdefault((pipeline.key, step.stage), index)

    def check_applications(self, parts: list[_Parts]) -> dict[str, list[str]] | None:
        """One Application manifest; codes and bindings unique as the portal keys them; robot
        properties as the designer needs them. Returns the codes of robots and triggers it lists
        (a list left out: None), for automation steps to be checked against."""
        if not parts:
            return None
        first = parts[0]
        for other in parts[1:]:
            self.report(other.document, ("kind",),
                        f"the application is already described at {first.document.location(('kind',))}; write one "
                        f"Application manifest (it stands for the application whose credentials b24cfg uses) — "
                        f"merge them")
        document, data = first.document, first.document.data
        # Robots and activities share one CODE namespace per application (reference platform §2.1).
        self.duplicates(document, [((key, index, "code"), code, code) for key in ("robots", "activities")
                                   for index, code in _written_texts(data.get(key), "code")],
                        lambda code, line: f"code '{code}' is already used (at {line}); robots and activities of one "
                                           f"application share one namespace on the portal — pick another code")
        # The portal finds triggers by code in a case-insensitive column: Paid and paid are one trigger.
        self.duplicates(document, [(("triggers", index, "code"), code.casefold(), code)
                                   for index, code in _written_texts(data.get("triggers"), "code")],
                        lambda code, line: f"trigger code '{code}' is used twice (first at {line}; the portal does not "
                                           f"tell upper from lower case here); rename one of them")
        for key, model in (("robots", Robot), ("activities", Activity)):
            for index, robot in _many(model, data, key) or []:
                self.check_robot(document, (key, index), robot)
        events = _many(EventBinding, data, "events") or []
        self.duplicates(document, [(("events", index), f"{e.event} {e.handler if not e.offline else ''}",
                                    f"{e.event} -> {'offline' if e.offline else e.handler}") for index, e in events],
                        lambda shown, line: f"event binding {shown} is listed twice (first at {line}); b24cfg knows a "
                                            f"binding by its event and handler, so one handler serves one authUser "
                                            f"per event — remove one")
        for index, event in events:
            if event.offline and event.auth_user:
                self.report(document, ("events", index, "authUser"),
                            "an offline event has no auth user (the portal stores 0); remove authUser, or set "
                            "offline: false", key=True)
            if event.offline and event.handler is not None:
                self.report(document, ("events", index, "handler"),
                            "an offline event has no handler (the portal stores none); remove handler, or set "
                            "offline: false", key=True)
            elif not event.offline and event.handler is None:
                self.report(document, ("events", index),
                            f"event binding {event.event} needs a handler URL (or offline: true)")
        placements = _many(PlacementBinding, data, "placements") or []
        self.duplicates(document, [(("placements", index), f"{p.placement} {p.handler}", f"{p.placement} -> {p.handler}")
                                   for index, p in placements],
                        lambda shown, line: f"placement {shown} is listed twice (first at {line}); the portal binds a "
                                            f"handler to a placement once")
        for index, placement in placements:
            if placement.placement == "DEFAULT":
                self.report(document, ("placements", index, "placement"),
                            "DEFAULT is the application's own page, not a placement the portal binds; remove it")
            titled = isinstance(placement.title, dict)
            for key in ("description", "groupName"):
                value = getattr(placement, "group_name" if key == "groupName" else key)
                if value is not None and isinstance(value, dict) != titled:
                    self.report(document, ("placements", index, key),
                                f"{key} must be {'a map of languages' if titled else 'one text'} like the title: the "
                                f"portal takes either per-language texts (LANG_ALL) or one text for all")
                elif isinstance(value, dict) and isinstance(placement.title, dict):
                    extra = sorted(set(value) - set(placement.title))
                    if extra:
                        self.report(document, ("placements", index, key, extra[0]),
                                    f"{key} has a text in {', '.join(extra)}, which the title lacks; the portal takes "
                                    f"the texts of a language together — add the title in "
                                    f"{'that language' if len(extra) == 1 else 'those languages'}", key=True)
        lists = [key for key in ("robots", "activities", "triggers", "events", "placements") if data.get(key) is not None]
        if data.get("prune") is True and not lists:
            self.report(document, ("prune",),
                        "prune is true but nothing is listed, so nothing would be compared; list robots, activities, "
                        "triggers, events or placements", key=True)
        return {kind: [code for _, code in _written_texts(data.get(key), "code")]
                for kind, key in (("robot", "robots"), ("activity", "activities"), ("trigger", "triggers"))
                if data.get(key) is not None}

    def check_robot(self, document: Document, base: DataPath, robot: Robot) -> None:
        for key, properties in (("properties", robot.properties), ("returnProperties", robot.return_properties)):
            for name, prop in properties.items():
                self.check_property(document, (*base, key, name), name, prop)
        if robot.return_properties and not robot.use_subscription:
            self.report(document, (*base, "returnProperties"),
                        "return values arrive through bizproc.event.send, which the portal waits for only when "
                        "useSubscription is true; set useSubscription: true", key=True)

    def check_property(self, document: Document, path: DataPath, name: str, prop: RobotProperty) -> None:
        if prop.type == "select" and not prop.options:
            self.report(document, path, f"property '{name}' is a select without options; list them as "
                                        f"options: {{value: Title}}")
        elif prop.type != "select" and prop.options is not None:
            self.report(document, (*path, "options"), f"options only apply to select properties, and '{name}' is "
                                                      f"{prop.type}; remove options or set type: select", key=True)
        if prop.type == "select" and prop.options and prop.default is not None \
                and (prop.multiple or not isinstance(prop.default, list)):
            defaults = prop.default if isinstance(prop.default, list) and prop.multiple else [prop.default]
            for value in defaults:
                if str(value) not in prop.options:
                    self.report(document, (*path, "default"),
                                f"default {_shown(value)} is not one of the options of '{name}'"
                                f"{_suggest(str(value), prop.options)}; use one of: {', '.join(prop.options)}")
        if isinstance(prop.default, list) and not prop.multiple:
            self.report(document, (*path, "default"),
                        f"property '{name}' takes one value, but its default is a list; set multiple: true or give "
                        f"one value")

    def check_others(self, parts: list[_Parts]) -> None:
        """One manifest per entity and per directory; workplace codes and titles unique, and a smart
        process in at most one workplace (binding it to another moves it)."""
        seen: dict[tuple[str, str], _Parts] = {}
        holder: dict[str, tuple[_Parts, int]] = {}
        for part in parts:
            data = part.document.data
            key = {"CrmEntity": "entity", "Directory": "directory", "Workplace": "code"}[part.kind]
            identity = data.get(key)
            if isinstance(identity, str):
                first = seen.setdefault((part.kind, identity), part)
                if first is not part:
                    self.report(part.document, (key,),
                                f"{key} '{identity}' is already described at {first.document.location((key,))}; "
                                f"write one {part.kind} manifest per {key} — merge them")
            if part.kind == "Workplace":
                title = data.get("title")
                if isinstance(title, str):
                    first = seen.setdefault(("Workplace title", title.strip().casefold()), part)
                    if first is not part:
                        self.report(part.document, ("title",),
                                    f"workplace title '{title.strip()}' is already used at "
                                    f"{first.document.location(('title',))}; b24cfg finds workplaces by title — "
                                    f"give each its own")
                for index, code in enumerate(data.get("smartProcesses") or []):
                    if not isinstance(code, str):
                        continue
                    other = holder.setdefault(code, (part, index))
                    if other[0] is not part or other[1] != index:
                        where = other[0].document.location(("smartProcesses", other[1]))
                        self.report(part.document, ("smartProcesses", index),
                                    f"smart process '{code}' is already in a workplace ({where}); a smart process "
                                    f"sits in at most one workplace — remove one of them")
            if part.kind == "Directory" and isinstance(part.spec, Directory):
                directory = part.spec
                base: DataPath = ("items",)
                self.duplicates(part.document, [((*base, i, "code"), item.code, item.code)
                                                for i, item in enumerate(directory.items)],
                                lambda code, first: f"item code '{code}' is used twice (first at {first}); codes "
                                                    f"must be unique within a directory")
                self.check_sorts(part.document, [((*base, i), item.code, item.sort)
                                                 for i, item in enumerate(directory.items)], "item")

    def check_entity(self, part: _Parts, registry: dict[str, _Parts]) -> None:
        document, data = part.document, part.document.data
        entity = data.get("entity")
        if not isinstance(entity, str):
            return
        if data.get("pipelines") is not None and entity not in ("deal", "contact", "company"):
            self.report(document, ("pipelines",),
                        f"{entity} has no pipelines on the portal (only deal, contact and company do); remove "
                        f"pipelines" + ("; lead and quote stages are written under statuses" if entity in
                                        ("lead", "quote") else ""), key=True)
        elif data.get("pipelines") is not None:
            for index, pipeline in part.pipelines or []:
                if entity != "deal" and pipeline.stages is not None:
                    self.report(document, ("pipelines", index, "stages"),
                                f"{entity} pipelines have no stages on the portal; remove stages", key=True)
            self.check_pipelines(part)
        if data.get("statuses") is not None:
            if entity not in ("lead", "quote"):
                self.report(document, ("statuses",),
                            f"statuses are the stages of leads and quotes; {entity} " +
                            ("stages belong to its pipelines" if entity == "deal" else "has none") +
                            " — remove statuses", key=True)
            elif isinstance(part.spec, CrmEntity) and part.spec.statuses is not None:
                self.check_stage_list(document, ("statuses",), f"the {entity} statuses", part.spec.statuses,
                                      "statuses")
        self.check_status_codes(part, entity)
        prune = _one(EntityPrune, data, "prune")
        if prune is not None:
            for name in ("pipelines", "statuses", "fields"):
                if getattr(prune, name) and data.get(name) is None:
                    self.report(document, ("prune", name),
                                f"prune.{name} is true but {name} is left out, which would delete every one of "
                                f"them; list the {name} to keep, or set it to false")
        self.check_fields(part, registry)
        for index, field in part.fields or []:
            allowed = ENTITY_FIELD_SETTINGS.get(field.type, frozenset())
            for key in field.settings:
                if key not in allowed and key not in _DERIVED_SETTINGS.get(field.type, ("", frozenset()))[1]:
                    self.report(document, ("fields", index, "settings", key),
                                f"settings.{key} is not written by crm.{entity}.userfield for {field.type} fields "
                                f"(the portal would drop it silently); " +
                                (f"it writes only {', '.join(sorted(allowed))}" if allowed else "it writes none")
                                + " — remove it", key=True)
            for position, target in enumerate(field.targets or []):
                if field.type == "crm" and target not in ENTITY_FIELD_TARGETS and target != "order" \
                        and (target in FIELD_TARGET_TYPES or target in registry):
                    self.report(document, ("fields", index, "targets", position),
                                f"a crm field of a {entity} can link to {', '.join(ENTITY_FIELD_TARGETS)} only "
                                f"(crm.{entity}.userfield keeps no other target); remove '{target}'")

    def check_status_codes(self, part: _Parts, entity: str) -> None:
        """crm.status keeps lead codes to 21 characters, quote and deal codes to 22 minus the
        pipeline's ``C{id}:`` prefix (reference crm §5.3: the permission table's 30 minus the
        attribute name); the limit of a deal pipeline other than the default leaves room for pipeline
        ids up to 99, since ids differ between portals."""
        spec = part.spec
        if not isinstance(spec, CrmEntity):
            return
        lists: list[tuple[DataPath, int, list[Stage]]] = []
        if entity in ("lead", "quote") and spec.statuses:
            lists.append((("statuses",), 21 if entity == "lead" else 22, spec.statuses))
        if entity == "deal":
            for index, pipeline in enumerate(spec.pipelines or []):
                lists.append((("pipelines", index, "stages"), 22 if pipeline.default else 18, pipeline.stages or []))
        for base, limit, stages in lists:
            for position, stage in enumerate(stages):
                if len(stage.code) > limit:
                    self.report(part.document, (*base, position, "code"),
                                f"code '{stage.code}' is {len(stage.code)} characters long; the portal keeps at most "
                                f"{limit} here (crm.status limits {entity} codes) — shorten it")

    def check_relation_pairs(self, registry: dict[str, _Parts]) -> None:
        """Both ends of a link between two managed smart processes must describe it the same way.

        The portal stores one row per (parent, child) pair, and each side's list replaces all of that
        side's links: a side that lists relations but omits a link declared by the other end would
        delete it on apply.
        """
        declared: dict[tuple[str, str], dict[str, tuple[_Parts, int, Relation]]] = {}
        for part in registry.values():
            if part.relations is None or part.code is None:
                continue
            for side in ("parents", "children"):
                for index, relation in enumerate(getattr(part.relations, side) or []):
                    other = relation.type
                    if other in registry and other != part.code:
                        pair = (other, part.code) if side == "parents" else (part.code, other)
                        declared.setdefault(pair, {}).setdefault(side, (part, index, relation))
        for (parent, child), sides in sorted(declared.items()):
            # "parents" entries are written by the child, "children" entries by the parent.
            for side, other_side, owner in (("parents", "children", parent), ("children", "parents", child)):
                if side not in sides or other_side in sides:
                    continue
                part, index, _ = sides[side]
                owner_relations = registry[owner].relations
                if owner_relations is not None and getattr(owner_relations, other_side) is not None:
                    self.report(part.document, ("relations", side, index, "type"),
                                f"'{part.code}' lists '{owner}' in relations.{side}, but '{owner}' lists its own "
                                f"relations.{other_side} without '{part.code}' "
                                f"({registry[owner].document.location(('relations', other_side), key=True)}); the "
                                f"portal keeps one link for both, so applying '{owner}' would remove it — add "
                                f"'- type: {part.code}' there")
            if "parents" in sides and "children" in sides:
                child_part, child_index, up = sides["parents"]
                parent_part, parent_index, down = sides["children"]
                both_explicit = "show_in_card" in up.model_fields_set and "show_in_card" in down.model_fields_set
                if both_explicit and up.show_in_card != down.show_in_card:
                    there = parent_part.document.location(("relations", "children", parent_index, "showInCard"))
                    self.report(child_part.document, ("relations", "parents", child_index, "showInCard"),
                                f"showInCard of the link {parent} -> {child} is {_shown(up.show_in_card)} here but "
                                f"{_shown(down.show_in_card)} in '{parent}' ({there}); both describe the same portal "
                                f"link — make them agree, or set it on one side only")
