"""REST cannot read a robot's definition back; the emulator's table (b_bp_rest_activity) shows
that the update reached the robot itself, not only b24cfg's fingerprint."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    stored = {r["CODE"]: r for r in session.portal.state["bizproc_activities"]}
    assert stored["contract_check_signatures"]["HANDLER"] == \
        "https://contracts-app.example.com/b24/v2/robots/check-signatures"
    assert stored["contract_check_signatures"]["USE_SUBSCRIPTION"] == "Y"
    assert stored["contract_notify_counterparty"]["HANDLER"] == \
        "https://contracts-app.example.com/b24/robots/notify-counterparty"
