"""Custom fields: ``userfieldconfig.*`` (Engine, reference crm §6), ``crm.{lead,deal,contact,company,
quote}.userfield.*`` (legacy ``UserFieldProxy``, §7) and the ``crm.userfield.*`` reference methods (§7.5).

Both families read and write one store, as both end in ``b_user_field`` on the server: a field made
with ``crm.deal.userfield.add`` is listed by ``userfieldconfig.list`` under ``CRM_DEAL``.

``state["userfields"][str(id)]``::

    {"id": int, "entityId": "CRM_7", "fieldName": "UF_CRM_7_X", "userTypeId": "string",
     "xmlId": str | None, "sort": int, "multiple": "Y"|"N", "mandatory", "showFilter" ("N|I|E|S"),
     "showInList", "editInList", "isSearchable", "settings": {...UPPER keys...},
     "labels": {"EDIT_FORM_LABEL": {lid: str | None}, ...},   # per label kind, languages as stored
     "enum": [{"id": int, "value": str, "def": "Y"|"N", "sort": int, "xmlId": str}]}   # enumeration only

Portal languages (for label fan-out) are ``state["portal"]["languages"]``, seeded with the 21
languages of the docs' ``crm.deal.userfield.get`` example. App-registered field types are read
from ``state["placements"]`` rows with ``PLACEMENT == "USERFIELD_TYPE"`` (how the server keeps
them); the sandbox has no ``userfieldtype.add``, so only tests or fixtures put such rows there.

Portal options read here:
  ``userfield_read_requires_admin`` (bool, default False): the docs let any CRM reader call
  ``crm.*.userfield.get/list``; the server snapshot demands CONFIG WRITE (reference crm §14.17).
  ``userfieldconfig_add_label_rows`` ("portal" | "passed", default "portal"): which languages get a
  label row on ``userfieldconfig.add``; see ``_config_add_labels``.
  ``userfield_enum_update_rehashes_xml_id`` (bool, default True): ``crm.*.userfield.update`` of a
  list item without ``XML_ID`` rewrites it to ``md5(VALUE)`` (``CUserFieldEnum::SetEnumValues``).
  ``userfield_limit_per_entity`` (int, default 1016): fields per entity before adds fail with
  ``INTERNAL_SERVER_ERROR`` (docs, deals/user-defined-fields/index.md).
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from b24cfg.sandbox import ormfilter
from b24cfg.sandbox.core import (
    Call,
    Listed,
    RestError,
    State,
    as_int,
    method,
    paginate,
    php_list,
    seeder,
    yn,
)

Record = dict[str, Any]

# The languages of the docs' crm.deal.userfield.get example: a cloud portal's language list.
PORTAL_LANGUAGES = (
    "ar", "br", "de", "en", "fr", "hi", "id", "in", "it", "ja", "kz", "la", "ms", "pl", "ru", "sc", "tc",
    "th", "tr", "ua", "vn",
)
LABEL_KINDS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "ERROR_MESSAGE", "HELP_MESSAGE")
CAMEL_LABELS = {
    "EDIT_FORM_LABEL": "editFormLabel", "LIST_COLUMN_LABEL": "listColumnLabel",
    "LIST_FILTER_LABEL": "listFilterLabel", "ERROR_MESSAGE": "errorMessage", "HELP_MESSAGE": "helpMessage",
}
# [D] api-reference/crm/universal/userfieldconfig/index.md#entity-id; SPAs add CRM_{type.id}.
FIXED_ENTITY_IDS = (
    "CRM_LEAD", "CRM_CONTACT", "CRM_COMPANY", "CRM_DEAL", "CRM_QUOTE", "CRM_INVOICE", "CRM_SMART_INVOICE",
    "CRM_REQUISITE", "CRM_SMART_DOCUMENT", "CRM_SMART_B2E_DOC",
)
LEGACY_ENTITIES = {
    "lead": "CRM_LEAD", "deal": "CRM_DEAL", "contact": "CRM_CONTACT", "company": "CRM_COMPANY", "quote": "CRM_QUOTE",
}
# userfieldconfig.getTypes for moduleId=crm, in the docs' order and wording.
CONFIG_TYPES = {
    "crm": "Linked to CRM entities", "crm_status": "Linked to CRM directories", "money": "Money",
    "employee": "Linked to employee", "string": "String", "integer": "Integer", "double": "Number",
    "datetime": "Date with time", "date": "Date", "boolean": "Yes/No", "address": "Address", "url": "Link",
    "file": "File", "enumeration": "List", "iblock_section": "Linked to information block sections",
    "iblock_element": "Linked to information block elements",
}
# Registered on a portal but withheld by getTypes (main defaults + CRM restrictions, reference §6.2).
RESTRICTED_TYPES = (
    "resourcebooking", "mail_message", "hlblock", "video", "vote", "url_preview", "string_formatted",
    "disk_file", "disk_version", "snils",
)
# crm.userfield.types: UserFieldProxy::getTypes, titles as the docs print them.
LEGACY_TYPES = (
    ("string", "String"), ("integer", "Integer"), ("double", "Number"), ("boolean", "Yes/No"),
    ("enumeration", "List"), ("datetime", "Date/Time"), ("date", "Date"), ("money", "Money"), ("url", "Link"),
    ("address", "Google Maps Address"), ("file", "File"), ("employee", "Binding to User"),
    ("crm_status", "Binding to CRM Directories"), ("iblock_section", "Binding to Information Block Sections"),
    ("iblock_element", "Binding to Information Block Elements"), ("crm", "Binding to CRM Entities"),
)
APP_TYPE_PLACEMENT = "USERFIELD_TYPE"
LEGACY_KEYS = (
    "ID", "ENTITY_ID", "FIELD_NAME", "USER_TYPE_ID", "XML_ID", "SORT", "MULTIPLE", "MANDATORY", "SHOW_FILTER",
    "SHOW_IN_LIST", "EDIT_IN_LIST", "IS_SEARCHABLE", *LABEL_KINDS, "LIST", "SETTINGS", "LABEL",
)
CONFIG_KEYS = (
    "entityId", "fieldName", "userTypeId", "xmlId", "sort", "multiple", "mandatory", "showFilter", "editInList",
    "isSearchable", "settings", "editFormLabel", "helpMessage", "enum",
)
COLUMNS = {  # UPPER_SNAKE column -> record key (filters/orders/select of both families)
    "ID": "id", "ENTITY_ID": "entityId", "FIELD_NAME": "fieldName", "USER_TYPE_ID": "userTypeId",
    "XML_ID": "xmlId", "SORT": "sort", "MULTIPLE": "multiple", "MANDATORY": "mandatory",
    "SHOW_FILTER": "showFilter", "SHOW_IN_LIST": "showInList", "EDIT_IN_LIST": "editInList",
    "IS_SEARCHABLE": "isSearchable", "SETTINGS": "settings",
}
LEGACY_FILTER = tuple(c for c in COLUMNS if c not in ("ENTITY_ID", "SETTINGS"))
LEGACY_ORDER = ("ID", "ENTITY_ID", "FIELD_NAME", "USER_TYPE_ID", "XML_ID", "SORT")

# Error texts. CHOICE: where the legacy docs pages differ only in wording ("Invalid" vs "Incorrect custom
# type specified."), the crm.deal.userfield pages win; userfieldconfig's CheckFields errors use them too.
NAME_TOO_LONG = "Field name is too long (more than 50 characters)."
NAME_INVALID = "Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _."
TYPE_INVALID = "Incorrect custom type specified."
ACCESS_DENIED = "Access denied."
BAD_ID = "ID is not defined or invalid."
CONFIG_VIEW_DENIED = "You do not have permission to view user field settings"
CONFIG_MODIFY_DENIED = "You cannot change the settings of the user field"
CONFIG_DELETE_DENIED = "You cannot delete the user field"
CONFIG_CREATE_DENIED = "You cannot create custom fields"
CONFIG_ENUM_FAILED = "Fail to save enumeration field values"


@seeder
def _seed(state: State) -> None:
    state["portal"].setdefault("languages", list(PORTAL_LANGUAGES))
    state.setdefault("userfields", {})


# --- storage helpers ---------------------------------------------------------------------------
def _store(call: Call) -> dict[str, Record]:
    return call.state.setdefault("userfields", {})  # type: ignore[no-any-return]


def _languages(call: Call) -> list[str]:
    return list(call.state["portal"].get("languages", PORTAL_LANGUAGES))


def _app_types(call: Call) -> dict[str, dict[str, Any]]:
    """App-registered types: ``rest_{app id}_{code}`` -> {code, title, client_id} (``Callback::getUserTypeId``)."""
    apps = call.state["auth"].get("apps", {})
    out: dict[str, dict[str, Any]] = {}
    for row in call.state.get("placements", []):
        if not isinstance(row, dict) or row.get("PLACEMENT") != APP_TYPE_PLACEMENT or not row.get("ADDITIONAL"):
            continue
        app = apps.get(row.get("APP_ID"), {})
        out[f"rest_{app.get('id', 0)}_{row['ADDITIONAL']}"] = {
            "code": row["ADDITIONAL"], "title": row.get("TITLE") or row["ADDITIONAL"], "client_id": row.get("APP_ID"),
        }
    return out


def _registered_types(call: Call) -> set[str]:
    """Every USER_TYPE_ID ``CheckFields`` accepts (the legacy family may use restricted ones)."""
    return set(CONFIG_TYPES) | set(RESTRICTED_TYPES) | set(_app_types(call))


def _available_entity_ids(call: Call) -> list[str]:
    """``UserFieldAccess`` for crm: the user-field entities of every factory the caller administers.

    The sandbox knows admins and non-admins only: an admin administers every entity, others none.
    SPAs are ``CRM_{type.id}`` (not entityTypeId), from crm.py's ``state["types"]``.
    """
    if not call.is_admin:
        return []
    types = call.state.get("types", {})
    spa_ids = sorted(int(t["id"]) for t in types.values())
    return [*FIXED_ENTITY_IDS, *(f"CRM_{i}" for i in spa_ids)]


def _strict_y(value: Any) -> str:
    """``$value === 'Y' ? 'Y' : 'N'`` after the facade turned JSON booleans into Y/N."""
    return "Y" if value is True or value == "Y" else "N"


def _show_filter(value: Any) -> str:
    """``SHOW_FILTER``: "Y" means "E" (by mask); otherwise the first letter if it is one of NIES."""
    letter = _php_str(value)[:1]
    return "E" if letter == "Y" else letter if letter and letter in "NIES" else "N"


def _snake(name: str) -> str:
    """camelCase -> UPPER_SNAKE; names already in upper case stay as they are (the facade's guard)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() if re.search(r"[a-z]", name) else name.upper()


def _php_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


# --- type settings (CUserTypeManager::PrepareSettings of each type) -------------------------------
def _size(value: Any) -> int:
    size = as_int(value)
    return 20 if size <= 1 else 225 if size > 255 else size  # sic: 225, as in the type classes


def _flag_default_y(value: Any) -> str:
    """``$value !== 'N' ? 'Y' : 'N'``: anything but an explicit "N" is "Y"."""
    return "N" if value == "N" else "Y"


def _float_or_none(value: Any) -> float | None:
    if _php_str(value) == "":
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return 0.0


def _default_date(value: Any) -> dict[str, Any]:
    given = value if isinstance(value, dict) else {"VALUE": value, "TYPE": "NONE"} if value else {}
    kind = str(given.get("TYPE") or "NONE").upper()
    return {"TYPE": kind if kind in ("NONE", "NOW", "FIXED") else "NONE", "VALUE": _php_str(given.get("VALUE"))}


def prepare_settings(user_type_id: str, given: Any) -> dict[str, Any]:
    """The settings a type stores for ``given``: known keys normalised, defaults filled, others
    dropped. Types the sandbox does not model (resourcebooking, app types, ...) keep what was given."""
    s: dict[str, Any] = {}
    if isinstance(given, dict):
        # JSON booleans arrive as Y/N (UserFieldConfigFacade::prepareFields).
        s = {str(k): ("Y" if v else "N") if isinstance(v, bool) else v for k, v in given.items()}
    if user_type_id == "string":
        rows = as_int(s.get("ROWS"))
        return {
            "SIZE": _size(s.get("SIZE")), "ROWS": 1 if rows <= 1 else min(rows, 50),
            "REGEXP": _php_str(s.get("REGEXP")), "MIN_LENGTH": as_int(s.get("MIN_LENGTH")),
            "MAX_LENGTH": as_int(s.get("MAX_LENGTH")),
            "DEFAULT_VALUE": "" if s.get("DEFAULT_VALUE") is None else s["DEFAULT_VALUE"],
        }
    if user_type_id == "integer":
        default = s.get("DEFAULT_VALUE", "")
        return {
            "SIZE": _size(s.get("SIZE")), "MIN_VALUE": as_int(s.get("MIN_VALUE")), "MAX_VALUE": as_int(s.get("MAX_VALUE")),
            "DEFAULT_VALUE": None if _php_str(default) == "" else as_int(default),
        }
    if user_type_id == "double":
        precision = as_int(s.get("PRECISION"))
        return {
            "PRECISION": min(max(precision, 0), 12), "SIZE": _size(s.get("SIZE")),
            "MIN_VALUE": _float_or_none(s.get("MIN_VALUE")) or 0.0, "MAX_VALUE": _float_or_none(s.get("MAX_VALUE")) or 0.0,
            "DEFAULT_VALUE": _float_or_none(s.get("DEFAULT_VALUE")),
        }
    if user_type_id == "boolean":
        display = str(s.get("DISPLAY") or "").upper()
        label = s.get("LABEL")
        labels = php_list(label) or ([label, label] if isinstance(label, str) else ["", ""])
        return {
            "DEFAULT_VALUE": 1 if as_int(s.get("DEFAULT_VALUE")) == 1 else 0,
            "DISPLAY": display if display in ("CHECKBOX", "RADIO", "DROPDOWN") else "CHECKBOX",
            "LABEL": [_php_str(labels[0]), _php_str(labels[1] if len(labels) > 1 else "")],
            "LABEL_CHECKBOX": _php_str(s.get("LABEL_CHECKBOX")),
        }
    if user_type_id == "date":
        return {"DEFAULT_VALUE": _default_date(s.get("DEFAULT_VALUE"))}
    if user_type_id == "datetime":
        return {
            "DEFAULT_VALUE": _default_date(s.get("DEFAULT_VALUE")),
            "USE_SECOND": _flag_default_y(s.get("USE_SECOND")), "USE_TIMEZONE": _strict_y(s.get("USE_TIMEZONE")),
        }
    if user_type_id == "enumeration":
        display = str(s.get("DISPLAY") or "").upper()
        return {
            "DISPLAY": display if display in ("LIST", "UI", "CHECKBOX", "DIALOG") else "LIST",
            "LIST_HEIGHT": max(as_int(s.get("LIST_HEIGHT"), 1), 1),
            "CAPTION_NO_VALUE": _php_str(s.get("CAPTION_NO_VALUE")), "SHOW_NO_VALUE": _flag_default_y(s.get("SHOW_NO_VALUE")),
        }
    if user_type_id == "url":
        rows = as_int(s.get("ROWS"))
        return {
            "POPUP": _flag_default_y(s.get("POPUP")), "SIZE": _size(s.get("SIZE")),
            "MIN_LENGTH": as_int(s.get("MIN_LENGTH")), "MAX_LENGTH": as_int(s.get("MAX_LENGTH")),
            "DEFAULT_VALUE": _php_str(s.get("DEFAULT_VALUE")), "ROWS": 1 if rows <= 1 else min(rows, 50),
        }
    if user_type_id == "file":
        extensions = s.get("EXTENSIONS")
        return {
            "SIZE": _size(s.get("SIZE")), "LIST_WIDTH": as_int(s.get("LIST_WIDTH")), "LIST_HEIGHT": as_int(s.get("LIST_HEIGHT")),
            "MAX_SHOW_SIZE": as_int(s.get("MAX_SHOW_SIZE")), "MAX_ALLOWED_SIZE": as_int(s.get("MAX_ALLOWED_SIZE")),
            "EXTENSIONS": extensions if isinstance(extensions, (list, dict)) else [],
            "TARGET_BLANK": _flag_default_y(s.get("TARGET_BLANK")),
        }
    if user_type_id == "address":
        return {"SHOW_MAP": _flag_default_y(s.get("SHOW_MAP"))}
    if user_type_id == "money":
        return {"DEFAULT_VALUE": _php_str(s.get("DEFAULT_VALUE"))}
    if user_type_id == "employee":
        return {}
    if user_type_id == "crm_status":
        return {"ENTITY_TYPE": _php_str(s.get("ENTITY_TYPE"))}
    if user_type_id == "crm":
        # ElementType::prepareSettings: LEAD..ORDER as Y/N, LEAD=Y when nothing is bound. CHOICE: the
        # newer targets the docs list (QUOTE, SMART_INVOICE, DYNAMIC_{typeId}) are kept when passed.
        out = {k: _strict_y(s.get(k)) for k in ("LEAD", "CONTACT", "COMPANY", "DEAL", "ORDER")}
        for key, value in s.items():
            if key in ("QUOTE", "SMART_INVOICE") or re.fullmatch(r"DYNAMIC_\d+", key):
                out[key] = _strict_y(value)
        if "Y" not in out.values():
            out["LEAD"] = "Y"
        return out
    if user_type_id in ("iblock_section", "iblock_element"):
        display = str(s.get("DISPLAY") or "").upper()
        iblock, default = as_int(s.get("IBLOCK_ID")), as_int(s.get("DEFAULT_VALUE"))
        return {
            "DISPLAY": display if display in ("LIST", "UI", "CHECKBOX", "DIALOG") else "LIST",
            "LIST_HEIGHT": max(as_int(s.get("LIST_HEIGHT"), 1), 1), "IBLOCK_ID": iblock if iblock > 0 else "",
            "DEFAULT_VALUE": default if default > 0 else "", "ACTIVE_FILTER": _strict_y(s.get("ACTIVE_FILTER")),
        }
    return s


# --- creation and enumeration values (CAllUserTypeEntity::Add / CUserFieldEnum::SetEnumValues) --------
def _check_fields(call: Call, field_name: str, user_type_id: str) -> list[str]:
    """``CheckFields`` for the name and type (entity ids come from fixed lists and are always valid).

    A too short or non-``UF_`` name cannot reach here: both families force a prefix first."""
    problems = []
    if len(field_name) > 50:
        problems.append(NAME_TOO_LONG)
    if not re.fullmatch(r"[0-9A-Z_]+", field_name):
        problems.append(NAME_INVALID)
    if user_type_id not in _registered_types(call):
        problems.append(TYPE_INVALID)
    return problems


def _create(call: Call, record: Record) -> Record:
    """Store a checked field: uniqueness per entity, the per-entity limit, a new global id."""
    same_entity = [r for r in _store(call).values() if r["entityId"] == record["entityId"]]
    if any(r["fieldName"] == record["fieldName"] for r in same_entity):
        raise _core_error(call, f"The field {record['fieldName']} for entity {record['entityId']} already exists.")
    if len(same_entity) >= int(call.portal.options.get("userfield_limit_per_entity", 1016)):
        # The uts table has no room for another column (deals/user-defined-fields/index.md).
        raise RestError("INTERNAL_SERVER_ERROR", "Internal server error", 500)
    record["id"] = call.next_id("userfield")
    _store(call)[str(record["id"])] = record
    return record


def _core_error(call: Call, text: str) -> RestError:
    """The error of a storage-level failure: ERROR_CORE on the legacy family, code "" on the Engine one."""
    return RestError("ERROR_CORE" if ".userfield." in call.name else "", text)


def _xml_id_taken(text: str, legacy: bool) -> str:
    # CHOICE: one text per family; the legacy pages' add wording (the update page words it
    # "List item with XML_ID='…' already exists") and the userfieldconfig pages' generic failure.
    return f"List item with value XML_ID={text} already exists." if legacy else CONFIG_ENUM_FAILED


def _set_enum_values(call: Call, record: Record, changes: list[tuple[int | None, dict[str, Any]]], *, legacy: bool) -> None:
    """``CUserFieldEnum::SetEnumValues``: (existing id | None for new, item) pairs.

    Items carry ``VALUE``, and optionally ``DEF``, ``SORT``, ``XML_ID``, ``DEL``. New items without a
    value or marked deleted are skipped; existing ones with an empty value or ``DEL=Y`` are deleted;
    stored items not mentioned are kept. Every XML_ID is checked before anything is written, so a
    clash changes nothing (error ``USER_TYPE_XML_ID_UNIQ``).
    """
    stored = {item["id"]: item for item in record.setdefault("enum", [])}
    taken = {item["xmlId"] for item in stored.values()}
    added: set[str] = set()
    plan: list[tuple[int | None, dict[str, Any]]] = []
    for item_id, item in changes:
        value, deleted = _php_str(item.get("VALUE")), item.get("DEL") == "Y"
        if item_id is None:
            if deleted or value == "":
                continue
            # CHOICE: the server salts a random md5; here field id, position and value make it, so runs repeat.
            xml_id = _php_str(item.get("XML_ID")) or hashlib.md5(f"{record['id']}:{len(stored) + len(plan)}:{value}".encode()).hexdigest()
            if xml_id in added or xml_id in taken:
                raise _core_error(call, _xml_id_taken(xml_id, legacy))
            added.add(xml_id)
            plan.append((None, {**item, "XML_ID": xml_id}))
        elif item_id in stored:
            current = stored[item_id]
            if deleted or value == "":
                plan.append((item_id, {"DEL": "Y"}))
                continue
            xml_id = _php_str(item.get("XML_ID"))
            if not xml_id:
                rehash = call.portal.options.get("userfield_enum_update_rehashes_xml_id", True)
                xml_id = hashlib.md5(value.encode()).hexdigest() if rehash else current["xmlId"]
            if xml_id != current["xmlId"]:
                if xml_id in added or xml_id in taken:
                    raise _core_error(call, _xml_id_taken(xml_id, legacy))
                added.add(xml_id)
            plan.append((item_id, {**item, "XML_ID": xml_id}))
    chosen: list[int] = []
    for item_id, item in plan:
        if item_id is None:
            sort = as_int(item.get("SORT"))
            item_id = call.next_id("userfield_enum")
            record["enum"].append({
                "id": item_id, "value": _php_str(item["VALUE"]),
                "def": "Y" if item.get("DEF") == "Y" else "N", "sort": sort if sort > 0 else 500, "xmlId": item["XML_ID"],
            })
        elif item.get("DEL") == "Y":
            record["enum"] = [e for e in record["enum"] if e["id"] != item_id]
        else:
            current = stored[item_id]
            current.update(value=_php_str(item["VALUE"]), xmlId=item["XML_ID"])
            if "DEF" in item:
                current["def"] = "Y" if item["DEF"] == "Y" else "N"
            if as_int(item.get("SORT")) > 0:
                current["sort"] = as_int(item["SORT"])
        if item.get("DEF") == "Y" and item.get("DEL") != "Y":
            chosen.append(item_id)
    record["enum"].sort(key=lambda e: (e["sort"], e["id"]))
    _single_default(record, chosen)


def _single_default(record: Record, chosen: list[int]) -> None:
    """A single-value list keeps only its first default (reference crm §7.2, §13 item 30).

    ``chosen`` are the items this write made default, in request order; the first of them wins,
    else the first stored default. CHOICE: applied after every write of either family and across
    the stored items too, so the invariant holds even where the server's userfieldconfig path (or an
    update naming a new default while the old one is not mentioned) would leave two defaults."""
    if record["multiple"] == "Y":
        return
    defaults = [e["id"] for e in record["enum"] if e["def"] == "Y"]
    keep = next((i for i in chosen if i in defaults), defaults[0] if defaults else None)
    for item in record["enum"]:
        item["def"] = "Y" if item["id"] == keep else "N"


def _enum_items(value: Any) -> list[dict[str, Any]]:
    items = php_list(value) or []
    return [item for item in items if isinstance(item, dict)]


# --- output ----------------------------------------------------------------------------------------
def _label_languages(record: Record) -> list[str]:
    """The languages that have a label row: every language any label kind mentions."""
    out: list[str] = []
    for kind in LABEL_KINDS:
        out.extend(lid for lid in record["labels"].get(kind, {}) if lid not in out)
    return out


def _config_public(record: Record, *, labels: bool = True, language: str | None = None) -> dict[str, Any]:
    """``preparePublicData``: camelCase keys, ids and sorts as strings, settings untouched."""
    out: dict[str, Any] = {
        "id": str(record["id"]), "entityId": record["entityId"], "fieldName": record["fieldName"],
        "userTypeId": record["userTypeId"], "xmlId": record["xmlId"], "sort": str(record["sort"]),
        "multiple": record["multiple"], "mandatory": record["mandatory"], "showFilter": record["showFilter"],
        "showInList": record["showInList"], "editInList": record["editInList"], "isSearchable": record["isSearchable"],
        "settings": copy.deepcopy(record["settings"]),
    }
    if language is not None:
        # select.language joins one language row: scalars wrapped as {lang: value}, null stays null.
        # CHOICE: wrapped under the requested language (the docs' example), not the request language.
        present = language in _label_languages(record)
        out["languageId"] = {language: language} if present else None
        for kind in LABEL_KINDS:
            value = record["labels"].get(kind, {}).get(language)
            out[CAMEL_LABELS[kind]] = {language: value} if value is not None else None
        return out
    if not labels:
        return out
    languages = _label_languages(record)
    # CHOICE: a field without any label row shows null label maps.
    out["languageId"] = {lid: lid for lid in languages} if languages else None
    for kind in LABEL_KINDS:
        out[CAMEL_LABELS[kind]] = dict(record["labels"].get(kind, {})) if languages else None
    if record["userTypeId"] == "enumeration":
        out["enum"] = [
            {"id": str(e["id"]), "userFieldId": str(record["id"]), "value": e["value"], "def": e["def"],
             "sort": str(e["sort"]), "xmlId": e["xmlId"]}
            for e in record.get("enum", [])
        ]
    return out


def _legacy_public(call: Call, record: Record, *, lang: str | None = None, maps: bool = False) -> dict[str, Any]:
    """A legacy row: UPPER keys, DB strings; label maps (get) or one language's strings (list+LANG)."""
    user_type_id = record["userTypeId"]
    app_type = _app_types(call).get(user_type_id)
    row: dict[str, Any] = {
        "ID": str(record["id"]), "ENTITY_ID": record["entityId"], "FIELD_NAME": record["fieldName"],
        "USER_TYPE_ID": app_type["code"] if app_type else user_type_id, "XML_ID": record["xmlId"],
        "SORT": str(record["sort"]), "MULTIPLE": record["multiple"], "MANDATORY": record["mandatory"],
        "SHOW_FILTER": record["showFilter"], "SHOW_IN_LIST": record["showInList"], "EDIT_IN_LIST": record["editInList"],
        "IS_SEARCHABLE": record["isSearchable"], "SETTINGS": copy.deepcopy(record["settings"]),
    }
    if maps and _label_languages(record):
        row.update({kind: dict(record["labels"].get(kind, {})) for kind in LABEL_KINDS})
    elif lang is not None:
        row.update({kind: record["labels"].get(kind, {}).get(lang) for kind in LABEL_KINDS})
    if user_type_id == "enumeration":
        # The docs show XML_ID too (the server snapshot returns ID, SORT, VALUE, DEF only).
        row["LIST"] = [
            {"ID": str(e["id"]), "SORT": str(e["sort"]), "VALUE": e["value"], "DEF": e["def"], "XML_ID": e["xmlId"]}
            for e in record.get("enum", [])
        ]
    elif app_type:
        row["USER_TYPE_OWNER"] = app_type["client_id"]
    return row


# === userfieldconfig.* ==========================================================================
def _config_access(call: Call) -> list[str]:
    """``getAccess``: known module, then the module's own scope; returns the available entity ids."""
    module_id = call.exact("moduleId")
    if module_id is None:
        raise RestError(100, "Could not find value for parameter {moduleId}")
    if module_id != "crm":
        raise RestError("", "No settings for UserFieldAccess")
    if "crm" not in call.caller.scopes:
        raise RestError("", "The current method required more scopes. (crm)")
    return _available_entity_ids(call)


def _config_id(call: Call) -> int:
    value = call.exact("id")
    if value is None:
        raise RestError(100, "Could not find value for parameter {id}")
    return as_int(value)


def _config_field(call: Call, available: list[str], denied: str) -> Record:
    """``canRead/canUpdate/canDelete``: the field must exist in an available entity, so an unknown id
    gets the permission text, never a not-found (reference crm §6.1)."""
    record = _store(call).get(str(_config_id(call)))
    if record is None or record["entityId"] not in available:
        raise RestError("", denied)
    return record


def _config_input(field: Any) -> dict[str, Any]:
    """``prepareFields``: the accepted keys only (the docs' list, which adds editInList/helpMessage
    to the old snapshot's); ``editInList`` false is "N"."""
    data = {k: v for k, v in field.items() if k in CONFIG_KEYS} if isinstance(field, dict) else {}
    if data.get("editInList") is False:
        data["editInList"] = "N"
    return data


def _config_label(value: Any, languages: list[str]) -> dict[str, str | None]:
    """A label as given: a lang map as is, a plain string for every portal language (docs:
    "When a string is passed, it is used as a general value")."""
    if isinstance(value, dict):
        return {str(lid): None if text is None else _php_str(text)[:255] for lid, text in value.items()}
    if isinstance(value, str):
        return {lid: value[:255] for lid in languages}
    return {}


def _config_labels(call: Call, data: dict[str, Any], row_languages: list[str] | None) -> dict[str, dict[str, str | None]] | None:
    """Label rows from ``editFormLabel``/``helpMessage``, or None when neither was passed.

    Passed kinds keep exactly the languages given; every other kind gets a null entry for each
    label row, which is what rewriting the rows does to them (reference crm §6.5)."""
    passed = {kind: _config_label(data[CAMEL_LABELS[kind]], _languages(call))
              for kind in ("EDIT_FORM_LABEL", "HELP_MESSAGE") if CAMEL_LABELS[kind] in data}
    if not passed:
        return None
    languages = [] if row_languages is None else list(row_languages)
    for kind_map in passed.values():
        languages.extend(lid for lid in kind_map if lid not in languages)
    return {kind: passed.get(kind, {lid: None for lid in languages}) for kind in LABEL_KINDS}


def _config_add_labels(call: Call, data: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """Labels of a new field.

    CHOICE (option ``userfieldconfig_add_label_rows``): "portal" (default) gives every portal
    language a row, as the docs' add example shows (``languageId`` lists ``ru`` though only ``en``
    was passed, and the unpassed kinds are null for both); "passed" inserts rows only for the
    languages passed, as ``CAllUserTypeEntity::Add`` in the server snapshot does."""
    mode = call.portal.options.get("userfieldconfig_add_label_rows", "portal")
    labels = _config_labels(call, data, _languages(call) if mode == "portal" else [])
    return labels if labels is not None else {}


def _config_enum(call: Call, record: Record, items: list[dict[str, Any]], *, replace: bool) -> None:
    """``prepareEnums``: the list is authoritative. Items with ``id`` update (missing xmlId/def
    inherit the stored ones), items without are added, stored items not listed are deleted; the
    docs' ``del: "Y"`` deletes an item explicitly."""
    stored = {e["id"]: e for e in record.get("enum", [])}
    changes: list[tuple[int | None, dict[str, Any]]] = []
    kept: set[int] = set()
    for item in items:
        item_id = as_int(item.get("id"))
        current = stored.get(item_id)
        if item_id > 0 and current is not None and yn(item.get("del")) != "Y":
            kept.add(item_id)
        entry: dict[str, Any] = {
            "VALUE": item.get("value"), "SORT": item.get("sort"),
            "DEF": _strict_y(item.get("def") or (current or {}).get("def")),
            "XML_ID": item.get("xmlId") or (current or {}).get("xmlId"),
        }
        if item_id > 0 and yn(item.get("del")) == "Y":
            entry["DEL"] = "Y"
        changes.append((item_id if item_id > 0 else None, entry))
    if replace:
        changes.extend((old, {"DEL": "Y"}) for old in stored if old not in kept)
    _set_enum_values(call, record, changes, legacy=False)


@method("userfieldconfig.getTypes", scope="userfieldconfig")
def config_get_types(call: Call) -> dict[str, Any]:
    _config_access(call)
    types = {tid: {"userTypeId": tid, "description": text} for tid, text in CONFIG_TYPES.items()}
    types.update({tid: {"userTypeId": tid, "description": info["title"]} for tid, info in _app_types(call).items()})
    return {"types": types}


@method("userfieldconfig.add", scope="userfieldconfig")
def config_add(call: Call) -> dict[str, Any]:
    available = _config_access(call)
    field = call.exact("field")
    if field is None:
        raise RestError(100, "Could not find value for parameter {field}")
    data = _config_input(field)
    entity_id = _php_str(data.get("entityId"))
    if entity_id not in available:
        # CHOICE: the reference (§6.1) gives add's permission error this text; the docs' table
        # also lists "Access denied" for it and this text for a wrong prefix. One text for both.
        raise RestError("", CONFIG_CREATE_DENIED)
    field_name, user_type_id = _php_str(data.get("fieldName")), _php_str(data.get("userTypeId"))
    # The docs answer a missing name or type with CheckFields' own text (fixture); the prefix
    # check comes after. CHOICE: Engine families report the first error only.
    if field_name == "":
        raise RestError("", "The 'FIELD_NAME' field is not found.")
    if user_type_id == "":
        raise RestError("", "The 'USER_TYPE_ID' field is not found.")
    if not field_name.startswith(f"UF_{entity_id}_"):
        raise RestError("", CONFIG_CREATE_DENIED)
    problems = _check_fields(call, field_name, user_type_id)
    # CHOICE: the types getTypes withholds cannot be created through userfieldconfig either.
    if user_type_id in RESTRICTED_TYPES:
        problems.append(TYPE_INVALID)
    if problems:
        raise RestError("", problems[0])
    sort = as_int(data.get("sort"))
    record = _create(call, {
        "entityId": entity_id, "fieldName": field_name, "userTypeId": user_type_id,
        "xmlId": _php_str(data["xmlId"]) if data.get("xmlId") is not None else None, "sort": sort if sort > 0 else 100,
        "multiple": _strict_y(data.get("multiple")), "mandatory": _strict_y(data.get("mandatory")),
        "showFilter": _show_filter(data.get("showFilter")), "showInList": "Y", "editInList": "N" if data.get("editInList") == "N" else "Y",
        "isSearchable": _strict_y(data.get("isSearchable")),
        "settings": prepare_settings(user_type_id, data.get("settings")), "labels": _config_add_labels(call, data),
    })
    if user_type_id == "enumeration":
        record["enum"] = []
        # The field exists before its values are saved: a failure here leaves it without them.
        _config_enum(call, record, _enum_items(data.get("enum")), replace=False)
    return {"field": _config_public(record)}


@method("userfieldconfig.get", scope="userfieldconfig")
def config_get(call: Call) -> dict[str, Any]:
    record = _config_field(call, _config_access(call), CONFIG_VIEW_DENIED)
    return {"field": _config_public(record)}


@method("userfieldconfig.update", scope="userfieldconfig")
def config_update(call: Call) -> dict[str, Any]:
    record = _config_field(call, _config_access(call), CONFIG_MODIFY_DENIED)
    # The docs make "field" optional; entityId, fieldName, userTypeId and multiple are dropped by
    # CUserTypeEntity::Update, so type and multiplicity never change (reference crm §6.5).
    data = _config_input(call.exact("field"))
    if "xmlId" in data:
        record["xmlId"] = None if data["xmlId"] is None else _php_str(data["xmlId"])
    if "sort" in data:
        record["sort"] = as_int(data["sort"])
    if "mandatory" in data:
        record["mandatory"] = _strict_y(data["mandatory"])
    if "showFilter" in data:
        record["showFilter"] = _show_filter(data["showFilter"])
    if "editInList" in data:
        record["editInList"] = "N" if data["editInList"] == "N" else "Y"
    if "isSearchable" in data:
        record["isSearchable"] = _strict_y(data["isSearchable"])
    if "settings" in data:
        # Replaced, not merged: the type fills defaults for the keys not sent.
        record["settings"] = prepare_settings(record["userTypeId"], data["settings"])
    labels = _config_labels(call, data, None)
    if labels is not None:
        record["labels"] = labels
    # The enum list counts only when the request says userTypeId "enumeration" (docs, §6.5).
    if "enum" in data and data.get("userTypeId") == "enumeration" and record["userTypeId"] == "enumeration":
        _config_enum(call, record, _enum_items(data["enum"]), replace=True)
    return {"field": _config_public(record)}


def _config_list_filter(call: Call, available: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Filter keys to UPPER_SNAKE; ``entityId`` narrows the available entities (values outside
    them are dropped; nothing left is a permission error), other operators on it are discarded."""
    raw = call.exact("filter")
    flt: dict[str, Any] = {}
    entities = list(available)
    if isinstance(raw, dict):
        for key, value in raw.items():
            op, name = ormfilter.split_key(str(key))
            upper = _snake(name)
            if upper == "ENTITY_ID":
                if op in ("", "=", "@"):
                    wanted = {_php_str(v) for v in (php_list(value) or [value])}
                    entities = [e for e in available if e in wanted]
                    if not entities:
                        raise RestError("", CONFIG_VIEW_DENIED)
                continue
            if upper in COLUMNS:
                flt[op + upper] = value
            # CHOICE: unknown filter keys are ignored rather than failing the ORM query.
    if not entities:
        raise RestError("", CONFIG_VIEW_DENIED)
    return flt, entities


@method("userfieldconfig.list", scope="userfieldconfig")
def config_list(call: Call) -> Listed:
    available = _config_access(call)
    flt, entities = _config_list_filter(call, available)

    def get_field(record: Record, column: str) -> Any:
        return record.get(COLUMNS.get(column, ""))

    rows = [r for r in _store(call).values() if r["entityId"] in entities and ormfilter.matches(r, flt, get_field)]
    order: list[tuple[str, str]] = []
    raw_order = call.exact("order")
    for key, direction in (raw_order.items() if isinstance(raw_order, dict) else []):
        upper = _snake(str(key))
        if upper in COLUMNS:
            order.append((upper, "DESC" if str(direction).upper() == "DESC" else "ASC"))
    rows = ormfilter.sort_rows(rows, order or [("SORT", "ASC"), ("ID", "ASC")], get_field)
    select = call.exact("select")
    # select: ["*"] by default; a "language" key joins that language's label row (reference crm §6.6).
    entries = select if isinstance(select, dict) else dict(enumerate(select)) if isinstance(select, list) else {}
    language = entries.get("language")
    columns = {_snake(str(v)) for k, v in entries.items() if k != "language"}
    page = paginate(rows, call.exact("start"))
    keep = set() if "*" in columns else {COLUMNS[c] for c in columns if c in COLUMNS}
    fields = []
    for record in page.result:
        public = _config_public(record, labels=False, language=language if isinstance(language, str) and language else None)
        if keep:
            # A column select keeps those columns (none known means all); settings is always
            # there, null unless selected (UserFieldConfigFacade::normalizeOrmSelect).
            public = {k: v for k, v in public.items() if k in keep or (language and k not in COLUMNS.values())}
            public["settings"] = copy.deepcopy(record["settings"]) if "settings" in keep else None
        fields.append(public)
    return Listed({"fields": fields}, total=page.total, next=page.next)


@method("userfieldconfig.delete", scope="userfieldconfig")
def config_delete(call: Call) -> None:
    record = _config_field(call, _config_access(call), CONFIG_DELETE_DENIED)
    del _store(call)[str(record["id"])]  # its enum values go with it
    return None


# === crm.{lead,deal,contact,company,quote}.userfield.* ==========================================
def _legacy_write_guard(call: Call) -> None:
    if not call.is_admin:
        raise RestError("", ACCESS_DENIED)


def _legacy_read_guard(call: Call) -> None:
    if call.portal.options.get("userfield_read_requires_admin", False):
        _legacy_write_guard(call)


def _legacy_id(call: Call) -> int:
    entity_id = as_int(call.param("id"))
    if entity_id <= 0:
        raise RestError("", BAD_ID)
    return entity_id


def _legacy_record(call: Call, entity_id: str, field_id: int) -> Record:
    record = _store(call).get(str(field_id))
    if record is None:
        raise RestError("ERROR_NOT_FOUND", f"The entity with ID '{field_id}' is not found.")
    if record["entityId"] != entity_id:
        raise RestError("", ACCESS_DENIED)
    return record


def _legacy_fields(call: Call, *, top_level_fallback: bool) -> dict[str, Any]:
    """``fields`` resolved case-insensitively; add falls back to the top-level parameters."""
    fields = call.param("fields")
    if fields is None and top_level_fallback:
        fields = {k: v for k, v in call.params.items() if str(k).lower() != "fields"}
    if isinstance(fields, list) and not fields:
        fields = {}  # PHP's empty array, however it was sent
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.")
    # sanitizeFields: exact UPPER keys only.
    return {k: v for k, v in fields.items() if k in LEGACY_KEYS}


def _legacy_label(value: Any, default: str, languages: list[str]) -> dict[str, str | None]:
    """``prepareLabels``: a non-empty string for every language, or a lang map whose missing or
    empty entries take ``default``; only portal languages are kept."""
    if isinstance(value, str) and value != "":
        return {lid: value for lid in languages}
    given = value if isinstance(value, dict) else {}
    return {lid: given[lid] if isinstance(given.get(lid), str) and given[lid] != "" else default for lid in languages}


def _legacy_show_filter(value: Any, user_type_id: str, *, app_type: bool) -> str:
    show = "E" if _php_str(value).upper() == "Y" else "N"  # E ("by mask") is the default filter kind
    if user_type_id == "employee" and show != "N":
        return "I"  # exact match for user bindings
    return "N" if app_type else show


def _legacy_list_items(value: Any, *, multiple: bool, with_ids: bool) -> list[tuple[int | None, dict[str, Any]]]:
    """``LIST`` as the proxy normalises it: trimmed values, SORT kept if >0, DEF per item for a
    multiple field, only the first default for a single one; on update ``ID`` (+``DEL``) address
    stored items."""
    items: list[tuple[int | None, dict[str, Any]]] = []
    default_index: int | None = None
    for raw in _enum_items(value):
        effective: dict[str, Any] = {"VALUE": _php_str(raw.get("VALUE")).strip(" \t\n\r")}
        if _php_str(raw.get("XML_ID")):
            effective["XML_ID"] = _php_str(raw["XML_ID"])  # docs keep it on add too (reference §14.18)
        if as_int(raw.get("SORT")) > 0:
            effective["SORT"] = as_int(raw["SORT"])
        item_id = as_int(raw.get("ID")) if with_ids else 0
        if item_id > 0 and _php_str(raw.get("DEL")).upper() == "Y":
            effective["DEL"] = "Y"
        if "DEF" in raw:
            is_default = _php_str(raw["DEF"]).upper() == "Y"
            if multiple:
                effective["DEF"] = "Y" if is_default else "N"
            elif is_default and default_index is None:
                default_index = len(items)
        items.append((item_id if item_id > 0 else None, effective))
    if not multiple and default_index is not None:
        for index, (_, effective) in enumerate(items):
            effective["DEF"] = "Y" if index == default_index else "N"
    return items


def _legacy_add_settings(user_type_id: str, given: Any) -> dict[str, Any]:
    """The proxy's per-type effective settings on add (reference crm §7.2); the type then fills the rest."""
    s = given if isinstance(given, dict) else {}
    if user_type_id == "string":
        return {"DEFAULT_VALUE": s.get("DEFAULT_VALUE", ""), "ROWS": s["ROWS"] if as_int(s.get("ROWS")) > 0 else 1}
    if user_type_id == "integer":
        return {"DEFAULT_VALUE": s.get("DEFAULT_VALUE", "")}
    if user_type_id == "double":
        precision = s.get("PRECISION")
        return {"DEFAULT_VALUE": s.get("DEFAULT_VALUE", ""), "PRECISION": precision if as_int(precision, -1) >= 0 else 2}
    if user_type_id == "boolean":
        return {"DEFAULT_VALUE": 1 if as_int(s.get("DEFAULT_VALUE")) > 0 else 0,
                "DISPLAY": _php_str(s.get("DISPLAY")).upper() or "CHECKBOX"}
    if user_type_id in ("date", "datetime"):
        return {"DEFAULT_VALUE": _default_date(s.get("DEFAULT_VALUE"))}
    if user_type_id == "enumeration":
        return {"DISPLAY": _php_str(s.get("DISPLAY")).upper() or "LIST", "LIST_HEIGHT": max(as_int(s.get("LIST_HEIGHT")), 1)}
    if user_type_id in ("iblock_section", "iblock_element"):
        return {k: s[k] for k in ("IBLOCK_TYPE_ID", "IBLOCK_ID", "DEFAULT_VALUE", "DISPLAY", "LIST_HEIGHT", "ACTIVE_FILTER") if k in s}
    if user_type_id == "crm_status":
        return {"ENTITY_TYPE": _php_str(s.get("ENTITY_TYPE"))}
    if user_type_id == "crm":
        return {k: "Y" if _php_str(s.get(k)).upper() == "Y" else "N" for k in ("LEAD", "CONTACT", "COMPANY", "DEAL")}
    return {}


def _legacy_merge_settings(user_type_id: str, stored: dict[str, Any], given: Any) -> dict[str, Any]:
    """``update``: each passed key the proxy knows for the type, normalised as the proxy does, is
    merged over the stored settings (reference crm §7.4); other keys are ignored."""
    s = given if isinstance(given, dict) else {}

    def display(default: str) -> Any:
        return lambda v: _php_str(v).upper() or default

    def height(v: Any) -> int:
        return as_int(v) if as_int(v) > 0 else 1

    def y_or_n(v: Any) -> str:
        return "Y" if _php_str(v).upper() == "Y" else "N"

    iblock = {
        "IBLOCK_TYPE_ID": lambda v: v, "IBLOCK_ID": lambda v: as_int(v) if as_int(v) > 0 else 0,
        "DEFAULT_VALUE": lambda v: v, "DISPLAY": display("LIST"), "LIST_HEIGHT": height, "ACTIVE_FILTER": y_or_n,
    }
    rules: dict[str, dict[str, Any]] = {
        "string": {"DEFAULT_VALUE": lambda v: v, "ROWS": lambda v: min(max(as_int(v), 1), 50)},
        "integer": {"DEFAULT_VALUE": lambda v: v},
        "double": {"DEFAULT_VALUE": lambda v: v, "PRECISION": lambda v: v if as_int(v, -1) >= 0 else 2},
        "boolean": {"DEFAULT_VALUE": lambda v: 1 if as_int(v) > 0 else 0, "DISPLAY": display("CHECKBOX")},
        "datetime": {"DEFAULT_VALUE": _default_date},
        "enumeration": {"DISPLAY": display("LIST"), "LIST_HEIGHT": height},
        "iblock_section": iblock, "iblock_element": iblock,
        "crm_status": {"ENTITY_TYPE": lambda v: v},
        "crm": {key: y_or_n for key in ("LEAD", "CONTACT", "COMPANY", "DEAL")},
    }
    merged = dict(stored)
    for key, normalise in rules.get(user_type_id, {}).items():
        if s.get(key) is not None:
            merged[key] = normalise(s[key])
    return merged


def _legacy_add(call: Call, entity_id: str) -> int:
    _legacy_write_guard(call)
    fields = _legacy_fields(call, top_level_fallback=True)
    default_label = _php_str(fields.get("LABEL")).strip()
    user_type_id = _php_str(fields.get("USER_TYPE_ID")).strip()
    field_name = _php_str(fields.get("FIELD_NAME")).strip().upper()
    errors = []
    if user_type_id == "":
        errors.append("The 'USER_TYPE_ID' field is not found.")
    if field_name == "":
        errors.append("The 'FIELD_NAME' field is not found.")
    if errors:
        raise RestError("", "\n".join(errors))
    # UF_CRM_ kept; another UF_ prefix becomes UF_CRM_; anything else gets UF_CRM_ in front.
    if not field_name.startswith("UF_CRM_"):
        field_name = "UF_CRM_" + (field_name[3:] if field_name.startswith("UF_") else field_name)
    # An app type is addressed by its code (the handler's ADDITIONAL).
    app_type = next((tid for tid, info in _app_types(call).items() if info["code"] == user_type_id), None)
    stored_type = app_type or user_type_id
    problems = _check_fields(call, field_name, stored_type)
    if problems:
        raise RestError("ERROR_CORE", "\n".join(problems))
    languages = _languages(call)
    default = default_label or field_name
    multiple = "Y" if _php_str(fields.get("MULTIPLE")).upper() == "Y" and user_type_id != "boolean" else "N"
    sort = as_int(fields.get("SORT"))
    record = _create(call, {
        "entityId": entity_id, "fieldName": field_name, "userTypeId": stored_type,
        "xmlId": _php_str(fields["XML_ID"]) if fields.get("XML_ID") is not None else None, "sort": sort if sort > 0 else 100,
        "multiple": multiple, "mandatory": "Y" if _php_str(fields.get("MANDATORY")).upper() == "Y" else "N",
        "showFilter": _legacy_show_filter(fields.get("SHOW_FILTER"), user_type_id, app_type=app_type is not None),
        "showInList": _flag_default_y(fields.get("SHOW_IN_LIST")), "editInList": _flag_default_y(fields.get("EDIT_IN_LIST")),
        "isSearchable": _strict_y(fields.get("IS_SEARCHABLE")),
        "settings": prepare_settings(stored_type, _legacy_add_settings(user_type_id, fields.get("SETTINGS"))),
        "labels": {kind: _legacy_label(fields.get(kind), default, languages) for kind in LABEL_KINDS},
    })
    if user_type_id == "enumeration":
        record["enum"] = []
        # Created first, values second: a clash reports ERROR_CORE and leaves the field without values.
        _set_enum_values(call, record, _legacy_list_items(fields.get("LIST"), multiple=multiple == "Y", with_ids=False), legacy=True)
    return int(record["id"])


def _legacy_update(call: Call, entity_id: str) -> bool:
    field_id = _legacy_id(call)
    _legacy_write_guard(call)
    fields = _legacy_fields(call, top_level_fallback=False)
    record = _legacy_record(call, entity_id, field_id)
    languages = _languages(call)
    # A passed label replaces every language (missing ones become ""); unpassed labels are kept.
    for kind in LABEL_KINDS:
        if fields.get(kind) is not None:
            record["labels"][kind] = _legacy_label(fields[kind], "", languages)
    # USER_TYPE_ID, ENTITY_ID, FIELD_NAME and MULTIPLE never change (reference crm §7.4).
    if "XML_ID" in fields:
        record["xmlId"] = None if fields["XML_ID"] is None else _php_str(fields["XML_ID"])
    if "SORT" in fields:
        record["sort"] = as_int(fields["SORT"])
    if "MANDATORY" in fields:
        record["mandatory"] = _strict_y(fields["MANDATORY"])
    if fields.get("SHOW_FILTER") is not None:
        record["showFilter"] = _legacy_show_filter(fields["SHOW_FILTER"], record["userTypeId"], app_type=False)
    if "SHOW_IN_LIST" in fields:
        record["showInList"] = _flag_default_y(fields["SHOW_IN_LIST"])
    if "EDIT_IN_LIST" in fields:
        record["editInList"] = _flag_default_y(fields["EDIT_IN_LIST"])
    if "IS_SEARCHABLE" in fields:
        record["isSearchable"] = _strict_y(fields["IS_SEARCHABLE"])
    # Settings are merged key by key, then the type normalises the result.
    merged = _legacy_merge_settings(record["userTypeId"], record["settings"], fields.get("SETTINGS"))
    record["settings"] = prepare_settings(record["userTypeId"], merged)
    if record["userTypeId"] == "enumeration" and fields.get("LIST") is not None:
        items = _legacy_list_items(fields["LIST"], multiple=record["multiple"] == "Y", with_ids=True)
        _set_enum_values(call, record, items, legacy=True)
    return True


def _legacy_get(call: Call, entity_id: str) -> dict[str, Any]:
    field_id = _legacy_id(call)
    _legacy_read_guard(call)
    return _legacy_public(call, _legacy_record(call, entity_id, field_id), maps=True)


def _legacy_list(call: Call, entity_id: str) -> Listed:
    _legacy_read_guard(call)
    raw_filter, raw_order = call.param("filter", default={}), call.param("order", default={})
    if isinstance(raw_filter, list) and not raw_filter:
        raw_filter = {}
    if isinstance(raw_order, list) and not raw_order:
        raw_order = {}
    if not isinstance(raw_filter, dict):
        raise RestError("", "Parameter 'filter' must be array.")
    if not isinstance(raw_order, dict):
        raise RestError("", "Parameter 'order' must be array.")
    # CAllUserTypeEntity::GetList: exact matches, array and empty values skipped, LANG joins labels.
    lang: str | None = None
    conditions: dict[str, str] = {}
    for key, value in raw_filter.items():
        if isinstance(value, (list, dict)) or _php_str(value) == "":
            continue
        upper = str(key).upper()
        if upper == "LANG":
            lang = _php_str(value)
        elif upper in LEGACY_FILTER:
            conditions[upper] = _php_str(value)

    def get_field(record: Record, column: str) -> Any:
        return record.get(COLUMNS[column])

    rows = [
        r for r in _store(call).values()
        if r["entityId"] == entity_id and ormfilter.matches(r, {"=" + k: v for k, v in conditions.items()}, get_field)
    ]
    order = [
        (str(k).upper(), "ASC" if _php_str(v).upper() == "ASC" else "DESC")
        for k, v in raw_order.items() if str(k).upper() in LEGACY_ORDER
    ]
    rows = ormfilter.sort_rows(rows, order or [("SORT", "ASC"), ("ID", "ASC")], get_field)
    # Not paginated: everything, with total and no next (reference crm §7.3).
    return Listed([_legacy_public(call, r, lang=lang) for r in rows], total=len(rows))


def _legacy_delete(call: Call, entity_id: str) -> bool:
    field_id = _legacy_id(call)
    _legacy_write_guard(call)
    record = _legacy_record(call, entity_id, field_id)
    del _store(call)[str(record["id"])]
    return True


def _register_legacy(entity: str, entity_id: str) -> None:
    prefix = f"crm.{entity}.userfield"
    method(f"{prefix}.add", scope="crm")(lambda call: _legacy_add(call, entity_id))
    method(f"{prefix}.update", scope="crm")(lambda call: _legacy_update(call, entity_id))
    method(f"{prefix}.get", scope="crm")(lambda call: _legacy_get(call, entity_id))
    method(f"{prefix}.list", scope="crm")(lambda call: _legacy_list(call, entity_id))
    method(f"{prefix}.delete", scope="crm")(lambda call: _legacy_delete(call, entity_id))


for _entity, _entity_id in LEGACY_ENTITIES.items():
    _register_legacy(_entity, _entity_id)


# === crm.userfield.* reference methods ===========================================================
@method("crm.userfield.types", scope="crm")
def userfield_types(call: Call) -> list[dict[str, str]]:
    types = [{"ID": tid, "title": title} for tid, title in LEGACY_TYPES]
    if call.caller.auth_type == "oauth":
        # An application also sees the types it registered, by their code.
        types.extend({"ID": info["code"], "title": info["title"]}
                     for info in _app_types(call).values() if info["client_id"] == call.caller.client_id)
    return types


@method("crm.userfield.fields", scope="crm")
def userfield_fields(call: Call) -> dict[str, Any]:
    def info(kind: str, title: str, **flags: bool) -> dict[str, Any]:
        return {"type": kind, "title": title, **flags}

    return {
        "ID": info("int", "ID", isReadOnly=True), "ENTITY_ID": info("string", "Object", isImmutable=True),
        "FIELD_NAME": info("string", "Code", isImmutable=True), "USER_TYPE_ID": info("string", "Data Type", isImmutable=True),
        "XML_ID": info("string", "External ID (XML ID)"), "SORT": info("int", "Sorting"),
        "MULTIPLE": info("char", "Multiple"), "MANDATORY": info("char", "Mandatory"),
        "SHOW_FILTER": info("char", "Show in list filter"), "SHOW_IN_LIST": info("char", "Show in list"),
        "EDIT_IN_LIST": info("char", "Allow user editing"), "IS_SEARCHABLE": info("char", "Field values are searchable"),
        "EDIT_FORM_LABEL": info("string", "Label in edit form"), "LIST_COLUMN_LABEL": info("string", "Header in list"),
        "LIST_FILTER_LABEL": info("string", "Filter label in list"), "ERROR_MESSAGE": info("string", "Error message"),
        "HELP_MESSAGE": info("string", "Help"), "LIST": info("uf_enum_element", "List elements", isMultiple=True),
        "SETTINGS": info("object", "Additional settings (dependent on type)"),
    }


@method("crm.userfield.settings.fields", scope="crm")
def userfield_settings_fields(call: Call) -> Any:
    type_id = _php_str(call.param("type"))
    if type_id == "":
        raise RestError("", "Parameter 'type' is not specified or empty.")

    def info(kind: str, title: str) -> dict[str, str]:
        return {"type": kind, "title": title}

    default = "Default Value"  # the docs' casing; the rest are the rest module's English strings
    iblock = {
        "DEFAULT_VALUE": info("int", default), "IBLOCK_ID": info("int", "Information block ID"),
        "IBLOCK_TYPE_ID": info("string", "Information block type ID"), "DISPLAY": info("string", "Design"),
        "LIST_HEIGHT": info("int", "List height"), "ACTIVE_FILTER": info("char", "Show active only"),
    }
    by_type: dict[str, dict[str, dict[str, str]]] = {
        "string": {"DEFAULT_VALUE": info("string", default), "ROWS": info("int", "Rows per text box")},
        "integer": {"DEFAULT_VALUE": info("int", default)},
        "double": {"DEFAULT_VALUE": info("double", default), "PRECISION": info("int", "Precision")},
        "boolean": {"DEFAULT_VALUE": info("int", default), "DISPLAY": info("string", "Design")},
        "datetime": {"DEFAULT_VALUE": info("datetime", default)},
        "enumeration": {"DISPLAY": info("string", "Design"), "LIST_HEIGHT": info("int", "List height")},
        "iblock_section": iblock, "iblock_element": iblock,
        "crm_status": {"ENTITY_TYPE": info("string", "Available entity")},
        "crm": {key: info("char", key.title()) for key in ("LEAD", "CONTACT", "COMPANY", "DEAL")},
    }
    # Other types have no documented settings: PHP's empty array prints as [].
    return by_type.get(type_id, [])


@method("crm.userfield.enumeration.fields", scope="crm")
def userfield_enumeration_fields(call: Call) -> dict[str, Any]:
    return {
        "ID": {"type": "int", "title": "ID", "isReadOnly": True}, "SORT": {"type": "int", "title": "Sorting"},
        "VALUE": {"type": "string", "title": "Value"}, "DEF": {"type": "string", "title": "Default Value"},
        "DEL": {"type": "string", "title": "Element Deletion Flag"},
    }
