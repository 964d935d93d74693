"""The emulator's tables (b_bp_rest_activity, b_rest_placement): nothing of the old definition is left."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    [row] = session.portal.state["bizproc_activities"]
    assert row["PROPERTIES"] == {} and row["RETURN_PROPERTIES"] == {}, row
    assert (row["USE_SUBSCRIPTION"], row["USE_PLACEMENT"]) == ("N", "N"), row
    assert not [r for r in session.portal.state["placements"] if r["PLACEMENT"] == "BIZPROC_ACTIVITY_PROPERTIES_DIALOG"]
