"""The ``b24cfg`` command as a user runs it: exit codes, stdout, stderr, files, the sandbox portal.

Every command runs in a subprocess (``python -m b24cfg``, through the ``run()`` error boundary) on
the built-in sandbox portal, whose state file each test chooses; see ``conftest.py``.

Preconditions raise ``Precondition`` (not ``AssertionError``), so a broken setup is told apart
from the behaviour under test.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from b24cfg.sandbox.portal import SandboxPortal
from tests.cli.conftest import BROKEN, EXAMPLES, SCHEMAS, Result, make_project, run_cli

PLAN_SUMMARY = re.compile(r"^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.$", re.MULTILINE)
SMART_PROCESSES = ("candidate", "complaint", "contract", "vacancy")
SECRET = "secretcode123"


class Precondition(Exception):
    """The setup of a test did not go as expected (not the behaviour under test)."""


def precondition(ok: object, result: Result | str) -> None:
    if not ok:
        raise Precondition(str(result))


def clean_error(result: Result) -> None:
    """A failure a user can act on: the boundary's message, never a traceback or a bug report."""
    assert "Traceback" not in result.output, result
    assert "Internal error" not in result.output, result
    assert result.stderr.startswith("Error: "), result


def contract_entity_type_id(state: Path) -> int:
    types = SandboxPortal(state).state["types"].values()
    return int(next(t["entityTypeId"] for t in types if t["code"] == "contract"))


def summary_of(text: str) -> tuple[int, int, int]:
    match = PLAN_SUMMARY.search(text)
    assert match, f"no 'Plan: ...' summary in:\n{text}"
    return int(match[1]), int(match[2]), int(match[3])


# --- validate --------------------------------------------------------------------------------------

