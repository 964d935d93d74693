"""The manifest schema: pydantic models for every ``kind:``, written for CRM admins.

Kinds: ``SmartProcess``; ``CrmEntity`` (deal, contact and company pipelines, lead and quote
statuses, custom fields of the five built-in entities); ``Directory`` (a plain crm.status list such
as SOURCE); ``Workplace`` (a digital workplace grouping smart processes by code); ``Application``
(what the local application registers: robots, workflow activities, CRM triggers, event handlers
and placements).

A manifest reads like the smart process's settings page; every key is camelCase in YAML (snake_case
in Python, through ``alias_generator=to_camel``), every model is frozen and refuses unknown keys.
Only the camelCase spelling is accepted (``entity_type_id:`` is an unknown key with a "did you
mean 'entityTypeId'" hint), also when models are built in Python.
This module checks what one value can check on its own (charset, length, range, allowed words);
rules that relate several values (one success stage, unique codes, references between manifests)
live in ``validate.py``, which knows where each value was written.

Decisions a user will notice
----------------------------
Identity and names
  * ``code`` — the smart process's natural key, stable across portals: ``^[a-z][a-z0-9_]{0,49}$``.
    Lower case so a code never looks like a portal constant; the built-in type names (``lead``,
    ``deal``, ``contact``, ``company``, ``quote``, ``invoice``, ``order``) are reserved because
    relations and crm-field targets name both kinds of type in the same list.
  * ``entityTypeId`` (optional pin): 128..191, or even and >= 1030 (reference crm §9; 31 and 36
    fall outside both). b24cfg also caps it at 99999 — the stage-code budget below assumes it.
  * Pipeline ``key``: same charset as ``code``. Pipelines have no code on the portal; the compile
    step matches them by ``name``, the key only names them inside manifests (automation, messages).
  * Stage ``code``: the part after ``DT{entityTypeId}_{categoryId}:``; ``^[A-Z0-9_]{1,34}$``.
    STATUS_ID holds 50 characters including that prefix (reference crm §5.3). The prefix is at most
    ``DT`` + 5 digits + ``_`` + 7 digits + ``:`` = 16 characters: category ids come from one
    portal-wide counter and differ between portals, so the bound leaves them room to grow.
  * Field ``code``: the part after ``UF_CRM_{typeId}_``; upper-case words of ``A-Z0-9`` joined by
    single underscores (digits first too: fields made in the portal's UI are named
    ``UF_CRM_7_1712345678``), at most 37 characters. FIELD_NAME holds 50
    (reference crm §6.4, §9) and the prefix is at most ``UF_CRM_`` + 5 digits + ``_`` = 13. Single
    underscores keep the ``UF_CRM_7_FOO_BAR`` <-> ``ufCrm7_FooBar`` conversion of ``crm.item``
    reversible.
Texts and scalars
  * ``title``, pipeline and stage ``name``, field labels and enumeration values are trimmed (the
    portal trims them too, so a plan never shows whitespace-only changes) and must not be empty
    afterwards. Lengths: title, pipeline name, label, value, robot 255; stage name 100 (crm.status
    NAME, §5.2).
  * A number where text is expected becomes the text as written (``value: 1.10`` is "1.10", see
    ``loader.WrittenFloat``); ``true``/``false`` there is refused with "quote it" — it is nearly
    always a YAML accident.
  * pydantic's lax conversions stay on for numbers and switches: ``"1040"`` is a number,
    ``yes``/``no``/``on``/``off`` are switches, which keeps quoted ``"${var.X}"`` values usable.
  * ``label``: one text for every language, or a map ``{en: Amount, de: Betrag}`` of two-letter
    portal language ids. Required: a field without a label shows its raw FIELD_NAME to users.
  * ``color``: ``#RRGGBB``, stored upper-case so ``#22b9ff`` and ``#22B9FF`` plan the same.
Defaults
  * ``features``: every ``crm.type`` flag with the portal's default (all off except
    ``openPermissions``, which the portal turns on).
  * ``sort`` of stages, pipelines and enumeration items: the previous entry's sort + 10 (the first
    gets 10), so list order is display order; explicit sorts are allowed but must not decrease
    (checked in validate.py). Every ``sort`` is >= 1 because the portal replaces 0 and negatives.
  * Field ``sort`` defaults to 100 (the portal's default): fields are a set, not an ordered list.
  * A single listed pipeline is the default pipeline unless it says ``default: false``; with
    several, exactly one must say ``default: true`` (validate.py).
  * Stage ``semantics`` defaults to ``process``; ``color`` left out means "whatever the portal has".
  * ``showInCard`` (isChildrenListEnabled) defaults to false, as on the portal.
Lists that are left out are not managed
  * ``pipelines``, a pipeline's ``stages``, ``fields``, ``relations.parents`` and
    ``relations.children`` left out (or null) mean "leave the portal as it is"; an empty list means
    "none" where that can exist (``fields: []``, ``parents: []``; a smart process always keeps a
    pipeline and a pipeline its stages, so those lists are never empty — validate.py).
  * Listed pipelines, stages and fields are created/updated; ``prune`` decides whether unlisted ones
    are deleted. A listed relations side is authoritative, as the portal replaces a whole side on
    every update (reference crm §3.2): there is no prune flag for relations.
Relations
  * Built-in names: ``lead`` 1, ``deal`` 2, ``contact`` 3, ``company`` 4, ``quote`` 7 (new quotes),
    ``order`` 14, ``invoice`` 31 (smart invoices); anything else is a smart-process code.
Field types
  * The 16 types ``userfieldconfig.getTypes`` offers for CRM (reference crm §6.2, §7.5).
  * ``items`` belongs to enumeration, ``targets`` to crm, ``directory`` to crm_status; ``settings``
    is passed through to the portal as written (UPPER keys) except keys b24cfg derives from those.
Automation
  * Documentation only: REST cannot wire robots to stages (ARCHITECTURE §5). Each step names a
    stage (of ``pipeline``, or of the default pipeline), free-form names of robots set up by hand
    (``robots``), and codes of the application's robots and triggers (``appRobots``, ``triggers``),
    which must be defined in the Application manifest.
Application (reference platform §2-§5)
  * Codes of robots, activities and triggers: ``^[A-Za-z0-9._-]{1,128}$`` as the portal checks
    them; robots and activities share one namespace (validate.py).
  * Handlers: ``http``/``https`` URLs whose host holds a dot (not first), as the portal's
    ``HandlerHelper`` checks them, so ``localhost`` is refused here as it would be there. At most
    1000 characters for robots and activities, 255 for events and placements (column sizes).
  * Property keys ``^[A-Za-z][A-Za-z0-9_]*$``; types are the documented basic types; a ``select``
    lists ``options`` and its ``default`` is one of them.
  * Event and placement codes are upper-cased, as the portal stores them. An offline event has no
    handler (the portal stores none).
  * ``useSubscription`` defaults to false and is always sent as Y or N (an empty value means
    different things in the docs and the source, reference platform §9.5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, PlainValidator, StringConstraints,
    WithJsonSchema, field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

SMART_PROCESS_CODE = r"^[a-z][a-z0-9_]{0,49}$"
PIPELINE_KEY = SMART_PROCESS_CODE
STAGE_CODE = r"^[A-Z0-9_]{1,34}$"
FIELD_CODE = r"^[A-Z0-9]+(_[A-Z0-9]+)*$"
FIELD_CODE_MAX = 37
ENTITY_FIELD_CODE = r"^[A-Z0-9_]{1,43}$"
ITEM_CODE = r"^[A-Za-z0-9_-]{1,50}$"
PLAIN_DIRECTORIES = ("SOURCE", "CONTACT_TYPE", "COMPANY_TYPE", "EMPLOYEES", "INDUSTRY", "DEAL_TYPE", "HONORIFIC",
                     "CALL_LIST")
"""The crm.status directories that are plain lists (reference crm §5.3)."""
LANGUAGE_ID = r"^[a-z]{2}$"
SETTINGS_KEY = r"^[A-Z][A-Z0-9_]*$"
DIRECTORY_ID = r"^[A-Z][A-Z0-9_]{0,49}$"
COLOR = r"^#[0-9A-Fa-f]{6}$"
SORT_STEP = 10
MAX_ENTITY_TYPE_ID = 99999

# Built-in CRM types by the names manifests use. Relations may name every one of them (on the side
# the portal allows, checked in validate.py); crm-field targets may name all but order.
BUILTIN_TYPES = ("lead", "deal", "contact", "company", "quote", "invoice", "order")
FIELD_TARGET_TYPES = ("lead", "deal", "contact", "company", "quote", "invoice")

FieldType = Literal[
    "string", "integer", "double", "boolean", "date", "datetime", "enumeration", "employee", "crm", "file",
    "url", "address", "money", "crm_status", "iblock_element", "iblock_section",
]
Semantics = Literal["process", "success", "failure"]
Entity = Literal["lead", "deal", "contact", "company", "quote"]
ENTITY_FIELD_TARGETS = ("lead", "contact", "company", "deal")
"""What a crm field of a built-in entity can link to: crm.*.userfield keeps only these four."""
_IBLOCK_SETTINGS = frozenset({"IBLOCK_TYPE_ID", "IBLOCK_ID", "DEFAULT_VALUE", "DISPLAY", "LIST_HEIGHT", "ACTIVE_FILTER"})
ENTITY_FIELD_SETTINGS: dict[str, frozenset[str]] = {
    "string": frozenset({"DEFAULT_VALUE", "ROWS"}), "integer": frozenset({"DEFAULT_VALUE"}),
    "double": frozenset({"DEFAULT_VALUE", "PRECISION"}), "boolean": frozenset({"DEFAULT_VALUE", "DISPLAY"}),
    "date": frozenset({"DEFAULT_VALUE"}), "datetime": frozenset({"DEFAULT_VALUE"}),
    "enumeration": frozenset({"DISPLAY", "LIST_HEIGHT"}), "iblock_element": _IBLOCK_SETTINGS,
    "iblock_section": _IBLOCK_SETTINGS,
}
"""Per type, the settings crm.{entity}.userfield.add/update write (UserFieldProxy, reference crm
§7.2, §7.4); every other key is dropped without a word, so validate.py refuses it."""
PlainDirectory = Literal["SOURCE", "CONTACT_TYPE", "COMPANY_TYPE", "EMPLOYEES", "INDUSTRY", "DEAL_TYPE", "HONORIFIC",
                         "CALL_LIST"]


def problem(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the user as written (validate.py keeps it)."""
    # The message goes through the context, not the template, so braces in user input stay literal.
    return PydanticCustomError("manifest", "{message}", {"message": message})


