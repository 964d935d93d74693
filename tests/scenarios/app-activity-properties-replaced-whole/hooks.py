"""The update went through bizproc.activity.update and replaced the properties map whole."""

from __future__ import annotations

from typing import Any

from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session

seen: dict[str, Any] = {}


def before_apply(session: Session, plan: Plan) -> None:
    seen["calls"] = len(session.portal.method_calls)


def verify(session: Session) -> None:
    calls = session.portal.method_calls[seen["calls"]:]
    assert calls.count("bizproc.activity.update") == 1, calls
    assert not [c for c in calls if c.startswith("bizproc.robot.") and not c.endswith(".list")], calls
    [row] = session.portal.state["bizproc_activities"]
    assert (row["CODE"], row["IS_ROBOT"]) == ("contract_archive", "N")
    assert list(row["PROPERTIES"]) == ["retention_years"], row["PROPERTIES"]
    assert row["PROPERTIES"]["retention_years"]["DEFAULT"] == "7"  # form-encoded, as a batch sends it