def test_validate_examples_prints_the_counts(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    # Counted from the YAML itself, independently of b24cfg.
    documents = [d for f in sorted(EXAMPLES.rglob("*.yaml")) for d in yaml.safe_load_all(f.read_text("utf-8")) if d]
    kinds = [d["kind"] for d in documents]
    pipelines = [p for d in documents for p in d.get("pipelines") or []]
    stages = sum(len(p.get("stages") or []) for p in pipelines)
    fields = sum(len(d.get("fields") or []) for d in documents)
    statuses = sum(len(d.get("statuses") or []) + len(d.get("items") or []) for d in documents if d["kind"] != "SmartProcess")
    app = [d for d in documents if d["kind"] == "Application"]
    registered = [len(d.get(key) or []) for key in ("robots", "activities", "triggers", "events", "placements")
                  for d in app]

    result = run_cli("validate", "examples", cwd=tmp_path, state=tmp_path / "sandbox.json")

    assert result.returncode == 0, result
    assert result.stdout == (f"Valid: {kinds.count('SmartProcess')} smart process(es), {len(pipelines)} pipeline(s), "
                             f"{stages} stage(s), {fields} field(s), {kinds.count('CrmEntity')} CRM entity(-ies), "
                             f"{statuses} status(es), {kinds.count('Directory')} directory(-ies), "
                             f"{kinds.count('Workplace')} workplace(s), {registered[0]} robot(s), "
                             f"{registered[1]} activity(-ies), {registered[2]} trigger(s), {registered[3]} event "
                             f"binding(s), {registered[4]} placement(s).\n"), result
    assert result.stderr == "", result
    assert not (tmp_path / "sandbox.json").exists(), "validate opened the sandbox portal"


def test_validate_reports_every_problem_at_its_location_and_never_connects(tmp_path: Path) -> None:
    case = BROKEN / "wrong-value-types"
    shutil.copytree(case, tmp_path / "case")
    expected = [line.split(": ", 1) for line in (case / "expected.txt").read_text("utf-8").splitlines() if line]
    assert len(expected) >= 3

    # An unreachable webhook as the portal: validate must not try it (it would fail with
    # "cannot connect" after retries), and must fail only because of the manifest.
    result = run_cli("validate", ".", cwd=tmp_path / "case", state=tmp_path / "sandbox.json",
                     env={"B24CFG_PORTAL": "https://example.invalid/rest/1/abc/"})

    assert result.returncode == 1, result
    clean_error(result)
    assert result.stdout == "", result
    problems = result.stderr.removeprefix("Error: ").splitlines()
    assert len(problems) == len(expected), result
    for (location, text), line in zip(expected, problems):
        assert line.startswith(f"{location}: "), result
        assert re.match(r"^contracts\.yaml:\d+:\d+: ", line), result
        assert text in line, result
    assert "connect" not in result.output and "example.invalid" not in result.output, result
    assert not (tmp_path / "sandbox.json").exists(), "validate opened the sandbox portal"


# --- plan and apply on one sandbox, step by step -----------------------------------------------------

@dataclass
class Journey:
    directory: Path
    state: Path
    other_state: Path
    runs: dict[str, Result] = field(default_factory=dict)

    def json(self, step: str) -> dict[str, Any]:
        data = json.loads(self.runs[step].stdout)
        assert isinstance(data, dict)
        return data


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    """A project on a fresh sandbox: plan it every way, refuse and apply, then plan again."""
    directory = make_project(tmp_path_factory.mktemp("journey"))
    trip = Journey(directory, directory / "sandbox.json", directory / "other-sandbox.json")

    def step(name: str, *args: str, state: Path | None = None) -> None:
        trip.runs[name] = run_cli(*args, cwd=directory, state=state or trip.state)

    step("plan", "plan", "examples", "--detailed-exitcode")
    step("target", "plan", "examples", "--target", "field.contract.AMOUNT", "--format", "json")
    step("apply_unconfirmed", "apply", "examples")
    step("plan_json", "plan", "examples", "--format", "json", "--out", "plans/saved.json")
    step("plan_markdown", "plan", "examples", "--format", "markdown")
    # Another sandbox is another portal (its own member id) at the same URL.
    step("apply_foreign", "apply", "--plan", "plans/saved.json", state=trip.other_state)
    step("apply_saved", "apply", "--plan", "plans/saved.json")
    step("apply_saved_again", "apply", "--plan", "plans/saved.json")
    step("plan_after", "plan", "--detailed-exitcode")  # the manifests of b24cfg.yaml
    return trip


def test_plan_on_a_fresh_sandbox_shows_every_smart_process_to_create(journey: Journey) -> None:
    result = journey.runs["plan"]
    assert "Traceback" not in result.output and "Error" not in result.stderr, result
    for code in SMART_PROCESSES:
        assert re.search(rf'^\s*\+ smart_process "{code}" \{{$', result.stdout, re.MULTILINE), result
    add, change, destroy = summary_of(result.stdout)
    assert add > 0, result
    summary = journey.json("plan_json")["summary"]
    assert (add, change, destroy) == (summary["add"], summary["change"], summary["destroy"])


def test_plan_detailed_exitcode_is_2_when_there_are_changes(journey: Journey) -> None:
    result = journey.runs["plan"]
    precondition(PLAN_SUMMARY.search(result.stdout) and "No changes" not in result.stdout, result)
    assert result.returncode == 2, result


def test_plan_json_is_the_versioned_plan_and_out_saves_it(journey: Journey) -> None:
    result = journey.runs["plan_json"]
    assert result.returncode == 0, result
    plan = journey.json("plan_json")
    assert plan["format"] == "b24cfg-plan"
    assert plan["version"] == 1
    assert plan["summary"]["add"] > 0
    assert {c["address"] for c in plan["changes"]} >= {f"smart_process.{code}" for code in SMART_PROCESSES}
    saved = journey.directory / "plans" / "saved.json"
    assert json.loads(saved.read_text("utf-8")) == plan
    assert "apply --plan plans/saved.json" in result.stderr, result


def test_plan_markdown_is_a_table(journey: Journey) -> None:
    result = journey.runs["plan_markdown"]
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("|"))
    assert "Address" in lines[header], result
    assert re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", lines[header + 1]), result
    rows = [line for line in lines[header + 2:] if line.startswith("|")]
    assert any("`smart_process.contract`" in row and "create" in row for row in rows), result


def test_apply_without_auto_approve_and_no_terminal_refuses(journey: Journey) -> None:
    result = journey.runs["apply_unconfirmed"]
    assert result.returncode == 1, result
    clean_error(result)
    assert "--auto-approve" in result.stderr, result
    assert "Apply complete" not in result.stdout and "Applying" not in result.stdout, result
    # Nothing changed: the next plan still creates everything and knows no portal object but the
    # portal's own (the default deal pipeline) and the application the robots are registered by.
    plan = journey.json("plan_json")
    assert set(plan["known"]) == {"pipeline.deal.direct", "application.app"}
    assert summary_of(result.stdout)[0] == plan["summary"]["add"]


def test_saved_plan_applies_exactly(journey: Journey) -> None:
    result = journey.runs["apply_saved"]
    assert result.returncode == 0, result
    assert "Apply complete!" in result.stdout, result
    add, change, destroy = (journey.json("plan_json")["summary"][k] for k in ("add", "change", "destroy"))
    assert f"Resources: {add} added, {change} changed, {destroy} destroyed." in result.stdout, result


def test_saved_plan_applied_twice_is_refused_as_stale(journey: Journey) -> None:
    result = journey.runs["apply_saved_again"]
    assert result.returncode == 1, result
    clean_error(result)
    assert "portal changed since this plan was made" in result.stderr, result
    assert "nothing was applied" in result.stderr and "run plan again" in result.stderr, result
    assert result.stdout == "", result


