"""``b24cfg validate``: check manifests without touching any portal."""

from __future__ import annotations

from pathlib import Path

import typer

from b24cfg.cli.common import EnvOption, PathsArgument, ProjectOption, context


def validate(
    paths: list[Path] | None = PathsArgument, env: str | None = EnvOption, project: Path | None = ProjectOption,
) -> None:
    """Check manifests: syntax, schema and the portal's rules, every problem at once. No request is made."""
    ctx = context(project, env, None)
    manifests = ctx.manifests(paths)
    pipelines = sum(len(m.spec.pipelines or []) for m in manifests)
    stages = sum(len(p.stages or []) for m in manifests for p in m.spec.pipelines or [])
    fields = sum(len(m.spec.fields or []) for m in manifests)
    typer.echo(f"Valid: {len(manifests)} smart process(es), {pipelines} pipeline(s), {stages} stage(s), "
               f"{fields} field(s).")
