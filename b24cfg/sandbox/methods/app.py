"""The application itself and its caller: ``app.info``, ``app.option.get``, ``app.option.set``,
``user.current``.

Facts from the docs (``D:api-reference/common/system/app-info.md``,
``D:api-reference/common/settings/app-option-{get,set}.md``, ``D:api-reference/user/user-current.md``)
and ``CRestProvider`` (``appInfo``, ``appOptionGet``, ``appOptionSet``):

- ``app.info`` is in the global ("basic") scope and "any user" may call it. With an application
  token it describes the app (ID, CODE, VERSION, STATUS, INSTALLED, PAYMENT_EXPIRED, DAYS,
  LANGUAGE_ID, LICENSE, LICENSE_TYPE, LICENSE_FAMILY). The docs show a webhook call too; the source
  answers a webhook with ``{"SCOPE": [...], "LICENSE": ...}`` and only a caller that is neither gets
  ``ACCESS_DENIED`` "Access denied! Application context required".
- ``app.option.set`` needs an application (403 "Access denied! Application context required"), then a
  non-empty ``options`` object (400 ``ERROR_ARGUMENT`` "Argument 'options' is null or empty"; without
  ``options`` the request parameters themselves are the options), then a portal administrator (403
  "Access denied! Administrator authorization required"). Only the keys sent are overwritten; values
  keep their JSON types; there is no delete. Result ``true``.
- ``app.option.get`` needs an application; ``option`` names one key (``null`` when unknown), without
  it all options come back (``[]`` when there are none). ``option``/``options`` are read literally.
- ``user.current`` (scope ``user``) describes the token's user; the field set depends on the scope.

Options live in ``state["app_options"][client_id]`` and survive app updates and uninstalls (CHOICE:
the uninstall dialog's "delete data" box is taken as unticked).

Portal options read here (``SandboxPortal(options={...})``):

``app_info_webhook`` (default ``"scope"``)
    ``"scope"``: a webhook gets the source's ``{"SCOPE", "LICENSE"}`` answer; ``"denied"``: a webhook
    is refused like any caller without an application (the docs' error table read strictly).
``user_current_fields`` (default ``"brief"``)
    ``"brief"``: ``ID``, ``ACTIVE``, ``NAME``, ``LAST_NAME`` as in the reference platform's example;
    ``"full"``: the docs page's field set (EMAIL, LAST_LOGIN, ..., UF_DEPARTMENT).
"""

from __future__ import annotations

from typing import Any

from b24cfg.sandbox.core import Call, RestError, method
from b24cfg.sandbox.methods.appcontext import PORTAL_LANGUAGE, app_of

# CHOICE: the sandbox portal is on a Professional plan; app.info reports it like a cloud portal does.
LICENSE_TYPE = "pro100"
LICENSE_FAMILY = "pro"
LICENSE = f"{PORTAL_LANGUAGE}_{LICENSE_TYPE}"


def _options(call: Call) -> dict[str, Any]:
    return call.state.setdefault("app_options", {}).setdefault(call.caller.client_id, {})  # type: ignore[no-any-return]


@method("app.info", scope="_global")
def app_info(call: Call) -> dict[str, Any]:
    if call.caller.client_id:
        app = app_of(call)
        return {
            "ID": int(app["id"]), "CODE": app["code"], "VERSION": int(app["version"]),
            # CHOICE: apps whose client id starts with "local." are local apps (status L), others free.
            "STATUS": "L" if str(call.caller.client_id).startswith("local.") else "F",
            "INSTALLED": bool(app.get("installed")), "PAYMENT_EXPIRED": "N", "DAYS": None,
            "LANGUAGE_ID": PORTAL_LANGUAGE, "LICENSE": LICENSE, "LICENSE_TYPE": LICENSE_TYPE,
            "LICENSE_FAMILY": LICENSE_FAMILY,
        }
    # CHOICE: the docs show a webhook call but only the app answer; the source's webhook answer is
    # the default (option app_info_webhook).
    if call.caller.password_id is not None and call.portal.options.get("app_info_webhook", "scope") == "scope":
        return {"SCOPE": sorted(call.caller.scopes), "LICENSE": LICENSE}
    # A caller with neither an application nor (allowed) webhook: the client-id guard's answer.
    raise RestError("ACCESS_DENIED", "Access denied! Application context required", 403)


@method("app.option.get", scope="_global")
def app_option_get(call: Call) -> Any:
    call.require_app_context()
    options = _options(call)
    if call.exact("option") is not None:
        return options.get(str(call.exact("option")))
    return options or []  # an empty PHP array prints as []


@method("app.option.set", scope="_global")
def app_option_set(call: Call) -> bool:
    call.require_app_context()
    given = call.exact("options")
    values = call.params if given is None else given
    if isinstance(values, list):
        values = {str(i): v for i, v in enumerate(values)}
    if not isinstance(values, dict) or not values:
        raise RestError("ERROR_ARGUMENT", "Argument 'options' is null or empty", argument="options")
    call.require_admin("Administrator authorization required")
    _options(call).update({str(k): v for k, v in values.items()})
    return True


_FULL_USER_FIELDS = (
    "EMAIL", "LAST_LOGIN", "DATE_REGISTER", "IS_ONLINE", "LAST_ACTIVITY_DATE", "PERSONAL_GENDER",
    "PERSONAL_BIRTHDAY", "WORK_POSITION", "UF_EMPLOYMENT_DATE",
)


@method("user.current", scope="user")
def user_current(call: Call) -> dict[str, Any]:
    user = call.state["auth"]["users"].get(str(call.caller.user_id), {})
    out: dict[str, Any] = {
        "ID": str(call.caller.user_id), "ACTIVE": True, "NAME": user.get("name", ""), "LAST_NAME": user.get("last_name", ""),
    }
    # CHOICE: the reference example's four fields by default; the docs' full set as option user_current_fields.
    if call.portal.options.get("user_current_fields", "brief") == "full":
        out.update({field: str(user.get(field.lower(), "")) for field in _FULL_USER_FIELDS})
        out["IS_ONLINE"] = "N"
        out["UF_DEPARTMENT"] = list(user.get("departments", [1]))
    return out