def test_plan_after_apply_has_no_changes(journey: Journey) -> None:
    result = journey.runs["plan_after"]
    assert result.returncode == 0, result
    assert "No changes" in result.stdout, result
    assert not PLAN_SUMMARY.search(result.stdout), result


def test_saved_plan_is_refused_on_another_portal(journey: Journey) -> None:
    result = journey.runs["apply_foreign"]
    assert result.returncode == 1, result
    clean_error(result)
    assert "make a new plan against this portal" in result.stderr, result
    assert "Apply complete" not in result.stdout, result
    other = SandboxPortal(journey.other_state).state
    saved = json.loads((journey.directory / "plans" / "saved.json").read_text("utf-8"))
    assert saved["portal"]["member_id"] != other["portal"]["member_id"]
    assert not any(t.get("code") in SMART_PROCESSES for t in other["types"].values()), "the foreign plan was applied"


def test_foreign_portal_message_tells_the_two_portals_apart(journey: Journey) -> None:
    result = journey.runs["apply_foreign"]
    precondition(result.returncode == 1 and "new plan" in result.stderr, result)
    described = re.search(r"made for (\S+) but the portal configured now is (\S+?);", result.stderr)
    assert not (described and described[1] == described[2]), result


def test_target_plans_only_the_field_and_its_parent(journey: Journey) -> None:
    result = journey.runs["target"]
    assert result.returncode == 0, result
    plan = journey.json("target")
    assert plan["targets"] == ["field.contract.AMOUNT"]
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [
        ("create", "smart_process.contract"), ("create", "field.contract.AMOUNT"),
    ]


# --- destructive changes -----------------------------------------------------------------------------

def test_replacing_a_field_that_holds_items_needs_allow_destroy(project: Path) -> None:
    state = project / "sandbox.json"
    first = run_cli("apply", "examples", "--auto-approve", cwd=project, state=state)
    assert first.returncode == 0, first
    assert "Apply complete!" in first.stdout, first

    manifest = project / "examples" / "contract-approvals" / "contracts.yaml"
    text = manifest.read_text("utf-8")
    edited = text.replace("  - code: AMOUNT\n    type: money\n", "  - code: AMOUNT\n    type: double\n")
    assert edited != text
    manifest.write_text(edited, "utf-8")
    SandboxPortal(state).add_items(contract_entity_type_id(state), count=3)

    refused = run_cli("apply", "examples", "--auto-approve", cwd=project, state=state)
    assert refused.returncode == 1, refused
    clean_error(refused)
    assert "field.contract.AMOUNT (3 item(s))" in refused.stderr, refused
    assert "--allow-destroy" in refused.stderr, refused
    assert "Applying" not in refused.stdout and "Apply complete" not in refused.stdout, refused

    allowed = run_cli("apply", "examples", "--auto-approve", "--allow-destroy", cwd=project, state=state)
    assert allowed.returncode == 0, allowed
    assert '-/+ field "contract.AMOUNT"' in allowed.stdout, "the refused apply changed the field"
    assert "✓ -/+ field.contract.AMOUNT" in allowed.stdout, allowed
    assert "Apply complete! Resources: 1 added, 0 changed, 1 destroyed." in allowed.stdout, allowed


def test_apply_the_portal_refuses_exits_1(project: Path) -> None:
    state = project / "sandbox.json"
    first = run_cli("apply", "examples/contract-approvals", "--auto-approve", cwd=project, state=state)
    precondition(first.returncode == 0 and "Apply complete!" in first.stdout, first)
    entity = contract_entity_type_id(state)
    portal = SandboxPortal(state)
    category = next(c["id"] for c in portal.state["categories"] if c["entityTypeId"] == entity)
    portal.add_items(entity, category_id=category, stage_id=f"DT{entity}_{category}:DRAFT", count=2)
    manifest = project / "examples" / "contract-approvals" / "contracts.yaml"
    text = manifest.read_text("utf-8")
    edited = text.replace('      - code: DRAFT\n        name: Draft\n        color: "#ACE9FB"\n', "")
    precondition(edited != text, "the DRAFT stage was not found in the manifest")
    manifest.write_text(edited, "utf-8")

    # prune: true deletes the stage; the portal refuses (it holds items) and apply reports it.
    result = run_cli("apply", "examples/contract-approvals", "--auto-approve", "--allow-destroy",
                     cwd=project, state=state)
    precondition("stage.contract.approval.DRAFT" in result.stdout and "Apply complete" not in result.stdout, result)
    assert result.returncode == 1, result


# --- apply --format json -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def json_apply(tmp_path_factory: pytest.TempPathFactory) -> Result:
    directory = tmp_path_factory.mktemp("json-apply")
    shutil.copytree(EXAMPLES, directory / "examples")
    return run_cli("apply", "examples/contract-approvals", "--auto-approve", "--format", "json",
                   cwd=directory, state=directory / "sandbox.json")


