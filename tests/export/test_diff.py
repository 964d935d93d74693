"""``diff``: two portals configured alike by hand, one then changed in known ways; the promotion plan
(what makes B match A) lists exactly those changes, and with prune also the delete of what only B has.

Both portals are built with plain REST calls (``seed.py``); B gets other ids than A (``shift_ids``),
so everything is matched by natural keys, never by portal ids.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from b24cfg import engine, export
from b24cfg.model import State
from b24cfg.planner.changes import Action
from b24cfg.planner.plan import Plan
from b24cfg.portal import Client
from b24cfg.views import text, value
from tests.cli.conftest import run_cli
from tests.export.seed import IDENTITY, Seeded, delete_status, rename_status, sandbox, seed, shift_ids, stage
from tests.export.test_round_trip import differences, exported

CHANGED = sorted(["~ field.candidate.STRING", "~ stage.deal.general.EXECUTING", "+ status.lead.PROCESSED"])
"""What promoting A to the changed B does without prune (B's own additions stay, unmanaged)."""
ONLY_ON_B = sorted(["- field.deal.X_EXTRA", "- status.SOURCE.PODCAST"])
ATTRIBUTES = [
    'field.candidate.STRING: label "Notes" -> "Candidate string"',
    'stage.deal.general.EXECUTING: name "Delivery" -> "In progress"',
]
VERBS = {"will be created": "+", "will be updated in-place": "~", "will be destroyed": "-", "must be replaced": "-/+"}


def change(client: Client, seeded: Seeded) -> None:
    """The known differences, made on B through REST."""
    rename_status(client, "DEAL_STAGE", "EXECUTING", "Delivery")
    delete_status(client, "STATUS", "PROCESSED")
    stage(client, "SOURCE", "PODCAST", "Podcast", 100)
    client.call("userfieldconfig.update", {"moduleId": "crm", "id": seeded.sp_fields[("candidate", "STRING")],
                                           "field": {"editFormLabel": {"en": "Notes"}}})
    client.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "X_EXTRA", "USER_TYPE_ID": "string",
                                                      "LABEL": "Extra"}})


def seeded_like_a(path: Path | None = None) -> tuple[Client, Seeded]:
    """A portal configured like A, with other ids."""
    client = sandbox(path)
    shift_ids(client)
    return client, seed(client)


def lines(plan: Plan) -> list[str]:
    return sorted(f"{c.action.symbol} {c.address}" for c in plan.changes)


def attribute_lines(plan: Plan) -> list[str]:
    """``"<address>: <attr> <old> -> <new>"`` for what updates change."""
    return sorted(f"{c.address}: {a.name} {value(a.old)} -> {value(a.new)}" for c in plan.changes for a in c.attrs
                  if c.action is Action.UPDATE)


def shown(plan: Plan) -> str:
    return text.render_plan(plan, color=False)


@pytest.fixture(scope="module")
def live_a() -> State:
    client = sandbox()
    seed(client)
    return engine.read_portal(client)


@pytest.fixture
def b() -> Client:
    client, seeded = seeded_like_a()
    change(client, seeded)
    return client


def test_portals_configured_alike_show_no_differences(live_a: State) -> None:
    client, _ = seeded_like_a()
    for prune in (False, True):
        result = engine.promotion_plan(client, engine.select(live_a), IDENTITY, prune=prune)
        assert result.empty, shown(result)
        assert not result.unmanaged, result.unmanaged


def test_diff_lists_exactly_the_known_differences(live_a: State, b: Client) -> None:
    result = engine.promotion_plan(b, engine.select(live_a), IDENTITY)
    assert lines(result) == CHANGED, shown(result)
    assert attribute_lines(result) == ATTRIBUTES, shown(result)
    assert sorted(str(a) for a in result.unmanaged) == [line[2:] for line in ONLY_ON_B]


def test_diff_with_prune_also_deletes_what_only_the_target_has(live_a: State, b: Client) -> None:
    result = engine.promotion_plan(b, engine.select(live_a), IDENTITY, prune=True)
    assert lines(result) == sorted(CHANGED + ONLY_ON_B), shown(result)
    assert attribute_lines(result) == ATTRIBUTES, shown(result)
    assert not result.unmanaged, result.unmanaged


