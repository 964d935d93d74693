"""One model for both sides of a diff: addresses, resources and the State that maps one to the other.

Desired state (compiled from manifests) and live state (read from the portal) are the same type, so
the planner compares like with like. Pure: no network, no clock, no terminal.

Addresses
    ``smart_process.<code>``, ``pipeline.<code>.<key>``, ``stage.<code>.<key>.<STAGE>``,
    ``field.<code>.<FIELD>``; built-in entities take the place of the code (``entity.deal``,
    ``pipeline.deal.main``, ``field.deal.BUDGET``); lead and quote statuses and plain crm.status
    directories are ``status.lead.NEW`` / ``status.SOURCE.WEB`` under ``entity.lead`` /
    ``directory.SOURCE``; digital workplaces are ``workplace.<code>``. What the local application
    registers lies under the container ``application.app``: ``robot.<CODE>``, ``activity.<CODE>``,
    ``trigger.<CODE>``, ``event.<EVENT>.<handler URL>`` (``offline`` for an offline binding) and
    ``placement.<PLACEMENT>.<handler URL>``. Desired pipelines are keyed by their manifest key; live pipelines by
    ``#<category id>`` (pipelines have no code on the portal), and the planner matches them by name.
    Live smart processes without a code on the portal are keyed ``#<id>``.
Resources
    ``attrs`` hold normalised, JSON-ready values under the names manifests use (``title``,
    ``features.stages``, ``label``, ...). A desired resource holds only the attributes its manifest
    manages; a live resource holds everything that was read, plus portal ids in ``ids`` (never in
    manifests) and, where counted, the number of CRM ``items`` it holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from b24cfg.errors import B24cfgError

KINDS = ("smart_process", "entity", "directory", "workplace", "pipeline", "field", "stage", "status",
         "application", "robot", "activity", "trigger", "event", "placement")
"""Every resource kind, parents before children."""

APP_KINDS = ("robot", "activity", "trigger", "event", "placement")
"""What a local application registers (bizproc.robot, bizproc.activity, crm.automation.trigger,
event.bind, placement.bind): REST allows these only in an application context (OAuth)."""

ENTITIES = ("lead", "deal", "contact", "company", "quote")
"""Built-in CRM entities, by the names manifests and addresses use. Smart-process codes can never be
one of these (schema.py), so ``pipeline.deal.main`` and ``pipeline.contract.main`` cannot collide."""
STATUS_ENTITIES = {"lead": "STATUS", "quote": "QUOTE_STATUS"}
"""Entities whose stages are one crm.status directory (no pipelines): status.lead.NEW lives in STATUS."""

_KEY_LENGTH = {"smart_process": 1, "entity": 1, "directory": 1, "workplace": 1, "pipeline": 2, "field": 2, "stage": 3,
               "status": 2, "application": 1, "robot": 1, "activity": 1, "trigger": 1, "event": 2, "placement": 2}

Origin = Literal["manifest", "portal", "portal-default", "predicted"]
"""Where a resource comes from: a manifest; the portal; the portal, created by the portal itself and
never touched since (a default stage); or predicted: what the portal will create by itself when its
parent is created (the default pipeline of a new smart process, the stages of a new pipeline)."""


class AddressError(B24cfgError):
    """A resource address that cannot be parsed (``--target``)."""


@dataclass(frozen=True, order=True)
class Address:
    """A resource's identity: its kind and natural-key path, e.g. ``stage.contract.main.DRAFT``."""

    kind: str
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in _KEY_LENGTH or len(self.key) != _KEY_LENGTH[self.kind]:
            raise AddressError(f"not a resource address: {self.kind} {'.'.join(self.key)}")

    def __str__(self) -> str:
        return ".".join((self.kind, *self.key))

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, _, rest = text.partition(".")
        # The last part takes the rest: codes of plain directory items may hold dots.
        key = tuple(rest.split(".", _KEY_LENGTH[kind] - 1)) if rest and kind in _KEY_LENGTH else ()
        if kind not in _KEY_LENGTH or len(key) != _KEY_LENGTH[kind] or not all(key):
            raise AddressError(
                f"'{text}' is not a resource address; write one such as smart_process.contract, "
                "pipeline.contract.main, stage.deal.main.WON, field.deal.BUDGET, status.SOURCE.WEB or workplace.hr"
            )
        return cls(kind, key)

    @property
    def smart_process(self) -> str:
        return self.key[0]

    @property
    def builtin(self) -> bool:
        """Whether this address lies under a built-in CRM entity (``field.deal.BUDGET``)."""
        return self.key[0] in ENTITIES

    def parent(self) -> Address | None:
        if self.kind in ("pipeline", "field"):
            return Address("entity" if self.key[0] in ENTITIES else "smart_process", self.key[:1])
        if self.kind == "stage":
            return Address("pipeline", self.key[:2])
        if self.kind == "status":
            return Address("entity" if self.key[0] in ENTITIES else "directory", self.key[:1])
        if self.kind in APP_KINDS:
            return Address("application", ("app",))
        return None

    def ancestors(self) -> Iterator[Address]:
        parent = self.parent()
        while parent is not None:
            yield parent
            parent = parent.parent()

    def within(self, other: Address) -> bool:
        """True when this address is ``other`` or lies under it (``--target`` selects subtrees)."""
        return self == other or other in self.ancestors()

    def child(self, kind: str, key: str) -> Address:
        return Address(kind, (*self.key, key))

    def rekey(self, position: int, value: str) -> Address:
        """This address with one key part replaced (live ``#12`` pipelines renamed to manifest keys)."""
        key = list(self.key)
        key[position] = value
        return Address(self.kind, tuple(key))


