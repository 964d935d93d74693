"""``b24cfg plan``: read the portal and show what apply would change."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from b24cfg import engine
from b24cfg.cli.common import EnvOption, PathsArgument, PortalOption, ProjectOption, context
from b24cfg.model import Address
from b24cfg.views import json as json_view, markdown, text


class PlanFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


TargetOption = typer.Option(None, "--target", help="Plan only this address and what lies under it "
                            "(repeatable), e.g. smart_process.contract or field.contract.AMOUNT.")


def plan(
    paths: list[Path] | None = PathsArgument, env: str | None = EnvOption, portal: str | None = PortalOption,
    project: Path | None = ProjectOption,
    output_format: PlanFormat = typer.Option(PlanFormat.text, "--format", help="text, json or markdown."),
    out: Path | None = typer.Option(None, "--out", help="Save the plan to apply it exactly: b24cfg apply --plan FILE."),
    target: list[str] | None = TargetOption,
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 0 when there are no changes, 2 when there are, 1 on error."),
) -> None:
    """Show the changes that make the portal match the manifests. Writes nothing to the portal."""
    ctx = context(project, env, portal)
    ctx.warn()
    manifests = ctx.manifests(paths)
    targets = [Address.parse(t) for t in target or []]
    try:
        with ctx.client(engine.application_kinds(manifests)) as client:
            result = engine.make_plan(client, manifests, ctx.identity(), targets)
    finally:
        ctx.warn()  # what the run added: a rotated refresh token that could not be kept
    if output_format is PlanFormat.json:
        typer.echo(json_view.render_plan(result), nl=False)
    elif output_format is PlanFormat.markdown:
        typer.echo(markdown.render_plan(result))
    else:
        typer.echo(text.render_plan(result, color=sys.stdout.isatty()))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.dumps(), encoding="utf-8")
        typer.echo(f"Saved the plan to {out}. Apply exactly this plan with: b24cfg apply --plan {out}", err=True)
    if detailed_exitcode and not result.empty:
        raise typer.Exit(2)
