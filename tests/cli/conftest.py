"""Run the real ``b24cfg`` command in a subprocess, as a user would.

``python -m b24cfg`` goes through ``b24cfg.cli.main.run()``, the error boundary, so exit codes and
stderr are exactly what a user sees. Every run gets its own working directory, a sandbox state file
chosen by the test (``B24CFG_SANDBOX_STATE``), no terminal on stdin, and none of the variables that
would point it at a real portal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PROJECT_FILE = REPO / "b24cfg.yaml"
BROKEN = REPO / "tests" / "manifest" / "broken"
SCHEMAS = REPO / "schemas"

# Anything in the developer's shell that would send a run to a real portal (or change its output).
_SCRUBBED = (
    "B24CFG_PORTAL", "B24CFG_SANDBOX_STATE", "B24CFG_DEBUG", "B24_STAGING_WEBHOOK", "B24_PRODUCTION_WEBHOOK",
    "B24_PRODUCTION_APP_ID", "B24_PRODUCTION_APP_SECRET", "B24_PRODUCTION_APP_REFRESH",
)


@dataclass(frozen=True, repr=False)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:  # shown by pytest when an assertion on a Result fails
        return (f"$ b24cfg {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
                f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}")


def run_cli(
    *args: str, cwd: Path, state: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 60,
) -> Result:
    """``python -m b24cfg ARGS`` in ``cwd``; stdin is not a terminal."""
    environ = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    environ["PYTHONIOENCODING"] = "utf-8"
    if state is not None:
        environ["B24CFG_SANDBOX_STATE"] = str(state)
    environ.update(env or {})
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "b24cfg", *args], cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, encoding="utf-8", timeout=timeout, check=False,
    )
    return Result(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def make_project(directory: Path) -> Path:
    """A copy of the repository's project file and examples/ in ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLES, directory / "examples")
    shutil.copy(PROJECT_FILE, directory / "b24cfg.yaml")
    return directory


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")
