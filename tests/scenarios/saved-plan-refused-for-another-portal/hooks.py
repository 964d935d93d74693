"""The saved plan is checked against the portal configured now."""

from __future__ import annotations

import pytest

from b24cfg.engine import check_saved
from b24cfg.errors import PlanError
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan, PortalIdentity
from tests.scenarios.conftest import PORTAL_URL, Session


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    saved = Plan.loads(plan.dumps())
    assert saved.portal == PortalIdentity(PORTAL_URL)
    check_saved(session.client, saved, PortalIdentity(PORTAL_URL))  # the same portal: accepted

    other = PortalIdentity("https://other.bitrix24.com")
    with pytest.raises(PlanError) as refused:
        check_saved(session.client, saved, other)
    assert "https://sandbox.test" in str(refused.value) and "https://other.bitrix24.com" in str(refused.value)

    pinned = Plan.loads(plan.dumps().replace('"member_id": null', '"member_id": "aaaa"'))
    assert pinned.portal.member_id == "aaaa"
    with pytest.raises(PlanError):
        check_saved(session.client, pinned, PortalIdentity(PORTAL_URL, "bbbb"))
