"""Manifests: YAML files read with a location on every value, checked against the schema and the
portal's rules, every problem reported at once. Pure: no network, no clock, no terminal.

The compile step (manifests -> desired State) builds on ``load_manifests``.
"""

from __future__ import annotations

from b24cfg.manifest.loader import Document, load_documents
from b24cfg.manifest.problems import Location, Problem
from b24cfg.manifest.schema import SmartProcess
from b24cfg.manifest.validate import SmartProcessManifest, load_manifests, load_manifests_or_raise

__all__ = [
    "Document", "Location", "Problem", "SmartProcess", "SmartProcessManifest", "load_documents", "load_manifests",
    "load_manifests_or_raise",
]