def suggest_code(value: str, *, upper: bool) -> str:
    """``value`` squeezed into a code's charset, for "did you mean" hints."""
    text = value.upper() if upper else value.lower()
    allowed = "A-Z0-9" if upper else "a-z0-9"
    return re.sub(r"_+", "_", re.sub(f"[^{allowed}]", "_", text)).strip("_")


_Sorted = TypeVar("_Sorted", bound=BaseModel)


def with_sorts(entries: list[_Sorted] | None) -> list[_Sorted] | None:
    """``entries`` (stages, items, statuses) with their ``sort`` filled in by ``effective_sorts``."""
    if entries is None:
        return None
    sorts = effective_sorts([getattr(entry, "sort") for entry in entries])
    return [entry.model_copy(update={"sort": sort}) for entry, sort in zip(entries, sorts)]


def effective_sorts(sorts: Sequence[int | None]) -> list[int]:
    """Sort values with gaps filled: an entry without sort gets the previous entry's + 10 (first: 10)."""
    result: list[int] = []
    for sort in sorts:
        result.append(sort if sort is not None else (result[-1] if result else 0) + SORT_STEP)
    return result


def _smart_process_code(value: str) -> str:
    if not re.fullmatch(SMART_PROCESS_CODE, value):
        hint = suggest_code(value, upper=False)
        example = f" such as '{hint}'" if re.fullmatch(SMART_PROCESS_CODE, hint) else ""
        raise problem(
            f"'{value}' is not a valid smart-process code; use 1-50 characters of a-z, 0-9 and _, "
            f"starting with a letter{example}"
        )
    if value in BUILTIN_TYPES:
        raise problem(
            f"'{value}' is the name of a built-in CRM type and cannot be a smart-process code; "
            f"pick another code, such as '{value}_process'"
        )
    return value


