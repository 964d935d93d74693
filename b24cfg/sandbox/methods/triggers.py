"""CRM automation triggers: ``crm.automation.trigger.{add,list,delete,execute}`` and the
"track incoming webhook" trigger ``crm.automation.trigger``.

Reference platform §3.4; behaviour of ``Bitrix\\Crm\\Automation\\Rest\\Proxy``. App triggers live in
``state["crm_triggers"]`` (ordered by ID), unique per (numeric app id, CODE). The app methods check
admin rights *before* the application context, and every validation error is a ``RestException``
without a code, so the answer carries ``"error": ""``. Which trigger sits on which stage is set in
the UI only (§3.5), so executing a trigger changes nothing the sandbox can show.

No portal options are read by this module.
"""

from __future__ import annotations

import re
from typing import Any

from b24cfg.sandbox.core import Call, RestError, State, as_int, method, php_empty
from b24cfg.sandbox.methods.appcontext import app_of, smart_process_ids

_CODE = re.compile(r"^[a-z0-9.\-_]+$", re.I | re.A)
# CCrmOwnerType names a "TYPENAME_ID" target may use, and the static type ids IsDefined accepts
# for app triggers (lead, deal, contact, company, invoice, quote, smart invoice).
_OWNER_TYPES = {"LEAD": 1, "DEAL": 2, "CONTACT": 3, "COMPANY": 4, "INVOICE": 5, "QUOTE": 7, "SMART_INVOICE": 31}


def _triggers(state: State) -> list[dict[str, Any]]:
    return state.setdefault("crm_triggers", [])  # type: ignore[no-any-return]


def _guard(call: Call) -> int:
    """Admin first, then the client-id guard; returns the app's numeric id (triggers are keyed by it).

    CHOICE (§9.15): the docs' webhook cURL example for crm.automation.trigger.add is taken as a slip;
    like the source, every app-trigger method needs an application.
    """
    call.require_admin("Admin permissions required")
    call.require_app_context()
    return int(app_of(call)["id"])


def _code(value: Any) -> str:
    if php_empty(value):
        raise RestError("", "Empty trigger code!")
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _CODE.match(text):
        raise RestError("", "Wrong trigger code!")
    return text


def _find(state: State, app_id: int, code: str) -> dict[str, Any] | None:
    return next((t for t in _triggers(state) if t["APP_ID"] == app_id and t["CODE"] == code), None)


@method("crm.automation.trigger.add", scope="crm")
def trigger_add(call: Call) -> bool:
    app_id = _guard(call)
    params = call.upper()
    code = _code(params.get("CODE"))
    if php_empty(params.get("NAME")):
        raise RestError("", "Empty trigger name!")
    existing = _find(call.state, app_id, code)
    if existing is not None:
        # An upsert: adding a known CODE renames it (reference platform §3.4, emulator item 25).
        existing["NAME"] = str(params["NAME"])
        return True
    _triggers(call.state).append({
        "ID": call.next_id("crm_trigger"), "APP_ID": app_id, "CODE": code, "NAME": str(params["NAME"]),
        "DATE_CREATE": call.portal.clock.time(),
    })
    return True


@method("crm.automation.trigger.list", scope="crm")
def trigger_list(call: Call) -> list[dict[str, str]]:
    app_id = _guard(call)
    return [{"NAME": t["NAME"], "CODE": t["CODE"]} for t in _triggers(call.state) if t["APP_ID"] == app_id]


@method("crm.automation.trigger.delete", scope="crm")
def trigger_delete(call: Call) -> bool:
    app_id = _guard(call)
    row = _find(call.state, app_id, _code(call.upper().get("CODE")))
    if row is None:
        raise RestError("", "Trigger not found")
    call.state["crm_triggers"] = [t for t in _triggers(call.state) if t is not row]
    return True


@method("crm.automation.trigger.execute", scope="crm", write=True)
def trigger_execute(call: Call) -> bool:
    app_id = _guard(call)
    params = call.upper()
    code = _code(params.get("CODE"))
    if _find(call.state, app_id, code) is None:
        raise RestError("", f"Trigger with code {code} is not registered.")
    owner_type = as_int(params.get("OWNER_TYPE_ID"))
    # CHOICE: CCrmOwnerType::IsDefined is emulated as "a static type triggers exist for, or a smart
    # process that exists on this portal".
    if owner_type not in _OWNER_TYPES.values() and owner_type not in smart_process_ids(call.state):
        raise RestError("", "Incorrect parameter OWNER_TYPE_ID.")
    if as_int(params.get("OWNER_ID")) <= 0:
        raise RestError("", "Incorrect parameter OWNER_ID.")
    # True means "event accepted": only a trigger wired to a stage in the UI would move the item.
    return True


@method("crm.automation.trigger", scope="crm", write=True)
def webhook_trigger(call: Call) -> bool:
    """The UI-configured "track incoming webhook" trigger; usable with webhooks and apps alike.

    The proxy reads ``target`` and ``code`` literally (no upper-casing), unlike the app methods.
    CHOICE: the sandbox has no CRM permission model, so the "There is no permissions to update the
    entity." refusal never happens; the entity itself is not looked up either (the server does not).
    """
    target = call.exact("target")
    if target is None:
        raise RestError("", "Target is not set.")
    type_name, sep, item = str(target).rpartition("_")
    if not sep:
        raise RestError("", "Incorrect target format.")
    dynamic = re.fullmatch(r"DYNAMIC_(\d+)", type_name.upper())
    if dynamic:
        known = int(dynamic.group(1)) in smart_process_ids(call.state)
    else:
        known = type_name.upper() in _OWNER_TYPES
    if not known or as_int(item) == 0:
        raise RestError("", "Target is not found.")
    return True
