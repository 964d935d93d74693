"""What people and machines see of a plan and an apply: exact text, Markdown, JSON and progress."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console

from b24cfg.executor import ApplyReport, Event, Outcome
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.planner.plan import ManualStep, Plan, PortalIdentity, ordered
from b24cfg.views import json as json_view
from b24cfg.views import markdown, text
from b24cfg.views.progress import Progress

URL = "https://example.bitrix24.com"
A = Address.parse


def live(address: str, attrs: dict[str, Any], ids: dict[str, Any], items: int | None = None) -> Resource:
    return Resource(A(address), attrs, ids, items, origin="portal")


def desired(address: str, attrs: dict[str, Any]) -> Resource:
    return Resource(A(address), attrs)


def fixture_changes(invoice_attrs: dict[str, Any] | None = None) -> list[Change]:
    invoice = invoice_attrs or {"title": "Invoices", "features.stages": True, "relations": ["deal", "contact"]}
    return [
        Change(Action.CREATE, A("smart_process.invoice"), after=desired("smart_process.invoice", invoice)),
        Change(Action.UPDATE, A("stage.contract.main.DRAFT"),
               before=live("stage.contract.main.DRAFT", {"name": "Draft", "sort": 10}, {"id": 41}),
               after=desired("stage.contract.main.DRAFT", {"name": "New draft", "sort": 20}),
               attrs=(AttrChange("name", "Draft", "New draft"), AttrChange("sort", 10, 20))),
        Change(Action.REPLACE, A("field.contract.AMOUNT"),
               before=live("field.contract.AMOUNT", {"type": "string", "label": "Amount"}, {"id": 7}, items=3),
               after=desired("field.contract.AMOUNT", {"type": "double", "label": "Sum | total"}),
               attrs=(AttrChange("type", "string", "double", forces_replacement=True),
                      AttrChange("label", "Amount", "Sum | total"))),
        Change(Action.DELETE, A("stage.contract.main.OLD"),
               before=live("stage.contract.main.OLD", {"name": "Old"}, {"ID": 44}, items=0),
               reason="a default stage the portal created"),
    ]


MANUAL = ManualStep("contract", "main", "REVIEW", ("notify_lawyer", "set_deadline"), "wire after deploy")


def make_plan(changes: list[Change] | None = None, **extra: Any) -> Plan:
    defaults: dict[str, Any] = {"unmanaged": (A("smart_process.legacy"),), "manual": (MANUAL,)}
    return Plan(PortalIdentity(URL, "member-1"), "sha256:abc", ("contract", "invoice"),
                ordered(fixture_changes() if changes is None else changes), **{**defaults, **extra})


EXPECTED_PLAN = f"""\
b24cfg will perform the following actions on {URL}:

  # smart_process.invoice will be created
  + smart_process "invoice" {{
      + id              = (known after apply)
      + entityTypeId    = (known after apply)
      + features.stages = true
      + relations       = ["deal", "contact"]
      + title           = "Invoices"
    }}

  # field.contract.AMOUNT must be replaced
-/+ field "contract.AMOUNT" {{
      ~ id    = 7 -> (known after apply)
      ~ type  = "string" -> "double" # forces replacement
      ~ label = "Amount" -> "Sum | total"
        # destroys data: 3 item(s)
    }}

  # stage.contract.main.OLD will be destroyed (a default stage the portal created)
  - stage "contract.main.OLD" {{
      - ID   = 44
      - name = "Old"
        # holds no items
    }}

  # stage.contract.main.DRAFT will be updated in-place
  ~ stage "contract.main.DRAFT" {{
      ~ name = "Draft" -> "New draft"
      ~ sort = 10 -> 20
    }}

Not managed (exists on the portal but not in the manifests; add it, or set prune to delete it):
  ? smart_process.legacy

Manual steps (not applied by b24cfg: REST cannot place robots on stages):
  - Smart process contract, pipeline main, stage REVIEW: robots notify_lawyer, set_deadline — wire after deploy

