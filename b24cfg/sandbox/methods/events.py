"""Event handlers: ``event.bind``, ``event.get``, ``event.unbind`` and the ``events`` catalogue.

Reference platform §4; behaviour of ``Bitrix\\Rest\\Api\\Event`` and ``EventTable``. Global scope,
but only application tokens may call them (auth-type guard, ``WRONG_AUTH_TYPE``); any user may,
with the non-admin restrictions of the source. Handlers live in ``state["event_handlers"]``
(ordered by ID), unique by (app, EVENT, HANDLER, USER_ID, CONNECTOR_ID).

Portal options read here (``SandboxPortal(options={...})``):

``event_unbind_docs_wildcards`` (default ``False``)
    Reference platform §9.7. The source requires ``event`` and, for online handlers, ``handler``
    (``ERROR_ARGUMENT``), as the documented example shows; the docs page says unbinding "without
    parameters" deletes every matching handler. ``True`` makes a missing ``event``/``handler`` a
    wildcard instead of an error.
"""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox.core import Call, RestError, State, as_int, hook, method, php_empty
from b24cfg.sandbox.methods.appcontext import argument_null, check_callback, is_installed, php_blank, smart_process_ids

EventInfo = dict[str, Any]

_APP_EVENTS = ("ONAPPUNINSTALL", "ONAPPINSTALL", "ONAPPUPDATE", "ONAPPPAYMENT", "ONAPPTEST", "ONAPPMETHODCONFIRM")
_CRM_ENTITY_EVENTS = {
    "LEAD": ("ADD", "UPDATE", "DELETE", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE", "USERFIELDSETENUMVALUES"),
    "DEAL": ("ADD", "UPDATE", "DELETE", "MOVETOCATEGORY", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE",
             "USERFIELDSETENUMVALUES"),
    "COMPANY": ("ADD", "UPDATE", "DELETE", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE", "USERFIELDSETENUMVALUES"),
    "CONTACT": ("ADD", "UPDATE", "DELETE", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE", "USERFIELDSETENUMVALUES"),
    "QUOTE": ("ADD", "UPDATE", "DELETE", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE", "USERFIELDSETENUMVALUES"),
    "INVOICE": ("ADD", "UPDATE", "DELETE", "SETSTATUS", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE",
                "USERFIELDSETENUMVALUES"),
    "CURRENCY": ("ADD", "UPDATE", "DELETE"),
    "PRODUCT": ("ADD", "UPDATE", "DELETE"),
    "PRODUCTPROPERTY": ("ADD", "UPDATE", "DELETE"),
    "PRODUCTSECTION": ("ADD", "UPDATE", "DELETE"),
    "ACTIVITY": ("ADD", "UPDATE", "DELETE"),
    "REQUISITE": ("ADD", "UPDATE", "DELETE", "USERFIELDADD", "USERFIELDUPDATE", "USERFIELDDELETE",
                  "USERFIELDSETENUMVALUES"),
    "BANKDETAIL": ("ADD", "UPDATE", "DELETE"),
    "ADDRESS": ("REGISTER", "UNREGISTER"),
    "MEASURE": ("ADD", "UPDATE", "DELETE"),
    "DEALRECURRING": ("ADD", "UPDATE", "DELETE", "EXPOSE"),
    "INVOICERECURRING": ("ADD", "UPDATE", "DELETE", "EXPOSE"),
    "TIMELINECOMMENT": ("ADD", "UPDATE", "DELETE"),
    "DYNAMICITEM": ("ADD", "UPDATE", "DELETE"),
    "TYPE": ("ADD", "UPDATE", "DELETE"),
    "DOCUMENTGENERATORDOCUMENT": ("ADD", "UPDATE", "DELETE"),
}


def catalogue(state: State) -> dict[str, dict[str, EventInfo]]:
    """Event names by scope (the docs' ``events`` list), with per-event options.

    ``ONOFFLINEEVENT`` cannot be bound offline and keeps an int ``minTimeout`` option; smart
    processes add ``ONCRMDYNAMICITEM{ADD,UPDATE,DELETE}_<entityTypeId>`` for every type found in the
    crm family's ``state["types"]`` (another module; read defensively).
    """
    crm: dict[str, EventInfo] = {
        f"ONCRM{entity}{action}": {} for entity, actions in _CRM_ENTITY_EVENTS.items() for action in actions
    }
    for etid in sorted(smart_process_ids(state)):
        crm.update({f"ONCRMDYNAMICITEM{action}_{etid}": {} for action in ("ADD", "UPDATE", "DELETE")})
    return {
        "_global": {
            **{name: {} for name in _APP_EVENTS},
            "ONOFFLINEEVENT": {"disable_offline": True, "options": {"minTimeout": "int"}},
        },
        "user": {"ONUSERADD": {}},
        "crm": crm,
        "task": {f"ONTASK{what}": {} for what in
                 ("ADD", "UPDATE", "DELETE", "COMMENTADD", "COMMENTUPDATE", "COMMENTDELETE")},
    }


def _handlers(state: State) -> list[dict[str, Any]]:
    return state.setdefault("event_handlers", [])  # type: ignore[no-any-return]


def _event_type(params: dict[str, Any]) -> str:
    raw = params.get("EVENT_TYPE")
    kind = "" if raw is None else str(raw).lower()
    if kind == "":
        return "online"
    if kind not in ("online", "offline"):
        raise RestError("ERROR_ARGUMENT", "Value must be one of {online|offline}", argument="EVENT_TYPE")
    return kind


@method("events", scope="_global", write=False)
def events(call: Call) -> list[str]:
    call.require_oauth()
    params = call.upper()
    by_scope = catalogue(call.state)
    scopes = ["_global"]
    if "SCOPE" in params and params["SCOPE"] is not None:
        # An empty SCOPE leaves only the global events, as the source's isset/!= '' pair does.
        if params["SCOPE"] != "":
            scopes = [str(params["SCOPE"])]
    elif not php_empty(params.get("FULL")):
        scopes = list(by_scope)
    else:
        scopes = sorted(call.caller.scopes) + ["_global"]
    return [name for scope, names in by_scope.items() if scope in scopes for name in names]


@method("event.bind", scope="_global")
def event_bind(call: Call) -> bool:
    call.require_oauth()
    params = call.upper()
    me = call.caller.user_id
    name = str(params.get("EVENT") or "").upper()
    user = as_int(params.get("AUTH_TYPE"))
    handler = params.get("HANDLER")
    raw_options = params.get("OPTIONS")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    if user > 0:
        if not call.is_admin and user != me:
            call.require_admin("Event binding with AUTH_TYPE requires administrator access rights")
    elif not call.is_admin:
        user = me  # a non-admin's handler always runs as that user
    if name == "":
        raise argument_null("EVENT")
    if _event_type(params) == "offline":
        if not call.is_admin:
            call.require_admin("Offline events binding requires administrator access rights")
        handler, user = "", 0
    elif php_blank(handler):
        raise argument_null("HANDLER")
    if not php_blank(handler):
        check_callback(handler)

    allowed = catalogue(call.state)
    info = next(
        (allowed[s][name] for s in [*sorted(call.caller.scopes), "_global"] if name in allowed.get(s, {})), None
    )
    if info is None:
        raise RestError("ERROR_EVENT_NOT_FOUND", "Event not found")
    if php_blank(handler) and info.get("disable_offline"):
        raise RestError("ERROR_ARGUMENT", "Offline event cannot be registered for this event.")
    declared: dict[str, str] = info.get("options", {})
    stored_options = {
        key: as_int(options[key]) if kind == "int" else options[key]
        for key, kind in declared.items()
        if key in options and options[key] is not None and (kind == "int" or isinstance(options[key], str))
    }
    # ``auth_connector`` is a side parameter consumed by auth (reference platform §4); it reaches
    # the method as the caller's connector and becomes part of the handler's unique key.
    row_key = (call.caller.client_id, name, handler or "", user, call.caller.connector)
    if any((h["APP_ID"], h["EVENT_NAME"], h["EVENT_HANDLER"], h["USER_ID"], h["CONNECTOR_ID"]) == row_key
           for h in _handlers(call.state)):
        raise RestError("ERROR_CORE", "Unable to set event handler: Handler already binded")
    _handlers(call.state).append({
        "ID": call.next_id("event_handler"), "APP_ID": call.caller.client_id, "EVENT_NAME": name,
        "EVENT_HANDLER": handler or "", "USER_ID": user, "CONNECTOR_ID": call.caller.connector,
        "OPTIONS": stored_options,
    })
    return True


@method("event.get", scope="_global")
def event_get(call: Call) -> list[dict[str, Any]]:
    call.require_oauth()
    out: list[dict[str, Any]] = []
    for h in _handlers(call.state):
        if h["APP_ID"] != call.caller.client_id or (not call.is_admin and h["USER_ID"] != call.caller.user_id):
            continue
        if h["EVENT_HANDLER"] != "":
            # USER_ID comes from the database as a string; OPTIONS are never returned.
            out.append({"event": h["EVENT_NAME"], "handler": h["EVENT_HANDLER"], "auth_type": str(h["USER_ID"]),
                        "offline": 0})
        else:
            out.append({"event": h["EVENT_NAME"], "connector_id": h["CONNECTOR_ID"], "offline": 1})
    return out


@method("event.unbind", scope="_global")
def event_unbind(call: Call) -> dict[str, int]:
    call.require_oauth()
    params = call.upper()
    # CHOICE (§9.7): the source (and the documented example) refuse a missing event/handler; the
    # docs' "no parameters deletes all" is available as option event_unbind_docs_wildcards.
    wildcards = bool(call.portal.options.get("event_unbind_docs_wildcards", False))
    name = str(params.get("EVENT") or "").upper()
    handler = params.get("HANDLER")
    if name == "" and not wildcards:
        raise argument_null("EVENT")
    offline = _event_type(params) == "offline"
    if offline:
        if not call.is_admin:
            call.require_admin("Offline events unbinding requires administrator access rights")
    elif php_blank(handler) and not wildcards:
        raise argument_null("HANDLER")

    user: int | None = None
    if not offline:
        if "AUTH_TYPE" in params:
            # CHOICE: the source compares AUTH_TYPE to the user id strictly (a form-encoded "15" never
            # equals 15); the docs only refuse "the auth_type of another user", so compare as ints.
            if not call.is_admin and as_int(params["AUTH_TYPE"]) != call.caller.user_id:
                call.require_admin("Event unbinding with AUTH_TYPE requires administrator access rights")
            user = as_int(params["AUTH_TYPE"])
        elif not call.is_admin:
            user = call.caller.user_id

    def handler_matches(stored: str) -> bool:
        if offline:
            return stored == ""  # offline rows are the ones without a handler URL
        if php_blank(handler):
            return stored != ""  # only reachable with the docs' wildcard behaviour
        return stored == handler

    def matches(h: dict[str, Any]) -> bool:
        return (
            h["APP_ID"] == call.caller.client_id
            and (name == "" or h["EVENT_NAME"] == name)
            and handler_matches(h["EVENT_HANDLER"])
            and (user is None or h["USER_ID"] == user)
        )

    before = _handlers(call.state)
    call.state["event_handlers"] = [h for h in before if not matches(h)]
    return {"count": len(before) - len(call.state["event_handlers"])}


def deliverable_handlers(state: State, event: str) -> list[dict[str, Any]]:
    """The handlers the portal would call for ``event``: apps that finished installation only.

    Test hook for emulator item 28 (``event.bind`` succeeds for a not-installed app, but no event
    reaches it until ``BX24.installFinish()``).
    """
    return [h for h in _handlers(state) if h["EVENT_NAME"] == event.upper() and is_installed(state, h["APP_ID"])]


@hook("app_uninstall")
def _forget_app(state: State, client_id: str) -> None:
    # EventTable::deleteByApp on uninstall (reference platform §4).
    state["event_handlers"] = [h for h in _handlers(state) if h["APP_ID"] != client_id]


@hook("app_update")
def _drop_install_handler(state: State, client_id: str) -> None:
    # An update removes only the app's ONAPPINSTALL handler (CRestUtil::UpdateApp, reference §4).
    state["event_handlers"] = [
        h for h in _handlers(state) if not (h["APP_ID"] == client_id and h["EVENT_NAME"] == "ONAPPINSTALL")
    ]
