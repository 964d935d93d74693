"""The Plan: ordered changes plus everything needed to apply exactly them, later, safely.

A plan records the portal it was computed against and the fingerprint of the live objects it read;
``apply`` of a saved plan re-reads the same objects and refuses when either differs (ARCHITECTURE
§3.5). The same manifests and the same portal always give a byte-identical plan file.

JSON format (``format: "b24cfg-plan"``, ``version: 1``), stable and documented in the README::

    {"format": "b24cfg-plan", "version": 1, "b24cfg": "0.1.0",
     "portal": {"url": "https://example.bitrix24.com", "member_id": "..."},
     "fingerprint": "sha256:...", "scope": ["contract", ...], "adopt": [], "languages": ["de"],
     "entities": ["deal"], "directories": ["SOURCE"], "workplaces": false, "app": ["robot", ...],
     "targets": [],
     "summary": {"add": 1, "change": 2, "destroy": 0},
     "changes": [{"action": "create|update|replace|delete", "address": "...", "before": {...},
                  "after": {...}, "attributes": [{"name", "old", "new", "forces_replacement"?}],
                  "cascade"?: [...], "reason"?: "...", "items"?: n|null, "destroys_data"?: bool}],
     "known": {"<address>": {portal ids}}, "unmanaged": ["<address>", ...],
     "manual": [{"smart_process", "pipeline", "stage", "robots": [...], "app_robots": [...],
                 "triggers": [...], "note"}],
     "warnings": ["..."]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from b24cfg import __version__
from b24cfg.errors import PlanError
from b24cfg.model import Address, Scope
from b24cfg.planner.changes import Action, Change

PLAN_FORMAT = "b24cfg-plan"
PLAN_VERSION = 1


@dataclass(frozen=True)
class PortalIdentity:
    """Which portal a plan was made for: its address (never a credential) and member id if known."""

    url: str
    member_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "member_id": self.member_id}

    def same_as(self, other: PortalIdentity) -> bool:
        if self.member_id and other.member_id:
            return self.member_id == other.member_id and self.url == other.url
        return self.url == other.url


@dataclass(frozen=True)
class ManualStep:
    """Stage automation a manifest documents; REST cannot apply it (ARCHITECTURE §5)."""

    smart_process: str
    pipeline: str
    stage: str
    robots: tuple[str, ...]
    note: str | None = None
    app_robots: tuple[str, ...] = ()
    """Codes of the application's robots to place, in order (checked against the Application manifest)."""
    triggers: tuple[str, ...] = ()
    """Codes of the application's triggers that move items into this stage."""

    def to_json(self) -> dict[str, Any]:
        return {"smart_process": self.smart_process, "pipeline": self.pipeline, "stage": self.stage,
                "robots": list(self.robots), "app_robots": list(self.app_robots), "triggers": list(self.triggers),
                "note": self.note}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ManualStep:
        return cls(data["smart_process"], data["pipeline"], data["stage"], tuple(data["robots"]), data.get("note"),
                   tuple(data.get("app_robots", [])), tuple(data.get("triggers", [])))


@dataclass(frozen=True)
class Summary:
    add: int
    change: int
    destroy: int

    @property
    def empty(self) -> bool:
        return not (self.add or self.change or self.destroy)


