"""Business processes: app robots and activities, workflow templates, and the workflow callbacks.

``bizproc.robot.*`` and ``bizproc.activity.*`` (add, update, list, delete) share one store,
``state["bizproc_activities"]``, keyed like ``b_bp_rest_activity`` by
``INTERNAL_CODE = md5(client_id + "@" + CODE)`` with an ``IS_ROBOT`` flag (reference platform §2).
``bizproc.workflow.template.*`` manage ``state["bizproc_templates"]`` (§3.2, §3.3); a fresh portal
is seeded with stage-automation templates (``AUTO_EXECUTE = 8``) that no REST method lists or may
change (§3.5, emulator item 24). ``bizproc.event.send`` and ``bizproc.activity.log`` accept the
event token a running robot would get (§2.6). App update and uninstall wipe the app's robots,
activities and their settings placements (§2.1).

Portal options read here (``SandboxPortal(options={...})``):

``robot_add_validates_document_type`` (default ``True``)
    Reference platform §9.17. The docs list "Wrong activity DOCUMENT_TYPE!" for
    ``bizproc.robot.add``; the source validates DOCUMENT_TYPE on add only for activities.
    ``False`` gives the source's behaviour.
``template_error_style`` (default ``"docs"``)
    Reference platform §9.8. ``"docs"``: ``ERROR_TEMPLATE_NOT_FOUND``, ``ERROR_TEMPLATE_NOT_OWNER``,
    ``ERROR_TEMPLATE_VALIDATION_FAILURE`` and "Empty template name!". ``"source"``: the newer public
    source's answers, ``"error": ""`` and "Empty activity code!" for an empty name.
``template_list_filter_ops`` (default ``"docs"``)
    Reference platform §9.9. ``"docs"`` accepts the documented prefixes ``= ! != < <= > >=`` and
    none; ``"source"`` silently drops filter keys prefixed ``=`` or ``!=`` as the source's allow-list does.
``template_list_document_type`` (default ``"docs"``)
    Reference platform §9.10. ``"docs"``: ``DOCUMENT_TYPE`` is the type string (``"DEAL"``);
    ``"source"``: ``[MODULE_ID, ENTITY, DOCUMENT_TYPE]`` with nulls for parts not selected.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from b24cfg.sandbox.core import (
    Call,
    Listed,
    RestError,
    State,
    as_int,
    hook,
    method,
    next_id,
    paginate,
    php_empty,
    seeder,
)
from b24cfg.sandbox.methods import placements
from b24cfg.sandbox.methods.appcontext import app_of, check_callback, smart_process_ids

if TYPE_CHECKING:
    from b24cfg.sandbox.portal import SandboxPortal

VALIDATION = "ERROR_ACTIVITY_VALIDATION_FAILURE"
TEMPLATE_VALIDATION = "ERROR_TEMPLATE_VALIDATION_FAILURE"
AUTOMATION = 8  # CBPDocumentEventType::Automation; list hides it and everything above (Script = 32)
AUTOMATION_SYSTEM_CODE = "bitrix_bizproc_automation"
_CODE = re.compile(r"^[a-z0-9.\-_]+$", re.I | re.A)
_PROPERTY_KEY = re.compile(r"^[a-z][a-z0-9_]*$", re.I | re.A)
# Column sizes of b_bp_rest_activity: a longer value makes the insert fail.
_MAX_CODE, _MAX_HANDLER = 128, 1000

# Document types the document service knows: (module, entity) -> pattern of the type part.
_DOCUMENT_ENTITIES = {
    ("crm", "CCrmDocumentLead"): r"LEAD",
    ("crm", "CCrmDocumentContact"): r"CONTACT",
    ("crm", "CCrmDocumentCompany"): r"COMPANY",
    ("crm", "CCrmDocumentDeal"): r"DEAL",
    ("crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Quote"): r"QUOTE",
    ("crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\SmartInvoice"): r"SMART_INVOICE",
    ("crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"): r"DYNAMIC_(\d+)",
    ("lists", "BizprocDocument"): r"iblock_\d+",
    ("lists", "Bitrix\\Lists\\BizprocDocumentLists"): r"iblock_\d+",
    ("disk", "Bitrix\\Disk\\BizProcDocument"): r"STORAGE_\d+",
}
_TEMPLATE_FIELDS = (
    "ID", "MODULE_ID", "ENTITY", "DOCUMENT_TYPE", "AUTO_EXECUTE", "NAME", "DESCRIPTION", "TEMPLATE",
    "PARAMETERS", "VARIABLES", "CONSTANTS", "MODIFIED", "IS_MODIFIED", "USER_ID", "SYSTEM_CODE",
)
_NUMERIC_TEMPLATE_FIELDS = {"ID", "AUTO_EXECUTE", "USER_ID", "MODIFIED"}


# --- shared helpers ------------------------------------------------------------------------------
def _activities(state: State) -> list[dict[str, Any]]:
    return state.setdefault("bizproc_activities", [])  # type: ignore[no-any-return]


def _templates(state: State) -> list[dict[str, Any]]:
    return state.setdefault("bizproc_templates", [])  # type: ignore[no-any-return]


def _document_type(state: State, value: Any) -> list[str] | None:
    """``[module, entity, type]`` when the document service knows it, else None."""
    parts = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else None
    if parts is None or len(parts) != 3 or not all(isinstance(p, str) and p for p in parts):
        return None
    pattern = _DOCUMENT_ENTITIES.get((parts[0], parts[1]))
    match = re.fullmatch(pattern, parts[2]) if pattern else None
    if match is None:
        return None
    if match.groups() and int(match.group(1)) not in smart_process_ids(state):
        return None  # a smart process that does not exist has no document fields
    return parts


# --- robots and activities (§2) ------------------------------------------------------------------
def _prepare(data: Any, keep_keys: bool = False) -> Any:
    """``prepareActivityData``: upper-case keys at every level, except the keys directly inside
    PROPERTIES, RETURN_PROPERTIES and OPTIONS (property names and option keys stay as sent)."""
    if isinstance(data, list):
        return [_prepare(v) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key) if keep_keys else str(key).upper()
        out[name] = _prepare(value, name in ("PROPERTIES", "RETURN_PROPERTIES", "OPTIONS"))
    return out


def _localized(value: Any) -> Any:
    """``RestActivityTable::prepareLocalization``: a plain string is stored as ``{"*": text}``."""
    if value is None or isinstance(value, (dict, list)):
        return value
    return {"*": str(value)}


def _validate_code(code: Any) -> str:
    if php_empty(code):
        raise RestError(VALIDATION, "Empty activity code!")
    text = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
    if not _CODE.match(text):
        raise RestError(VALIDATION, "Wrong activity code!")
    return text


def _validate_properties(properties: Any) -> None:
    if not isinstance(properties, (dict, list)):
        raise RestError(VALIDATION, "Wrong properties array!")
    items = properties.items() if isinstance(properties, dict) else enumerate(properties)
    # CHOICE (§9.6): like the newer source, property Types are not checked (the docs add "file",
    # which the older source refused).
    for key, prop in items:
        # CHOICE: the source's message format "(key)" as in the documented example; the docs page
        # writes "Wrong property key <key>!".
        if not _PROPERTY_KEY.match(str(key)):
            raise RestError(VALIDATION, f"Wrong property key ({key})!")
        if not isinstance(prop, dict) or php_empty(prop.get("NAME")):
            raise RestError(VALIDATION, f"Empty property NAME ({key})!")


def _validate_definition(call: Call, data: dict[str, Any], robot: bool) -> str:
    """``validateRobot`` / ``validateActivity``, in the source's order."""
    if not data:
        raise RestError(VALIDATION, "Empty data!")
    code = _validate_code(data.get("CODE"))
    check_callback(data.get("HANDLER"))
    if php_empty(data.get("NAME")):
        raise RestError(VALIDATION, "Empty activity NAME!")
    for key in ("PROPERTIES", "RETURN_PROPERTIES"):
        if data.get(key) is not None:
            _validate_properties(data[key])
    # CHOICE (§9.17): the docs list the DOCUMENT_TYPE error for robots too; the source checks it on
    # add for activities only. Docs win by default (option robot_add_validates_document_type).
    check_type = not robot or bool(call.portal.options.get("robot_add_validates_document_type", True))
    if check_type and data.get("DOCUMENT_TYPE") is not None and _document_type(call.state, data["DOCUMENT_TYPE"]) is None:
        raise RestError(VALIDATION, "Wrong activity DOCUMENT_TYPE!")
    if data.get("FILTER") is not None and not isinstance(data["FILTER"], (dict, list)):
        raise RestError(VALIDATION, "Wrong activity FILTER!")
    return code


