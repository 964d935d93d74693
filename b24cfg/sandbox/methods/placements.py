"""Widget placements: ``placement.bind``, ``placement.get``, ``placement.list``, ``placement.unbind``.

Reference platform §5; behaviour of ``Bitrix\\Rest\\Api\\Placement`` and ``PlacementTable``. All four
need an application token (auth-type guard); bind/get/unbind also need a portal administrator.
Rows live in ``state["placements"]`` (one list, ordered by ID) and are keyed, like the table's
unique index, by (app, PLACEMENT, PLACEMENT_HANDLER). The bizproc family stores the private
``BIZPROC_ACTIVITY_PROPERTIES_DIALOG`` rows here too (``upsert_private`` / ``delete_private``).

The catalogue (which codes exist, in which scope, ``private``/``max_count``/``user_mode`` and the
declared ``OPTIONS``) follows the docs' placement catalogue (``D:api-reference/widgets/placements.md``);
CRM codes are generated per entity type, including one set per smart process found in
``state["types"]``.

No portal options are read by this module.
"""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox.core import Call, RestError, State, as_int, hook, method, php_empty
from b24cfg.sandbox.methods.appcontext import (
    PORTAL_LANGUAGE,
    app_of,
    argument_null,
    argument_type,
    check_callback,
    is_installed,
    php_blank,
    smart_process_ids,
)

AUTH_DETAIL = "Application context required"
PROPERTIES_DIALOG = "BIZPROC_ACTIVITY_PROPERTIES_DIALOG"
LANG_FIELDS = ("TITLE", "DESCRIPTION", "GROUP_NAME")

Info = dict[str, Any]

