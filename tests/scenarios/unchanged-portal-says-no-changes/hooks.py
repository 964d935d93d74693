"""An empty plan is not even a write: applying it sends nothing that changes the portal."""

from __future__ import annotations

from b24cfg.engine import apply
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    assert plan.empty and plan.summary.empty
    writes = session.portal.faults.writes_seen
    report = apply(session.client, plan)
    assert report.ok and not report.outcomes
    assert session.portal.faults.writes_seen == writes
