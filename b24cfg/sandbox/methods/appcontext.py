"""Helpers shared by the application-context families (bizproc, triggers, events, placements, app).

They mirror pieces of Bitrix's ``rest`` module that several families call: the handler-URL check
(``HandlerHelper::checkCallback``), the ``Bitrix\\Main`` argument exceptions as ``RestException``
turns them into ``ERROR_ARGUMENT`` answers, and the application registry lookups.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from b24cfg.sandbox.core import Call, RestError, State

if TYPE_CHECKING:
    from b24cfg.sandbox.portal import SandboxPortal

# CHOICE: the sandbox portal speaks one language; Lang::listLanguage() starts with it, so it is
# the default language of placement titles and the LANGUAGE_ID reported by app.info.
PORTAL_LANGUAGE = "en"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//([^/?#]*)")


def check_callback(handler: Any) -> None:
    """``HandlerHelper::checkCallback``: a host with a dot (not first), then an http(s) scheme.

    CHOICE (reference platform §9.4): the newer helper is emulated, which ignores the app's
    domain; the older ``ERROR_HANDLER_URL_MATCH`` check is not. ``localhost`` fails the dot rule.
    """
    text = handler if isinstance(handler, str) else ""
    authority = _AUTHORITY.match(text)
    host = ""
    if authority:
        # parse_url's host: the authority without user info and port.
        host = authority.group(1).rsplit("@", 1)[-1]
        host = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    if not host or host.find(".") <= 0:
        raise RestError("ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
    scheme = _SCHEME.match(text)
    # parse_url keeps the scheme's case, so "HTTPS://" is refused like any other protocol.
    if scheme is None or scheme.group(1) not in ("http", "https"):
        raise RestError("ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol")


def php_blank(value: Any) -> bool:
    """PHP 8's ``$value == ''``: true only for null, false and the empty string (not for 0 or "0")."""
    return value is None or value is False or value == ""


def smart_process_ids(state: State) -> set[int]:
    """entityTypeIds of the smart processes in the crm family's ``state["types"]``.

    That store belongs to another module and may be absent or still empty, so it is read defensively.
    """
    types = state.get("types")
    rows = types.values() if isinstance(types, dict) else types if isinstance(types, list) else []
    return {
        r["entityTypeId"] for r in rows
        if isinstance(r, dict) and isinstance(r.get("entityTypeId"), int) and not isinstance(r["entityTypeId"], bool)
    }


def argument_null(name: str) -> RestError:
    """``Bitrix\\Main\\ArgumentNullException`` as the REST server reports it."""
    return RestError("ERROR_ARGUMENT", f"Argument '{name}' is null or empty", argument=name)


def argument_type(name: str, type_name: str) -> RestError:
    """``Bitrix\\Main\\ArgumentTypeException`` as the REST server reports it."""
    return RestError("ERROR_ARGUMENT", f"The value of an argument '{name}' must be of type {type_name}", argument=name)


def app_of(call: Call) -> dict[str, Any]:
    """The calling application's registry record (only valid after an app-context guard)."""
    return call.state["auth"]["apps"][call.caller.client_id]  # type: ignore[no-any-return]


def is_installed(state: State, client_id: str) -> bool:
    """Whether the app finished installation (``INSTALLED``); unknown apps count as not installed."""
    app = state["auth"]["apps"].get(client_id)
    return bool(app and app.get("installed"))


def finish_installation(portal: SandboxPortal, client_id: str) -> None:
    """Test hook for ``BX24.installFinish()``: from now on the app's events and placements are live.

    The real call is a browser-side frame message, not a REST method, so the sandbox offers it as a
    plain function (reference platform §1.4, emulator item 28).
    """
    portal.state["auth"]["apps"][client_id]["installed"] = True
    portal.save()