def _internal_code(client_id: str | None, code: str) -> str:
    # CODE is hashed as sent, so it is case-sensitive although the CODE regex is not.
    return hashlib.md5(f"{client_id}@{code}".encode()).hexdigest()


def _guard(call: Call) -> None:
    # Reference platform §2.1: the client-id guard comes before the admin check.
    call.require_app_context()
    call.require_admin()


def _find(call: Call, code: str, robot: bool) -> dict[str, Any]:
    internal = _internal_code(call.caller.client_id, code)
    flag = "Y" if robot else "N"
    for row in _activities(call.state):
        if row["INTERNAL_CODE"] == internal and row["IS_ROBOT"] == flag:
            return row
    # CHOICE: the source's (and the example's) text; the activity docs say "Automation rule".
    raise RestError("ERROR_ACTIVITY_NOT_FOUND", "Activity or Robot not found!")


def _add(call: Call, robot: bool) -> bool:
    _guard(call)
    data = _prepare(call.params)
    code = _validate_definition(call, data, robot)
    client_id = call.caller.client_id
    internal = _internal_code(client_id, code)
    # Uniqueness ignores IS_ROBOT: robots and activities of one app share a CODE namespace (§2.1).
    if any(row["INTERNAL_CODE"] == internal for row in _activities(call.state)):
        # CHOICE (§9.16): the source's and the example's text; the docs' "Activity or Automation rule
        # already added!" exists in no source revision.
        raise RestError("ERROR_ACTIVITY_ALREADY_INSTALLED", "Activity or Robot already installed!")
    use_placement = "Y" if data.get("USE_PLACEMENT") == "Y" else "N"
    if use_placement == "Y":
        check_callback(data.get("PLACEMENT_HANDLER"))
    if len(code) > _MAX_CODE or len(str(data["HANDLER"])) > _MAX_HANDLER:
        raise RestError("ERROR_ACTIVITY_ADD_FAILURE", "Activity save error!")
    if use_placement == "Y":
        placements.upsert_private(call, code, data["PLACEMENT_HANDLER"])
    app = app_of(call)
    _activities(call.state).append({
        "ID": call.next_id("bizproc_activity"), "APP_ID": client_id, "APP_NAME": {"*": app.get("name") or app["code"]},
        "CODE": code, "INTERNAL_CODE": internal, "IS_ROBOT": "Y" if robot else "N", "HANDLER": data["HANDLER"],
        # CHOICE (§9.5): USE_SUBSCRIPTION is stored as sent; no robot runs here, so whether an empty
        # value means "wait" never shows.
        "AUTH_USER_ID": as_int(data.get("AUTH_USER_ID")), "USE_SUBSCRIPTION": str(data.get("USE_SUBSCRIPTION") or ""),
        "USE_PLACEMENT": use_placement, "NAME": _localized(data["NAME"]), "DESCRIPTION": _localized(data.get("DESCRIPTION")),
        "PROPERTIES": data.get("PROPERTIES"), "RETURN_PROPERTIES": data.get("RETURN_PROPERTIES"),
        "DOCUMENT_TYPE": data.get("DOCUMENT_TYPE"), "FILTER": data.get("FILTER"),
    })
    return True


