"""Before verify the portal is as before (apply: false); this hook then applies the plan in two steps."""

from __future__ import annotations

from pathlib import Path

from b24cfg.engine import apply
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session, plan_lines

AFTER = Path(__file__).parent / "after"


def check_plan(session: Session, plan: Plan, manifests: object) -> None:
    codes = [r["STATUS_ID"] for r in session.entity_stages("deal", "General")]
    assert "PREPAYMENT_INVOICE" in codes and "FINAL_INVOICE" in codes, "planning changed the portal"


def verify(session: Session) -> None:
    # The empty stage alone: no --allow-destroy needed.
    empty = session.plan(AFTER, ["stage.deal.sales.PREPAYMENT_INVOICE"])
    assert plan_lines(empty) == ["- stage.deal.sales.PREPAYMENT_INVOICE"]
    session.apply(empty)
    # The stage with deals: allowed by the user, still refused by the portal; the apply stops there.
    rest = session.plan(AFTER)
    assert plan_lines(rest) == ["- stage.deal.sales.FINAL_INVOICE"]
    rest.check_safe(allow_destroy=True)
    report = apply(session.client, rest)
    assert not report.ok
    assert "There are active items in this status." in str(report.to_json()["outcomes"])
    stages = session.crm_view()["deal"]["pipelines"]["General"]
    assert stages["stage_codes"] == ["NEW", "PREPARATION", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY"]
    assert stages["stages"]["FINAL_INVOICE"]["items"] == 2
