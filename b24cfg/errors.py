"""The exception tree of b24cfg.

Every error a user can meet derives from ``B24cfgError`` and carries a message that is safe to
print (secrets already masked) and the process exit code the CLI returns for it::

    B24cfgError                      exit 1
    ├── ConfigError                  project file, environment, credentials
    ├── ManifestError                manifests: every problem with file:line:column
    ├── SandboxStateError            the sandbox portal's state file is unreadable or corrupt
    ├── PlanError                    a saved plan is stale, foreign or unsafe to apply
    └── PortalError                  anything the Bitrix24 REST API answered or failed to answer
        (the family keyed by Bitrix error code lives in b24cfg.portal.errors)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from b24cfg.manifest.problems import Problem


class B24cfgError(Exception):
    """Base of every error b24cfg reports to a user."""

    exit_code = 1


class ConfigError(B24cfgError):
    """The project file, environment or credentials are wrong or missing."""


class ManifestError(B24cfgError):
    """One or more problems in the manifests, each with its location."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        # The message is the whole report, one "file:line:column: message" per line, so the CLI can
        # print it as it is; the list stays available for tools that render problems themselves.
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class SandboxStateError(B24cfgError):
    """The sandbox portal's state cannot be read; it is never silently replaced."""


class PlanError(B24cfgError):
    """A plan cannot be applied as it is (stale, foreign portal, unsafe without a flag)."""


class PortalError(B24cfgError):
    """Base of errors raised by the REST client; see b24cfg.portal.errors."""
