"""The relabelled fields are the same portal fields: their ids do not change."""

from __future__ import annotations

from typing import Any

from tests.scenarios.conftest import Session

seen: dict[str, Any] = {}


def _ids(session: Session) -> dict[str, int]:
    return {f["fieldName"]: int(f["id"]) for f in session.fields("contract")}


def before_plan(session: Session) -> None:
    seen.update(_ids(session))


def verify(session: Session) -> None:
    now = _ids(session)
    assert {name: now[name] for name in seen} == seen
