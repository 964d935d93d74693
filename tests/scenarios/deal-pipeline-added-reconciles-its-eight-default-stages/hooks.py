"""The new pipeline's stages live in DEAL_STAGE_{id} with the C{id}: prefix, as the portal made them."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    cid = int(session.entity_pipeline("deal", "Partner deals")["id"])
    assert cid > 0
    rows = session.entity_stages("deal", "Partner deals")
    assert [(r["ENTITY_ID"], r["STATUS_ID"]) for r in rows] == [
        (f"DEAL_STAGE_{cid}", f"C{cid}:{code}") for code in ("NEW", "QUALIFIED", "WON", "LOSE")]
    assert {r["CATEGORY_ID"] for r in rows} == {str(cid)}
