"""``b24cfg apply``: plan, confirm, execute; or execute a saved plan exactly."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from b24cfg import engine
from b24cfg.cli.common import EnvOption, PathsArgument, PortalOption, ProjectOption, context
from b24cfg.cli.plan import TargetOption
from b24cfg.errors import PlanError
from b24cfg.model import Address
from b24cfg.planner.plan import Plan
from b24cfg.views import json as json_view, text
from b24cfg.views.progress import Progress


class ApplyFormat(str, Enum):
    text = "text"
    json = "json"


def apply(
    paths: list[Path] | None = PathsArgument, env: str | None = EnvOption, portal: str | None = PortalOption,
    project: Path | None = ProjectOption,
    plan_file: Path | None = typer.Option(None, "--plan", help="Apply this saved plan exactly (b24cfg plan --out)."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    allow_destroy: bool = typer.Option(False, "--allow-destroy",
                                       help="Allow deletes and replacements that lose CRM items or field values."),
    output_format: ApplyFormat = typer.Option(ApplyFormat.text, "--format",
                                              help="text, or json: one JSON event per line, then the report."),
    target: list[str] | None = TargetOption,
) -> None:
    """Make the portal match the manifests (or a saved plan); stops at the first error."""
    ctx = context(project, env, portal)
    ctx.warn()
    as_json = output_format is ApplyFormat.json
    saved: Plan | None = None
    if plan_file is not None:
        if paths or target:
            raise PlanError("a saved plan is applied exactly as it is: leave out manifest paths and --target")
        try:
            saved = Plan.loads(plan_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PlanError(f"cannot read the plan file {plan_file}: {exc.strerror}") from None
        manifests = []
    else:
        manifests = ctx.manifests(paths)
    try:
        with ctx.client(saved.app if saved is not None else engine.application_kinds(manifests)) as client:
            if saved is not None:
                chosen = saved
                engine.check_saved(client, chosen, ctx.identity())
            else:
                chosen = engine.make_plan(client, manifests, ctx.identity(), [Address.parse(t) for t in target or []])
                if not as_json:
                    typer.echo(text.render_plan(chosen, color=sys.stdout.isatty()))
            if chosen.empty:
                if as_json:
                    typer.echo(json_view.render_plan(chosen), nl=False)
                elif plan_file is not None:
                    typer.echo("No changes in this plan. Nothing to apply.")
                return
            chosen.check_safe(allow_destroy=allow_destroy)
            if plan_file is None and not auto_approve:
                _confirm(ctx.target.url)
            with Progress(json_lines=as_json) as progress:
                report = engine.apply(client, chosen, hook=progress)
    finally:
        ctx.warn()  # what the run added: a rotated refresh token that could not be kept
    if as_json:
        typer.echo(json_view.render_report(report), nl=False)
    else:
        typer.echo(text.render_report(report, color=sys.stdout.isatty()))
    if not report.ok:
        raise typer.Exit(1)


def _confirm(url: str) -> None:
    if not sys.stdin.isatty():
        raise PlanError("apply needs a confirmation, and there is no terminal to ask on; review the plan and pass "
                        "--auto-approve, or apply a saved plan with --plan FILE")
    answer = typer.prompt(f"Apply these changes to {url}? Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        typer.echo("Apply cancelled. Nothing was changed.")
        raise typer.Exit(1)