def _pipeline_key(value: str) -> str:
    if not re.fullmatch(PIPELINE_KEY, value):
        raise problem(
            f"'{value}' is not a valid pipeline key; use 1-50 characters of a-z, 0-9 and _, starting with a "
            f"letter, such as '{suggest_code(value, upper=False) or 'main'}'"
        )
    return value


def _stage_code(value: str) -> str:
    if not re.fullmatch(STAGE_CODE, value):
        hint = suggest_code(value, upper=True)[:34]
        raise problem(
            f"'{value}' is not a valid stage code; use 1-34 characters of A-Z, 0-9 and _ (the portal adds "
            f"'DT{{entityTypeId}}_{{pipelineId}}:' in front and keeps 50 in all), such as '{hint or 'NEW'}'"
        )
    return value


def _field_code(value: str) -> str:
    if len(value) > FIELD_CODE_MAX:
        raise problem(
            f"field code '{value}' is {len(value)} characters long; at most {FIELD_CODE_MAX} fit "
            f"(the portal adds 'UF_CRM_{{typeId}}_' in front and keeps 50 in all) — shorten it"
        )
    if not re.fullmatch(FIELD_CODE, value):
        hint = suggest_code(value, upper=True)
        example = f", such as '{hint}'" if re.fullmatch(FIELD_CODE, hint) else ""
        raise problem(
            f"'{value}' is not a valid field code; use upper-case letters and digits in words joined by "
            f"single underscores{example}"
        )
    return value


def _entity_field_code(value: str) -> str:
    if not re.fullmatch(ENTITY_FIELD_CODE, value):
        hint = suggest_code(value, upper=True)[:43]
        raise problem(
            f"'{value}' is not a valid field code; use 1-43 characters of A-Z, 0-9 and _ (the portal adds "
            f"'UF_CRM_' in front and keeps 50 in all), such as '{hint or 'BUDGET'}'"
        )
    if value.startswith("UF_"):
        raise problem(
            f"write the field code without the prefix: '{value.removeprefix('UF_CRM_').removeprefix('UF_')}' "
            f"(the portal adds 'UF_CRM_' itself and would turn '{value}' into another name)"
        )
    return value


def _item_code(value: str) -> str:
    if not re.fullmatch(ITEM_CODE, value):
        raise problem(
            f"'{value}' is not a directory item code b24cfg can address; use 1-50 characters of A-Z, a-z, 0-9, _ "
            f"and -, such as '{suggest_code(value, upper=True) or 'WEB'}'"
        )
    return value


APP_CODE = r"^[A-Za-z0-9._-]{1,128}$"
PROPERTY_KEY = r"^[A-Za-z][A-Za-z0-9_]*$"
EVENT_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,254}$"
PLACEMENT_CODE = r"^[A-Za-z][A-Za-z0-9_]{0,254}$"
PROPERTY_TYPES = ("bool", "date", "datetime", "double", "file", "int", "select", "string", "text", "user")
"""The basic property types of a robot or activity (D:api-reference/bizproc/bizproc-robot/bizproc-robot-add.md)."""


def _app_code(value: str) -> str:
    if value == "0":
        raise problem("'0' counts as empty for the portal (\"Empty activity code!\"); pick a code with letters")
    if len(value) > 128:
        raise problem(f"the code is {len(value)} characters long; the portal keeps at most 128 — shorten it")
    if not re.fullmatch(APP_CODE, value):
        hint = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("_")[:128]
        raise problem(
            f"'{value}' is not a code the portal accepts; use 1-128 characters of A-Z, a-z, 0-9, '.', '-' and '_'"
            + (f", such as '{hint}'" if hint else "")
        )
    return value


def _handler(limit: int) -> Any:
    def check(value: str) -> str:
        match = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\s]*)([^\s]*)", value)
        host = match.group(2).rsplit("@", 1)[-1].split(":", 1)[0] if match else ""
        if match is None:
            raise problem(
                f"'{value}' is not a full URL (\"Wrong handler URL\"): write it with its scheme, such as "
                f"https://{value.split('://')[-1].lstrip('/') or 'app.example.com/b24/handler'}"
            )
        if host.find(".") <= 0:
            raise problem(
                f"'{value}': the portal refuses this host (\"Wrong handler URL\"): it must contain a dot after its "
                f"first character, so localhost and bare names fail — use a host name such as app.example.com"
            )
        if match.group(1) not in ("http", "https"):
            raise problem(
                f"'{value}': the portal accepts only http and https handlers (\"Unsupported handler protocol\"); "
                f"write https://..."
            )
        if len(value) > limit:
            raise problem(f"the handler URL is {len(value)} characters long; the portal keeps at most {limit}")
        return value
    return check


def _property_key(value: str) -> str:
    if not re.fullmatch(PROPERTY_KEY, value):
        raise problem(
            f"'{value}' is not a property key the portal accepts (\"Wrong property key\"); start with a letter and "
            f"use letters, digits and _, such as '{suggest_code(value, upper=False).lstrip('0123456789_') or 'message'}'"
        )
    return value


