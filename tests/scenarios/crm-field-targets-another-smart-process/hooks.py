"""The SUPPLIER field links to the supplier smart process, whatever entityTypeId it was given."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    supplier = session.type("supplier")["entityTypeId"]
    fields = session.view()["contract"]["fields"]
    dynamic = {k: v for k, v in fields["SUPPLIER"]["settings"].items() if k.startswith("DYNAMIC_")}
    assert dynamic == {f"DYNAMIC_{supplier}": "Y"}
    assert not any(k.startswith("DYNAMIC_") for k in fields["DEAL"]["settings"])