def _update(call: Call, robot: bool) -> bool:
    call.require_app_context()
    data = _prepare(call.params)
    call.require_admin()
    row = _find(call, _validate_code(data.get("CODE")), robot)
    fields = data.get("FIELDS")
    if not isinstance(fields, (dict, list)) or not fields:
        raise RestError(VALIDATION, "No fields to update")
    fields = fields if isinstance(fields, dict) else {}
    changes: dict[str, Any] = {}
    if fields.get("HANDLER") is not None:
        check_callback(fields["HANDLER"])
        changes["HANDLER"] = fields["HANDLER"]
    if fields.get("AUTH_USER_ID") is not None:
        changes["AUTH_USER_ID"] = as_int(fields["AUTH_USER_ID"])
    if fields.get("USE_SUBSCRIPTION") is not None:
        changes["USE_SUBSCRIPTION"] = str(fields["USE_SUBSCRIPTION"])
    if fields.get("USE_PLACEMENT") is not None:
        changes["USE_PLACEMENT"] = "Y" if fields["USE_PLACEMENT"] == "Y" else "N"
    if not php_empty(fields.get("NAME")):
        changes["NAME"] = _localized(fields["NAME"])  # an empty NAME is ignored, not an error
    if fields.get("DESCRIPTION") is not None:
        changes["DESCRIPTION"] = _localized(fields["DESCRIPTION"])
    for key in ("PROPERTIES", "RETURN_PROPERTIES"):
        if fields.get(key) is not None:
            _validate_properties(fields[key])
            changes[key] = fields[key]  # the whole map is replaced, never merged
    if fields.get("DOCUMENT_TYPE") is not None:
        if php_empty(fields["DOCUMENT_TYPE"]):
            changes["DOCUMENT_TYPE"] = None
        elif _document_type(call.state, fields["DOCUMENT_TYPE"]) is None:
            raise RestError(VALIDATION, "Wrong activity DOCUMENT_TYPE!")
        else:
            changes["DOCUMENT_TYPE"] = fields["DOCUMENT_TYPE"]
    if fields.get("FILTER") is not None:
        if php_empty(fields["FILTER"]):
            changes["FILTER"] = None
        elif not isinstance(fields["FILTER"], (dict, list)):
            raise RestError(VALIDATION, "Wrong activity FILTER!")
        else:
            changes["FILTER"] = fields["FILTER"]
    if not changes:
        raise RestError(VALIDATION, "No fields to update")
    if fields.get("PLACEMENT_HANDLER") is not None:
        # CHOICE: the source validates the top-level PLACEMENT_HANDLER here (a slip: it is always
        # empty on update) but stores FIELDS.PLACEMENT_HANDLER; the sandbox validates what it stores.
        check_callback(fields["PLACEMENT_HANDLER"])
        placements.upsert_private(call, row["CODE"], fields["PLACEMENT_HANDLER"])
    if changes.get("USE_PLACEMENT") == "N":
        placements.delete_private(call.state, row["APP_ID"], row["CODE"])
    row.update(changes)
    return True


