"""Machine-readable output: the versioned plan file, the apply report and progress events.

``render_plan`` is exactly the saved plan format (``Plan.dumps``), so a plan printed with
``--json`` can be saved and applied. Event lines are one compact object each (JSON Lines).
"""

from __future__ import annotations

import json
from typing import Any

from b24cfg.executor import ApplyReport, Event
from b24cfg.planner.plan import Plan

REPORT_FORMAT = "b24cfg-apply-report"
REPORT_VERSION = 1


def render_plan(plan: Plan) -> str:
    return plan.dumps()


def render_report(report: ApplyReport) -> str:
    document = {"format": REPORT_FORMAT, "version": REPORT_VERSION, **report.to_json()}
    # One line, so `apply --format json` output is one JSON object per line, the report last.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def event_line(event: Event) -> str:
    """``{"event": kind, ...}`` on one line, without a newline; only the fields the kind carries."""
    data: dict[str, Any] = {"event": event.kind}
    if event.kind in ("start", "done") or event.total:
        data["total"] = event.total
    if event.kind == "batch" or event.commands:
        data["commands"] = event.commands
    if event.outcome is not None:
        data.update(event.outcome.to_json())
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