def _upper_name(pattern: str, what: str, example: str) -> Any:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise problem(f"'{value}' is not {what}; use letters, digits and _, such as '{example}'")
        return value.upper()
    return check


def _entity_type_id(value: int) -> int:
    if 128 <= value <= 191 or (1030 <= value <= MAX_ENTITY_TYPE_ID and value % 2 == 0):
        return value
    raise problem(
        f"{value} is not allowed; the portal accepts 128-191, or an even number from 1030 "
        f"(b24cfg: up to {MAX_ENTITY_TYPE_ID}) — pick one such as 1040, or leave it out to let the portal choose"
    )


def _color(value: str) -> str:
    if not re.fullmatch(COLOR, value):
        raise problem(f"color '{value}' is not #RRGGBB; write it as six hex digits after '#', such as '#22B9FF'")
    return value.upper()


def _directory(value: str) -> str:
    if not re.fullmatch(DIRECTORY_ID, value):
        raise problem(
            f"'{value}' is not a crm.status directory id; use its ENTITY_ID in upper case, such as 'SOURCE' "
            f"or 'INDUSTRY'"
        )
    return value


def _settings_key(value: str) -> str:
    if not re.fullmatch(SETTINGS_KEY, value):
        raise problem(
            f"settings key '{value}' is not an upper-case portal setting name; write it as the portal "
            f"does, such as '{suggest_code(value, upper=True) or 'DEFAULT_VALUE'}'"
        )
    return value


def _type_reference(value: str) -> str:
    if value not in BUILTIN_TYPES and not re.fullmatch(SMART_PROCESS_CODE, value):
        raise problem(
            f"'{value}' is neither a built-in CRM type ({', '.join(BUILTIN_TYPES)}) nor a smart-process code; "
            f"write one of those"
        )
    return value