@dataclass(frozen=True)
class Plan:
    portal: PortalIdentity
    fingerprint: str
    scope: tuple[str, ...]
    changes: tuple[Change, ...]
    known: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    unmanaged: tuple[Address, ...] = ()
    manual: tuple[ManualStep, ...] = ()
    warnings: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    adopt: tuple[str, ...] = ()
    """Titles of smart processes without a code that were read to be adopted (part of the scope)."""
    languages: tuple[str, ...] = ()
    """Label languages read besides English: those the manifests' label maps name (part of the scope)."""
    entities: tuple[str, ...] = ()
    """Built-in entities read (part of the scope)."""
    directories: tuple[str, ...] = ()
    """crm.status directories read (part of the scope)."""
    workplaces: bool = False
    """Whether workplaces were read (part of the scope)."""
    app: tuple[str, ...] = ()
    """What the application registers that was read: robot, activity, trigger, event, placement (part of the
    scope); not empty means the plan needs the application's credentials."""

    def read_scope(self) -> Scope:
        """What to read from the portal to check and apply this plan: what it was computed from."""
        return Scope(self.scope, self.adopt, self.entities, self.directories, self.workplaces, self.languages,
                     self.app)

    @property
    def summary(self) -> Summary:
        """Terraform's counting: a replace is one to add and one to destroy."""
        actions = [c.action for c in self.changes]
        return Summary(
            add=sum(a in (Action.CREATE, Action.REPLACE) for a in actions),
            change=sum(a is Action.UPDATE for a in actions),
            destroy=sum(a in (Action.DELETE, Action.REPLACE) for a in actions),
        )

    @property
    def empty(self) -> bool:
        return not self.changes

    def destructive(self) -> list[Change]:
        """Changes that may lose business data and so need ``--allow-destroy``."""
        return [c for c in self.changes if c.destroys_data]

    def check_safe(self, *, allow_destroy: bool) -> None:
        """Refuse a plan that would lose data unless the user said so."""
        risky = self.destructive()
        if risky and not allow_destroy:
            lines = []
            for change in risky:
                items = "items not counted" if change.items is None else f"{change.items} item(s)"
                lines.append(f"  {change.action.symbol} {change.address} ({items})")
            raise PlanError(
                "this plan deletes or replaces objects that hold CRM data:\n" + "\n".join(lines)
                + "\nNothing was changed. Re-run with --allow-destroy if losing this data is intended."
            )

    # --- serialisation ------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "format": PLAN_FORMAT, "version": PLAN_VERSION, "b24cfg": __version__,
            "portal": self.portal.to_json(), "fingerprint": self.fingerprint, "scope": list(self.scope),
            "adopt": list(self.adopt), "languages": list(self.languages), "entities": list(self.entities),
            "directories": list(self.directories), "workplaces": self.workplaces, "app": list(self.app),
            "targets": list(self.targets),
            "summary": {"add": summary.add, "change": summary.change, "destroy": summary.destroy},
            "changes": [c.to_json() for c in self.changes],
            "known": {k: dict(v) for k, v in sorted(self.known.items())},
            "unmanaged": [str(a) for a in self.unmanaged],
            "manual": [m.to_json() for m in self.manual],
            "warnings": list(self.warnings),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        if not isinstance(data, Mapping) or data.get("format") != PLAN_FORMAT:
            raise PlanError("this file is not a b24cfg plan (save one with `b24cfg plan --out FILE`)")
        if data.get("version") != PLAN_VERSION:
            raise PlanError(
                f"this plan has format version {data.get('version')}; this b24cfg reads version {PLAN_VERSION} — "
                "make the plan again with this version"
            )
        try:
            portal = data["portal"]
            return cls(
                PortalIdentity(portal["url"], portal.get("member_id")), data["fingerprint"], tuple(data["scope"]),
                tuple(Change.from_json(c) for c in data["changes"]),
                {k: dict(v) for k, v in data.get("known", {}).items()},
                tuple(Address.parse(a) for a in data.get("unmanaged", [])),
                tuple(ManualStep.from_json(m) for m in data.get("manual", [])), tuple(data.get("warnings", [])),
                tuple(data.get("targets", [])), tuple(data.get("adopt", [])),
                tuple(data.get("languages", [])), tuple(data.get("entities", [])), tuple(data.get("directories", [])),
                bool(data.get("workplaces", False)), tuple(data.get("app", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"the plan file is damaged ({type(exc).__name__}: {exc}); make the plan again") from None

    @classmethod
    def loads(cls, text: str) -> Plan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"the plan file is not JSON ({exc}); make the plan again") from None
        return cls.from_json(data)


def ordered(changes: Sequence[Change]) -> tuple[Change, ...]:
    """The total order changes are applied (and listed) in: tier, then action, then address."""
    return tuple(sorted(changes, key=Change.sort_key))