def case(expected: list[str], *marks: pytest.MarkDecorator, **selection: str) -> Any:
    return pytest.param(selection, sorted(expected), marks=marks,
                        id=",".join(f"{k}={v}" for k, v in selection.items()))


@pytest.mark.parametrize(("selection", "expected"), [
    case(["- field.deal.X_EXTRA", "~ stage.deal.general.EXECUTING"], entity="deal"),
    case(["+ status.lead.PROCESSED"], entity="lead"),
    case(["- status.SOURCE.PODCAST"], kind="Directory"),
    case(["~ field.candidate.STRING"], smart_process="candidate"),
    case([], kind="Workplace"),
])
def test_diff_of_a_selection_stays_within_it(live_a: State, b: Client, selection: dict[str, str],
                                             expected: list[str]) -> None:
    result = engine.promotion_plan(b, engine.select(live_a, **selection), IDENTITY, prune=True)
    assert lines(result) == expected, shown(result)


def test_applying_the_promotion_makes_the_target_export_like_the_source(live_a: State, b: Client) -> None:
    result = engine.promotion_plan(b, engine.select(live_a), IDENTITY, prune=True)
    result.check_safe(allow_destroy=True)
    report = engine.apply(b, result)
    assert report.ok and not report.drift, text.render_report(report)
    again = engine.promotion_plan(b, engine.select(live_a), IDENTITY, prune=True)
    assert again.empty, shown(again)
    chosen = engine.select(live_a)
    want = {f.path: f.text for f in export.render(chosen, chosen.skipped)}
    have = exported(b)
    assert have == want, differences(want, have)


# --- the command ------------------------------------------------------------------------------------
PROJECT = """\
environments:
  a:
    sandbox: true
    state: a.json
  b:
    sandbox: true
    state: b.json
  c:
    sandbox: true
    state: c.json
"""


def listed(stdout: str) -> list[str]:
    """``"<symbol> <address>"`` for each ``# <address> will be ...`` line of the text view."""
    found = re.findall(r"^\s*# (\S+) (will be created|will be updated in-place|will be destroyed|must be replaced)$",
                       stdout, re.MULTILINE)
    return sorted(f"{VERBS[verb]} {address}" for address, verb in found)


def test_cli_diff_exits_2_with_the_differences_and_0_for_portals_alike(tmp_path: Path) -> None:
    (tmp_path / "b24cfg.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "manifests").mkdir()  # a project file needs manifests, although diff reads none
    seed(sandbox(tmp_path / "a.json"))
    client, seeded = seeded_like_a(tmp_path / "b.json")
    shutil.copy(tmp_path / "b.json", tmp_path / "c.json")  # configured like A, other ids than A
    change(client, seeded)

    differ = run_cli("diff", "--from", "a", "--to", "b", "--detailed-exitcode", cwd=tmp_path)
    assert differ.returncode == 2, differ
    assert differ.stdout.startswith("Promoting a (https://"), differ
    assert listed(differ.stdout) == CHANGED, differ
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in differ.stdout, differ
    for address in ONLY_ON_B:
        assert f"? {address[2:]}" in differ.stdout, differ  # reported as not managed

    pruned = run_cli("diff", "--from", "a", "--to", "b", "--prune", "--detailed-exitcode", cwd=tmp_path)
    assert pruned.returncode == 2, pruned
    assert listed(pruned.stdout) == sorted(CHANGED + ONLY_ON_B), pruned

    alike = run_cli("diff", "--from", "a", "--to", "c", "--detailed-exitcode", cwd=tmp_path)
    assert alike.returncode == 0, alike
    assert listed(alike.stdout) == [], alike
    assert "No changes" in alike.stdout, alike

    # diff reads both portals and writes neither.
    assert exported(sandbox(tmp_path / "c.json")) == exported(sandbox(tmp_path / "a.json"))
