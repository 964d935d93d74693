"""The pruned robot's settings dialog (a private placement placement.get never lists) went with it."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    dialogs = [r["ADDITIONAL"] for r in session.portal.state["placements"]
               if r["PLACEMENT"] == "BIZPROC_ACTIVITY_PROPERTIES_DIALOG"]
    assert dialogs == [], dialogs
