"""The rename went through the upsert: one crm.automation.trigger.add, no delete, same portal row."""

from __future__ import annotations

from typing import Any

from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session

seen: dict[str, Any] = {}


def before_apply(session: Session, plan: Plan) -> None:
    seen["calls"] = len(session.portal.method_calls)
    seen["ids"] = {t["CODE"]: t["ID"] for t in session.portal.state["crm_triggers"]}


def verify(session: Session) -> None:
    calls = session.portal.method_calls[seen["calls"]:]
    assert calls.count("crm.automation.trigger.add") == 1, calls
    assert "crm.automation.trigger.delete" not in calls, calls
    # The emulator's row (b_crm_automation_trigger) is the one that was there: same id.
    assert {t["CODE"]: t["ID"] for t in session.portal.state["crm_triggers"]} == seen["ids"]