def _delete(call: Call, robot: bool) -> bool:
    call.require_app_context()
    data = call.upper()
    call.require_admin()
    row = _find(call, _validate_code(data.get("CODE")), robot)
    call.state["bizproc_activities"] = [r for r in _activities(call.state) if r is not row]
    placements.delete_private(call.state, row["APP_ID"], row["CODE"])
    return True


def _list(call: Call, robot: bool) -> list[str]:
    _guard(call)
    flag = "Y" if robot else "N"
    # Codes only: there is no way to read a definition back (§2.4).
    return [r["CODE"] for r in _activities(call.state) if r["APP_ID"] == call.caller.client_id and r["IS_ROBOT"] == flag]


@method("bizproc.robot.add", scope="bizproc")
def robot_add(call: Call) -> bool:
    return _add(call, robot=True)


@method("bizproc.robot.update", scope="bizproc")
def robot_update(call: Call) -> bool:
    return _update(call, robot=True)


@method("bizproc.robot.delete", scope="bizproc")
def robot_delete(call: Call) -> bool:
    return _delete(call, robot=True)


@method("bizproc.robot.list", scope="bizproc")
def robot_list(call: Call) -> list[str]:
    return _list(call, robot=True)


@method("bizproc.activity.add", scope="bizproc")
def activity_add(call: Call) -> bool:
    return _add(call, robot=False)


@method("bizproc.activity.update", scope="bizproc")
def activity_update(call: Call) -> bool:
    return _update(call, robot=False)


@method("bizproc.activity.delete", scope="bizproc")
def activity_delete(call: Call) -> bool:
    return _delete(call, robot=False)


@method("bizproc.activity.list", scope="bizproc")
def activity_list(call: Call) -> list[str]:
    return _list(call, robot=False)


# --- callbacks from a running robot (§2.6) -------------------------------------------------------
def _check_event_token(token: Any) -> None:
    """``CBPRestActivity::extractToken``: ``workflowId|activityName|eventId.signature``.

    CHOICE: the sandbox runs no workflows, so it cannot know real tokens; it accepts any token of
    that shape (three non-empty parts, a signed last part) and refuses everything else the way a
    bad signature is refused, with 403 "Access denied!".
    """
    parts = token.split("|") if isinstance(token, str) else []
    signed = parts[2].rsplit(".", 1) if len(parts) == 3 else []
    if len(parts) != 3 or not all(parts) or len(signed) != 2 or not all(signed):
        raise RestError("ACCESS_DENIED", "Access denied!", 403)


