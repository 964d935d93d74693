"""Afterwards, the old default pipeline (no longer the default) is pruned: pruned/*.yaml."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios.conftest import Session, attribute_lines, plan_lines

PRUNED = Path(__file__).parent / "pruned"


def verify(session: Session) -> None:
    plan = session.plan(PRUNED)
    assert plan_lines(plan) == ["- pipeline.contract.#3"]
    assert attribute_lines(plan) == []
    assert [str(c.address) for c in plan.destructive()] == []
    session.apply(plan)
    assert session.plan(PRUNED).empty
    assert [(p["name"], p["isDefault"]) for p in session.pipelines("contract")] == [("Amendments", "Y")]