def _number_as_text(value: object) -> object:
    """A number written where text is expected, as its text (a stage named 2024, an item valued 1.10).

    ``str()`` gives the spelling the loader kept; booleans are left alone: ``true`` as a name is
    almost always a YAML accident, and the error tells the user to quote it.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _label_text(value: object, what: str) -> str:
    value = _number_as_text(value)
    if not isinstance(value, str):
        raise problem(f"{what} must be text; quote it if it is meant literally")
    text = value.strip()
    if not text:
        raise problem(f"{what} is empty; write the text users should see")
    if len(text) > 255:
        raise problem(f"{what} is {len(text)} characters long; the portal keeps at most 255 — shorten it")
    return text


def _label(value: object) -> str | dict[str, str]:
    if not isinstance(value, dict):
        return _label_text(value, "the label")
    if not value:
        raise problem("the label map is empty; write one text, or languages such as {en: Amount, de: Betrag}")
    labels: dict[str, str] = {}
    for language, text in value.items():
        if not re.fullmatch(LANGUAGE_ID, str(language)):
            raise problem(
                f"'{language}' is not a portal language id; use two lower-case letters such as en, de, ru"
            )
        labels[str(language)] = _label_text(text, f"the {language} label")
    return labels


SmartProcessCode = Annotated[
    str, AfterValidator(_smart_process_code), WithJsonSchema({"type": "string", "pattern": SMART_PROCESS_CODE}),
]
PipelineKey = Annotated[str, AfterValidator(_pipeline_key), WithJsonSchema({"type": "string", "pattern": PIPELINE_KEY})]
StageCode = Annotated[str, AfterValidator(_stage_code), WithJsonSchema({"type": "string", "pattern": STAGE_CODE})]
FieldCode = Annotated[
    str, AfterValidator(_field_code),
    WithJsonSchema({"type": "string", "pattern": FIELD_CODE, "maxLength": FIELD_CODE_MAX}),
]
EntityFieldCode = Annotated[
    str, AfterValidator(_entity_field_code), WithJsonSchema({"type": "string", "pattern": ENTITY_FIELD_CODE}),
]
ItemCode = Annotated[str, AfterValidator(_item_code), WithJsonSchema({"type": "string", "pattern": ITEM_CODE})]
EntityTypeId = Annotated[
    int, AfterValidator(_entity_type_id),
    WithJsonSchema({"type": "integer", "anyOf": [
        {"minimum": 128, "maximum": 191},
        {"minimum": 1030, "maximum": MAX_ENTITY_TYPE_ID, "multipleOf": 2},
    ]}),
]
Color = Annotated[str, AfterValidator(_color), WithJsonSchema({"type": "string", "pattern": COLOR})]
AppCode = Annotated[str, AfterValidator(_app_code), WithJsonSchema({"type": "string", "pattern": APP_CODE})]
RobotHandler = Annotated[
    str, AfterValidator(_handler(1000)),
    WithJsonSchema({"type": "string", "pattern": "^https?://", "maxLength": 1000, "format": "uri"}),
]
Handler = Annotated[
    str, AfterValidator(_handler(255)),
    WithJsonSchema({"type": "string", "pattern": "^https?://", "maxLength": 255, "format": "uri"}),
]
PropertyKey = Annotated[str, AfterValidator(_property_key), WithJsonSchema({"type": "string", "pattern": PROPERTY_KEY})]
EventName = Annotated[
    str, AfterValidator(_upper_name(EVENT_NAME, "an event name", "ONCRMDEALADD")),
    WithJsonSchema({"type": "string", "pattern": EVENT_NAME}),
]
PlacementCode = Annotated[
    str, AfterValidator(_upper_name(PLACEMENT_CODE, "a placement code", "CRM_DEAL_DETAIL_TAB")),
    WithJsonSchema({"type": "string", "pattern": PLACEMENT_CODE}),
]
DirectoryId = Annotated[str, AfterValidator(_directory), WithJsonSchema({"type": "string", "pattern": DIRECTORY_ID})]
SettingsKey = Annotated[str, AfterValidator(_settings_key), WithJsonSchema({"type": "string", "pattern": SETTINGS_KEY})]
TypeReference = Annotated[
    str, AfterValidator(_type_reference),
    WithJsonSchema({"type": "string", "anyOf": [{"enum": list(BUILTIN_TYPES)}, {"pattern": SMART_PROCESS_CODE}]}),
]
Label = Annotated[
    str | dict[str, str], PlainValidator(_label),
    WithJsonSchema({"anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 255},
        {"type": "object", "minProperties": 1, "propertyNames": {"pattern": LANGUAGE_ID},
         "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 255}},
    ]}),
]
# StringConstraints must come before the BeforeValidator: listed after it, pydantic (2.14) silently
# skips them, and "   " would pass as a title.
Text255 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), BeforeValidator(_number_as_text),
]
Text100 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), BeforeValidator(_number_as_text),
]
XmlId = Annotated[str, StringConstraints(min_length=1, max_length=255), BeforeValidator(_number_as_text)]
Sort = Annotated[int, Field(ge=1)]


def _field(title: str, description: str, default: Any = ..., **kwargs: Any) -> Any:
    """``Field`` with the title and description editors show as help (the schema test demands both)."""
    return Field(default, title=title, description=description, **kwargs)


class ManifestModel(BaseModel):
    """Base of every manifest model: frozen, camelCase keys, unknown keys refused."""

    # pydantic's lax conversions stay on, so a quoted "${var.X}" substituted into a number or a switch
    # still works; text fields take numbers through _number_as_text.
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)

    noun: ClassVar[str]
    """What the model is called in messages ("stage", "pipeline", ...)."""


class Stage(ManifestModel):
    """One stage of a pipeline, matched on the portal by its code."""

    noun: ClassVar[str] = "stage"

    code: StageCode = _field(
        "Stage code", "The part of STATUS_ID after 'DT{entityTypeId}_{pipelineId}:', e.g. DRAFT. Immutable on "
        "the portal: changing it replaces the stage. A-Z, 0-9 and _, at most 34 characters.",
    )
    name: Text100 = _field("Name", "Stage name shown to users, at most 100 characters.")
    color: Color | None = _field("Color", "Stage color as #RRGGBB. Left out: keep the portal's color.", None)
    semantics: Semantics = _field(
        "Semantics", "process (work in progress), success (the one final success stage) or failure (final "
        "failure stages). Order in a pipeline: process stages, then success, then failures.", "process",
    )
    sort: Sort | None = _field(
        "Sort", "Position in the pipeline. Left out: the previous stage's sort + 10 (the first gets 10).", None,
    )


class Pipeline(ManifestModel):
    """A pipeline (crm.category); pipelines have no code on the portal and are matched by name."""

    noun: ClassVar[str] = "pipeline"

    key: PipelineKey = _field(
        "Key", "Names the pipeline inside the manifests (automation, messages). The portal never sees it.",
    )
    name: Text255 = _field("Name", "Pipeline name; b24cfg finds the pipeline on the portal by this name.")
    sort: Sort | None = _field(
        "Sort", "Position among the pipelines. Left out: the previous pipeline's sort + 10 (the first gets 10).",
        None,
    )
    default: bool | None = _field(
        "Default", "The pipeline new items land in. Exactly one per smart process; a single listed pipeline is "
        "the default unless it says false.", None,
    )
    stages: list[Stage] | None = _field(
        "Stages", "Stages in display order. Left out: leave the portal's stages as they are.", None,
    )
    prune: bool = _field(
        "Prune stages", "Delete stages on the portal that are not listed here (items on them block it).", False,
    )

    @field_validator("stages")
    @classmethod
    def _fill_stage_sorts(cls, stages: list[Stage] | None) -> list[Stage] | None:
        return with_sorts(stages)


class LinkedUserFields(ManifestModel):
    """Where other modules may link to items of this smart process (crm.type linkedUserFields)."""

    noun: ClassVar[str] = "linkedUserFields"

    calendar_events: bool = _field("Calendar events", "CALENDAR_EVENT|UF_CRM_CAL_EVENT: link from calendar events.",
                                   False)
    tasks: bool = _field("Tasks", "TASKS_TASK|UF_CRM_TASK: link from tasks.", False)
    task_templates: bool = _field("Task templates", "TASKS_TASK_TEMPLATE|UF_CRM_TASK: link from task templates.",
                                  False)


class Features(ManifestModel):
    """The crm.type switches, by readable names; every default is the portal's."""

    noun: ClassVar[str] = "features"

    pipelines: bool = _field("Pipelines", "isCategoriesEnabled: more than one pipeline.", False)
    stages: bool = _field("Stages", "isStagesEnabled: items move through stages.", False)
    begin_close_dates: bool = _field("Begin and close dates", "isBeginCloseDatesEnabled.", False)
    client: bool = _field(
        "Client", "isClientEnabled: link contacts and companies (they become fixed parents).", False,
    )
    use_in_user_fields: bool = _field(
        "Use in user fields", "isUseInUserfieldEnabled: needed for linkedUserFields.", False,
    )
    products: bool = _field("Products", "isLinkWithProductsEnabled.", False)
    my_company: bool = _field("My company", "isMycompanyEnabled: your own company details on items.", False)
    documents: bool = _field("Documents", "isDocumentsEnabled: print documents from templates.", False)
    source: bool = _field("Source", "isSourceEnabled: the source field.", False)
    observers: bool = _field("Observers", "isObserversEnabled.", False)
    recycle_bin: bool = _field(
        "Recycle bin", "isRecyclebinEnabled. The portal refuses to turn it off while the bin holds items.", False,
    )
    automation: bool = _field("Automation", "isAutomationEnabled: robots and triggers (needs stages).", False)
    business_processes: bool = _field("Business processes", "isBizProcEnabled.", False)
    open_permissions: bool = _field(
        "Open permissions", "isSetOpenPermissions: everyone gets access on creation (portal default: on).", True,
    )
    linked_user_fields: LinkedUserFields = _field(
        "Linked user fields", "linkedUserFields; effective only with useInUserFields: true.", LinkedUserFields(),
    )


