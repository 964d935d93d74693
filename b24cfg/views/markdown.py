"""Plans as Markdown for pull-request comments (GitHub-flavoured: a table and a checklist).

User text (values, notes, robot names) is escaped so it cannot break the table or inject HTML.
"""

from __future__ import annotations

from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.planner.plan import Plan
from b24cfg.views import UNMANAGED_HINT, action_word, items_text, manual_step_text, summary_line, value

NO_CHANGES = "**No changes.** The portal matches the manifests."


def render_plan(plan: Plan) -> str:
    lines: list[str] = []
    if plan.empty:
        lines += [NO_CHANGES, "", f"Portal: {_inline(plan.portal.url)}"]
    else:
        summary = plan.summary
        lines += [f"### {summary_line(summary.add, summary.change, summary.destroy)}", "",
                  f"Portal: {_inline(plan.portal.url)}", "", *_table(plan)]
    lines += _unmanaged(plan) + _manual(plan) + _warnings(plan)
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|").replace("\n", "<br>")


def _table(plan: Plan) -> list[str]:
    rows = ["| | Address | Action | Changes |", "|---|---|---|---|"]
    for change in plan.changes:
        details = "<br>".join(_cell(part) for part in _details(change))
        rows.append(f"| `{change.action.symbol}` | `{change.address}` | {action_word(change.action)} | {details} |")
    return rows


def _details(change: Change) -> list[str]:
    parts: list[str] = []
    if change.destroys_data:
        parts.append(f"⚠️ Destroys data ({items_text(change.items)})")
    elif change.items == 0:
        parts.append("holds no items")
    if change.reason:
        parts.append(change.reason)
    if change.action is Action.CREATE and change.after is not None:
        parts += [f"{name}: {value(change.after.attrs[name])}" for name in sorted(change.after.attrs)]
    if change.action in (Action.UPDATE, Action.REPLACE):
        parts += [_attr_change(attr) for attr in change.attrs]
    parts += [f"also removes {resource.address}" for resource in change.cascade]
    parts += list(change.notes)
    return parts


def _attr_change(attr: AttrChange) -> str:
    forces = " (forces replacement)" if attr.forces_replacement else ""
    return f"{attr.name}: {value(attr.old)} → {value(attr.new)}{forces}"


def _unmanaged(plan: Plan) -> list[str]:
    if not plan.unmanaged:
        return []
    return ["", "#### Not managed", "", f"Each of these {UNMANAGED_HINT}.", "",
            *(f"- `{address}`" for address in plan.unmanaged)]


def _manual(plan: Plan) -> list[str]:
    if not plan.manual:
        return []
    return ["", "#### Manual steps (not applied by b24cfg)", "",
            *(f"- [ ] {_inline(manual_step_text(step))}" for step in plan.manual)]


def _warnings(plan: Plan) -> list[str]:
    if not plan.warnings:
        return []
    return ["", "#### Warnings", "", *(f"- {_inline(warning)}" for warning in plan.warnings)]
