"""Save the plan, update the application behind its back, check the saved plan, plan again."""

from __future__ import annotations

from pathlib import Path

import pytest

from b24cfg.engine import check_saved
from b24cfg.errors import PlanError
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session, plan_lines

AFTER = Path(__file__).parent / "after"


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    saved = Plan.loads(plan.dumps())
    check_saved(session.client, saved, session.identity)  # unchanged portal: accepted

    session.portal.app_update()
    writes = session.portal.faults.writes_seen
    with pytest.raises(PlanError, match="the portal changed since this plan was made"):
        check_saved(session.client, saved, session.identity)
    assert session.portal.faults.writes_seen == writes

    again = session.plan(AFTER)
    assert plan_lines(again) == ["+ robot.contract_check_signatures"]
    session.apply(again)
    assert session.plan(AFTER).empty
