"""The replaced field is a new portal field (new id); the untouched one keeps its id."""

from __future__ import annotations

from tests.scenarios.conftest import Session

seen: dict[str, int] = {}


def _ids(session: Session) -> dict[str, int]:
    return {f["fieldName"].split("_", 3)[3]: int(f["id"]) for f in session.fields("contract")}


def before_plan(session: Session) -> None:
    seen.update(_ids(session))


def verify(session: Session) -> None:
    now = _ids(session)
    assert now["SIGNED_ON"] == seen["SIGNED_ON"]
    assert now["AMOUNT"] != seen["AMOUNT"]