Plan: 2 to add, 1 to change, 2 to destroy.
"""


# --- text ------------------------------------------------------------------------------------------
def test_text_plan_is_terraform_like() -> None:
    assert text.render_plan(make_plan()) == EXPECTED_PLAN


def test_text_plan_ends_with_the_summary_line() -> None:
    assert text.render_plan(make_plan()).splitlines()[-1] == "Plan: 2 to add, 1 to change, 2 to destroy."


def test_text_plan_is_the_same_whatever_the_attribute_order() -> None:
    shuffled = {"relations": ["deal", "contact"], "title": "Invoices", "features.stages": True}
    assert text.render_plan(make_plan(fixture_changes(shuffled))) == EXPECTED_PLAN


def test_text_plan_without_color_is_plain_and_with_color_is_styled() -> None:
    plain = text.render_plan(make_plan())
    styled = text.render_plan(make_plan(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in styled
    assert "Plan: 2 to add, 1 to change, 2 to destroy." in styled


def test_empty_plan_says_no_changes_and_still_lists_unmanaged_and_manual() -> None:
    assert text.render_plan(make_plan([])) == (
        "No changes. The portal matches the manifests.\n"
        "\n"
        "Not managed (exists on the portal but not in the manifests; add it, or set prune to delete it):\n"
        "  ? smart_process.legacy\n"
        "\n"
        "Manual steps (not applied by b24cfg: REST cannot place robots on stages):\n"
        "  - Smart process contract, pipeline main, stage REVIEW: robots notify_lawyer, set_deadline"
        " — wire after deploy\n"
    )


def test_empty_plan_with_nothing_else_is_one_line() -> None:
    assert text.render_plan(make_plan([], unmanaged=(), manual=())) == "No changes. The portal matches the manifests.\n"


def test_uncounted_delete_with_cascade_and_warning() -> None:
    pipeline = Change(
        Action.DELETE, A("pipeline.contract.old"),
        before=live("pipeline.contract.old", {"name": "Old"}, {"id": 3}),
        cascade=(live("stage.contract.old.NEW", {"name": "New"}, {"id": 9}),),
    )
    rendered = text.render_plan(make_plan([pipeline], unmanaged=(), manual=(), warnings=("two stages share sort 10",)))
    assert ("        # items not counted — may hold data\n"
            "        #   also removes stage.contract.old.NEW\n") in rendered
    assert "\nWarning: two stages share sort 10\n" in rendered
    assert rendered.endswith("Plan: 0 to add, 0 to change, 1 to destroy.\n")


def test_update_that_adds_and_removes_attributes() -> None:
    change = Change(Action.UPDATE, A("smart_process.contract"),
                    before=live("smart_process.contract", {"title": "C"}, {"id": 1}),
                    attrs=(AttrChange("color", None, "#fff"), AttrChange("sort", 5, None)))
    rendered = text.render_plan(make_plan([change], unmanaged=(), manual=()))
    assert '      + color = "#fff"\n      - sort  = 5 -> null\n' in rendered


def test_create_with_a_pinned_entity_type_id_shows_it_as_known() -> None:
    change = Change(Action.CREATE, A("smart_process.contract"),
                    after=desired("smart_process.contract", {"entityTypeId": 1030, "title": "C"}))
    rendered = text.render_plan(make_plan([change], unmanaged=(), manual=()))
    assert "      + id           = (known after apply)\n      + entityTypeId = 1030\n" in rendered
    assert "entityTypeId = (known after apply)" not in rendered


def test_rendering_does_not_change_the_plan() -> None:
    plan = make_plan()
    before = plan.to_json()
    text.render_plan(plan, color=True)
    markdown.render_plan(plan)
    json_view.render_plan(plan)
    assert plan.to_json() == before


# --- markdown --------------------------------------------------------------------------------------
def test_markdown_heading_table_and_checklist() -> None:
    rendered = markdown.render_plan(make_plan())
    lines = rendered.splitlines()
    assert lines[0] == "### Plan: 2 to add, 1 to change, 2 to destroy."
    assert "| | Address | Action | Changes |" in lines
    assert ("| `-/+` | `field.contract.AMOUNT` | replace | ⚠️ Destroys data (3 item(s))"
            '<br>type: "string" → "double" (forces replacement)<br>label: "Amount" → "Sum \\| total" |') in lines
    assert '| `~` | `stage.contract.main.DRAFT` | update | name: "Draft" → "New draft"<br>sort: 10 → 20 |' in lines
    assert ("- [ ] Smart process contract, pipeline main, stage REVIEW: robots notify_lawyer, set_deadline"
            " — wire after deploy") in lines
    assert "#### Manual steps (not applied by b24cfg)" in lines
    assert "- `smart_process.legacy`" in lines


def test_markdown_row_count_matches_changes() -> None:
    rows = [line for line in markdown.render_plan(make_plan()).splitlines() if line.startswith("| `")]
    assert len(rows) == 4


def test_markdown_manual_step_without_note_and_html_escaped() -> None:
    step = ManualStep("contract", "main", "NEW", ("<b>notify</b>",))
    rendered = markdown.render_plan(make_plan([], unmanaged=(), manual=(step,)))
    assert "- [ ] Smart process contract, pipeline main, stage NEW: robots &lt;b&gt;notify&lt;/b&gt;\n" in rendered


def test_markdown_empty_plan() -> None:
    rendered = markdown.render_plan(make_plan([], unmanaged=(), manual=()))
    assert rendered.splitlines()[0] == "**No changes.** The portal matches the manifests."
    assert "|" not in rendered


# --- json ------------------------------------------------------------------------------------------
def test_json_plan_round_trips() -> None:
    plan = make_plan(warnings=("w",))
    data = json.loads(json_view.render_plan(plan))
    assert data["format"] == "b24cfg-plan"
    assert Plan.from_json(data).to_json() == plan.to_json()


def test_json_report_is_one_versioned_document() -> None:
    report = stopped_report()
    data = json.loads(json_view.render_report(report))
    assert data["format"] == "b24cfg-apply-report" and data["version"] == 1
    assert data["ok"] is False
    assert [o["status"] for o in data["outcomes"]] == ["applied", "failed", "not_attempted"]


def test_event_lines_are_compact_json_objects() -> None:
    outcome = Outcome(A("stage.contract.main.DRAFT"), Action.UPDATE, "failed", "ERROR_CORE: refused")
    events = [Event("start", total=2), Event("batch", commands=3), Event("change", outcome=outcome), Event("done")]
    lines = [json_view.event_line(e) for e in events]
    assert all("\n" not in line and ", " not in line for line in lines)
    assert [json.loads(line) for line in lines] == [
        {"event": "start", "total": 2},
        {"event": "batch", "commands": 3},
        {"event": "change", "address": "stage.contract.main.DRAFT", "action": "update", "status": "failed",
         "error": "ERROR_CORE: refused"},
        {"event": "done", "total": 0},
    ]


# --- apply report ----------------------------------------------------------------------------------
def stopped_report() -> ApplyReport:
    return ApplyReport([
        Outcome(A("smart_process.invoice"), Action.CREATE, "applied"),
        Outcome(A("stage.contract.main.DRAFT"), Action.UPDATE, "failed", "ERROR_CORE: refused"),
        Outcome(A("field.contract.AMOUNT"), Action.REPLACE, "not_attempted"),
    ], requests=2)


def test_report_ok_counts_replace_as_added_and_destroyed() -> None:
    report = ApplyReport([
        Outcome(A("smart_process.invoice"), Action.CREATE, "applied"),
        Outcome(A("stage.contract.main.DRAFT"), Action.UPDATE, "applied"),
        Outcome(A("field.contract.AMOUNT"), Action.REPLACE, "applied"),
        Outcome(A("stage.contract.main.OLD"), Action.DELETE, "applied"),
    ])
    assert text.render_report(report) == "Apply complete! Resources: 2 added, 1 changed, 2 destroyed.\n"


def test_report_stopped_lists_every_address() -> None:
    assert text.render_report(stopped_report()) == (
        "Apply stopped.\n"
        "\n"
        "Applied:\n"
        "    + smart_process.invoice\n"
        "\n"
        "Failed:\n"
        "    ~ stage.contract.main.DRAFT: ERROR_CORE: refused\n"
        "\n"
        "Not attempted:\n"
        "  -/+ field.contract.AMOUNT\n"
        "\n"
        "Run `b24cfg plan` to see what remains; a re-run converges.\n"
    )


def test_report_shows_unknown_partial_and_drift() -> None:
    report = ApplyReport(
        [Outcome(A("pipeline.contract.main"), Action.UPDATE, "partial", "QUERY_LIMIT_EXCEEDED"),
         Outcome(A("field.contract.AMOUNT"), Action.CREATE, "unknown", "connection reset")],
        drift=[(A("stage.contract.main.NEW"), AttrChange("color", "#000000", "#FFFFFF"))],
    )
    rendered = text.render_report(report)
    assert "Applied:\n  (none)\n" in rendered
    assert "Partially applied:\n    ~ pipeline.contract.main: QUERY_LIMIT_EXCEEDED\n" in rendered
    assert ("Unknown (the answer was lost; it may or may not have run):\n"
            "    + field.contract.AMOUNT: connection reset\n") in rendered
    assert ("Did not stick (the portal silently ignored these writes):\n"
            '  stage.contract.main.NEW: color = "#FFFFFF" was sent, the portal kept "#000000"\n') in rendered


def test_report_with_drift_only_is_not_complete() -> None:
    report = ApplyReport([Outcome(A("smart_process.invoice"), Action.CREATE, "applied")],
                         drift=[(A("smart_process.invoice"), AttrChange("title", "X", "Invoices"))])
    rendered = text.render_report(report)
    assert not rendered.startswith("Apply complete!")
    assert rendered.startswith(
        "Apply finished, but some writes did not stick. Resources: 1 added, 0 changed, 0 destroyed.\n")
    assert rendered.endswith("Run `b24cfg plan` to see what remains; a re-run converges.\n")


# --- progress --------------------------------------------------------------------------------------
def run_events(progress: Progress) -> None:
    progress(Event("start", total=2))
    progress(Event("batch", commands=2))
    progress(Event("change", outcome=Outcome(A("smart_process.contract"), Action.CREATE, "applied")))
    progress(Event("change", outcome=Outcome(A("stage.contract.main.DRAFT"), Action.UPDATE, "failed", "refused")))
    progress(Event("done", total=2))


def test_progress_for_people_prints_one_line_per_change() -> None:
    buffer = io.StringIO()
    run_events(Progress(Console(file=buffer, force_terminal=False, width=200)))
    assert buffer.getvalue() == (
        "Applying 2 change(s)…\n"
        "✓ + smart_process.contract\n"
        "✗ ~ stage.contract.main.DRAFT: refused\n"
    )


def test_progress_bar_on_a_terminal_is_removed_when_done() -> None:
    buffer = io.StringIO()
    progress = Progress(Console(file=buffer, force_terminal=True, width=100))
    run_events(progress)
    assert "✓" in buffer.getvalue() and "smart_process.contract" in buffer.getvalue()
    assert progress._bar is None


def test_progress_json_lines_writes_one_event_per_line() -> None:
    stream = io.StringIO()
    run_events(Progress(json_lines=True, stream=stream))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["start", "batch", "change", "change", "done"]
    assert events[3]["error"] == "refused"
