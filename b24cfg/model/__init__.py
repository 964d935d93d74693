"""One model for both sides of a diff: addresses, resources and the State that maps one to the other.

Desired state (compiled from manifests) and live state (read from the portal) are the same type, so
the planner compares like with like. Pure: no network, no clock, no terminal.

Addresses
    ``smart_process.<code>``, ``pipeline.<code>.<key>``, ``stage.<code>.<key>.<STAGE>``,
    ``field.<code>.<FIELD>``. Desired pipelines are keyed by their manifest key; live pipelines by
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

KINDS = ("smart_process", "pipeline", "field", "stage")
"""Every resource kind, parents before children."""

_KEY_LENGTH = {"smart_process": 1, "pipeline": 2, "field": 2, "stage": 3}
_PARENT = {"pipeline": "smart_process", "field": "smart_process", "stage": "pipeline"}

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
        key = tuple(rest.split(".")) if rest else ()
        if kind not in _KEY_LENGTH or len(key) != _KEY_LENGTH[kind] or not all(key):
            raise AddressError(
                f"'{text}' is not a resource address; write one such as smart_process.contract, "
                "pipeline.contract.main, stage.contract.main.DRAFT or field.contract.AMOUNT"
            )
        return cls(kind, key)

    @property
    def smart_process(self) -> str:
        return self.key[0]

    def parent(self) -> Address | None:
        kind = _PARENT.get(self.kind)
        return Address(kind, self.key[: _KEY_LENGTH[kind]]) if kind else None

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
