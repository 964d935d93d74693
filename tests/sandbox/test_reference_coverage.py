"""Every documented request/response pair in ../shared/reference is replayed by some test."""

from __future__ import annotations

import importlib
import pkgutil

import tests.sandbox as package
from tests.support.reference import crm_examples, platform_examples


def replayed() -> set[str]:
    keys: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("test_reference_") and info.name != "test_reference_coverage":
            keys |= set(getattr(importlib.import_module(f"tests.sandbox.{info.name}"), "REPLAYED", set()))
    return keys


def test_every_crm_fixture_is_replayed() -> None:
    documented = {f"fixtures[{i}]" for i in range(len(crm_examples()["fixtures"]))}
    documented |= {f"error_fixtures[{i}]" for i in range(len(crm_examples()["error_fixtures"]))}
    assert sorted(documented - replayed()) == []


def test_every_platform_example_is_replayed() -> None:
    documented = {e["name"] for e in platform_examples()["examples"]}
    assert sorted(documented - replayed()) == []