@method("bizproc.event.send", scope="bizproc", write=True)
def event_send(call: Call) -> bool:
    # Any user may answer a robot; no application context is required.
    _check_event_token(call.upper().get("EVENT_TOKEN"))
    return True


@method("bizproc.activity.log", scope="bizproc", write=True)
def activity_log(call: Call) -> bool:
    params = call.upper()
    _check_event_token(params.get("EVENT_TOKEN"))
    if php_empty(params.get("LOG_MESSAGE")):
        raise RestError("ERROR_EMPTY_LOG_MESSAGE", "Empty log message!")
    return True


# --- workflow templates (§3.2, §3.3) -------------------------------------------------------------
def _template_error(call: Call, docs_code: str, message: str) -> RestError:
    """Docs name the template errors; the newer public source throws them without a code (§9.8)."""
    # CHOICE (§9.8): docs win by default (option template_error_style).
    if call.portal.options.get("template_error_style", "docs") == "source":
        return RestError("", message)
    return RestError(docs_code, message)


def _check_template_name(call: Call, name: Any) -> None:
    if php_empty(name):
        # Both styles use the validation code here; only the text differs (the source reuses a
        # robot message).
        source = call.portal.options.get("template_error_style", "docs") == "source"
        raise RestError(TEMPLATE_VALIDATION, "Empty activity code!" if source else "Empty template name!")


def _check_auto_execute(value: Any) -> int:
    """Only None (0), Create (1), Edit (2) and Create|Edit (3); never Automation (8) or Script (32).

    CHOICE: the source compares ``$flag === (string)(int)$flag`` and so only admits numeric strings;
    the documented example sends a JSON integer and succeeds, so integers are admitted too.
    """
    as_text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if as_text is None or as_text not in ("0", "1", "2", "3"):
        raise RestError(TEMPLATE_VALIDATION, "Incorrect field AUTO_EXECUTE!")
    return int(as_text)


def _base64_loose(text: str) -> bytes:
    """PHP's non-strict ``base64_decode``: characters outside the alphabet are skipped."""
    alphabet = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(alphabet) % 4 == 1:
        alphabet = alphabet[:-1]  # six leftover bits make no byte
    return base64.b64decode(alphabet + "=" * (-len(alphabet) % 4))


def _php_unserialize(data: bytes) -> Any:
    """``unserialize($data, ['allowed_classes' => false])`` for the scalar and array subset a .bpt uses."""
    pos = 0

    def expect(token: bytes) -> None:
        nonlocal pos
        if data[pos : pos + len(token)] != token:
            raise ValueError(f"expected {token!r} at {pos}")
        pos += len(token)

    def until(stop: bytes) -> bytes:
        nonlocal pos
        end = data.index(stop, pos)
        chunk, pos = data[pos:end], end + len(stop)
        return chunk

    def value() -> Any:
        nonlocal pos
        kind = data[pos : pos + 2]
        pos += 2
        if kind == b"N;":
            return None
        if kind == b"b:":
            return until(b";") == b"1"
        if kind == b"i:":
            return int(until(b";"))
        if kind == b"d:":
            return float(until(b";"))
        if kind == b"s:":
            length = int(until(b":"))
            expect(b'"')
            text = data[pos : pos + length]
            pos += length
            expect(b'";')
            return text.decode("utf-8", errors="replace")
        if kind == b"a:":
            count = int(until(b":"))
            expect(b"{")
            entries: dict[Any, Any] = {}
            for _ in range(count):
                key = value()
                if not isinstance(key, (int, str)):
                    raise ValueError("array key must be int or string")
                entries[key] = value()
            expect(b"}")
            keys = list(entries)
            if keys == list(range(len(keys))):
                return list(entries.values())  # a PHP list, as json_encode would print it
            return {str(k): v for k, v in entries.items()}
        raise ValueError(f"unsupported serialized type {kind!r}")  # objects are not allowed

    return value()


