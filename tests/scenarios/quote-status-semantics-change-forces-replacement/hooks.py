"""The replaced status is a new crm.status row in QUOTE_STATUS."""

from __future__ import annotations

from tests.scenarios.conftest import Session

seen: dict[str, int] = {}


def before_plan(session: Session) -> None:
    seen.clear()
    seen.update({r["STATUS_ID"]: int(r["ID"]) for r in session.entity_stages("quote")})


def verify(session: Session) -> None:
    rows = {r["STATUS_ID"]: r for r in session.entity_stages("quote")}
    assert int(rows["APOLOGY"]["ID"]) not in seen.values()
    assert rows["APOLOGY"]["ENTITY_ID"] == "QUOTE_STATUS" and rows["APOLOGY"]["SEMANTICS"] is None
    kept = {k: int(r["ID"]) for k, r in rows.items() if k != "APOLOGY"}
    assert kept == {k: v for k, v in seen.items() if k != "APOLOGY"}
