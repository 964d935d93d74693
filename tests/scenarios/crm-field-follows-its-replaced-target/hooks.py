"""The field links to the new supplier only: no DYNAMIC_ key of a type that no longer exists."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    settings = session.view()["contract"]["fields"]["SUPPLIER"]["settings"]
    assert {k: v for k, v in settings.items() if k.startswith("DYNAMIC_") and v == "Y"} == {"DYNAMIC_1042": "Y"}