def _template_package(raw: Any) -> dict[str, Any]:
    """Decode TEMPLATE_DATA: a Base64 string or ``[file name, Base64]``; PHP-serialized .bpt data,
    plain or zlib-compressed (``gzcompress``), that must carry a TEMPLATE key.

    CHOICE: content that does not unpack answers like an unreadable file, with the documented
    "Incorrect field TEMPLATE_DATA!" (the source throws an ArgumentException with a localised text).
    """
    error = RestError(TEMPLATE_VALIDATION, "Incorrect field TEMPLATE_DATA!")
    if php_empty(raw):
        raise error
    values = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else [None, raw]
    content = values[1] if len(values) > 1 else None
    try:
        blob = _base64_loose(content) if isinstance(content, str) else b""
    except ValueError:
        raise error from None
    if not blob:
        raise error
    # The packer tries the plain serialized form first, then the compressed one.
    candidates = [blob]
    try:
        candidates.append(zlib.decompress(blob))
    except zlib.error:
        pass
    for candidate in candidates:
        try:
            package = _php_unserialize(candidate)
        except (ValueError, IndexError):
            continue
        if isinstance(package, dict) and "TEMPLATE" in package:
            return package
    raise error


def _template_owner_code(call: Call) -> str:
    return f"rest_app_{app_of(call)['id']}"


def _template(call: Call, template_id: Any, verb: str) -> dict[str, Any]:
    """The template ``template_id``, which the calling app must own (``SYSTEM_CODE``)."""
    wanted = as_int(template_id)
    row = next((t for t in _templates(call.state) if t["ID"] == wanted), None)
    if row is None:
        raise _template_error(call, "ERROR_TEMPLATE_NOT_FOUND", "Workflow template not found.")
    if row["SYSTEM_CODE"] != _template_owner_code(call):
        raise _template_error(call, "ERROR_TEMPLATE_NOT_OWNER", f"You can {verb} ONLY templates created by current application")
    return row


def _apply_package(row: dict[str, Any], package: dict[str, Any]) -> None:
    for key in ("TEMPLATE", "PARAMETERS", "VARIABLES", "CONSTANTS"):
        row[key] = package.get(key) if package.get(key) is not None else []


@method("bizproc.workflow.template.add", scope="bizproc")
def template_add(call: Call) -> int:
    _guard(call)
    params = call.upper()
    document_type = _document_type(call.state, params.get("DOCUMENT_TYPE"))
    if document_type is None:
        raise RestError(TEMPLATE_VALIDATION, "Incorrect field DOCUMENT_TYPE!")
    _check_template_name(call, params.get("NAME"))
    auto_execute = 0 if params.get("AUTO_EXECUTE") is None else _check_auto_execute(params["AUTO_EXECUTE"])
    package = _template_package(params.get("TEMPLATE_DATA"))
    row: dict[str, Any] = {
        "ID": call.next_id("bizproc_template"), "MODULE_ID": document_type[0], "ENTITY": document_type[1],
        "DOCUMENT_TYPE": document_type[2], "DOCUMENT_STATUS": None, "AUTO_EXECUTE": auto_execute,
        "NAME": str(params["NAME"]), "DESCRIPTION": str(params.get("DESCRIPTION") or ""),
        "MODIFIED": call.portal.clock.time(), "IS_MODIFIED": "N", "USER_ID": call.caller.user_id,
        "SYSTEM_CODE": _template_owner_code(call), "ACTIVE": "Y", "INSTANCES": 0,
    }
    _apply_package(row, package)
    _templates(call.state).append(row)
    return int(row["ID"])


@method("bizproc.workflow.template.update", scope="bizproc")
def template_update(call: Call) -> int:
    _guard(call)
    params = call.upper()
    fields = params.get("FIELDS")
    if not isinstance(fields, (dict, list)) or not fields:
        raise _template_error(call, TEMPLATE_VALIDATION, "No fields to update.")
    fields = fields if isinstance(fields, dict) else {}  # FIELDS keys are read as sent (not upper-cased)
    row = _template(call, params.get("ID"), "update")
    changes: dict[str, Any] = {}
    if fields.get("NAME") is not None:
        _check_template_name(call, fields["NAME"])
        changes["NAME"] = str(fields["NAME"])
    if fields.get("DESCRIPTION") is not None:
        changes["DESCRIPTION"] = str(fields["DESCRIPTION"])
    if fields.get("AUTO_EXECUTE") is not None:
        changes["AUTO_EXECUTE"] = _check_auto_execute(fields["AUTO_EXECUTE"])
    package = _template_package(fields["TEMPLATE_DATA"]) if fields.get("TEMPLATE_DATA") is not None else None
    # DOCUMENT_TYPE and any other key are silently ignored: a template never changes its type.
    row.update(changes, MODIFIED=call.portal.clock.time())
    if package is not None:
        _apply_package(row, package)
    return int(row["ID"])


