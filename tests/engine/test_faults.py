"""Every write of a clean apply of each example, made to fail or to lose its answer.

For each write position n of a clean apply (``Faults`` counts write methods, inside batches too):
a fresh portal, the fault at write n, apply. The report must say the apply did not succeed, every
outcome must agree with the portal, nothing may be written after the failed or lost request (no
resending), and a re-plan + apply without faults must converge with no duplicates.

The same holds for generated manifests (the convergence test's generator): B applied over A with
a fault at a random write of B's apply, where the portal is half way between two shapes.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, note, settings, strategies as st

from b24cfg import engine
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.engine.conftest import Rig, assert_converged, check_outcomes, describe, duplicates, ensure, example
from tests.engine.test_convergence import manifest_sets, planned

EXAMPLES = ("complaints", "contract-approvals", "recruiting")


def _write_count(name: str) -> int:
    rig = Rig.fresh()
    _, report = rig.apply(example(name))
    assert report.ok, report.to_json()
    return rig.writes()


WRITES = {name: _write_count(name) for name in EXAMPLES}


def test_examples_have_writes_to_break() -> None:
    assert all(count >= 10 for count in WRITES.values()), WRITES


def _recover(rig: Rig, manifests: list[SmartProcessManifest]) -> Plan:
    replan = rig.plan(manifests)
    replan.check_safe(allow_destroy=True)
    return replan


def _interrupted(rig: Rig, manifests: list[SmartProcessManifest], plan: Plan, n: int, fault: str) -> None:
    """Apply ``plan`` with ``fault`` at its n-th write, check the report, then converge."""
    getattr(rig.portal.faults, fault)(n)
    start = len(rig.transport.log)
    report = engine.apply(rig.client, plan)
    ensure(not report.ok, "the report says ok")
    statuses = {o.status for o in report.outcomes}
    # Nothing is sent after the request that failed or lost its answer: no retry, no resend.
    log = rig.transport.log[start:]
    broken = next(i for i, (writes, lost) in enumerate(log) if writes and (lost or fault == "fail_nth_write")
                  and sum(w for w, _ in log[: i + 1]) >= n)
    ensure(all(writes == 0 for writes, _ in log[broken + 1:]), f"writes sent after the fault: {log}")
    if fault == "lose_nth_write":
        ensure(log[broken][1], "the lost answer did not reach the client as lost")
        ensure("unknown" in statuses, f"no outcome is unknown: {report.to_json()}")
    else:
        ensure(bool(statuses & {"failed", "partial", "unknown"}), f"nothing failed: {report.to_json()}")
    replan = _recover(rig, manifests)
    check_outcomes(rig, plan, report, replan)
    ensure(not duplicates(rig.portal), f"duplicates: {duplicates(rig.portal)}")
    final = engine.apply(rig.client, replan)
    ensure(final.ok, f"the re-run failed\n{describe(replan)}\n{final.to_json()}")
    assert_converged(rig, manifests)


def _run(name: str, n: int, fault: str) -> None:
    manifests = example(name)
    rig = Rig.fresh()
    plan = rig.plan(manifests)
    plan.check_safe(allow_destroy=True)
    _interrupted(rig, manifests, plan, n, fault)


@pytest.mark.parametrize("fault", ["fail_nth_write", "lose_nth_write"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_write_position(name: str, fault: str) -> None:
    failures = []
    for n in range(1, WRITES[name] + 1):
        try:
            _run(name, n, fault)
        except AssertionError as error:
            failures.append(f"write {n} ({fault}): {error}")
    assert not failures, f"{len(failures)} of {WRITES[name]} positions:\n" + "\n\n".join(failures[:5])


@settings(max_examples=int(os.environ.get("B24CFG_FAULT_EXAMPLES", "20")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=manifest_sets(), second=manifest_sets(), data=st.data())
def test_generated_apply_interrupted_anywhere_converges(first: list[dict[str, object]],
                                                        second: list[dict[str, object]], data: st.DataObject) -> None:
    # A clean run counts the writes of applying B over A ...
    dry = Rig.fresh()
    for label, documents in (("A", first), ("B", second)):
        manifests, plan = planned(dry, documents, label)
        plan.check_safe(allow_destroy=True)
        before = dry.writes()
        assert engine.apply(dry.client, plan).ok
    count = dry.writes() - before
    if count == 0:
        return
    # ... then the same run breaks at one of them.
    n = data.draw(st.integers(1, count), label="write")
    fault = data.draw(st.sampled_from(("fail_nth_write", "lose_nth_write")), label="fault")
    rig = Rig.fresh()
    manifests, plan = planned(rig, first, "A")
    plan.check_safe(allow_destroy=True)
    assert engine.apply(rig.client, plan).ok
    manifests, plan = planned(rig, second, "B")
    plan.check_safe(allow_destroy=True)
    note(f"B plan:\n{describe(plan)}")
    _interrupted(rig, manifests, plan, n, fault)
