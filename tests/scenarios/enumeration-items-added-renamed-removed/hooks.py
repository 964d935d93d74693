"""Matched items keep their portal ids: by xmlId (Sales -> Sale), by value without xmlIds."""

from __future__ import annotations

from tests.scenarios.conftest import Session

seen: dict[tuple[str, str], int] = {}


def _items(session: Session) -> dict[tuple[str, str], int]:
    view = session.view()["contract"]["fields"]
    return {(code, item["xmlId"] if code == "CONTRACT_TYPE" else item["value"]): item["id"]
            for code in ("CONTRACT_TYPE", "PRIORITY") for item in view[code]["items"]}


def before_plan(session: Session) -> None:
    seen.clear()
    seen.update(_items(session))


def verify(session: Session) -> None:
    now = _items(session)
    for kept in [("CONTRACT_TYPE", "sales"), ("CONTRACT_TYPE", "purchase"), ("PRIORITY", "Low"), ("PRIORITY", "High")]:
        assert now[kept] == seen[kept], kept
    assert ("CONTRACT_TYPE", "nda") not in now and ("PRIORITY", "Normal") not in now
    assert now[("PRIORITY", "Medium")] not in seen.values()
