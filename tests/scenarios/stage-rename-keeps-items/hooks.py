"""The renamed stage is the same portal row: its ID and STATUS_ID do not change."""

from __future__ import annotations

from typing import Any

from tests.scenarios.conftest import Session

seen: dict[str, Any] = {}


def before_plan(session: Session) -> None:
    row = session.stage("contract", "Contract approval", "REVIEW")
    seen.update(ID=row["ID"], STATUS_ID=row["STATUS_ID"])


def verify(session: Session) -> None:
    row = session.stage("contract", "Contract approval", "REVIEW")
    assert (row["ID"], row["STATUS_ID"]) == (seen["ID"], seen["STATUS_ID"])
