"""``b24cfg diff --from ENV --to ENV``: what promoting one portal's configuration to another would change."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from b24cfg import engine
from b24cfg.cli.common import ProjectOption, context
from b24cfg.cli.export import Entity, EntityOption, Kind, KindOption, LanguageOption, SmartProcessOption
from b24cfg.cli.plan import PlanFormat
from b24cfg.views import json as json_view, markdown, text


def diff(
    source: str = typer.Option(..., "--from", help="Environment whose configuration is promoted (e.g. staging)."),
    target: str = typer.Option(..., "--to", help="Environment it would be promoted to (e.g. production)."),
    project: Path | None = ProjectOption,
    smart_process: str | None = SmartProcessOption, entity: Entity | None = EntityOption,
    kind: Kind | None = KindOption, language: list[str] | None = LanguageOption,
    prune: bool = typer.Option(False, "--prune", help="Also plan deleting what only the --to portal has."),
    output_format: PlanFormat = typer.Option(PlanFormat.text, "--format", help="text, json or markdown."),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 0 when the portals match, 2 when they differ, 1 on error."),
) -> None:
    """Compare two live portals: the plan that would make --to match --from. Writes nothing."""
    ctx_from, ctx_to = context(project, source, None), context(project, target, None)
    for ctx in (ctx_from, ctx_to):
        ctx.warn()
    try:
        with ctx_from.client() as client:
            live = engine.read_portal(client, language or ())
        chosen = engine.select(live, smart_process=smart_process, entity=entity.value if entity else None,
                               kind=kind.value if kind else None)
        with ctx_to.client() as client:
            result = engine.promotion_plan(client, chosen, ctx_to.identity(), prune=prune)
    finally:
        for ctx in (ctx_from, ctx_to):
            ctx.warn()
    if output_format is PlanFormat.json:
        typer.echo(json_view.render_plan(result), nl=False)
    elif output_format is PlanFormat.markdown:
        typer.echo(markdown.render_plan(result))
    else:
        typer.echo(f"Promoting {ctx_from.target.name} ({ctx_from.target.url}) to {ctx_to.target.name} "
                   f"({ctx_to.target.url}):\n")
        typer.echo(text.render_plan(result, color=sys.stdout.isatty()))
    if detailed_exitcode and not result.empty:
        raise typer.Exit(2)
