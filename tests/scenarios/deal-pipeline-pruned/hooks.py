"""After the refused plan: the empty pipeline goes alone; the portal keeps the one with deals."""

from __future__ import annotations

from pathlib import Path

from b24cfg.engine import apply
from tests.scenarios.conftest import Session, plan_lines

AFTER = Path(__file__).parent / "after"


def verify(session: Session) -> None:
    empty = session.plan(AFTER, ["pipeline.deal.#1"])
    assert plan_lines(empty) == ["- pipeline.deal.#1"]
    session.apply(empty)
    assert session.entity_stages("deal", "Tenders")
    assert not session.rest("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE_1"}}), "its stages stayed"
    rest = session.plan(AFTER)
    assert plan_lines(rest) == ["- pipeline.deal.#2"]
    rest.check_safe(allow_destroy=True)
    report = apply(session.client, rest)
    assert not report.ok
    assert "Deals related to the funnel Tenders found" in str(report.to_json()["outcomes"])
    assert session.crm_view()["deal"]["pipeline_names"] == ["General", "Tenders"]
