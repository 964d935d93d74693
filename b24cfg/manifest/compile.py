"""Compile checked manifests into the desired State (pure: no network, no clock).

Attribute names follow the manifests (``title``, ``features.stages``, ``label``); values are
normalised the way ``resources`` normalise what they read, so an unchanged portal diffs to nothing:
field settings become what the portal stores for them (``ROWS: 0`` -> ``"1"``, with a plan warning),
settings scalars become text (``1`` -> ``"1"``, ``true`` -> ``"Y"``), labels whose languages all say
the same collapse to one text, lists the portal keeps unordered are sorted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from b24cfg.manifest.schema import (
    Application, CrmEntity, CustomField, Directory, EventBinding, Features, Pipeline, PlacementBinding, Relation, Robot,
    RobotProperty, SmartProcess, Stage, Workplace,
)
from b24cfg.manifest.validate import Manifest
from b24cfg.model import APPLICATION, Address, Resource, State
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


# --- what the portal stores for a user-field setting (each type's PrepareSettings) ---------------------
def _int(value: Any, default: int = 0) -> int:
    """PHP's ``(int)`` of a value as it travels: leading digits of text, else ``default``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    match = re.match(r"\s*([+-]?)(\d+)", str(value)) if value is not None else None
    return (-1 if match.group(1) == "-" else 1) * int(match.group(2)) if match else default


def _text(value: Any) -> str:
    return "" if value is None else ("1" if value is True else "" if value is False else str(value))


def _float(value: Any) -> float | None:
    if _text(value) == "":
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return 0.0


def _size(value: Any) -> int:
    size = _int(value)
    return 20 if size <= 1 else 225 if size > 255 else size


def _rows(value: Any) -> int:
    rows = _int(value)
    return 1 if rows <= 1 else min(rows, 50)


def _y_unless_n(value: Any) -> str:
    return "N" if value in ("N", False) else "Y"


def _y_only(value: Any) -> str:
    return "Y" if value in ("Y", True) else "N"


def _choice(*allowed: str) -> Callable[[Any], str]:
    return lambda value: _text(value).upper() if _text(value).upper() in allowed else allowed[0]


def _date_default(value: Any) -> dict[str, Any]:
    given = value if isinstance(value, Mapping) else {"VALUE": value, "TYPE": "NONE"} if value else {}
    kind = _text(given.get("TYPE") or "NONE").upper()
    return {"TYPE": kind if kind in ("NONE", "NOW", "FIXED") else "NONE", "VALUE": _text(given.get("VALUE"))}


def _two_labels(value: Any) -> list[str]:
    labels = list(value.values()) if isinstance(value, Mapping) else value if isinstance(value, list) \
        else [value, value] if isinstance(value, str) else ["", ""]
    return [_text(labels[0]) if labels else "", _text(labels[1]) if len(labels) > 1 else ""]


