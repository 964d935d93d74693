"""Fail the third write of the apply, then plan and apply again."""

from __future__ import annotations

from pathlib import Path

from b24cfg.engine import apply
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from b24cfg.views import text
from tests.scenarios.conftest import Session, plan_lines

AFTER = Path(__file__).parent / "after"


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    session.portal.faults.fail_nth_write(3)
    report = apply(session.client, plan)
    assert not report.ok
    # In plan order: what ran, the one change that failed, and everything after it not attempted
    # (which change the third write belongs to is the executor's business).
    statuses = [o.status for o in report.outcomes]
    assert [f"{o.action.symbol} {o.address}" for o in report.outcomes] == plan_lines(plan)
    failed = statuses.index("failed")
    assert failed >= 1 and statuses == ["applied"] * failed + ["failed"] + ["not_attempted"] * (len(statuses) - failed - 1)
    shown = text.render_report(report)
    assert shown.startswith("Apply stopped.") and "Run `b24cfg plan` to see what remains" in shown

    rest = session.plan(AFTER)
    assert plan_lines(rest) == plan_lines(plan)[failed:]
    session.apply(rest)
    assert session.plan(AFTER).empty
    assert [t["code"] for t in session.types()] == ["contract"]
