"""``b24cfg validate``: check manifests without touching any portal."""

from __future__ import annotations

from pathlib import Path

import typer

from b24cfg.cli.common import EnvOption, PathsArgument, ProjectOption, context
from b24cfg.manifest.compile import compile_manifests

_NOUNS = (("smart_process", "smart process(es)"), ("pipeline", "pipeline(s)"), ("stage", "stage(s)"),
          ("field", "field(s)"), ("entity", "CRM entity(-ies)"), ("status", "status(es)"),
          ("directory", "directory(-ies)"), ("workplace", "workplace(s)"), ("robot", "robot(s)"),
          ("activity", "activity(-ies)"), ("trigger", "trigger(s)"), ("event", "event binding(s)"),
          ("placement", "placement(s)"))


def validate(
    paths: list[Path] | None = PathsArgument, env: str | None = EnvOption, project: Path | None = ProjectOption,
) -> None:
    """Check manifests: syntax, schema and the portal's rules, every problem at once. No request is made."""
    ctx = context(project, env, None)
    state, _ = compile_manifests(ctx.manifests(paths))
    # Smart processes, pipelines, stages and fields are always counted; other kinds when present.
    shown = [f"{len(state.of_kind(kind))} {noun}" for position, (kind, noun) in enumerate(_NOUNS)
             if position < 4 or state.of_kind(kind)]
    typer.echo(f"Valid: {', '.join(shown)}.")
