"""Resource adapters, one module per kind: read (raw REST -> Resource), calls (Change -> REST
calls), lookup (ids of what the portal creates by itself). Portal quirks live here, not in the diff."""

from __future__ import annotations

from types import ModuleType

from b24cfg.resources import (
    activity, event_binding, field, pipeline, placement, robot, smart_process, stage, status, trigger, workplace,
)

ADAPTERS: dict[str, ModuleType] = {m.KIND: m for m in (
    smart_process, pipeline, field, stage, status, workplace, robot, activity, trigger, event_binding, placement,
)}