class Relation(ManifestModel):
    """One related type: a built-in CRM type or another smart process by its code."""

    noun: ClassVar[str] = "relation"

    type: TypeReference = _field(
        "Type", "deal, lead, contact, company, quote, invoice, order, or the code of another smart process.",
    )
    show_in_card: bool = _field(
        "Show in card", "isChildrenListEnabled: show the child items as a list in the parent's card.", False,
    )


class Relations(ManifestModel):
    """Links between item types; each side listed here is authoritative on the portal."""

    noun: ClassVar[str] = "relations"

    parents: list[Relation] | None = _field(
        "Parents", "Types whose items can be linked TO this smart process's items (contacts and companies come "
        "with features.client instead). Left out: keep the portal's.", None,
    )
    children: list[Relation] | None = _field(
        "Children", "Types whose items this smart process's items can be linked to (not order). Left out: keep "
        "the portal's.", None,
    )


class Prune(ManifestModel):
    """What to delete on the portal when the manifest does not list it."""

    noun: ClassVar[str] = "prune"

    pipelines: bool = _field("Pipelines", "Delete pipelines the manifest does not list (needs pipelines).", False)
    fields: bool = _field("Fields", "Delete fields the manifest does not list, with their data (needs fields).",
                          False)


class EnumItem(ManifestModel):
    """One choice of an enumeration field."""

    noun: ClassVar[str] = "item"

    value: Text255 = _field("Value", "The text users choose.")
    xml_id: XmlId | None = _field(
        "XML id", "Stable id of the choice, unique within the field. Left out: the value identifies the item "
        "and the portal generates one.", None,
    )
    default: bool = _field("Default", "Preselected on new items (only one unless the field is multiple).", False)
    sort: Sort | None = _field(
        "Sort", "Position in the list. Left out: the previous item's sort + 10 (the first gets 10).", None,
    )


class CustomField(ManifestModel):
    """A user field of the smart process, UF_CRM_{typeId}_{code} on the portal."""

    noun: ClassVar[str] = "field"

    code: FieldCode = _field(
        "Code", "The part of the field name after 'UF_CRM_{typeId}_', e.g. AMOUNT. Immutable: changing it "
        "replaces the field and loses its data.",
    )
    type: FieldType = _field("Type", "The user field type (userTypeId). Immutable: changing it replaces the field.")
    label: Label = _field("Label", "One text for all languages, or a map such as {en: Amount, de: Betrag}.")
    multiple: bool = _field("Multiple", "Holds several values. Immutable on the portal.", False)
    mandatory: bool = _field("Mandatory", "Must be filled.", False)
    show_in_filter: bool = _field("Show in filter", "Offered in the list filter.", False)
    show_in_list: bool = _field(
        "Show in list", "Offered as a list column. Only true is accepted: userfieldconfig.add/update ignore "
        "showInList, so the portal always offers the column; hide it in the list settings on the portal.", True,
    )
    edit_in_list: bool = _field("Edit in list", "Editable in the list.", True)
    searchable: bool = _field("Searchable", "Included in full-text search (isSearchable).", False)
    sort: Sort = _field("Sort", "Order among the fields (portal default 100).", 100)
    settings: dict[SettingsKey, JsonValue] = _field(
        "Settings", "Raw portal settings for the type, passed through (UPPER keys, e.g. DEFAULT_VALUE).", {},
    )
    items: list[EnumItem] | None = _field("Items", "enumeration only: the choices, in display order.", None)
    targets: list[TypeReference] | None = _field(
        "Targets", "crm only: the types an item may link to: deal, lead, contact, company, quote, invoice, or a "
        "smart-process code.", None,
    )
    directory: DirectoryId | None = _field(
        "Directory", "crm_status only: the crm.status directory (ENTITY_ID) to choose from, e.g. SOURCE.", None,
    )

    @field_validator("items")
    @classmethod
    def _fill_item_sorts(cls, items: list[EnumItem] | None) -> list[EnumItem] | None:
        return with_sorts(items)


class AutomationStep(ManifestModel):
    """Documentation of the robots on one stage; REST cannot wire robots to stages."""

    noun: ClassVar[str] = "automation step"

    pipeline: PipelineKey | None = _field("Pipeline", "Pipeline key. Left out: the default pipeline.", None)
    stage: StageCode = _field("Stage", "Code of a stage listed in that pipeline.")
    robots: list[Text255] = _field("Robots", "Names of built-in robots, in the order they run, as set up by hand "
                                   "in the portal.", [])
    app_robots: list[AppCode] = _field(
        "Application robots", "Codes of robots of the Application manifest placed on this stage, in order.", [],
    )
    triggers: list[AppCode] = _field(
        "Triggers", "Codes of triggers of the Application manifest that move items into this stage.", [],
    )
    note: Text255 | None = _field("Note", "Anything the person wiring the robots should know.", None)