def test_apply_json_prints_events_then_the_report(json_apply: Result) -> None:
    result = json_apply
    assert result.returncode == 0, result
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    text, position = result.stdout, 0
    while text[position:].strip():
        while text[position].isspace():
            position += 1
        value, position = decoder.raw_decode(text, position)
        objects.append(value)
    *events, report = objects
    assert events and all(isinstance(e, dict) and "event" in e for e in events), result
    assert events[0]["event"] == "start" and events[-1]["event"] == "done", result
    changes = [e for e in events if e["event"] == "change"]
    assert changes and all(e["status"] == "applied" for e in changes), result
    assert report["format"] == "b24cfg-apply-report" and report["ok"] is True, result
    assert [o["address"] for o in report["outcomes"]] == [e["address"] for e in changes], result
    # Each event is on a line of its own.
    for line in result.stdout.splitlines()[:len(events)]:
        assert isinstance(json.loads(line), dict)


def test_apply_json_every_line_is_a_json_object_the_last_the_report(json_apply: Result) -> None:
    precondition(json_apply.returncode == 0 and json_apply.stdout.startswith('{"event":"start"'), json_apply)
    parsed = []
    for line in json_apply.stdout.splitlines():
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON object on its own line: {line!r}") from None
    assert parsed[-1].get("format") == "b24cfg-apply-report"


# --- environments and secrets --------------------------------------------------------------------------

def test_unknown_environment_lists_the_known_ones(project: Path) -> None:
    result = run_cli("plan", "--env", "nope", cwd=project, state=project / "sandbox.json")
    assert result.returncode == 1, result
    clean_error(result)
    assert "Unknown environment 'nope'" in result.stderr, result
    assert re.search(r"defines: sandbox, staging, production$", result.stderr.strip()), result
    assert result.stdout == "", result


def test_environment_whose_webhook_variable_is_unset_names_it(project: Path) -> None:
    result = run_cli("plan", "--env", "staging", cwd=project, state=project / "sandbox.json")
    assert result.returncode == 1, result
    clean_error(result)
    assert "Environment 'staging'" in result.stderr and "B24_STAGING_WEBHOOK" in result.stderr, result
    assert result.stdout == "", result


def test_webhook_of_another_portal_is_refused_without_showing_its_code(project: Path) -> None:
    result = run_cli("plan", "--env", "staging", cwd=project, state=project / "sandbox.json",
                     env={"B24_STAGING_WEBHOOK": f"https://other.invalid/rest/7/{SECRET}/"})
    assert result.returncode == 1, result
    clean_error(result)
    assert "B24_STAGING_WEBHOOK" in result.stderr and "other.invalid" in result.stderr, result
    assert SECRET not in result.output, result


def test_webhook_code_is_masked_when_the_portal_cannot_be_reached(project: Path) -> None:
    # B24CFG_DEBUG=1 would also print a traceback if this became an internal error: it must be masked too.
    result = run_cli("plan", "examples/complaints", "--portal", f"https://x.invalid/rest/1/{SECRET}/", cwd=project,
                     state=project / "sandbox.json", env={"B24CFG_DEBUG": "1"})
    assert result.returncode == 1, result
    clean_error(result)
    assert "cannot connect" in result.stderr and "x.invalid" in result.stderr, result
    assert "/rest/1/***/" in result.stderr, result
    assert SECRET not in result.output, result
    assert not (project / "sandbox.json").exists(), "--portal did not replace the sandbox"


# --- schema ------------------------------------------------------------------------------------------

def test_schema_writes_the_committed_json_schema(tmp_path: Path) -> None:
    result = run_cli("schema", "out", cwd=tmp_path, state=tmp_path / "sandbox.json")
    assert result.returncode == 0, result
    written = tmp_path / "out" / "SmartProcess.json"
    assert "SmartProcess.json" in result.stdout, result
    assert written.read_text("utf-8") == (SCHEMAS / "SmartProcess.json").read_text("utf-8")


# --- usage errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "mentions"), [
    (("plan", "examples", "--detailed-exitcode", "--format", "xml"), "xml"),
    (("validate", "examples", "--portal", "sandbox"), "--portal"),
    ((), "Usage"),
], ids=["bad-choice", "unknown-option", "no-arguments"])
def test_usage_errors_are_reported_as_such(tmp_path: Path, args: tuple[str, ...], mentions: str) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    result = run_cli(*args, cwd=tmp_path, state=tmp_path / "sandbox.json")
    precondition(result.returncode != 0, result)
    assert "Internal error" not in result.output, result
    assert "Traceback" not in result.output, result
    assert mentions in result.output, result
    if "--detailed-exitcode" in args:
        assert result.returncode == 1, "2 means 'there are changes' under --detailed-exitcode"