_LENGTHS: dict[str, Callable[[Any], Any]] = {"MIN_LENGTH": _int, "MAX_LENGTH": _int}
_LIST_DISPLAY = _choice("LIST", "UI", "CHECKBOX", "DIALOG")
_IBLOCK: dict[str, Callable[[Any], Any]] = {
    "DISPLAY": _LIST_DISPLAY, "LIST_HEIGHT": lambda v: max(_int(v, 1), 1),
    "IBLOCK_ID": lambda v: _int(v) if _int(v) > 0 else "", "DEFAULT_VALUE": lambda v: _int(v) if _int(v) > 0 else "",
    "ACTIVE_FILTER": _y_only,
}
SETTINGS_STORED: dict[str, dict[str, Callable[[Any], Any]]] = {
    "string": {"SIZE": _size, "ROWS": _rows, "REGEXP": _text, **_LENGTHS,
               "DEFAULT_VALUE": lambda v: "" if v is None else v},
    "integer": {"SIZE": _size, "MIN_VALUE": _int, "MAX_VALUE": _int,
                "DEFAULT_VALUE": lambda v: None if _text(v) == "" else _int(v)},
    "double": {"PRECISION": lambda v: min(max(_int(v), 0), 12), "SIZE": _size,
               "MIN_VALUE": lambda v: _float(v) or 0.0, "MAX_VALUE": lambda v: _float(v) or 0.0,
               "DEFAULT_VALUE": _float},
    # A switch written as true/false means checked/unchecked: the portal wants 1/0 (it reads "Y" as 0).
    "boolean": {"DEFAULT_VALUE": lambda v: 1 if v is True or _int(v) == 1 else 0,
                "DISPLAY": _choice("CHECKBOX", "RADIO", "DROPDOWN"), "LABEL": _two_labels, "LABEL_CHECKBOX": _text},
    "date": {"DEFAULT_VALUE": _date_default},
    "datetime": {"DEFAULT_VALUE": _date_default, "USE_SECOND": _y_unless_n, "USE_TIMEZONE": _y_only},
    "enumeration": {"DISPLAY": _LIST_DISPLAY, "LIST_HEIGHT": lambda v: max(_int(v, 1), 1), "CAPTION_NO_VALUE": _text,
                    "SHOW_NO_VALUE": _y_unless_n},
    "url": {"POPUP": _y_unless_n, "SIZE": _size, **_LENGTHS, "DEFAULT_VALUE": _text, "ROWS": _rows},
    "file": {"SIZE": _size, "LIST_WIDTH": _int, "LIST_HEIGHT": _int, "MAX_SHOW_SIZE": _int, "MAX_ALLOWED_SIZE": _int,
             "EXTENSIONS": lambda v: v if isinstance(v, (list, Mapping)) else [], "TARGET_BLANK": _y_unless_n},
    "address": {"SHOW_MAP": _y_unless_n},
    "money": {"DEFAULT_VALUE": _text},
    "employee": {},
    "crm_status": {},
    "crm": {},
    "iblock_element": _IBLOCK,
    "iblock_section": _IBLOCK,
}
"""Per field type, the settings the portal keeps and the value it stores for what is written
(``CUserTypeManager::PrepareSettings`` of each type, reference crm §6.4): numbers are cut to their
range, words to their choices; keys a type does not know are dropped. Keys derived from ``targets``
and ``directory`` are not written in manifests (validate.py)."""


