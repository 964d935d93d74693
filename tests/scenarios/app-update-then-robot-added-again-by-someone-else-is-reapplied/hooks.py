"""REST cannot read a robot's definition back; the emulator's table (b_bp_rest_activity) shows the
manifest's definition replaced the installer's."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    [row] = [r for r in session.portal.state["bizproc_activities"] if r["CODE"] == "contract_check_signatures"]
    assert row["HANDLER"] == "https://contracts-app.example.com/b24/robots/check-signatures"
    assert row["NAME"] == {"*": "Check signatures"}
    assert row["DESCRIPTION"] == {"*": ""}
