"""Updated fields keep their ids (the values deals hold in them stay); the new one gets a new id."""

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
    assert {k: now[k] for k in seen} == seen
    assert set(now) - set(seen) == {"UF_CRM_WEBSITE"}
