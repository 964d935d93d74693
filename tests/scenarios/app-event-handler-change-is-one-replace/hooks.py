"""The old binding's fingerprint is cleared (app.option.set has no delete: ""), the new one's kept."""

from __future__ import annotations

from b24cfg.model import Address
from b24cfg.resources.fingerprint import option_key
from tests.scenarios.conftest import Session

OLD = Address("event", ("ONCRMDEALUPDATE", "https://contracts-app.example.com/b24/events/deal-update"))
NEW = Address("event", ("ONCRMDEALUPDATE", "https://contracts-app.example.com/b24/v2/events/deal-update"))


def verify(session: Session) -> None:
    options = session.app_view()["options"]
    assert options[option_key(OLD)] == ""
    assert isinstance(options[option_key(NEW)], dict) and options[option_key(NEW)]["version"] == 1
