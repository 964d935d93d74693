"""Helpers for engine tests: a sandbox portal reached in-process, plan + apply as the CLI does them,
and checks on what the portal holds (duplicates, outcomes that match the portal)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from b24cfg import engine
from b24cfg.clock import SimulatedClock
from b24cfg.executor import ApplyReport
from b24cfg.manifest import load_manifests_or_raise
from b24cfg.manifest.validate import SmartProcessManifest, load_manifests
from b24cfg.planner.changes import Action
from b24cfg.planner.plan import Plan, PortalIdentity
from b24cfg.portal import Client, OAuthAuth
from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport
from b24cfg.views import text

IDENTITY = PortalIdentity("https://sandbox.test")


class RecordingTransport(SandboxTransport):
    """The in-process transport, noting per request how many writes ran and whether the answer was lost."""

    def __init__(self, portal: SandboxPortal) -> None:
        super().__init__(portal)
        self.log: list[tuple[int, bool]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        before = self.portal.faults.writes_seen
        try:
            response = super().handle_request(request)
        except httpx.ReadTimeout:
            self.log.append((self.portal.faults.writes_seen - before, True))
            raise
        self.log.append((self.portal.faults.writes_seen - before, False))
        return response


@dataclass
class Rig:
    """A fresh in-memory sandbox portal on a simulated clock and a client without pacing, logged in
    as the sandbox's local application (the examples register robots, events and placements)."""

    portal: SandboxPortal
    client: Client
    transport: RecordingTransport

    @classmethod
    def fresh(cls) -> Rig:
        clock = SimulatedClock()
        portal = SandboxPortal(clock=clock)
        transport = RecordingTransport(portal)
        auth = OAuthAuth("https://sandbox.test", SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN,
                         token_url="https://sandbox.test/oauth/token/")
        client = Client(auth, transport=transport, clock=clock, pacing=None)
        return cls(portal, client, transport)

    def plan(self, manifests: Sequence[SmartProcessManifest]) -> Plan:
        return engine.make_plan(self.client, manifests, IDENTITY)

    def apply(self, manifests: Sequence[SmartProcessManifest]) -> tuple[Plan, ApplyReport]:
        """Plan, allow destroying (``--allow-destroy``), apply."""
        plan = self.plan(manifests)
        plan.check_safe(allow_destroy=True)
        return plan, engine.apply(self.client, plan)

    def writes(self) -> int:
        return self.portal.faults.writes_seen


def _checked(documents: Sequence[Mapping[str, Any]]) -> tuple[list[SmartProcessManifest], list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        for number, document in enumerate(documents):
            # JSON is YAML: strings stay strings whatever they look like.
            Path(folder, f"m{number}.yaml").write_text(json.dumps(document, indent=1), encoding="utf-8")
        manifests, problems = load_manifests([folder])
        return manifests, [str(p) for p in problems]


def load_dicts(documents: Sequence[Mapping[str, Any]]) -> list[SmartProcessManifest]:
    """Manifests from plain camelCase dicts, through the loader and every validation rule."""
    manifests, problems = _checked(documents)
    assert not problems, problems
    return manifests


def problems_of(documents: Sequence[Mapping[str, Any]]) -> list[str]:
    return _checked(documents)[1]


def example(name: str) -> list[SmartProcessManifest]:
    return load_manifests_or_raise([Path(__file__).resolve().parents[2] / "examples" / name])


def duplicates(portal: SandboxPortal) -> list[str]:
    """Objects the portal holds twice under one natural key (b24cfg must never create those)."""
    state = portal.state
    found: list[str] = []
    codes = Counter(t["code"] for t in state["types"].values() if t["code"])
    found += [f"crm.type code {c!r} x{n}" for c, n in codes.items() if n > 1]
    names = Counter((c["entityTypeId"], str(c["name"]).casefold()) for c in state["categories"])
    found += [f"category {k} x{n}" for k, n in names.items() if n > 1]
    defaults = Counter(c["entityTypeId"] for c in state["categories"] if c["isDefault"] == "Y")
    found += [f"type {k} has {n} default pipelines" for k, n in defaults.items() if n > 1]
    stages = Counter((s["ENTITY_ID"], s["STATUS_ID"]) for s in state["statuses"])
    found += [f"stage {k} x{n}" for k, n in stages.items() if n > 1]
    successes = Counter(s["ENTITY_ID"] for s in state["statuses"] if s["SEMANTICS"] == "S")
    found += [f"{k} has {n} success stages" for k, n in successes.items() if n > 1]
    fields = Counter((f["entityId"], f["fieldName"]) for f in state.get("userfields", {}).values())
    found += [f"field {k} x{n}" for k, n in fields.items() if n > 1]
    return found


def describe(plan: Plan) -> str:
    return text.render_plan(plan)


def assert_converged(rig: Rig, manifests: Sequence[SmartProcessManifest]) -> None:
    plan = rig.plan(manifests)
    ensure(plan.empty, "the portal does not match the manifests after apply:\n" + describe(plan))
    ensure(not duplicates(rig.portal), f"duplicates: {duplicates(rig.portal)}")


def on_portal(portal: SandboxPortal, kind: str, ids: Mapping[str, Any]) -> bool:
    """Whether the object with these portal ids still exists (read from the sandbox's own state)."""
    state = portal.state
    if kind == "smart_process":
        return str(ids.get("id")) in state["types"]
    if kind == "pipeline":
        return any(str(c["id"]) == str(ids.get("id")) for c in state["categories"])
    if kind == "stage":
        return any(str(s["ID"]) == str(ids.get("ID")) for s in state["statuses"])
    return str(ids.get("id")) in state.get("userfields", {})


def ensure(condition: bool, message: str) -> None:
    """An assertion with just the message (loops over many cases keep their reports short)."""
    if not condition:
        raise AssertionError(message)


def check_outcomes(rig: Rig, plan: Plan, report: ApplyReport, replan: Plan) -> None:
    """Every outcome agrees with what the portal holds now.

    applied create/update/replace: the next plan has nothing left to do there (or only what the
    report lists as drift); applied delete: the object is gone; failed or not attempted create:
    still missing; failed or not attempted delete: still there. (unknown and partial may be either.)
    """
    ensure([o.address for o in report.outcomes] == [c.address for c in plan.changes], "outcomes out of plan order")
    todo = {c.address: c for c in replan.changes}
    for change, outcome in zip(plan.changes, report.outcomes):
        where = f"{outcome.status} {change.action.value} {change.address}"
        predicted = change.before is not None and change.before.origin == "predicted"
        if outcome.status == "applied":
            if change.action is Action.DELETE:
                assert change.before is not None
                ensure(predicted or not on_portal(rig.portal, change.address.kind, change.before.ids),
                       f"{where}: still there")
            elif change.address in todo:
                # Applied (every call ran) but not all there: only allowed where the report says so
                # (a pipeline demoted only once another is promoted, and that one never ran).
                drifted = {c.name for a, c in report.drift if a == change.address}
                left = {a.name for a in todo[change.address].attrs}
                ensure(todo[change.address].action is Action.UPDATE and left <= drifted,
                       f"{where}: but the next plan says (drift reported: {sorted(drifted)})\n{describe(replan)}")
        elif outcome.status in ("failed", "not_attempted"):
            if change.action is Action.CREATE:
                ensure(change.address in todo and todo[change.address].action is Action.CREATE,
                       f"{where}: but it is on the portal\n{describe(replan)}")
            elif change.action is Action.DELETE and not predicted:
                assert change.before is not None
                ensure(on_portal(rig.portal, change.address.kind, change.before.ids), f"{where}: but it is gone")
