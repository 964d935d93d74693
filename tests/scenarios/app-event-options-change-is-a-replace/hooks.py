"""The binding has a fingerprint; the emulator's table (b_rest_event), which no REST method reads
back, shows the portal keeps the new options."""

from __future__ import annotations

from b24cfg.model import Address
from b24cfg.resources.fingerprint import option_key
from tests.scenarios.conftest import Session

BINDING = Address("event", ("ONOFFLINEEVENT", "https://contracts-app.example.com/b24/events/offline-ready"))


def verify(session: Session) -> None:
    record = session.app_view()["options"][option_key(BINDING)]
    assert isinstance(record, dict) and record["version"] == 1, record
    [row] = [h for h in session.portal.state["event_handlers"] if h["EVENT_NAME"] == "ONOFFLINEEVENT"]
    assert row["OPTIONS"] == {"minTimeout": 30}
