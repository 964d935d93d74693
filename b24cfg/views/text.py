"""Terraform-like text for people: the plan before apply, and the report after it.

Output is built as one ``rich.text.Text``: plain when ``color`` is false (the default, and what
tests and pipes see), ANSI-styled when true. The same plan always renders to the same string.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.text import Text

from b24cfg.executor import ApplyReport, Outcome, Status
from b24cfg.model import Resource
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.planner.plan import Plan
from b24cfg.views import (
    DRIFT_TITLE, PORTAL_IDS, RERUN_HINT, STATUS_TITLES, UNMANAGED_HINT, manual_step_text, summary_line, value,
)

KNOWN_AFTER_APPLY = "(known after apply)"

_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red"}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be destroyed",
}

# One attribute line inside a block: (symbol, name, rendered value, trailing comment).
_Row = tuple[str, str, str, str]


def _out(text: Text, color: bool) -> str:
    if not color:
        return text.plain
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=10_000,
                      highlight=False, emoji=False, legacy_windows=False)
    console.print(text, soft_wrap=True, end="")
    return buffer.getvalue()


# --- plan ------------------------------------------------------------------------------------------
def render_plan(plan: Plan, *, color: bool = False) -> str:
    out = Text()
    if plan.empty:
        out.append("No changes.", "bold green")
        out.append(" The portal matches the manifests.\n")
    else:
        out.append(f"b24cfg will perform the following actions on {plan.portal.url}:\n", "bold")
        for change in plan.changes:
            out.append("\n")
            _change(out, change)
    _unmanaged(out, plan)
    _manual(out, plan)
    _warnings(out, plan.warnings)
    if not plan.empty:
        summary = plan.summary
        out.append("\n")
        out.append(summary_line(summary.add, summary.change, summary.destroy) + "\n", "bold")
    return _out(out, color)


def _change(out: Text, change: Change) -> None:
    style = _STYLE[change.action]
    reason = f" ({change.reason})" if change.reason else ""
    out.append(f"  # {change.address} {_VERB[change.action]}{reason}\n", "bold")
    out.append(f"{change.action.symbol:>3} ", style)
    out.append(f'{change.address.kind} "{".".join(change.address.key)}" {{\n')
    _rows(out, _attribute_rows(change))
    for comment, comment_style in _comments(change):
        out.append(f"        # {comment}\n", comment_style)
    out.append("    }\n")


def _attribute_rows(change: Change) -> list[_Row]:
    if change.action is Action.CREATE:
        return _create_rows(change.after)
    if change.action is Action.DELETE:
        return _delete_rows(change.before)
    rows = [_changed_row(attr) for attr in change.attrs]
    if change.action is Action.REPLACE:
        rows = _replaced_id_rows(change) + rows
    return rows


def _unknown_ids(kind: str, after: Resource | None) -> list[str]:
    """Portal ids a new object gets from the portal; a pinned one (in attrs) is already known."""
    if after is None:
        return list(PORTAL_IDS[kind])
    return [name for name in PORTAL_IDS[kind] if name not in after.attrs and name not in after.ids]


def _create_rows(after: Resource | None) -> list[_Row]:
    if after is None:
        return []
    rows = [("+", name, KNOWN_AFTER_APPLY, "") for name in _unknown_ids(after.address.kind, after)]
    # Only the kind's own portal ids: others ride along for the calls (a stage's directory), not
    # for reading.
    rows += [("+", name, value(after.ids[name]), "") for name in sorted(after.ids)
             if name in PORTAL_IDS[after.address.kind]]
    rows += [("+", name, value(after.attrs[name]), "") for name in sorted(after.attrs)]
    return rows


def _delete_rows(before: Resource | None) -> list[_Row]:
    if before is None:
        return []
    rows = [("-", name, value(before.ids[name]), "") for name in sorted(before.ids)
            if name in PORTAL_IDS[before.address.kind]]
    rows += [("-", name, value(before.attrs[name]), "") for name in sorted(before.attrs)]
    return rows


def _replaced_id_rows(change: Change) -> list[_Row]:
    if change.before is None:
        return []
    unknown = set(_unknown_ids(change.address.kind, change.after))
    return [("~", name, f"{value(change.before.ids[name])} -> {KNOWN_AFTER_APPLY}", "")
            for name in sorted(change.before.ids) if name in unknown]


def _changed_row(attr: AttrChange) -> _Row:
    comment = "# forces replacement" if attr.forces_replacement else ""
    # Terraform's spelling: a value the portal lacks is added, one the manifest drops is removed.
    if attr.old is None:
        return ("+", attr.name, value(attr.new), comment)
    if attr.new is None:
        return ("-", attr.name, f"{value(attr.old)} -> null", comment)
    return ("~", attr.name, f"{value(attr.old)} -> {value(attr.new)}", comment)


def _rows(out: Text, rows: Sequence[_Row]) -> None:
    width = max((len(name) for _, name, _, _ in rows), default=0)
    symbol_style = {"+": "green", "~": "yellow", "-": "red"}
    for symbol, name, shown, comment in rows:
        out.append("      ")
        out.append(symbol, symbol_style[symbol])
        out.append(f" {name.ljust(width)} = ")
        out.append(shown, "dim" if shown == KNOWN_AFTER_APPLY else "")
        if comment:
            out.append(f" {comment}", "bold red")
        out.append("\n")


def _comments(change: Change) -> list[tuple[str, str]]:
    """Comment lines closing a block, each with its style: data loss first, in red."""
    comments: list[tuple[str, str]] = []
    if change.destroys_data:
        count = change.items
        loss = "items not counted — may hold data" if count is None else f"destroys data: {count} item(s)"
        comments.append((loss, "bold red"))
    elif change.items == 0:
        comments.append(("holds no items", "dim"))
    comments += [(f"  also removes {resource.address}", "red") for resource in change.cascade]
    comments += [(note, "dim") for note in change.notes]
    return comments


def _unmanaged(out: Text, plan: Plan) -> None:
    if not plan.unmanaged:
        return
    out.append(f"\nNot managed ({UNMANAGED_HINT}):\n", "bold")
    for address in plan.unmanaged:
        out.append(f"  ? {address}\n")


def _manual(out: Text, plan: Plan) -> None:
    if not plan.manual:
        return
    out.append("\nManual steps (not applied by b24cfg: REST cannot place robots on stages):\n", "bold")
    for step in plan.manual:
        out.append(f"  - {manual_step_text(step)}\n")


def _warnings(out: Text, warnings: Iterable[str]) -> None:
    for warning in warnings:
        out.append("\n")
        out.append("Warning:", "bold yellow")
        out.append(f" {warning}\n")


# --- apply report ----------------------------------------------------------------------------------
def render_report(report: ApplyReport, *, color: bool = False) -> str:
    out = Text()
    stopped = any(o.status != "applied" for o in report.outcomes)
    if stopped:
        out.append("Apply stopped.\n", "bold red")
        _outcome_lists(out, report.outcomes)
    else:
        added, changed, destroyed = _applied_counts(report.outcomes)
        resources = f"Resources: {added} added, {changed} changed, {destroyed} destroyed."
        if report.ok:
            out.append(f"Apply complete! {resources}\n", "bold green")
        else:
            # Every call succeeded, yet a read-back found writes the portal dropped: not "complete".
            out.append(f"Apply finished, but some writes did not stick. {resources}\n", "bold yellow")
    _drift(out, report)
    if not report.ok:
        out.append(f"\n{RERUN_HINT}\n")
    return _out(out, color)


def _applied_counts(outcomes: Iterable[Outcome]) -> tuple[int, int, int]:
    actions = [o.action for o in outcomes if o.status == "applied"]
    added = sum(a in (Action.CREATE, Action.REPLACE) for a in actions)
    changed = sum(a is Action.UPDATE for a in actions)
    destroyed = sum(a in (Action.DELETE, Action.REPLACE) for a in actions)
    return added, changed, destroyed


def _outcome_lists(out: Text, outcomes: Sequence[Outcome]) -> None:
    always: tuple[Status, ...] = ("applied", "failed", "not_attempted")
    for status in ("applied", "failed", "partial", "unknown", "not_attempted"):
        listed = [o for o in outcomes if o.status == status]
        if not listed and status not in always:
            continue
        out.append(f"\n{STATUS_TITLES[status]}:\n", "bold")
        if not listed:
            out.append("  (none)\n")
        for outcome in listed:
            error = f": {outcome.error}" if outcome.error else ""
            out.append(f"  {outcome.action.symbol:>3} {outcome.address}{error}\n")


def _drift(out: Text, report: ApplyReport) -> None:
    if not report.drift:
        return
    out.append(f"\n{DRIFT_TITLE}:\n", "bold yellow")
    for address, attr in report.drift:
        out.append(f"  {address}: {attr.name} = {value(attr.new)} was sent, "
                   f"the portal kept {value(attr.old)}\n")