APPLICATION = Address("application", ("app",))
"""The container of what the application registers: one per portal, the app the credentials belong
to (its client id differs between portals, so the address does not name it)."""


@dataclass(frozen=True)
class Resource:
    """One configuration object, desired or live."""

    address: Address
    attrs: Mapping[str, Any]
    ids: Mapping[str, Any] = field(default_factory=dict)
    items: int | None = None
    origin: Origin = "manifest"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": str(self.address), "attrs": dict(self.attrs)}
        if self.ids:
            out["ids"] = dict(self.ids)
        if self.items is not None:
            out["items"] = self.items
        if self.origin != "manifest":
            out["origin"] = self.origin
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            Address.parse(data["address"]), dict(data["attrs"]), dict(data.get("ids", {})), data.get("items"),
            data.get("origin", "manifest"),
        )


@dataclass(frozen=True)
class Scope:
    """What a plan reads from the portal (and a saved plan reads again): the smart processes with
    these codes (and code-less ones with these titles, to adopt), these built-in entities and
    directories, the workplaces, field labels in English plus ``languages``, and the lists of
    what the application registers (``app``: robot, activity, trigger, event, placement)."""

    codes: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()
    workplaces: bool = False
    languages: tuple[str, ...] = ()
    app: tuple[str, ...] = ()

    @classmethod
    def of(cls, desired: State) -> Scope:
        """Everything the desired state manages."""
        def names(kind: str) -> tuple[str, ...]:
            return tuple(sorted(r.address.key[0] for r in desired.of_kind(kind)))

        labels = [r.attrs["label"] for r in desired.of_kind("field") if isinstance(r.attrs.get("label"), dict)]
        return cls(
            names("smart_process"), tuple(sorted(str(r.attrs["title"]) for r in desired.of_kind("smart_process"))),
            names("entity"), names("directory"), bool(desired.of_kind("workplace")),
            tuple(sorted({language for label in labels for language in label})),
            tuple(kind for kind in APP_KINDS if (kind, APPLICATION) in desired.scopes),
        )


def canonical(value: Any) -> str:
    """The JSON text every fingerprint and byte-identical plan is built from."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass
class State:
    """Resources by address, plus which child lists the manifests manage.

    ``scopes`` (desired state only) maps ``(child kind, parent address)`` to the parent's prune flag
    for every list a manifest writes out (``pipelines``, a pipeline's ``stages``, ``fields``).
    Children in a list that is not written are neither compared nor reported.
    """

    resources: dict[Address, Resource] = field(default_factory=dict)
    scopes: dict[tuple[str, Address], bool] = field(default_factory=dict)
    taken: dict[int, str] = field(default_factory=dict)
    """(live state only) entityTypeIds held by smart processes the manifests do not manage, with a
    name for messages: a pinned entityTypeId must not collide with them. Not part of the fingerprint."""
    type_ids: dict[str, int] = field(default_factory=dict)
    """(live state only) crm.type id of every smart process on the portal by code: workplaces may
    group smart processes the manifests do not manage. Not part of the fingerprint."""
    skipped: dict[Address, list[str]] = field(default_factory=dict)
    """(live state only) what was read but cannot be described in a manifest, and why, by the
    top-level address it belongs to (export writes it as comments)."""

    def add(self, resource: Resource) -> None:
        if resource.address in self.resources:
            raise ValueError(f"duplicate resource {resource.address}")
        self.resources[resource.address] = resource

    def get(self, address: Address) -> Resource | None:
        return self.resources.get(address)

    def __contains__(self, address: object) -> bool:
        return address in self.resources

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources[a] for a in sorted(self.resources))

    def __len__(self) -> int:
        return len(self.resources)

    def of_kind(self, kind: str) -> list[Resource]:
        return self._sorted(r for r in self.resources.values() if r.address.kind == kind)

    def children(self, parent: Address, kind: str) -> list[Resource]:
        return self._sorted(
            r for r in self.resources.values() if r.address.kind == kind and r.address.parent() == parent
        )

    def under(self, ancestor: Address) -> list[Resource]:
        """Every resource below ``ancestor`` (not itself), in address order."""
        return self._sorted(r for r in self.resources.values() if ancestor in r.address.ancestors())

    @staticmethod
    def _sorted(resources: Iterator[Resource]) -> list[Resource]:
        # Filter first, then sort: sorting the whole state for every lookup made the diff quadratic.
        return sorted(resources, key=lambda r: r.address)

    def fingerprint(self) -> str:
        """A hash of everything read (attributes, ids, item counts): equal only if nothing changed."""
        body = [r.to_json() for r in self]
        return "sha256:" + hashlib.sha256(canonical(body).encode()).hexdigest()