class SmartProcess(ManifestModel):
    """A smart process (crm.type) with its pipelines, stages, fields and relations."""

    noun: ClassVar[str] = "smart process"

    kind: Literal["SmartProcess"] = _field("Kind", "Always SmartProcess.")
    code: SmartProcessCode = _field(
        "Code", "Natural key of the smart process, stable across portals: a-z, 0-9 and _, starting with a "
        "letter, at most 50 characters.",
    )
    title: Text255 = _field("Title", "Name of the smart process shown to users.")
    entity_type_id: EntityTypeId | None = _field(
        "Entity type id", "Optional pin: 128-191, or an even number from 1030. Immutable: changing it replaces "
        "the smart process. Left out: the portal picks one (different on every portal).", None,
    )
    features: Features = _field(
        "Feature switches", "The smart process's switches (crm.type is*Enabled flags).", Features(),
    )
    relations: Relations = _field("Related types", "Which item types link to which.", Relations())
    pipelines: list[Pipeline] | None = _field(
        "Pipelines", "Pipelines with their stages. Left out: leave the portal's pipelines as they are.", None,
    )
    prune: Prune = _field("Pruning", "Delete pipelines or fields on the portal that are not listed.", Prune())
    fields: list[CustomField] | None = _field(
        "Fields", "Custom fields. Left out: leave the portal's fields as they are.", None,
    )
    automation: list[AutomationStep] | None = _field(
        "Automation", "Documentation only: robots to set up by hand on each stage (REST cannot place robots on "
        "stages); the stages must exist.", None,
    )

    @field_validator("pipelines")
    @classmethod
    def _fill_pipeline_defaults(cls, pipelines: list[Pipeline] | None) -> list[Pipeline] | None:
        return fill_pipeline_defaults(pipelines)


def fill_pipeline_defaults(pipelines: list[Pipeline] | None) -> list[Pipeline] | None:
    """Sorts filled in; a single pipeline is the default unless it says otherwise."""
    if pipelines is None:
        return None
    sorts = effective_sorts([pipeline.sort for pipeline in pipelines])
    single = len(pipelines) == 1
    return [
        pipeline.model_copy(update={
            "sort": sort,
            "default": pipeline.default if pipeline.default is not None else single,
        })
        for pipeline, sort in zip(pipelines, sorts)
    ]


class EntityField(CustomField):
    """A user field of a built-in CRM entity, UF_CRM_{code} on the portal (crm.{entity}.userfield.*)."""

    code: EntityFieldCode = _field(
        "Code", "The part of the field name after 'UF_CRM_', e.g. BUDGET (the portal adds the prefix). Immutable: "
        "changing it replaces the field and loses its data. A-Z, 0-9 and _, at most 43 characters.",
    )


class EntityPrune(ManifestModel):
    """What to delete on the portal when a CrmEntity manifest does not list it."""

    noun: ClassVar[str] = "prune"

    pipelines: bool = _field("Pipelines", "Delete pipelines the manifest does not list (needs pipelines).", False)
    statuses: bool = _field("Statuses", "Delete lead or quote statuses the manifest does not list (needs statuses).",
                            False)
    fields: bool = _field("Fields", "Delete fields the manifest does not list, with their data (needs fields).",
                          False)


class CrmEntity(ManifestModel):
    """A built-in CRM entity: deal, contact and company pipelines, lead and quote statuses, custom fields."""

    noun: ClassVar[str] = "CRM entity"

    kind: Literal["CrmEntity"] = _field("Kind", "Always CrmEntity.")
    entity: Entity = _field("Entity", "lead, deal, contact, company or quote. One manifest per entity.")
    pipelines: list[Pipeline] | None = _field(
        "Pipelines", "deal, contact and company: pipelines (crm.category), matched by name; deal pipelines list "
        "their stages. The default pipeline is the portal's own (id 0) and stays the default. Left out: leave the "
        "portal's pipelines as they are.", None,
    )
    statuses: list[Stage] | None = _field(
        "Statuses", "lead and quote: the stages of the one status list (crm.status STATUS / QUOTE_STATUS), in "
        "display order. Left out: leave them as they are.", None,
    )
    fields: list[EntityField] | None = _field(
        "Fields", "Custom fields (crm.{entity}.userfield). Left out: leave the portal's fields as they are.", None,
    )
    prune: EntityPrune = _field("Pruning", "Delete pipelines, statuses or fields that are not listed.", EntityPrune())

    @field_validator("pipelines")
    @classmethod
    def _fill_pipeline_defaults(cls, pipelines: list[Pipeline] | None) -> list[Pipeline] | None:
        return fill_pipeline_defaults(pipelines)

    @field_validator("statuses")
    @classmethod
    def _fill_status_sorts(cls, statuses: list[Stage] | None) -> list[Stage] | None:
        return with_sorts(statuses)


class DirectoryItem(ManifestModel):
    """One entry of a crm.status directory, matched on the portal by its code (STATUS_ID)."""

    noun: ClassVar[str] = "item"

    code: ItemCode = _field("Code", "STATUS_ID, e.g. WEB. Immutable on the portal: changing it replaces the item.")
    name: Text100 = _field("Name", "What users see, at most 100 characters.")
    sort: Sort | None = _field("Sort", "Position. Left out: the previous item's sort + 10 (the first gets 10).", None)


class Directory(ManifestModel):
    """A plain crm.status directory: sources, deal types, contact and company types, industries, ..."""

    noun: ClassVar[str] = "directory"

    kind: Literal["Directory"] = _field("Kind", "Always Directory.")
    directory: PlainDirectory = _field(
        "Directory", "The crm.status ENTITY_ID: " + ", ".join(PLAIN_DIRECTORIES) + ". Lead and quote statuses "
        "belong in a CrmEntity manifest, stages in their pipelines.",
    )
    items: list[DirectoryItem] = _field("Items", "The entries, in display order.")
    prune: bool = _field("Prune", "Delete entries the manifest does not list (system entries are deleted too).",
                         False)

    @field_validator("items")
    @classmethod
    def _fill_item_sorts(cls, items: list[DirectoryItem]) -> list[DirectoryItem]:
        return with_sorts(items) or []


class Workplace(ManifestModel):
    """A digital workplace (crm.automatedsolution): a named group of smart processes."""

    noun: ClassVar[str] = "workplace"

    kind: Literal["Workplace"] = _field("Kind", "Always Workplace.")
    code: PipelineKey = _field(
        "Code", "Names the workplace inside the manifests; the portal has no code for it and b24cfg finds it by "
        "title. a-z, 0-9 and _, starting with a letter.",
    )
    title: Text255 = _field("Title", "The workplace's name; b24cfg finds it on the portal by this title.")
    smart_processes: list[SmartProcessCode] = _field(
        "Smart processes", "Codes of the smart processes it groups (the whole set: others are moved out). A smart "
        "process sits in at most one workplace.",
    )


