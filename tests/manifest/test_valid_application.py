"""A valid Application manifest (valid/application) loads with its defaults filled in and compiles to
the addresses and definitions the application adapters send (resources/robot.py, event_binding.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from b24cfg.manifest import load_manifests, load_manifests_or_raise
from b24cfg.manifest.compile import compile_manifests
from b24cfg.manifest.schema import Application, AutomationStep, SmartProcess
from b24cfg.manifest.validate import Manifest
from b24cfg.model import APPLICATION, Address

VALID = Path(__file__).parent / "valid" / "application"


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return load_manifests_or_raise([VALID])


def application(manifests: list[Manifest]) -> Application:
    [spec] = [m.spec for m in manifests if isinstance(m.spec, Application)]
    return spec


def test_application_manifest_loads_with_its_defaults(manifests: list[Manifest]) -> None:
    app = application(manifests)
    assert app.prune is True and app.placements == []
    [robot] = app.robots or []
    assert robot.code == "contract.check-signatures_v2"
    assert (robot.auth_user, robot.use_subscription) == (1, True)
    message = robot.properties["message"]
    # A property without type is a string, optional and single-valued, with no default.
    assert (message.type, message.required, message.multiple, message.default, message.options) == (
        "string", False, False, None, None)
    assert robot.properties["channels"].default == ["email", "sms"]
    [activity] = app.activities or []
    assert (activity.use_subscription, activity.auth_user, activity.placement_handler) == (False, 0, None)
    assert activity.properties["retention_years"].default == 10


def test_event_codes_are_upper_cased_and_offline_has_no_handler(manifests: list[Manifest]) -> None:
    events = application(manifests).events or []
    assert [(e.event, e.handler, e.offline, e.auth_user) for e in events] == [
        ("ONCRMDEALUPDATE", "https://contracts-app.example.com/b24/events/deal", False, 0),
        ("ONCRMDEALUPDATE", "https://contracts-app.example.com/b24/events/deal-audit", False, 15),
        ("ONCRMDEALADD", None, True, 0),
    ]


def test_automation_steps_keep_application_codes(manifests: list[Manifest]) -> None:
    [contracts] = [m.spec for m in manifests if isinstance(m.spec, SmartProcess)]
    assert contracts.automation == [
        AutomationStep(stage="NEW", appRobots=["contract.check-signatures_v2"]),
        AutomationStep(stage="REVIEW", robots=["Notify lawyer"], triggers=["contract_signed_online"],
                       note="Signed online moves the contract on."),
    ]


def test_compiled_addresses_survive_a_round_trip_through_text(manifests: list[Manifest]) -> None:
    """Codes with dots and handler URLs are address parts; ``--target`` parses them back."""
    state, manual = compile_manifests(manifests)
    app_kinds = ("robot", "activity", "trigger", "event", "placement")
    addresses = [r.address for r in state if r.address.kind in app_kinds]
    assert [str(a) for a in addresses] == [
        "activity.contract_archive",
        "event.ONCRMDEALADD.offline",
        "event.ONCRMDEALUPDATE.https://contracts-app.example.com/b24/events/deal",
        "event.ONCRMDEALUPDATE.https://contracts-app.example.com/b24/events/deal-audit",
        "robot.contract.check-signatures_v2",
        "trigger.contract_signed_online",
    ]
    assert all(Address.parse(str(a)) == a for a in addresses)
    assert all(a.parent() == APPLICATION for a in addresses)
    # Every written list is a managed scope, with the manifest's prune flag (placements: [] too).
    assert {kind: state.scopes[(kind, APPLICATION)] for kind in app_kinds} == dict.fromkeys(app_kinds, True)
    assert [(step.stage, step.app_robots, step.triggers) for step in manual] == [
        ("NEW", ("contract.check-signatures_v2",), ()), ("REVIEW", (), ("contract_signed_online",)),
    ]


def test_lists_left_out_are_not_managed(tmp_path: Path) -> None:
    (tmp_path / "application.yaml").write_text(
        "kind: Application\ntriggers:\n  - {code: paid, name: Payment received}\n", encoding="utf-8")
    state, _ = compile_manifests(load_manifests_or_raise([tmp_path]))
    assert {kind for kind, parent in state.scopes if parent == APPLICATION} == {"trigger"}
    assert state.scopes[("trigger", APPLICATION)] is False


def test_prune_with_an_empty_list_is_accepted(tmp_path: Path) -> None:
    """``events: []`` with prune is how a user removes every binding: not the 'nothing listed' problem."""
    (tmp_path / "application.yaml").write_text("kind: Application\nprune: true\nevents: []\n", encoding="utf-8")
    assert load_manifests([tmp_path])[1] == []
