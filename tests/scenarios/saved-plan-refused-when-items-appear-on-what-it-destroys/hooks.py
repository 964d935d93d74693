"""Save the plan, let users create items, then check the saved plan again."""

from __future__ import annotations

import pytest

from b24cfg.engine import check_saved
from b24cfg.errors import PlanError
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    saved = Plan.loads(plan.dumps())
    check_saved(session.client, saved, session.identity)  # nothing changed yet: accepted
    saved.check_safe(allow_destroy=False)

    session.add_items("contract", count=3)  # users create contracts, filling NOTE
    with pytest.raises(PlanError):
        check_saved(session.client, saved, session.identity)
