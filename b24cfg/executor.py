"""Apply a Plan tier by tier through batches; stop at the first error; report every address.

Every change becomes REST calls (``resources.<kind>.calls``), ordered by tier (parents first;
inside a tier every ``*.delete`` and ``*.unbind`` call first — the delete half of a replace too — then the rest in
plan order). Calls are packed 50 to a ``batch`` with ``halt``; a value that
only an earlier call of the same batch produces travels as a ``$result[...]`` reference where the
server's greedy reference syntax allows it, otherwise the batch is sent and the value filled in
from the answer. Ids of what the portal creates by itself (the default pipeline of a new smart
process, the stages of a new pipeline) are learnt with lookups at the end of the tier before.

Nothing is retried: the client never re-sends a write whose answer was lost (``OutcomeUnknown``),
and the first refusal stops the run. Identity is by natural key, so a re-run plans from what the
portal now holds and converges without duplicates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from b24cfg.errors import B24cfgError
from b24cfg.model import Address, canonical
from b24cfg.planner.changes import Action, AttrChange
from b24cfg.planner.plan import Plan
from b24cfg.portal import Batch, Client
from b24cfg.portal.batch import MAX_COMMANDS, Ref
from b24cfg.portal.errors import OutcomeUnknown, PortalError, mask
from b24cfg.portal.phpquery import empty_containers
from b24cfg.resources import ADAPTERS
from b24cfg.resources.base import Call, Join, Out, outs

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


Hook = Callable[[Event], None]


class _Cut(Exception):
    """A value is not known yet and cannot be referenced inside this batch."""


@dataclass
class _Step:
    call: Call
    change: int | None  # index in plan.changes; None for a lookup
    order: tuple[int, int, int, int]


class Executor:
    """Run one plan against one portal; ``run`` returns the report and never raises portal errors."""

    def __init__(self, client: Client, plan: Plan, hook: Hook | None = None) -> None:
        self.client = client
        self.plan = plan
        self.hook = hook or (lambda event: None)
        self.known: dict[tuple[Address, str], Any] = {}
        for text, ids in plan.known.items():
            for name, value in ids.items():
                self.known[(Address.parse(text), name)] = value
        for change in plan.changes:
            if change.before is not None and change.action is not Action.REPLACE and change.before.origin != "predicted":
                for name, value in change.before.ids.items():
                    self.known.setdefault((change.address, name), value)
        self.steps = self._steps()
        calls = Counter(s.change for s in self.steps)
        self.pending = [calls[i] for i in range(len(plan.changes))]
        self.done = [0] * len(plan.changes)
        self.status: dict[int, Status] = {}
        self.errors: dict[int, str] = {}

    # --- building the call list ---------------------------------------------------------------
    def _steps(self) -> list[_Step]:
        steps: list[_Step] = []
        for index, change in enumerate(self.plan.changes):
            for number, call in enumerate(ADAPTERS[change.address.kind].calls(change)):
                # Inside a tier every removal runs first, the delete half of a replace included: a
                # pipeline holds one success stage, so a stage replaced away from success must be gone
                # before another is replaced into it (the plan lists replaces by address).
                phase = 0 if call.method.endswith((".delete", ".unbind")) else 1
                steps.append(_Step(call, index, (call.tier, phase, index, number)))
        # The first step producing each value: a value only an earlier step produces can be used
        # (a replaced stage's delete needs the old ID; its own add produces the new one, later).
        first: dict[tuple[Address, str], tuple[int, int, int, int]] = {}
        for s in steps:
            for name in s.call.produces:
                first[(s.call.address, name)] = min(s.order, first.get((s.call.address, name), s.order))
        lookups: dict[str, _Step] = {}
        for step in list(steps):
            for out in outs(step.call.params):
                key = (out.address, out.name)
                if key in self.known or (key in first and first[key] < step.order):
                    continue
                call = ADAPTERS[out.address.kind].lookup(out.address)
                signature = canonical([call.method, repr(call.params)])
                if signature not in lookups:
                    lookups[signature] = _Step(call, None, (call.tier, 2, len(lookups), 0))
        return sorted([*steps, *lookups.values()], key=lambda s: s.order)

    # --- running ------------------------------------------------------------------------------
    def run(self) -> ApplyReport:
        before = self.client.stats.requests
        self.hook(Event("start", total=len(self.plan.changes)))
        batch: list[tuple[_Step, dict[str, Any]]] = []
        for step in self.steps:
            try:
                params: dict[str, Any] | None = self._resolve(step.call.params, batch)
            except _Cut:
                params = None
            if params is None or empty_containers(params):
                # A value this batch cannot carry, or an empty array no batch can: send what is
                # queued, then fill the values in from what is known (a $result reference means
                # nothing outside its own batch).
                if not self._send(batch):
                    break
                batch = []
                try:
                    params = self._resolve(step.call.params, [])
                except _Cut:
                    self._fail(step, self._missing(step.call.params))
                    break
            if empty_containers(params):
                if not self._send([(step, params)], direct=True):
                    break
                continue
            batch.append((step, params))
            if len(batch) == MAX_COMMANDS:
                if not self._send(batch):
                    break
                batch = []
        else:
            self._send(batch)
        report = ApplyReport(requests=self.client.stats.requests - before)
        for index, change in enumerate(self.plan.changes):
            status = self.status.get(index) or self._final(index)
            report.outcomes.append(Outcome(change.address, change.action, status, self.errors.get(index)))
            if index not in self.status:
                self.hook(Event("change", outcome=report.outcomes[-1]))
        self.hook(Event("done", total=len(self.plan.changes)))
        return report

    def _final(self, index: int) -> Status:
        if self.done[index] == self.pending[index]:
            return "applied"
        return "partial" if self.done[index] else "not_attempted"

    def _send(self, batch: list[tuple[_Step, dict[str, Any]]], *, direct: bool = False) -> bool:
        """Send one request; record outputs and outcomes; False when the run must stop."""
        if not batch:
            return True
        self.hook(Event("batch", commands=len(batch)))
        if direct:
            step, params = batch[0]
            try:
                result = self.client.call(step.call.method, params)
            except OutcomeUnknown as err:
                self._unknown([step], err)
                return False
            except PortalError as err:
                self._fail(step, str(err))
                return False
            self._record(step, result)
            return True
        request = Batch(halt=True)
        for number, (step, params) in enumerate(batch):
            request.add(step.call.method, params, key=f"c{number}")
        try:
            answer = self.client.batch(request)
        except OutcomeUnknown as err:
            self._unknown([s for s, _ in batch], err)
            return False
        except PortalError as err:
            self._fail(batch[0][0], str(err))
            return False
        for number, (step, _) in enumerate(batch):
            key = f"c{number}"
            if key in answer.errors:
                self._fail(step, str(answer.errors[key]))
                return False
            if key not in answer.results:
                return False
            self._record(step, answer.results[key])
        return True

    def _record(self, step: _Step, result: Any) -> None:
        call = step.call
        for name, path in call.produces.items():
            value = result
            for part in path:
                value = value[part]
            self.known[(call.address, name)] = value
        if call.extract is not None:
            for address, ids in call.extract(result).items():
                for name, value in ids.items():
                    self.known[(address, name)] = value
        if step.change is not None:
            self.done[step.change] += 1
            if self.done[step.change] == self.pending[step.change]:
                self.status[step.change] = "applied"
                change = self.plan.changes[step.change]
                self.hook(Event("change", outcome=Outcome(change.address, change.action, "applied")))

    def _owner(self, step: _Step) -> int | None:
        if step.change is not None:
            return step.change
        return next((i for i, c in enumerate(self.plan.changes) if c.address == step.call.address), None)

    def _fail(self, step: _Step, error: str) -> None:
        index = self._owner(step)
        if index is None:
            return
        self.status[index] = "partial" if self.done[index] else "failed"
        self.errors[index] = mask(error)
        change = self.plan.changes[index]
        self.hook(Event("change", outcome=Outcome(change.address, change.action, self.status[index], self.errors[index])))

    def _unknown(self, steps: list[_Step], error: B24cfgError) -> None:
        for index in sorted({i for s in steps if (i := self._owner(s)) is not None}):
            self.status[index] = "unknown"
            self.errors[index] = mask(str(error))
            change = self.plan.changes[index]
            self.hook(Event("change", outcome=Outcome(change.address, change.action, "unknown", self.errors[index])))

    def _missing(self, params: Mapping[str, Any]) -> str:
        missing = [o for o in outs(params) if (o.address, o.name) not in self.known]
        names = ", ".join(f"{o.name} of {o.address}" for o in missing)
        return (f"the portal did not give back {names} (an object it should have created by itself is not there); "
                "nothing else was sent — run plan again to see the portal as it is")

    # --- filling in values --------------------------------------------------------------------
    def _resolve(self, value: Any, batch: list[tuple[_Step, dict[str, Any]]], *, key: bool = False) -> Any:
        if isinstance(value, Out):
            return self._out(value, batch, key=key)
        if isinstance(value, Join):
            parts = [p if isinstance(p, str) else self._out(p, batch, key=key, last=i == len(value.parts) - 1)
                     for i, p in enumerate(value.parts)]
            return "".join(str(p) for p in parts)
        if isinstance(value, Mapping):
            return {self._resolve(k, batch, key=True): self._resolve(v, batch) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._resolve(v, batch) for v in value]
        return value

    def _out(self, out: Out, batch: list[tuple[_Step, dict[str, Any]]], *, key: bool, last: bool = True) -> Any:
        if (out.address, out.name) in self.known:
            return self.known[(out.address, out.name)]
        if not key and last:
            for number, (step, _) in enumerate(batch):
                if step.call.address == out.address and out.name in step.call.produces:
                    return str(Ref(f"c{number}", tuple(str(p) for p in step.call.produces[out.name])))
        raise _Cut


def apply_plan(client: Client, plan: Plan, hook: Hook | None = None) -> ApplyReport:
    """Apply ``plan`` as it is; see ``Executor``."""
    return Executor(client, plan, hook).run()

