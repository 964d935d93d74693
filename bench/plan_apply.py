"""Plan/apply at scale against the in-process sandbox under the real Bitrix24 rate limit.

``python -m bench.plan_apply`` generates manifests for 100 smart processes x 3 pipelines x 8 stages
x 30 fields and an application registering 20 robots (3 properties each), 5 activities, 5 triggers,
20 event bindings and 10 placements, then runs against a fresh in-process sandbox portal whose leaky bucket is the cloud's
(2 req/s, burst 50) on a simulated clock, with the client pacing itself (STANDARD) on the same
clock, so simulated seconds are what a real portal would cost and the run takes seconds of wall time:

1. plan on the empty portal;
2. apply it (the executor's own requests, then the read-back ``engine.apply`` does);
3. plan again — must be "no changes";
4. a change round: rename one stage and add one field per smart process, change one robot's
   handler and one placement's title, plan + apply, then plan again (no changes).

The client logs in as the sandbox's local application (OAuth): robots, events and placements need
an application context. Its one token request per run is not a REST request and is not counted.

For each phase it prints HTTP requests, simulated seconds, REST commands (the methods run, inside
batches or not), write commands, the "one call per object" baseline (every command its own
request; its simulated time under 2 req/s burst 50 from an empty bucket is max(0, n - 50) / 2 s)
and CPU seconds (total, and the part spent inside the sandbox). Then it checks the targets:

* a plan on the applied portal takes at most 10 requests;
* an apply's own requests (read-back excluded) are at most 1.2 x ceil(writes / 50) + 4, the 4
  being the executor's dependency tiers (0 smart processes, 1 pipelines + fields, 2 stages,
  3 pipeline deletes — the ``tier`` of the calls in ``b24cfg/resources/*.py``);
* the read-back is one refresh, so it is held to the plan's bound too;
* the client never met QUERY_LIMIT_EXCEEDED (its pacing kept under the server's bucket).

Between phases the simulated clock idles 25 s (burst / rate) so every phase starts from an empty
bucket, as it would when a person reviews a plan before applying it; the baseline assumes the same.

Options: ``--smart-processes N`` (and ``--pipelines``, ``--stages``, ``--fields``, ``--robots``) to scale,
``--profile`` to run the whole bench under cProfile and print the hot spots, ``--keep DIR`` to write
the manifests to DIR instead of a temporary directory.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from b24cfg.clock import SimulatedClock
from b24cfg.engine import apply, make_plan
from b24cfg.executor import ApplyReport, Event
from b24cfg.manifest import load_manifests_or_raise
from b24cfg.planner.plan import Plan, PortalIdentity
from b24cfg.portal import Client, OAuthAuth
from b24cfg.portal.limits import STANDARD
from b24cfg.sandbox.core import REGISTRY
from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, RateLimit, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport

BATCH = 50
TIERS = 4  # executor tiers: 0 smart processes, 1 pipelines + fields, 2 stages, 3 pipeline deletes
PLAN_MAX_REQUESTS = 10
APPLY_FACTOR = 1.2
IDLE = STANDARD.burst / STANDARD.rate  # seconds for a full bucket to drain

# --- manifests ---------------------------------------------------------------------------------

STAGES = [  # (code, name, semantics): process stages, one success, failures — any count >= 3 works
    ("RECEIVED", "Received", "process"),
    ("QUALIFY", "Qualification", "process"),
    ("IN_WORK", "In work", "process"),
    ("REVIEW", "Review", "process"),
    ("WAITING", "Waiting for customer", "process"),
    ("DONE", "Done", "success"),
    ("REJECTED", "Rejected", "failure"),
    ("CANCELLED", "Cancelled", "failure"),
]
COLORS = ["#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#FFA900", "#7BD500", "#FF5752", "#A8ADB4"]
PIPELINES = ["main", "partner", "internal", "export", "archive"]

# 26 plain fields + 2 crm + 1 crm_status + 1 enumeration = 30 at the default size.
PLAIN_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("ORDER_NUMBER", "string", {"showInFilter": True, "searchable": True}),
    ("SUBJECT", "string", {"mandatory": True}),
    ("DESCRIPTION", "string", {"settings": {"ROWS": 5}}),
    ("EXTERNAL_ID", "string", {"searchable": True}),
    ("COMMENT", "string", {}),
    ("QUANTITY", "integer", {"showInFilter": True}),
    ("PRIORITY_SCORE", "integer", {}),
    ("ATTEMPTS", "integer", {"sort": 200}),
    ("WEIGHT", "double", {"settings": {"PRECISION": 3}}),
    ("DISCOUNT", "double", {}),
    ("RATING", "double", {}),
    ("URGENT", "boolean", {"showInFilter": True}),
    ("SIGNED", "boolean", {}),
    ("EXPORTED", "boolean", {}),
    ("DUE_DATE", "date", {"mandatory": True, "showInFilter": True}),
    ("START_DATE", "date", {}),
    ("END_DATE", "date", {}),
    ("CALL_AT", "datetime", {}),
    ("CLOSED_AT", "datetime", {}),
    ("AMOUNT", "money", {"showInFilter": True}),
    ("REFUND", "money", {}),
    ("WEBSITE", "url", {}),
    ("RESPONSIBLE", "employee", {"showInFilter": True}),
    ("REVIEWERS", "employee", {"multiple": True}),
    ("ATTACHMENTS", "file", {"multiple": True}),
    ("DELIVERY_ADDRESS", "address", {}),
]


def smart_process_code(i: int) -> str:
    return f"bench_sp_{i:03d}"


def manifest(i: int, n: int, pipelines: int, stages: int, fields: int, *, changed: bool) -> dict[str, Any]:
    """One SmartProcess manifest; ``changed`` renames one stage and adds one field."""
    code = smart_process_code(i)
    stage_rows = _stages(stages)
    pipes = []
    for p in range(pipelines):
        key = PIPELINES[p] if p < len(PIPELINES) else f"pipeline_{p}"
        rows = []
        for s, (stage_code, name, semantics) in enumerate(stage_rows):
            if changed and p == 0 and s == 1:
                name = f"{name} (renamed)"
            row: dict[str, Any] = {"code": stage_code, "name": name, "color": COLORS[s % len(COLORS)]}
            if semantics != "process":
                row["semantics"] = semantics
            rows.append(row)
        pipe: dict[str, Any] = {"key": key, "name": f"{key.title()} pipeline", "prune": True, "stages": rows}
        if p == 0:
            pipe["default"] = True
        pipes.append(pipe)
    return {
        "kind": "SmartProcess", "code": code, "title": f"Bench process {i:03d}",
        "features": {"pipelines": True, "stages": True, "client": True, "observers": True},
        "pipelines": pipes,
        "fields": _fields(i, n, fields) + ([{"code": "EXTRA_NOTE", "type": "string", "label": "Extra note"}]
                                            if changed else []),
    }


def _stages(count: int) -> list[tuple[str, str, str]]:
    if count == len(STAGES):
        return list(STAGES)
    if count < 3:
        raise SystemExit("--stages must be at least 3 (process, success, failure)")
    process = [(f"STEP_{k}", f"Step {k}", "process") for k in range(1, count - 1)]
    return [*process, ("DONE", "Done", "success"), ("REJECTED", "Rejected", "failure")]


def _fields(i: int, n: int, count: int) -> list[dict[str, Any]]:
    special: list[dict[str, Any]] = [
        {"code": "STATUS", "type": "enumeration", "label": "Status", "showInFilter": True, "items": [
            {"value": "Low", "xmlId": "low"}, {"value": "Medium", "xmlId": "medium", "default": True},
            {"value": "High", "xmlId": "high"}, {"value": "Critical", "xmlId": "critical"},
        ]},
        {"code": "CLIENT_LINK", "type": "crm", "label": "Client", "targets": ["contact", "company"]},
        # A link to another smart process of the same set, as related processes have.
        {"code": "RELATED", "type": "crm", "label": "Related",
         "targets": ["deal", smart_process_code((i + 1) % n)] if n > 1 else ["deal"]},
        {"code": "SOURCE", "type": "crm_status", "label": "Source", "directory": "SOURCE", "showInFilter": True},
    ]
    plain = [{"code": code, "type": kind, "label": code.replace("_", " ").capitalize(), **extra}
             for code, kind, extra in PLAIN_FIELDS]
    k = 0
    while len(plain) < count - len(special):  # more fields than the mix: more strings
        k += 1
        plain.append({"code": f"TEXT_{k}", "type": "string", "label": f"Text {k}"})
    return (special + plain)[:count]


EVENTS = ("ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMLEADADD", "ONCRMCONTACTUPDATE", "ONCRMCOMPANYUPDATE")
PLACEMENTS = ("CRM_DEAL_DETAIL_TAB", "CRM_LEAD_DETAIL_TAB", "CRM_CONTACT_LIST_MENU", "CRM_COMPANY_DETAIL_TAB")


def application(robots: int, *, changed: bool) -> dict[str, Any]:
    """The Application manifest; ``changed`` repoints one robot and retitles one placement."""
    base = "https://bench-app.example.com"

    def robot(kind: str, k: int) -> dict[str, Any]:
        handler = f"{base}/{kind}/{k}" + ("/v2" if changed and kind == "robots" and k == 0 else "")
        return {"code": f"bench_{kind}_{k}", "handler": handler, "name": f"Bench {kind} {k}", "properties": {
            "message": {"name": "Message", "type": "text", "required": True},
            "level": {"name": "Level", "type": "select", "options": {"low": "Low", "high": "High"}, "default": "low"},
            "days": {"name": "Days", "type": "int", "default": 3}}}

    return {
        "kind": "Application",
        "robots": [robot("robots", k) for k in range(robots)],
        "activities": [robot("activities", k) for k in range(robots // 4)],
        "triggers": [{"code": f"bench_trigger_{k}", "name": f"Bench trigger {k}"} for k in range(robots // 4)],
        "events": [{"event": EVENTS[k % len(EVENTS)], "handler": f"{base}/events/{k}"} for k in range(robots)],
        "placements": [{"placement": PLACEMENTS[k % len(PLACEMENTS)], "handler": f"{base}/placements/{k}",
                        "title": f"Bench {k}" + (" (renamed)" if changed and k == 0 else "")}
                       for k in range(robots // 2)],
    }


def write_manifests(directory: Path, n: int, pipelines: int, stages: int, fields: int, robots: int, *,
                    changed: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        # JSON is YAML (1.2): no YAML writer needed, and the loader reads it with locations.
        text = json.dumps(manifest(i, n, pipelines, stages, fields, changed=changed), indent=1)
        (directory / f"{smart_process_code(i)}.yaml").write_text(text + "\n", encoding="utf-8")
    if robots:
        text = json.dumps(application(robots, changed=changed), indent=1)
        (directory / "application.yaml").write_text(text + "\n", encoding="utf-8")


# --- measuring -----------------------------------------------------------------------------------

class TimedTransport(SandboxTransport):
    """The sandbox transport, counting the CPU seconds spent inside the emulated portal."""

    def __init__(self, portal: SandboxPortal) -> None:
        super().__init__(portal)
        self.cpu = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.process_time()
        try:
            return super().handle_request(request)
        finally:
            self.cpu += time.process_time() - start


@dataclass
class Mark:
    requests: int
    sim: float
    calls: int
    cpu: float
    sandbox_cpu: float
    wall: float


@dataclass
class Row:
    name: str
    requests: int
    sim: float
    commands: Counter[str]
    cpu: float
    sandbox_cpu: float
    wall: float
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def total_commands(self) -> int:
        return sum(self.commands.values())

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.commands.items() if REGISTRY[method].write)

    @property
    def baseline_sim(self) -> float:
        return max(0, self.total_commands - STANDARD.burst) / STANDARD.rate


class Bench:
    def __init__(self) -> None:
        self.clock = SimulatedClock()
        self.portal = SandboxPortal(clock=self.clock, rate_limit=RateLimit(STANDARD.rate, STANDARD.burst))
        self.transport = TimedTransport(self.portal)
        auth = OAuthAuth("https://sandbox.test", SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN,
                         token_url="https://sandbox.test/oauth/token/")
        self.client = Client(auth, transport=self.transport, clock=self.clock, pacing=STANDARD)
        self.identity = PortalIdentity("https://sandbox.test")
        self.rows: list[Row] = []

    def mark(self) -> Mark:
        return Mark(self.client.stats.requests, self.clock.time(), len(self.portal.method_calls),
                    time.process_time(), self.transport.cpu, time.perf_counter())

    def row(self, name: str, start: Mark, end: Mark, batch_sizes: list[int] | None = None) -> Row:
        commands = Counter(m for m in self.portal.method_calls[start.calls:end.calls] if m != "batch")
        row = Row(name, end.requests - start.requests, end.sim - start.sim, commands, end.cpu - start.cpu,
                  end.sandbox_cpu - start.sandbox_cpu, end.wall - start.wall, batch_sizes or [])
        self.rows.append(row)
        return row

    def idle(self) -> None:
        self.clock.advance(IDLE)

    def plan(self, name: str, directory: Path) -> Plan:
        self.idle()
        manifests = load_manifests_or_raise([directory])  # reading YAML is not part of the measure
        start = self.mark()
        plan = make_plan(self.client, manifests, self.identity)
        self.row(name, start, self.mark())
        return plan

    def apply(self, name: str, plan: Plan) -> tuple[Row, Row, ApplyReport]:
        self.idle()
        plan.check_safe(allow_destroy=False)
        sizes: list[int] = []
        marks: dict[str, Mark] = {}

        def hook(event: Event) -> None:
            if event.kind == "batch":
                sizes.append(event.commands)
            elif event.kind == "done":
                marks["executed"] = self.mark()

        start = self.mark()
        report = apply(self.client, plan, hook)
        end = self.mark()
        own = self.row(name, start, marks["executed"], sizes)
        back = self.row("  read-back", marks["executed"], end)
        if not report.ok:
            problems = [o for o in report.outcomes if o.status != "applied"][:5]
            raise SystemExit(f"{name} did not apply cleanly: {problems} drift={report.drift[:5]}")
        return own, back, report


@contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())


# --- report --------------------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    head = ("phase", "requests", "sim s", "commands", "writes", "baseline req", "baseline sim s",
            "CPU s", "sandbox CPU s")
    lines = [head]
    for r in rows:
        lines.append((r.name, str(r.requests), f"{r.sim:.1f}", str(r.total_commands), str(r.writes),
                      str(r.total_commands), f"{r.baseline_sim:.1f}", f"{r.cpu:.2f}", f"{r.sandbox_cpu:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def methods(row: Row) -> str:
    return ", ".join(f"{m} {n}" for m, n in sorted(row.commands.items(), key=lambda kv: (-kv[1], kv[0])))


def sizes(row: Row) -> str:
    counted = Counter(row.batch_sizes)
    return ", ".join(f"{size}x{n}" for size, n in sorted(counted.items(), key=lambda kv: -kv[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_apply", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smart-processes", type=int, default=100)
    parser.add_argument("--pipelines", type=int, default=3)
    parser.add_argument("--stages", type=int, default=8)
    parser.add_argument("--fields", type=int, default=30)
    parser.add_argument("--robots", type=int, default=20, help="application robots (0: no application)")
    parser.add_argument("--profile", action="store_true", help="run under cProfile and print the hot spots")
    parser.add_argument("--keep", type=Path, help="write the manifests here instead of a temporary directory")
    args = parser.parse_args(argv)
    if not 5 <= args.fields <= len(PLAIN_FIELDS) + 4 + 100 or not 1 <= args.pipelines <= 50:
        parser.error("--fields must be 5..130 and --pipelines 1..50")

    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="b24cfg-bench-") as tmp:
        root = args.keep or Path(tmp)
        initial, changed = root / "initial", root / "changed"
        shape = (args.smart_processes, args.pipelines, args.stages, args.fields, args.robots)
        write_manifests(initial, *shape, changed=False)
        write_manifests(changed, *shape, changed=True)
        bench = Bench()
        with profiled(args.profile):
            plan1 = bench.plan("plan (empty portal)", initial)
            apply1, back1, _ = bench.apply("apply", plan1)
            plan2 = bench.plan("plan again", initial)
            assert plan2.empty, f"plan after apply is not empty: {len(plan2.changes)} changes, first {plan2.changes[:3]}"
            plan3 = bench.plan("change: plan", changed)
            apply2, back2, _ = bench.apply("change: apply", plan3)
            plan4 = bench.plan("change: plan again", changed)
            assert plan4.empty, f"plan after the change is not empty: {len(plan4.changes)} changes"

    n, p, s, f, r = shape
    print(f"b24cfg plan/apply bench: {n} smart processes x {p} pipelines x {s} stages x {f} fields; "
          f"an application with {r} robots, {r // 4} activities, {r // 4} triggers, {r} events, {r // 2} placements")
    print(f"sandbox RateLimit({STANDARD.rate:g}, {STANDARD.burst}) on a SimulatedClock, client pacing STANDARD; "
          f"{IDLE:g} s idle before each phase")
    print(f"plans: {len(plan1.changes)} changes (first apply), {len(plan3.changes)} changes (change round); "
          f"plan again: no changes (asserted twice)\n")
    print(table(bench.rows))
    print("\nbaseline = every command its own request; its sim s = max(0, n - 50) / 2 (2 req/s, burst 50)")
    print("CPU s = time.process_time of the phase, sandbox included; sandbox CPU s = the part inside the portal")

    print("\ncommands per method:")
    for row in bench.rows:
        print(f"  {row.name.strip():<20} {methods(row) or '-'}")
    print("\napply batches (commands per request x requests):")
    for row in (apply1, apply2):
        print(f"  {row.name:<20} {sizes(row)}")

    stats = bench.client.stats
    print(f"\nclient: {stats.requests} requests ({stats.by_method}), {stats.retries} retries, "
          f"{stats.waited:.1f} s waited for pacing; sandbox saw {bench.portal.requests} requests")

    checks: list[tuple[str, bool]] = []

    def check(text: str, ok: bool) -> None:
        checks.append((text, ok))

    for row in bench.rows:
        if row.name.startswith(("plan again", "change: plan")):
            check(f"{row.name}: {row.requests} requests <= {PLAN_MAX_REQUESTS}", row.requests <= PLAN_MAX_REQUESTS)
    for own, back in ((apply1, back1), (apply2, back2)):
        limit = APPLY_FACTOR * math.ceil(own.writes / BATCH) + TIERS
        check(f"{own.name}: {own.requests} requests <= {APPLY_FACTOR} x ceil({own.writes} / {BATCH}) + {TIERS} "
              f"= {limit:.1f}", own.requests <= limit)
        check(f"{own.name} read-back: {back.requests} requests <= {PLAN_MAX_REQUESTS}",
              back.requests <= PLAN_MAX_REQUESTS)
    check(f"no QUERY_LIMIT_EXCEEDED met: {stats.retries} retries", stats.retries == 0)
    print("\ntargets:")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\nwall time {time.perf_counter() - wall:.1f} s")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
