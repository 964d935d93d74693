"""The ordering matters: the portal really refuses CONTRACT (sort 70) while WON still sorts at 60."""

from __future__ import annotations

import pytest

from b24cfg.portal.errors import PortalError
from tests.scenarios.conftest import Session


def before_plan(session: Session) -> None:
    with pytest.raises(PortalError, match="after the final stage"):
        session.rest("crm.status.add", {"fields": {"ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "CONTRACT",
                                                   "NAME": "Contract", "SORT": 70}})
    assert "CONTRACT" not in [r["STATUS_ID"] for r in session.entity_stages("deal", "General")]