_CRM_ENTITIES = ("LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "SMART_INVOICE")
_CRM_SUFFIXES = (
    "LIST_TOOLBAR", "LIST_MENU", "DETAIL_TOOLBAR", "DETAIL_TAB", "DETAIL_ACTIVITY",
    "ACTIVITY_TIMELINE_MENU", "DOCUMENTGENERATOR_BUTTON",
)
# The automation designer exists only where robots do: leads, deals, invoices, smart processes.
_ROBOT_DESIGNER_ENTITIES = ("LEAD", "DEAL", "SMART_INVOICE")
_DETAIL_ACTIVITY_OPTIONS = {
    "useBuiltInInterface": "string", "newUserNotificationTitle": "string", "newUserNotificationText": "string",
}
_IM_OPTIONS = {
    "extranet": "string", "context": "string", "role": "string", "iconName": "string", "color": "string",
    "width": "int", "height": "int",
}


def _plain(*codes: str, **info: Any) -> dict[str, Info]:
    return {code: dict(info) for code in codes}


def _crm_placements(state: State) -> dict[str, Info]:
    entities = list(_CRM_ENTITIES) + [f"DYNAMIC_{etid}" for etid in sorted(smart_process_ids(state))]
    out: dict[str, Info] = {}
    for entity in entities:
        for suffix in _CRM_SUFFIXES:
            options = _DETAIL_ACTIVITY_OPTIONS if suffix == "DETAIL_ACTIVITY" else {}
            out[f"CRM_{entity}_{suffix}"] = {"options": dict(options)}
        if entity in _ROBOT_DESIGNER_ENTITIES or entity.startswith("DYNAMIC_"):
            out[f"CRM_{entity}_ROBOT_DESIGNER_TOOLBAR"] = {}
    out["CRM_ORDER_DETAIL_TAB"] = {}
    out.update(_plain(
        "CRM_ANALYTICS_MENU", "CRM_ANALYTICS_TOOLBAR", "CRM_FUNNELS_TOOLBAR", "CRM_DETAIL_SEARCH",
        "CRM_REQUISITE_AUTOCOMPLETE", "CRM_BANK_DETAIL_AUTOCOMPLETE",
    ))
    return out


def catalogue(state: State) -> dict[str, dict[str, Info]]:
    """Placement codes by scope, each with its description (``private``, ``max_count``, ...).

    CHOICE: ``REST_APP_URI`` sits in the global scope as in the rest module's own description; the
    other scope-less codes of the docs' catalogue ("not required") sit in the ``placement`` scope.
    """
    return {
        "_global": {"REST_APP_URI": {"max_count": 1}},
        "placement": {
            "PAGE_BACKGROUND_WORKER": {
                "max_count": 1, "user_mode": True, "options": {"errorHandlerUrl": "string"},
                "requires_error_handler": True,
            },
            **_plain("LEFT_MENU", "BI_ANALYTICS_MENU", "IM_SMILES_SELECTOR"),
        },
        "crm": _crm_placements(state),
        "bizproc": {PROPERTIES_DIALOG: {"private": True}},
        "im": {
            **{code: {"options": dict(_IM_OPTIONS)} for code in ("IM_CONTEXT_MENU", "IM_TEXTAREA", "IM_SIDEBAR")},
            **_plain("IM_NAVIGATION", "IMMOBILE_CONTEXT_MENU"),
        },
        "task": _plain(
            "TASK_USER_LIST_TOOLBAR", "TASK_GROUP_LIST_TOOLBAR", "TASK_LIST_CONTEXT_MENU", "TASK_VIEW_TAB",
            "TASK_VIEW_SIDEBAR", "TASK_VIEW_TOP_PANEL", "TASK_ROBOT_DESIGNER_TOOLBAR",
        ),
        "sonet_group": _plain("SONET_GROUP_DETAIL_TAB", "SONET_GROUP_TOOLBAR", "SONET_GROUP_ROBOT_DESIGNER_TOOLBAR"),
        "user": _plain("USER_PROFILE_MENU", "USER_PROFILE_TOOLBAR"),
        "calendar": _plain("CALENDAR_GRIDVIEW"),
        "telephony": _plain("CALL_CARD", "TELEPHONY_ANALYTICS_MENU"),
        "contact_center": _plain("CONTACT_CENTER"),
    }


def _placement_list(state: State, scopes: list[str] | None = None) -> dict[str, Info]:
    """``getPlacementList``: the placements of the given scopes (all scopes when None), merged."""
    by_scope = catalogue(state)
    out: dict[str, Info] = {}
    for scope in by_scope if scopes is None else scopes:
        out.update(by_scope.get(scope, {}))
    return out


def _rows(state: State) -> list[dict[str, Any]]:
    return state.setdefault("placements", [])  # type: ignore[no-any-return]


def _check_permission(call: Call) -> None:
    call.require_oauth(AUTH_DETAIL)
    call.require_admin()


def _caller_scopes(call: Call) -> list[str]:
    """The token's scopes that name a described scope, plus the global one."""
    known = catalogue(call.state)
    return [s for s in sorted(call.caller.scopes) if s in known] + ["_global"]


def _prepare_options(data: Any, declared: dict[str, str]) -> dict[str, Any]:
    """Keep only options the placement declares, typed as declared (``prepareOptions``)."""
    out: dict[str, Any] = {}
    if not declared or not isinstance(data, dict):
        return out
    for key, value in data.items():
        kind = declared.get(key)
        if kind == "int":
            out[key] = as_int(value)
        elif kind == "string":
            out[key] = _php_string(value)
    return out


def _php_string(value: Any) -> str:
    """PHP's ``(string)`` cast: null and false are "", true is "1", an array is "Array"."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return "Array" if isinstance(value, (dict, list)) else str(value)


def _lang_list(params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Titles per language: LANG_ALL wins over top-level TITLE/DESCRIPTION/GROUP_NAME when non-empty."""
    lang_all = params.get("LANG_ALL")
    if php_empty(lang_all):
        single = {f: str(params[f]).strip() for f in LANG_FIELDS if not php_empty(params.get(f))}
        return {PORTAL_LANGUAGE: single} if single else {}
    entries = lang_all.items() if isinstance(lang_all, dict) else enumerate(lang_all if isinstance(lang_all, list) else [])
    out: dict[str, dict[str, str]] = {}
    for lang, item in entries:
        item = item if isinstance(item, dict) else {}
        out[str(lang)] = {f: str(item.get(f) or "").strip() for f in LANG_FIELDS}
    return out


def _merged_titles(langs: dict[str, dict[str, str]]) -> dict[str, str]:
    """``Lang::mergeFromLangAll``: the row's own title is the portal language's (else the first)."""
    chosen = langs.get(PORTAL_LANGUAGE) or next(iter(langs.values()), {})
    return {"TITLE": chosen.get("TITLE", ""), "DESCRIPTION": chosen.get("DESCRIPTION", ""),
            "GROUP_NAME": chosen.get("GROUP_NAME", "")}


def _placement_param(params: dict[str, Any]) -> str:
    """The upper-cased PLACEMENT argument, validated as bind and unbind do."""
    raw = params.get("PLACEMENT")
    # Newer source checks the type first, so a missing PLACEMENT is a type error, not a null one.
    if not isinstance(raw, str):
        raise argument_type("PLACEMENT", "string")
    if raw == "":
        raise argument_null("PLACEMENT")
    return raw.upper()


@method("placement.bind", scope="placement")
def placement_bind(call: Call) -> bool:
    _check_permission(call)
    params = call.upper()
    placement = _placement_param(params)
    if placement == "DEFAULT":
        raise RestError("ERROR_ARGUMENT", "Wrong value", argument="PLACEMENT")
    handler = params.get("HANDLER")
    if php_blank(handler):
        raise argument_null("HANDLER")
    check_callback(handler)
    for field in LANG_FIELDS:
        if field in params and params[field] is not None and not isinstance(params[field], str):
            raise argument_type(field, "string")

    info = _placement_list(call.state, _caller_scopes(call)).get(placement)
    if info is None or info.get("private"):
        raise RestError("ERROR_PLACEMENT_NOT_FOUND", "Placement not found")
    app = app_of(call)
    user_id = max(as_int(params.get("USER_ID")), 0)
    # CHOICE (§9.11): 400 for USER_MODE and MAX_COUNT, as the source and the newer docs table say;
    # only the register callback's EMPTY_ERROR_HANDLER_URL comes back with 200.
    if user_id and not info.get("user_mode"):
        raise RestError("ERROR_PLACEMENT_USER_MODE", "User mode is not available.")
    langs = _lang_list(params)
    client_id = call.caller.client_id
    if info.get("max_count"):
        users = {0, user_id} if info.get("user_mode") else None
        taken = [r for r in _rows(call.state) if r["APP_ID"] == client_id and r["PLACEMENT"] == placement
                 and (users is None or r["USER_ID"] in users)]
        if len(taken) >= info["max_count"]:
            raise RestError("ERROR_PLACEMENT_MAX_COUNT", f"Placement max count: {info['max_count']}")
    options = _prepare_options(params.get("OPTIONS"), info.get("options", {}))
    if info.get("requires_error_handler") and php_empty(options.get("errorHandlerUrl")):
        # The placement's register callback *returns* this error, so the server answers 200.
        raise RestError("EMPTY_ERROR_HANDLER_URL", "Field errorHandlerUrl is empty.", 200)
    if any(r["APP_ID"] == client_id and r["PLACEMENT"] == placement and r["PLACEMENT_HANDLER"] == handler
           for r in _rows(call.state)):
        raise RestError("ERROR_CORE", "Unable to set placement handler: Handler already binded")
    # The row's own titles are merged before the app-name fallback below, so such a row keeps an
    # empty title and only its language entry carries the app's name.
    titles = _merged_titles(langs)
    if not langs and app.get("name"):
        langs = {PORTAL_LANGUAGE: {"TITLE": app["name"], "DESCRIPTION": "", "GROUP_NAME": ""}}
    _rows(call.state).append({
        "ID": call.next_id("placement"), "APP_ID": client_id, "USER_ID": user_id, "PLACEMENT": placement,
        "PLACEMENT_HANDLER": handler, "OPTIONS": options, "ADDITIONAL": None, "LANG_ALL": langs, **titles,
    })
    return True


@method("placement.get", scope="placement")
def placement_get(call: Call) -> list[dict[str, Any]]:
    _check_permission(call)
    known = _placement_list(call.state)
    out = []
    for row in _rows(call.state):
        info = known.get(row["PLACEMENT"])
        if row["APP_ID"] != call.caller.client_id or info is None or info.get("private"):
            continue
        out.append({
            "placement": row["PLACEMENT"], "userId": row["USER_ID"], "handler": row["PLACEMENT_HANDLER"],
            # An empty PHP array prints as [], not {}.
            "options": row["OPTIONS"] or [], "title": row["TITLE"], "description": row["DESCRIPTION"],
            "langAll": {lang: {f: texts.get(f, "") for f in LANG_FIELDS} for lang, texts in row["LANG_ALL"].items()} or [],
        })
    return out


@method("placement.list", scope="placement")
def placement_list(call: Call) -> list[str]:
    # Only the auth type is checked here: any user of the app may list placements.
    call.require_oauth(AUTH_DETAIL)
    params = call.upper()
    scopes: list[str] | None = ["_global"]
    if "SCOPE" in params and params["SCOPE"] is not None:
        if params["SCOPE"] != "":
            scopes = [str(params["SCOPE"])]
    elif not php_empty(params.get("FULL")):
        scopes = None
    else:
        scopes = _caller_scopes(call)
    return [code for code, info in _placement_list(call.state, scopes).items() if not info.get("private")]


@method("placement.unbind", scope="placement")
def placement_unbind(call: Call) -> dict[str, int]:
    _check_permission(call)
    params = call.upper()
    placement = _placement_param(params)
    info = _placement_list(call.state).get(placement)
    count = 0
    if info is not None and not info.get("private"):
        handler = params.get("HANDLER")
        keep = []
        for row in _rows(call.state):
            hit = (
                row["APP_ID"] == call.caller.client_id and row["PLACEMENT"] == placement
                and ("USER_ID" not in params or row["USER_ID"] == as_int(params["USER_ID"]))
                and (php_blank(handler) or row["PLACEMENT_HANDLER"] == handler)
            )
            if hit:
                # The server counts once per row found and once more per row deleted (docs say so too).
                count += 2
            else:
                keep.append(row)
        call.state["placements"] = keep
    return {"count": count}


# --- used by the bizproc family (robot settings dialogs) -------------------------------------
def upsert_private(call: Call, code: str, handler: Any) -> None:
    """Create or repoint the calling app's properties-dialog placement for robot/activity ``code``."""
    client_id = call.caller.client_id
    for row in _rows(call.state):
        if row["APP_ID"] == client_id and row["PLACEMENT"] == PROPERTIES_DIALOG and row["ADDITIONAL"] == code:
            row["PLACEMENT_HANDLER"] = handler
            return
    _rows(call.state).append({
        "ID": call.next_id("placement"), "APP_ID": client_id, "USER_ID": 0, "PLACEMENT": PROPERTIES_DIALOG, "PLACEMENT_HANDLER": handler,
        "OPTIONS": {}, "ADDITIONAL": code, "LANG_ALL": {}, "TITLE": "", "DESCRIPTION": "", "GROUP_NAME": "",
    })


def delete_private(state: State, client_id: str, code: str | None = None) -> None:
    """Drop the app's properties-dialog placements (of one code, or all of them)."""
    state["placements"] = [
        r for r in _rows(state)
        if not (r["APP_ID"] == client_id and r["PLACEMENT"] == PROPERTIES_DIALOG and (code is None or r["ADDITIONAL"] == code))
    ]


def visible_placements(state: State, placement: str) -> list[dict[str, Any]]:
    """The handlers the portal UI would show for ``placement``: apps that finished installation only.

    Test hook for emulator item 28 (``placement.bind`` succeeds for a not-installed app, but its
    widgets stay hidden until ``BX24.installFinish()``).
    """
    return [r for r in _rows(state) if r["PLACEMENT"] == placement.upper() and is_installed(state, r["APP_ID"])]


@hook("app_uninstall")
def _forget_app(state: State, client_id: str) -> None:
    # PlacementTable::deleteByApp on uninstall (reference platform §5 "Lifecycle").
    state["placements"] = [r for r in _rows(state) if r["APP_ID"] != client_id]
