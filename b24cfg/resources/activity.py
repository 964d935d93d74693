"""Workflow activities (``bizproc.activity.*``): robots' twins for the business-process designer,
in the same code namespace and with the same definition (reference platform §2.1)."""

from __future__ import annotations

from b24cfg.resources.robot import DEPENDS_ON, FINGERPRINTED, IDS, IMMUTABLE, NATURAL, calls, definition, read

KIND = "activity"

__all__ = ["DEPENDS_ON", "FINGERPRINTED", "IDS", "IMMUTABLE", "KIND", "NATURAL", "calls", "definition", "read"]