def stored_settings(user_type: str, written: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings as the portal will hold them, and a sentence for each value it would change."""
    rules = SETTINGS_STORED.get(user_type)
    if rules is None:
        return settings_value(dict(written)), []
    kept: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in written.items():
        if key not in rules:
            notes.append(f"settings.{key} is not a setting of {user_type} fields; the portal drops it, so it is "
                         f"not sent — remove it")
            continue
        raw = rules[key](value)
        kept[key] = settings_value(raw)
        if isinstance(value, bool) and user_type == "boolean" and key == "DEFAULT_VALUE":
            continue  # true/false as 1/0: what was meant
        if not _same(value, raw):
            notes.append(f"settings.{key}: the portal stores {json.dumps(value)} as {json.dumps(raw)}; write "
                         f"{json.dumps(raw)} to say what the portal keeps")
    return kept, notes


def _same(written: Any, stored: Any) -> bool:
    """Whether a setting is kept as written: the same text, or the same number (1 and 1.0)."""
    if settings_value(written) == settings_value(stored):
        return True
    try:
        return not isinstance(written, bool) and float(str(written)) == float(str(stored))
    except ValueError:
        return False


def label_value(label: str | Mapping[str, Any]) -> str | dict[str, str]:
    """A label map without empty languages; one text when every language says the same."""
    if isinstance(label, str):
        return label
    texts = {str(k): str(v) for k, v in sorted(label.items()) if v not in (None, "")}
    values = set(texts.values())
    return values.pop() if len(values) == 1 else texts


Link = tuple[str, str]
"""(parent, child) of a relation: the portal stores one row per pair, whichever side lists it."""


def relation_list(relations: Iterable[Relation], code: str = "", side: str = "parents",
                  shown: Mapping[Link, bool] | None = None) -> list[dict[str, Any]]:
    """One side's relations; ``showInCard`` left out follows what the other end of the link says
    explicitly (``shown``), as both describe the same portal row."""
    def show(relation: Relation) -> bool:
        if "show_in_card" in relation.model_fields_set or shown is None:
            return relation.show_in_card
        link = (relation.type, code) if side == "parents" else (code, relation.type)
        return shown.get(link, relation.show_in_card)

    return sorted(({"type": r.type, "showInCard": show(r)} for r in relations), key=lambda r: r["type"])


def _explicit_links(specs: Iterable[SmartProcess]) -> dict[Link, bool]:
    """``showInCard`` of every link that one of its ends states explicitly (validate.py refuses two
    ends that disagree)."""
    shown: dict[Link, bool] = {}
    for spec in specs:
        for side in ("parents", "children"):
            for relation in getattr(spec.relations, side) or []:
                if "show_in_card" in relation.model_fields_set:
                    link = (relation.type, spec.code) if side == "parents" else (spec.code, relation.type)
                    shown[link] = relation.show_in_card
    return shown


def compile_manifests(
    manifests: Iterable[Manifest], warnings: list[str] | None = None,
) -> tuple[State, list[ManualStep]]:
    """The desired State of every manifest, and the documented manual automation steps; what the
    portal would store differently from what is written is appended to ``warnings``."""
    state = State()
    manual: list[ManualStep] = []
    specs = sorted((m.spec for m in manifests), key=lambda spec: (type(spec).__name__, _identity(spec)))
    smart_processes = [spec for spec in specs if isinstance(spec, SmartProcess)]
    shown = _explicit_links(smart_processes)
    for spec in specs:
        if isinstance(spec, SmartProcess):
            owner = Address("smart_process", (spec.code,))
            _smart_process(state, spec, shown)
            manual.extend(_manual_steps(spec))
        elif isinstance(spec, CrmEntity):
            owner = Address("entity", (spec.entity,))
            _entity(state, spec)
        elif isinstance(spec, Directory):
            _directory(state, spec)
            continue
        elif isinstance(spec, Application):
            _application(state, spec)
            continue
        else:
            _workplace(state, spec)
            continue
        if warnings is not None:
            for custom_field in spec.fields or []:
                address = owner.child("field", custom_field.code)
                warnings.extend(f"{address}: {note}"
                                for note in stored_settings(custom_field.type, custom_field.settings)[1])
    return state, manual


def _identity(spec: SmartProcess | CrmEntity | Directory | Workplace | Application) -> str:
    if isinstance(spec, Application):
        return ""
    return spec.entity if isinstance(spec, CrmEntity) else spec.directory if isinstance(spec, Directory) \
        else spec.code


def _entity(state: State, spec: CrmEntity) -> None:
    """A built-in entity: a container that always exists, with the lists the manifest writes."""
    address = Address("entity", (spec.entity,))
    state.add(Resource(address, {}))
    if spec.pipelines is not None:
        state.scopes[("pipeline", address)] = spec.prune.pipelines
        for pipeline in spec.pipelines:
            _pipeline(state, address, pipeline)
    if spec.statuses is not None:
        state.scopes[("status", address)] = spec.prune.statuses
        for status in spec.statuses:
            state.add(Resource(address.child("status", status.code), stage_attrs(status)))
    if spec.fields is not None:
        state.scopes[("field", address)] = spec.prune.fields
        for custom_field in spec.fields:
            state.add(Resource(address.child("field", custom_field.code), field_attrs(custom_field)))


def _directory(state: State, spec: Directory) -> None:
    address = Address("directory", (spec.directory,))
    state.add(Resource(address, {}))
    state.scopes[("status", address)] = spec.prune
    for item in spec.items:
        state.add(Resource(address.child("status", item.code), {"name": item.name, "sort": item.sort}))


def _workplace(state: State, spec: Workplace) -> None:
    state.add(Resource(Address("workplace", (spec.code,)),
                       {"title": spec.title, "smartProcesses": sorted(set(spec.smart_processes))}))


def _features(features: Features) -> dict[str, Any]:
    dumped = features.model_dump(by_alias=True)
    linked = dumped.pop("linkedUserFields")
    out = {f"features.{name}": bool(dumped[name]) for name in FEATURE_FLAGS}
    if features.use_in_user_fields:
        out.update({f"features.linkedUserFields.{name}": bool(linked[name]) for name in LINKED_USER_FIELDS})
    return out


def _smart_process(state: State, spec: SmartProcess, shown: Mapping[Link, bool]) -> None:
    address = Address("smart_process", (spec.code,))
    attrs: dict[str, Any] = {"title": spec.title, **_features(spec.features)}
    if spec.entity_type_id is not None:
        attrs["entityTypeId"] = spec.entity_type_id
    if spec.relations.parents is not None:
        attrs["relations.parents"] = relation_list(spec.relations.parents, spec.code, "parents", shown)
    if spec.relations.children is not None:
        attrs["relations.children"] = relation_list(spec.relations.children, spec.code, "children", shown)
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
        "sort": spec.sort, "settings": stored_settings(spec.type, spec.settings)[0],
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
        ManualStep(spec.code, step.pipeline or default, step.stage, tuple(step.robots), step.note,
                   tuple(step.app_robots), tuple(step.triggers))
        for step in spec.automation
    ]


# --- the application ----------------------------------------------------------------------------
def _application(state: State, spec: Application) -> None:
    """What the application registers, under the ``application.app`` container; each list written
    is a managed scope (``prune`` decides about the rest)."""
    state.add(Resource(APPLICATION, {}))
    for kind, entries in (("robot", spec.robots), ("activity", spec.activities), ("trigger", spec.triggers),
                          ("event", spec.events), ("placement", spec.placements)):
        if entries is None:
            continue
        state.scopes[(kind, APPLICATION)] = spec.prune
        for entry in entries:
            if isinstance(entry, Robot):
                state.add(Resource(Address(kind, (entry.code,)), robot_attrs(entry)))
            elif isinstance(entry, EventBinding):
                state.add(Resource(event_address(entry.event, entry.handler if not entry.offline else None),
                                   event_attrs(entry)))
            elif isinstance(entry, PlacementBinding):
                state.add(Resource(Address("placement", (entry.placement, entry.handler)), placement_attrs(entry)))
            else:
                state.add(Resource(Address("trigger", (entry.code,)), {"name": entry.name}))


def _property(prop: RobotProperty) -> dict[str, Any]:
    return {"name": prop.name, "description": prop.description, "type": prop.type, "required": prop.required,
            "multiple": prop.multiple, "default": prop.default, "options": prop.options}


def robot_attrs(robot: Robot) -> dict[str, Any]:
    """A robot's or activity's whole definition: the portal cannot give it back, so the fingerprint
    b24cfg keeps of it (resources/robot.py) is compared, attribute by attribute."""
    return {
        "handler": robot.handler, "name": robot.name, "description": robot.description, "authUser": robot.auth_user,
        "useSubscription": robot.use_subscription,
        "properties": {key: _property(prop) for key, prop in robot.properties.items()},
        "returnProperties": {key: _property(prop) for key, prop in robot.return_properties.items()},
        "placementHandler": robot.placement_handler,
    }


OFFLINE = "offline"
"""The handler part of an offline event binding's address (it has no handler)."""


def event_address(event: str, handler: str | None) -> Address:
    return Address("event", (event, handler or OFFLINE))


def event_attrs(event: EventBinding) -> dict[str, Any]:
    if event.offline:
        return {"handler": None, "offline": True, "authUser": 0, "options": dict(event.options)}
    return {"handler": event.handler, "offline": False, "authUser": event.auth_user, "options": dict(event.options)}


def placement_attrs(placement: PlacementBinding) -> dict[str, Any]:
    """One text for all languages compares with the row's TITLE/DESCRIPTION/GROUP_NAME; a map of
    languages is sent and compared as ``langAll``."""
    attrs: dict[str, Any] = {"handler": placement.handler, "options": dict(placement.options)}
    if isinstance(placement.title, dict):
        texts = {"title": placement.title, "description": placement.description or {},
                 "groupName": placement.group_name or {}}
        attrs["langAll"] = {
            language: {key: str(values.get(language, "")) if isinstance(values, dict) else "" for key, values in
                       texts.items()}
            for language in sorted(placement.title)
        }
    else:
        attrs.update({"title": placement.title, "description": placement.description or "",
                      "groupName": placement.group_name or ""})
    return attrs
