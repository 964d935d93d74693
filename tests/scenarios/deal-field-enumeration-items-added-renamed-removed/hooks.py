"""Matched items keep their portal ids (the choice every deal holds): by xmlId, by value without."""

from __future__ import annotations

from tests.scenarios.conftest import Session

seen: dict[tuple[str, str], int] = {}


def _items(session: Session) -> dict[tuple[str, str], int]:
    fields = session.crm_view()["deal"]["fields"]
    return {(code, item["xmlId"] if code == "CHANNEL" else item["value"]): item["id"]
            for code in ("CHANNEL", "PRIORITY") for item in fields[code]["items"]}


def before_plan(session: Session) -> None:
    seen.clear()
    seen.update(_items(session))


def verify(session: Session) -> None:
    now = _items(session)
    for kept in [("CHANNEL", "web"), ("CHANNEL", "phone"), ("PRIORITY", "Low"), ("PRIORITY", "High")]:
        assert now[kept] == seen[kept], kept
    assert ("CHANNEL", "fax") not in now and ("PRIORITY", "Normal") not in now
    assert now[("PRIORITY", "Medium")] not in seen.values()
    assert now[("CHANNEL", "marketplace")] not in seen.values()