@method("bizproc.workflow.template.delete", scope="bizproc")
def template_delete(call: Call) -> None:
    _guard(call)
    row = _template(call, call.upper().get("ID"), "delete")
    if row["INSTANCES"] > 0:
        # CHOICE: CBPInvalidOperationException(BPCGWTL_CANT_DELETE) ends as an ERROR_CORE answer;
        # its localised text is not public, so the sandbox words it itself.
        raise RestError("ERROR_CORE", "The workflow template cannot be deleted because it has running workflows.")
    call.state["bizproc_templates"] = [t for t in _templates(call.state) if t is not row]
    return None  # the documented result is null


def _portal_iso(call: Call, ts: float) -> str:
    tz = call.state["portal"].get("tz", "+00:00")
    sign = 1 if tz[0] == "+" else -1
    offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    return datetime.fromtimestamp(ts, offset).isoformat(timespec="seconds")


def _filter_value(field: str, value: Any) -> Any:
    if field == "MODIFIED" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()  # CRestUtil::unConvertDateTime
        except ValueError:
            return value
    return value


def _compare(stored: Any, wanted: Any) -> int:
    """SQL-ish comparison: numerically when both sides are numbers, else as text."""
    try:
        a, b = float(stored), float(wanted)
    except (TypeError, ValueError):
        a, b = str("" if stored is None else stored), str("" if wanted is None else wanted)  # type: ignore[assignment]
    return (a > b) - (a < b)


def _matches(row: dict[str, Any], op: str, field: str, wanted: Any) -> bool:
    stored = row.get(field)
    if op in ("", "=", "!", "!="):
        options = wanted if isinstance(wanted, list) else [wanted]  # an array value means IN (...)
        equal = any(_compare(stored, w) == 0 for w in options)
        return equal if op in ("", "=") else not equal
    order = _compare(stored, wanted)
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]


def _list_filter(call: Call, raw: Any) -> list[tuple[str, str, Any]]:
    """``getFilter``: ``<op><FIELD>`` keys; unknown fields and disallowed prefixes are dropped silently."""
    allowed = {"", "!", "<", "<=", ">", ">="}
    # CHOICE (§9.9): the documented "=" and "!=" work by default (option template_list_filter_ops).
    if call.portal.options.get("template_list_filter_ops", "docs") != "source":
        allowed |= {"=", "!="}
    rules = []
    for key, value in (raw.items() if isinstance(raw, dict) else []):
        # The operation is everything before the first ASCII letter ("/^([^a-zA-Z]*)(.*)/").
        text = str(key)
        split = next((i for i, ch in enumerate(text) if ch.isascii() and ch.isalpha()), len(text))
        op, field = text[:split], text[split:].upper()
        if op in allowed and field in _TEMPLATE_FIELDS:
            rules.append((op, field, _filter_value(field, value)))
    return rules


def _list_row(call: Call, row: dict[str, Any], select: list[str]) -> dict[str, Any]:
    """One template as the list returns it: database strings, decoded arrays, ISO dates."""
    out: dict[str, Any] = {}
    for field in select:
        value = row.get(field)
        if field in ("ID", "AUTO_EXECUTE", "USER_ID"):
            value = str(value)
        elif field == "MODIFIED":
            value = _portal_iso(call, float(row["MODIFIED"]))
        # CHOICE (§9.10): the documented string by default (option template_list_document_type).
        elif field == "DOCUMENT_TYPE" and call.portal.options.get("template_list_document_type", "docs") == "source":
            value = [row["MODULE_ID"] if "MODULE_ID" in select else None,
                     row["ENTITY"] if "ENTITY" in select else None, row["DOCUMENT_TYPE"]]
        out[field] = value
    return out


