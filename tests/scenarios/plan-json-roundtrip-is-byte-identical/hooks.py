"""Plan the same thing several ways and compare the bytes; then apply the plan read back."""

from __future__ import annotations

from pathlib import Path

from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session

HERE = Path(__file__).parent


def _second_portal() -> Session:
    """Another sandbox portal brought to the same state the same way."""
    other = Session()
    other.converge(HERE / "before")
    other.add_items("contract", pipeline="Contract approval", stage="DRAFT", count=2)
    return other


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    text = plan.dumps()
    assert session.plan(manifests).dumps() == text
    assert session.plan(list(reversed(manifests))).dumps() == text
    assert _second_portal().plan(HERE / "after").dumps() == text

    read_back = Plan.loads(text)
    assert read_back.dumps() == text
    assert read_back == plan

    session.apply(read_back, allow_destroy=True)
    assert session.plan(manifests).empty
