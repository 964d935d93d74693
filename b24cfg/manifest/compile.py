"""Compile checked manifests into the desired State (pure: no network, no clock).

Attribute names follow the manifests (``title``, ``features.stages``, ``label``); values are
normalised the way ``resources`` normalise what they read, so an unchanged portal diffs to nothing:
settings scalars become text (``1`` -> ``"1"``, ``true`` -> ``"Y"``), labels whose languages all
say the same collapse to one text, lists the portal keeps unordered are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from b24cfg.manifest.schema import CustomField, Features, Pipeline, Relation, SmartProcess, Stage
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.model import Address, Resource, State
from b24cfg.planner.plan import ManualStep

FEATURE_FLAGS = {
    "pipelines": "isCategoriesEnabled", "stages": "isStagesEnabled", "beginCloseDates": "isBeginCloseDatesEnabled",
    "client": "isClientEnabled", "useInUserFields": "isUseInUserfieldEnabled", "products": "isLinkWithProductsEnabled",
    "myCompany": "isMycompanyEnabled", "documents": "isDocumentsEnabled", "source": "isSourceEnabled",
    "observers": "isObserversEnabled", "recycleBin": "isRecyclebinEnabled", "automation": "isAutomationEnabled",
    "businessProcesses": "isBizProcEnabled", "openPermissions": "isSetOpenPermissions",
}
"""Manifest feature name -> crm.type flag."""
LINKED_USER_FIELDS = {
    "calendarEvents": "CALENDAR_EVENT|UF_CRM_CAL_EVENT", "tasks": "TASKS_TASK|UF_CRM_TASK",
    "taskTemplates": "TASKS_TASK_TEMPLATE|UF_CRM_TASK",
}


def settings_value(value: Any) -> Any:
    """One normal form for user-field settings on both sides of a diff."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): settings_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [settings_value(v) for v in value]
    return value


def label_value(label: str | Mapping[str, Any]) -> str | dict[str, str]:
    """A label map without empty languages; one text when every language says the same."""
    if isinstance(label, str):
        return label
    texts = {str(k): str(v) for k, v in sorted(label.items()) if v not in (None, "")}
    values = set(texts.values())
    return values.pop() if len(values) == 1 else texts


def relation_list(relations: Iterable[Relation]) -> list[dict[str, Any]]:
    return sorted(({"type": r.type, "showInCard": r.show_in_card} for r in relations), key=lambda r: r["type"])


def compile_manifests(manifests: Iterable[SmartProcessManifest]) -> tuple[State, list[ManualStep]]:
    """The desired State of every manifest, and the documented manual automation steps."""
    state = State()
    manual: list[ManualStep] = []
    for manifest in sorted(manifests, key=lambda m: m.spec.code):
        _smart_process(state, manifest.spec)
        manual.extend(_manual_steps(manifest.spec))
    return state, manual


def _features(features: Features) -> dict[str, Any]:
    dumped = features.model_dump(by_alias=True)
    linked = dumped.pop("linkedUserFields")
    out = {f"features.{name}": bool(dumped[name]) for name in FEATURE_FLAGS}
    if features.use_in_user_fields:
        out.update({f"features.linkedUserFields.{name}": bool(linked[name]) for name in LINKED_USER_FIELDS})
    return out


def _smart_process(state: State, spec: SmartProcess) -> None:
    address = Address("smart_process", (spec.code,))
    attrs: dict[str, Any] = {"title": spec.title, **_features(spec.features)}
    if spec.entity_type_id is not None:
        attrs["entityTypeId"] = spec.entity_type_id
    if spec.relations.parents is not None:
        attrs["relations.parents"] = relation_list(spec.relations.parents)
    if spec.relations.children is not None:
        attrs["relations.children"] = relation_list(spec.relations.children)
    state.add(Resource(address, attrs))
    if spec.pipelines is not None:
        state.scopes[("pipeline", address)] = spec.prune.pipelines
        for pipeline in spec.pipelines:
            _pipeline(state, address, pipeline)
    if spec.fields is not None:
        state.scopes[("field", address)] = spec.prune.fields
        for custom_field in spec.fields:
            state.add(Resource(address.child("field", custom_field.code), field_attrs(custom_field)))


def _pipeline(state: State, parent: Address, pipeline: Pipeline) -> None:
    address = parent.child("pipeline", pipeline.key)
    state.add(Resource(address, {"name": pipeline.name, "sort": pipeline.sort, "default": bool(pipeline.default)}))
    if pipeline.stages is not None:
        state.scopes[("stage", address)] = pipeline.prune
        for stage in pipeline.stages:
            state.add(Resource(address.child("stage", stage.code), stage_attrs(stage)))


def stage_attrs(stage: Stage) -> dict[str, Any]:
    attrs: dict[str, Any] = {"name": stage.name, "sort": stage.sort, "semantics": stage.semantics}
    if stage.color is not None:
        attrs["color"] = stage.color
    return attrs


def field_attrs(spec: CustomField) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "type": spec.type, "multiple": spec.multiple, "label": label_value(spec.label), "mandatory": spec.mandatory,
        "showInFilter": spec.show_in_filter, "editInList": spec.edit_in_list, "searchable": spec.searchable,
        "sort": spec.sort, "settings": settings_value(dict(spec.settings)),
    }
    if spec.items is not None:
        items = []
        for item in spec.items:
            entry: dict[str, Any] = {"value": item.value, "default": item.default, "sort": item.sort}
            if item.xml_id is not None:
                entry["xmlId"] = item.xml_id
            items.append(entry)
        attrs["items"] = items
    if spec.targets is not None:
        attrs["targets"] = sorted(set(spec.targets))
    if spec.directory is not None:
        attrs["directory"] = spec.directory
    return attrs


def _manual_steps(spec: SmartProcess) -> list[ManualStep]:
    if not spec.automation:
        return []
    default = next((p.key for p in spec.pipelines or [] if p.default), "")
    return [
        ManualStep(spec.code, step.pipeline or default, step.stage, tuple(step.robots), step.note)
        for step in spec.automation
    ]
