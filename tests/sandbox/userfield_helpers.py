"""Preconditions shared by the custom-field and digital-workplace tests."""

from __future__ import annotations

from typing import Any

import httpx

from b24cfg.sandbox.portal import SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport
from tests.support.reference import ok


def make_spa(portal: SandboxPortal, type_id: int, *, entity_type_id: int | None = None) -> dict[str, Any]:
    """A smart process with crm.type ``id`` = ``type_id``, made through ``crm.type.add``.

    Returns the live record in ``state["types"]``, so tests can watch its ``customSectionId``.
    """
    portal.set_next_id("crm_type_id", type_id)
    fields: dict[str, Any] = {"title": f"SPA {type_id}"}
    if entity_type_id is not None:
        fields["entityTypeId"] = entity_type_id
    created = ok(portal, "crm.type.add", {"fields": fields})["type"]
    assert created["id"] == type_id
    return portal.state["types"][str(type_id)]  # type: ignore[no-any-return]


def rest_as(
    portal: SandboxPortal, user_id: int, code: str, method: str, params: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    """POST ``params`` as JSON to ``method`` through the webhook ``user_id``/``code``."""
    client = httpx.Client(transport=SandboxTransport(portal))
    response = client.post(f"https://sandbox.test/rest/{user_id}/{code}/{method}", json=params or {})
    return response.status_code, response.json()


def register_app_type(portal: SandboxPortal, client_id: str, code: str, title: str) -> None:
    """An app-registered field type, as ``userfieldtype.add`` leaves it: a USERFIELD_TYPE placement row."""
    rows = portal.state.setdefault("placements", [])
    rows.append({
        "ID": len(rows) + 1, "APP_ID": client_id, "USER_ID": 0, "PLACEMENT": "USERFIELD_TYPE",
        "PLACEMENT_HANDLER": f"https://app.example.com/uf/{code}", "OPTIONS": {}, "ADDITIONAL": code,
        "LANG_ALL": {}, "TITLE": title, "DESCRIPTION": "", "GROUP_NAME": "",
    })
