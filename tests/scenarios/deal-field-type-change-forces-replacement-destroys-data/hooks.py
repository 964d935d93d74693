"""The replaced field is a new portal field (new id); the untouched one keeps its id."""

from __future__ import annotations

from tests.scenarios.conftest import Session

seen: dict[str, int] = {}


def _ids(session: Session) -> dict[str, int]:
    return {str(f["FIELD_NAME"]): int(f["ID"]) for f in session.entity_fields("deal")}


def before_plan(session: Session) -> None:
    seen.clear()
    seen.update(_ids(session))


def verify(session: Session) -> None:
    now = _ids(session)
    assert now["UF_CRM_SIGNED_ON"] == seen["UF_CRM_SIGNED_ON"]
    assert now["UF_CRM_BUDGET"] not in seen.values()