def _sort_key(field: str) -> Callable[[dict[str, Any]], Any]:
    if field in _NUMERIC_TEMPLATE_FIELDS:
        return lambda row: float(row[field])
    return lambda row: str(row.get(field) or "")


@method("bizproc.workflow.template.list", scope="bizproc")
def template_list(call: Call) -> Listed:
    # Admin only; unlike add/update/delete it needs no application context (works with webhooks).
    call.require_admin()
    params = call.upper()
    raw_select = params.get("SELECT")
    select: list[str] = []
    for field in raw_select if isinstance(raw_select, list) else []:
        name = str(field).upper()
        if name in _TEMPLATE_FIELDS and name not in select:
            select.append(name)
    select = select or ["ID"]
    rules = _list_filter(call, params.get("FILTER"))
    # The server always adds AUTO_EXECUTE < 8: stage automation and scripts are never listed (§3.5).
    rows = [t for t in _templates(call.state) if t["AUTO_EXECUTE"] < AUTOMATION
            and all(_matches(t, op, field, wanted) for op, field, wanted in rules)]
    order_raw = params.get("ORDER")
    order = [(str(f).upper(), str(d).upper() == "DESC") for f, d in (order_raw.items() if isinstance(order_raw, dict) else [])]
    order = [(f, desc) for f, desc in order if f in _TEMPLATE_FIELDS] or [("ID", False)]
    for field, desc in reversed(order):  # stable sorts, least significant key first
        rows.sort(key=_sort_key(field), reverse=desc)
    page = paginate(rows, call.exact("start"))
    return Listed([_list_row(call, t, select) for t in page.result], total=page.total, next=page.next)


def start_workflow(portal: SandboxPortal, template_id: int) -> None:
    """Test hook: a workflow instance of ``template_id`` is running, so the template cannot be deleted."""
    next(t for t in _templates(portal.state) if t["ID"] == template_id)["INSTANCES"] += 1
    portal.save()


@seeder
def _seed_stage_automation(state: State) -> None:
    """A fresh portal's stage robots: automation templates (AUTO_EXECUTE = 8) per document status.

    They exist so that tests can prove REST never lists or changes them (emulator item 24).
    """
    stages = [
        (["crm", "CCrmDocumentLead", "LEAD"], "NEW"),
        (["crm", "CCrmDocumentDeal", "DEAL"], "NEW"),
        (["crm", "CCrmDocumentDeal", "DEAL"], "PREPARATION"),
    ]
    for document_type, status in stages:
        robot = {"Type": "CrmControlNotifyActivity", "Name": f"A{status.lower()}_notify", "Activated": "Y",
                 "Properties": {"Title": "Notify the responsible person", "MessageText": "Check the new item"},
                 "Children": []}
        tree = [{"Type": "SequentialWorkflowActivity", "Name": "Template", "Activated": "Y", "Properties": {"Title": "Automation"},
                 "Children": [{"Type": "ParallelActivity", "Name": "Parallel", "Activated": "Y", "Properties": {},
                               "Children": [{"Type": "SequenceActivity", "Name": "Sequence", "Activated": "Y",
                                             "Properties": {}, "Children": [robot]}]}]}]
        _templates(state).append({
            "ID": next_id(state, "bizproc_template"), "MODULE_ID": document_type[0], "ENTITY": document_type[1],
            "DOCUMENT_TYPE": document_type[2], "DOCUMENT_STATUS": status, "AUTO_EXECUTE": AUTOMATION,
            "NAME": f"Automation rules: {document_type[2]} {status}", "DESCRIPTION": "", "TEMPLATE": tree,
            "PARAMETERS": [], "VARIABLES": [], "CONSTANTS": [], "MODIFIED": 0.0, "IS_MODIFIED": "N", "USER_ID": 1,
            "SYSTEM_CODE": AUTOMATION_SYSTEM_CODE, "ACTIVE": "Y", "INSTANCES": 0,
        })


@hook("app_update")
@hook("app_uninstall")
def _forget_app_activities(state: State, client_id: str) -> None:
    # onRestAppUpdate calls onRestAppDelete: both wipe the app's robots, activities and their
    # settings placements (reference platform §2.1, emulator item 21).
    state["bizproc_activities"] = [r for r in _activities(state) if r["APP_ID"] != client_id]
    placements.delete_private(state, client_id)
