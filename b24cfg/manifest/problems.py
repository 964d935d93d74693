"""Where something is written in the manifests, and what is wrong there.

Both are plain frozen values so they sort (problems are reported in file order) and compare in tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A position in a manifest file; ``line`` and ``column`` count from 1, as editors do."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the manifests: the message says what is wrong and what to do about it."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
