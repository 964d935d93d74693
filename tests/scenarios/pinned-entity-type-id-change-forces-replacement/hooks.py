"""The old smart process is gone (one smart process, with 1042), and its old field with it."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    assert [(t["id"], t["code"], t["entityTypeId"]) for t in session.types()] == [(2, "contract", 1042)]
    every = session.rest("userfieldconfig.list", {"moduleId": "crm"})["fields"]
    assert [(f["entityId"], f["fieldName"]) for f in every] == [("CRM_2", "UF_CRM_2_AMOUNT")]
