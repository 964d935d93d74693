"""Adopting creates nothing: the portal still has exactly one smart process."""

from __future__ import annotations

from tests.scenarios.conftest import Session


def verify(session: Session) -> None:
    assert [(t["id"], t["code"], t["title"]) for t in session.types()] == [(1, "contract", "Contracts")]
