"""Someone groups Candidates into a workplace of their own before the plan."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def before_plan(session: Session) -> None:
    session.rest("crm.automatedsolution.add", {"fields": {"title": "Recruiting (old)",
                                                          "typeIds": [int(session.type("candidate")["id"])]}})
