"""What was not targeted is still to do: the full plan lists exactly the rest."""

from __future__ import annotations

from pathlib import Path

from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session, plan_lines

AFTER = Path(__file__).parent / "after"


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    assert plan.targets == ("field.contract.AMOUNT",)


def verify(session: Session) -> None:
    assert plan_lines(session.plan(AFTER)) == [
        "~ smart_process.contract", "~ field.contract.SIGNED_ON", "+ field.contract.LAWYER",
        "~ stage.contract.main.SIGNED",
    ]
