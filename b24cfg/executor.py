"""Apply a Plan tier by tier through batches; stop at the first error; report every address.

(The engine itself lands in the next commit; the report types below are what views render.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from b24cfg.model import Address
from b24cfg.planner.changes import Action, AttrChange

Status = Literal["applied", "failed", "partial", "unknown", "not_attempted"]
"""applied: every call succeeded; failed: a call was refused (nothing of it applied); partial: some
calls of the change ran before the stop; unknown: the answer was lost, it may or may not have
run; not_attempted: nothing of it was sent."""


@dataclass(frozen=True)
class Outcome:
    address: Address
    action: Action
    status: Status
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": str(self.address), "action": self.action.value, "status": self.status}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class ApplyReport:
    """What an apply did, per address, in plan order; ``drift`` lists what the portal did not keep."""

    outcomes: list[Outcome] = field(default_factory=list)
    drift: list[tuple[Address, AttrChange]] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return all(o.status == "applied" for o in self.outcomes) and not self.drift

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "requests": self.requests,
            "outcomes": [o.to_json() for o in self.outcomes],
            "drift": [{"address": str(a), **c.to_json()} for a, c in self.drift],
        }


@dataclass(frozen=True)
class Event:
    """Progress, as the executor reports it to views: ``kind`` is "start" (total changes),
    "batch" (a request is about to be sent), "change" (an outcome is final) or "done"."""

    kind: Literal["start", "batch", "change", "done"]
    total: int = 0
    outcome: Outcome | None = None
    commands: int = 0
