"""Save the plan, change the portal behind its back, and check the saved plan again."""

from __future__ import annotations

import pytest

from b24cfg.engine import check_saved
from b24cfg.errors import PlanError
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    saved = Plan.loads(plan.dumps())
    check_saved(session.client, saved, session.identity)  # unchanged portal: accepted

    review = session.stage("contract", "Contract approval", "REVIEW")
    session.rest("crm.status.update", {"id": review["ID"], "fields": {"NAME": "Under legal review", "SORT": 20}})
    writes = session.portal.faults.writes_seen
    with pytest.raises(PlanError, match="the portal changed since this plan was made"):
        check_saved(session.client, saved, session.identity)
    assert session.portal.faults.writes_seen == writes
