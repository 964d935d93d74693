"""Rendering only: plans and apply reports as text, JSON, Markdown and live progress.

Views read a ``Plan`` or an ``ApplyReport`` and return strings (or write progress to a console);
they never change what they render (ARCHITECTURE §3.7). Only ``views/`` and ``cli/`` import rich.
The helpers below are shared by the text and Markdown views so both spell values the same way.
"""

from __future__ import annotations

import json as _json  # aliased: `b24cfg.views.json` is a submodule of this package
from typing import Any

from b24cfg.executor import Status
from b24cfg.planner.changes import Action
from b24cfg.planner.plan import ManualStep
from b24cfg.resources import ADAPTERS

# Portal ids each kind gets when it is created; a create shows them as "(known after apply)".
# What the application registers has no portal id: it is found by its code or handler.
PORTAL_IDS: dict[str, tuple[str, ...]] = {kind: () if getattr(adapter, "NATURAL", False) else adapter.IDS
                                          for kind, adapter in ADAPTERS.items()}

UNMANAGED_HINT = "exists on the portal but not in the manifests; add it, or set prune to delete it"
RERUN_HINT = "Run `b24cfg plan` to see what remains; a re-run converges."
DRIFT_TITLE = "Did not stick (the portal silently ignored these writes)"

STATUS_TITLES: dict[Status, str] = {
    "applied": "Applied",
    "failed": "Failed",
    "partial": "Partially applied",
    "unknown": "Unknown (the answer was lost; it may or may not have run)",
    "not_attempted": "Not attempted",
}


def value(data: Any) -> str:
    """One attribute value, JSON-ish: strings quoted, lists and dicts as one-line JSON."""
    return _json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def action_word(action: Action) -> str:
    return {"create": "create", "update": "update", "replace": "replace", "delete": "destroy"}[action.value]


def items_text(count: int | None) -> str:
    return "items not counted" if count is None else f"{count} item(s)"


def manual_step_text(step: ManualStep) -> str:
    parts = [f"{label} {', '.join(names)}" for label, names in (
        ("robots", step.robots), ("application robots", step.app_robots), ("triggers", step.triggers)) if names]
    text = f"Smart process {step.smart_process}, pipeline {step.pipeline}, stage {step.stage}: {'; '.join(parts)}"
    return f"{text} — {step.note}" if step.note else text


def summary_line(add: int, change: int, destroy: int) -> str:
    return f"Plan: {add} to add, {change} to change, {destroy} to destroy."
