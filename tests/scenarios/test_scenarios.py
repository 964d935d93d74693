"""Run every scenario folder under tests/scenarios/ (ARCHITECTURE §3 rule 13).

A folder is named for the behaviour it proves and holds:

``before/*.yaml``  (optional) manifests applied first; the portal must then match them.
``after/*.yaml``   the manifests planned second: the plan under test.
``expect.yaml``    what a user must see and find, read in this order:

    proves:         one sentence: the behaviour, as a user would state it
    xfail:          (optional) "engine bug: ..." — a known engine bug; the scenario must fail
    setup:          REST calls made on the fresh portal before anything else: [{method, params}]
    items:          CRM items put on the portal once ``before`` is applied:
                    [{smart_process, pipeline (name), stage (code), count}], or for a built-in
                    entity [{entity: deal, pipeline (name; default: the default one), stage (code), count}]
                    ([{entity: lead, stage (status code), count}] for leads and quotes)
    meanwhile:      what happens on the portal behind b24cfg's back once ``before`` is applied (and
                    the items are placed): [{method, params}] REST calls, made as the engine logs in,
                    or [{sandbox: app_update}] (also app_uninstall): the sandbox's test hook of that
                    name for its local application
    targets:        addresses given to plan as --target
    error:          substrings of the PlanError that planning must raise (or of the ManifestError
                    that loading ``after`` raises); then no plan is checked, and planning must not
                    have written to the portal
    plan:           the plan, exactly: "<symbol> <address>" per change, in plan order
    attributes:     every attribute an update or replace changes, exactly (any order):
                    "<address>: <attr> <old> -> <new>" with values as the text view spells them,
                    suffixed " (forces replacement)" where it does; null: not checked (only for an
                    xfail scenario whose fix decides how the change is spelled)
    unmanaged:      the addresses reported as not managed, exactly (default: none)
    text:           substrings of the rendered text plan
    refused:        addresses check_safe(allow_destroy=False) must refuse, exactly (default: none)
    allow_destroy:  apply with --allow-destroy (default false)
    apply:          false to stop after checking the plan (default true)
    portal:         after apply, the portal read over plain REST (see conftest.Session.view, and
                    Session.crm_view for deal, contact, company, lead, quote, directories and
                    workplaces), matched on the keys written
    application:    after apply, what the sandbox's local application registered, read over plain
                    REST in its context (conftest.Session.app_view: robots, activities, triggers,
                    events, placements, the options b24cfg keeps its fingerprints in), matched on the
                    keys written
``hooks.py``       (optional) Python for what YAML cannot say: functions ``setup(session)``,
                   ``before_plan(session)``, ``check_plan(session, plan, manifests)``,
                   ``before_apply(session, plan)``, ``verify(session)``; it may plan further manifest
                   folders of its own (``default-pipeline-moves/pruned``).

A scenario with an Application manifest (in ``before`` or ``after``) runs as the sandbox's local
application (OAuth), as b24cfg must for robots, events and placements; ``setup`` and ``meanwhile``
calls then are the application's too.

After apply the same manifests must plan to "No changes.", and every smart process that no manifest
names (by code, or by title when adopted; a Workplace manifest names those it groups) must be exactly
as it was before the scenario began. When a scenario has a manifest of another kind (or checks
``portal:`` keys of ``crm_view``), the same holds for every built-in entity, plain directory and
(without a Workplace manifest) the workplaces that no manifest of ``before`` or ``after`` names.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from b24cfg.errors import ManifestError, PlanError
from b24cfg.views import text
from tests.scenarios.conftest import CRM_KEYS, Session, attribute_lines, mismatches, plan_lines

HERE = Path(__file__).parent
KEYS = {"proves", "xfail", "setup", "items", "meanwhile", "targets", "error", "plan", "attributes", "unmanaged",
        "text", "refused", "allow_destroy", "apply", "portal", "application"}
SANDBOX_HOOKS = {"app_update", "app_uninstall"}


def _folders() -> list[Any]:
    params = []
    for folder in sorted(p for p in HERE.iterdir() if (p / "expect.yaml").is_file()):
        expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8")) or {}
        marks = [pytest.mark.xfail(strict=True, reason=expect["xfail"])] if expect.get("xfail") else []
        params.append(pytest.param(folder, id=folder.name, marks=marks))
    return params


def _hooks(folder: Path) -> ModuleType | None:
    path = folder / "hooks.py"
    if not path.is_file():
        return None
    # Executed from source, not imported: folder names are not identifiers, and no __pycache__
    # should appear next to the manifests.
    module = ModuleType(f"scenario_hooks_{folder.name.replace('-', '_')}")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def _hook(hooks: ModuleType | None, name: str, *args: Any) -> None:
    if hooks is not None and hasattr(hooks, name):
        getattr(hooks, name)(*args)


def test_scenario_folders_are_complete() -> None:
    """Every folder here is a scenario: it says what it proves and has the manifests to plan."""
    folders = [p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert len(folders) >= 20
    for folder in folders:
        expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
        assert set(expect) <= KEYS, f"{folder.name}: unknown keys {set(expect) - KEYS}"
        assert expect.get("proves"), f"{folder.name}: say what the scenario proves"
        assert list((folder / "after").glob("*.yaml")), f"{folder.name}: no after/*.yaml"
        assert "plan" in expect or "error" in expect, f"{folder.name}: expect no plan and no error"


@pytest.mark.parametrize("folder", _folders())
def test_scenario(folder: Path, session: Session) -> None:
    expect: dict[str, Any] = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    hooks = _hooks(folder)
    s = session
    try:
        manifests = s.load(folder / "after")
        unloadable: ManifestError | None = None
    except ManifestError as problem:
        if "error" not in expect:
            raise
        manifests, unloadable = [], problem
    processes = [m.spec for m in manifests if m.spec.kind == "SmartProcess"]
    ours = {p.code for p in processes} | {f"#{p.title}" for p in processes} \
        | {code for m in manifests if m.spec.kind == "Workplace" for code in m.spec.smart_processes}
    everything = [*manifests, *(s.load(folder / "before") if (folder / "before").is_dir() else [])]
    crm = any(m.spec.kind != "SmartProcess" for m in everything) or bool(set(expect.get("portal", {})) & set(CRM_KEYS))
    if any(m.spec.kind == "Application" for m in everything):
        s.use_application()

    for call in expect.get("setup", []):
        s.rest(call["method"], call.get("params", {}))
    _hook(hooks, "setup", s)
    others = {k: v for k, v in s.view().items() if k not in ours}
    crm_others = _crm_others(s.crm_view(), everything) if crm else {}

    if (folder / "before").is_dir():
        s.converge(folder / "before")
    for spot in expect.get("items", []):
        if "entity" in spot:
            s.add_entity_items(spot["entity"], pipeline=spot.get("pipeline"), stage=spot.get("stage"),
                               count=spot.get("count", 1))
        else:
            s.add_items(spot["smart_process"], pipeline=spot.get("pipeline"), stage=spot.get("stage"),
                        count=spot.get("count", 1))
    for step in expect.get("meanwhile", []):
        if "sandbox" in step:
            assert step["sandbox"] in SANDBOX_HOOKS, f"no sandbox hook {step['sandbox']!r}"
            getattr(s.portal, step["sandbox"])()
        else:
            s.rest(step["method"], step.get("params", {}))
    _hook(hooks, "before_plan", s)

    if unloadable is not None:
        for fragment in expect["error"]:
            assert fragment in str(unloadable), str(unloadable)
    elif "error" in expect:
        writes = s.portal.faults.writes_seen
        with pytest.raises(PlanError) as raised:
            s.plan(manifests, expect.get("targets", []))
        for fragment in expect["error"]:
            assert fragment in str(raised.value)
        assert s.portal.faults.writes_seen == writes, "planning wrote to the portal"
    else:
        _plan_and_apply(s, expect, hooks, manifests)

    view = s.view()
    crm_view = s.crm_view() if crm else {}
    assert not set(view) & set(crm_view), "a smart process's code is a crm_view key"
    problems = mismatches(expect.get("portal", {}), {**view, **crm_view})
    assert not problems, "\n".join(problems)
    if "application" in expect:
        problems = mismatches(expect["application"], s.app_view())
        assert not problems, "\n".join(problems)
    assert {k: view.get(k) for k in others} == others, "a smart process in no manifest was changed"
    if crm:
        assert _crm_others(crm_view, everything) == crm_others, \
            "an entity, directory or workplace in no manifest was changed"
    _hook(hooks, "verify", s)


def _crm_others(crm_view: dict[str, Any], manifests: list[Any]) -> dict[str, Any]:
    """The part of ``crm_view`` that no manifest names: entities, directories, and the workplaces
    unless a Workplace manifest is among them."""
    named = {m.spec.entity for m in manifests if m.spec.kind == "CrmEntity"}
    directories = {m.spec.directory for m in manifests if m.spec.kind == "Directory"}
    out = {k: v for k, v in crm_view.items() if k in ("lead", "deal", "contact", "company", "quote") and k not in named}
    out["directories"] = {d: v for d, v in crm_view["directories"].items() if d not in directories}
    if not any(m.spec.kind == "Workplace" for m in manifests):
        out["workplaces"] = crm_view["workplaces"]
    return out


def _plan_and_apply(s: Session, expect: dict[str, Any], hooks: ModuleType | None, manifests: list[Any]) -> None:
    plan = s.plan(manifests, expect.get("targets", []))
    shown = text.render_plan(plan)
    assert plan_lines(plan) == expect["plan"], shown
    if "attributes" not in expect or expect["attributes"] is not None:
        assert sorted(attribute_lines(plan)) == sorted(expect.get("attributes", [])), shown
    assert [str(a) for a in plan.unmanaged] == expect.get("unmanaged", []), shown
    for fragment in expect.get("text", []):
        assert fragment in shown, f"{fragment!r} is not in the plan:\n{shown}"
    refused = expect.get("refused", [])
    assert sorted(str(c.address) for c in plan.destructive()) == sorted(refused), shown
    if refused:
        with pytest.raises(PlanError) as raised:
            plan.check_safe(allow_destroy=False)
        for address in refused:
            assert address in str(raised.value)
    else:
        plan.check_safe(allow_destroy=False)
    _hook(hooks, "check_plan", s, plan, manifests)

    if expect.get("apply", True) and not plan.empty:
        _hook(hooks, "before_apply", s, plan)
        s.apply(plan, allow_destroy=bool(expect.get("allow_destroy", False)))
        again = s.plan(manifests, expect.get("targets", []))
        assert again.empty, "the plan after apply is not empty:\n" + text.render_plan(again)
        assert "No changes." in text.render_plan(again)
