"""Live apply progress, fed by the executor's hook: a bar and one line per change, or JSON Lines.

``Progress`` is the callable the executor calls with each ``Event``; it never reads the plan or
changes anything. Use it as a context manager (or call ``close``) so the live bar is removed even
when the apply raises before its "done" event.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich import progress as bar
from rich.console import Console
from rich.text import Text

from b24cfg.executor import Event, Outcome
from b24cfg.views.json import event_line

_MARK = {"applied": ("✓", "green"), "failed": ("✗", "red"), "partial": ("✗", "red"),
         "unknown": ("?", "yellow"), "not_attempted": ("·", "dim")}
_SUFFIX = {"partial": "partially applied", "unknown": "answer lost, may or may not have run",
           "not_attempted": "not attempted"}


def outcome_line(outcome: Outcome) -> Text:
    """``✓ + smart_process.contract`` or ``✗ ~ stage.contract.main.DRAFT: <error>``."""
    mark, style = _MARK[outcome.status]
    details = [d for d in (_SUFFIX.get(outcome.status), outcome.error) if d]
    line = Text()
    line.append(mark, style)
    line.append(f" {outcome.action.symbol} {outcome.address}")
    if details:
        line.append(": " + ": ".join(details), style if outcome.status != "applied" else "")
    return line


class Progress:
    def __init__(self, console: Console | None = None, json_lines: bool = False, stream: TextIO | None = None) -> None:
        self.console = console or Console()
        self.json_lines = json_lines
        self.stream = stream or sys.stdout
        self.requests = 0
        self._bar: bar.Progress | None = None
        self._task: bar.TaskID | None = None

    def __call__(self, event: Event) -> None:
        if self.json_lines:
            self.stream.write(event_line(event) + "\n")
            self.stream.flush()
            return
        if event.kind == "start":
            self._start(event.total)
        elif event.kind == "batch":
            self.requests += 1
            self._describe(f"request {self.requests}: {event.commands} command(s)")
        elif event.kind == "change" and event.outcome is not None:
            self.console.print(outcome_line(event.outcome), soft_wrap=True, highlight=False)
            self._advance()
        elif event.kind == "done":
            self.close()

    def _start(self, total: int) -> None:
        self.console.print(f"Applying {total} change(s)…", markup=False, highlight=False)
        # A live bar only means something on a terminal; logs and CI get the lines alone.
        if self.console.is_terminal and self._bar is None:
            self._bar = bar.Progress(
                bar.TextColumn("{task.description}"), bar.BarColumn(), bar.MofNCompleteColumn(),
                console=self.console, transient=True,
            )
            self._task = self._bar.add_task("applying", total=total)
            self._bar.start()

    def _describe(self, description: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=description)

    def _advance(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