class RobotProperty(ManifestModel):
    """One input (or return value) of a robot or activity, as the automation designer shows it."""

    noun: ClassVar[str] = "property"

    name: Label = _field("Name", "What the designer shows: one text, or a map of languages.")
    description: Label | None = _field("Description", "Help text under the property.", None)
    type: Literal["bool", "date", "datetime", "double", "file", "int", "select", "string", "text", "user"] = _field(
        "Type", "One of the basic types: " + ", ".join(PROPERTY_TYPES) + ".", "string",
    )
    required: bool = _field("Required", "Whether the designer demands a value.", False)
    multiple: bool = _field("Multiple", "Whether it takes several values.", False)
    default: JsonValue = _field("Default", "The value it starts with (for select: one of the options' keys).", None)
    options: dict[str, Text255] | None = _field(
        "Options", "select: the choices, value -> title (required for select, only for select).", None,
    )


class Robot(ManifestModel):
    """An automation robot (bizproc.robot.*) that admins place on stages."""

    noun: ClassVar[str] = "robot"

    code: AppCode = _field(
        "Code", "Natural key, unique among the application's robots and activities: A-Z, a-z, 0-9, '.', '-', '_'. "
        "It cannot change on the portal: a new code is a new robot (stages using the old one show it blocked).",
    )
    handler: RobotHandler = _field("Handler", "URL the portal posts to when the robot runs (http or https).")
    name: Label = _field("Name", "Name in the designer: one text, or a map of languages.")
    description: Label | None = _field("Description", "Description in the designer.", None)
    auth_user: int = _field(
        "Auth user", "AUTH_USER_ID: the user whose token the handler receives (0: the portal's default).", 0, ge=0,
    )
    use_subscription: bool = _field(
        "Use subscription", "Wait for the handler's answer (bizproc.event.send), e.g. to get return values.", False,
    )
    properties: dict[PropertyKey, RobotProperty] = _field("Properties", "Inputs, by key, in display order.", {})
    return_properties: dict[PropertyKey, RobotProperty] = _field(
        "Return properties", "Values the handler sends back (needs useSubscription).", {},
    )
    placement_handler: RobotHandler | None = _field(
        "Placement handler", "A settings dialog of the application instead of the designer's form "
        "(USE_PLACEMENT). Left out: the designer's own form.", None,
    )


class Activity(Robot):
    """A workflow activity (bizproc.activity.*) for the business-process designer."""

    noun: ClassVar[str] = "activity"


class Trigger(ManifestModel):
    """A CRM automation trigger (crm.automation.trigger.*) the application fires."""

    noun: ClassVar[str] = "trigger"

    code: AppCode = _field("Code", "Natural key: A-Z, a-z, 0-9, '.', '-', '_'.")
    name: Text255 = _field("Name", "Name shown in the automation settings.")


class EventBinding(ManifestModel):
    """An event handler (event.bind): the portal calls ``handler`` when ``event`` happens."""

    noun: ClassVar[str] = "event binding"

    event: EventName = _field("Event", "Event name such as ONCRMDEALADD (upper-cased, as the portal stores it).")
    handler: Handler | None = _field("Handler", "URL the portal posts the event to. Not for offline events.", None)
    offline: bool = _field(
        "Offline", "Offline event (event_type offline): queued for the application to fetch, no handler.", False,
    )
    auth_user: int = _field(
        "Auth user", "auth_type: the user whose token the handler receives (0: the user who caused the event).", 0,
        ge=0,
    )
    options: dict[str, JsonValue] = _field(
        "Options", "Options the event declares (e.g. minTimeout for ONOFFLINEEVENT); the portal drops others.", {},
    )


class PlacementBinding(ManifestModel):
    """A widget (placement.bind): the application's page embedded at ``placement``."""

    noun: ClassVar[str] = "placement"

    placement: PlacementCode = _field("Placement", "Placement code such as CRM_DEAL_DETAIL_TAB (upper-cased).")
    handler: Handler = _field("Handler", "URL of the page the portal opens (http or https).")
    title: Label = _field("Title", "Title users see: one text, or a map of languages (sent as LANG_ALL).")
    description: Label | None = _field("Description", "Description; a map when the title is a map.", None)
    group_name: Label | None = _field("Group name", "Group of menu placements; a map when the title is a map.",
                                      None)
    options: dict[str, JsonValue] = _field(
        "Options", "Options the placement declares (e.g. width, height); the portal drops others.", {},
    )


class Application(ManifestModel):
    """What the local application registers on the portal; needs the application's OAuth credentials."""

    noun: ClassVar[str] = "application"

    kind: Literal["Application"] = _field("Kind", "Always Application. One per set of manifests.")
    robots: list[Robot] | None = _field("Robots", "Automation robots. Left out: not managed.", None)
    activities: list[Activity] | None = _field("Activities", "Workflow activities. Left out: not managed.", None)
    triggers: list[Trigger] | None = _field("Triggers", "CRM automation triggers. Left out: not managed.", None)
    events: list[EventBinding] | None = _field("Events", "Event handlers. Left out: not managed.", None)
    placements: list[PlacementBinding] | None = _field("Placements", "Widgets. Left out: not managed.", None)
    prune: bool = _field(
        "Prune", "Remove what the application registered on the portal that the listed kinds do not list.", False,
    )


KINDS: dict[str, type[ManifestModel]] = {
    "SmartProcess": SmartProcess, "CrmEntity": CrmEntity, "Directory": Directory, "Workplace": Workplace,
    "Application": Application,
}
"""Every manifest kind by its ``kind:`` value."""
