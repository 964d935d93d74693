"""``b24cfg export``: write manifests that describe the live portal."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from b24cfg import engine, export as exporter
from b24cfg.cli.common import EnvOption, PortalOption, ProjectOption, context


class Kind(str, Enum):
    SmartProcess = "SmartProcess"
    CrmEntity = "CrmEntity"
    Directory = "Directory"
    Workplace = "Workplace"


class Entity(str, Enum):
    lead = "lead"
    deal = "deal"
    contact = "contact"
    company = "company"
    quote = "quote"


SmartProcessOption = typer.Option(None, "--smart-process", help="Only this smart process, by code or title.")
EntityOption = typer.Option(None, "--entity", help="Only this built-in entity.")
KindOption = typer.Option(None, "--kind", help="Only manifests of this kind.")
LanguageOption = typer.Option(None, "--language", help="Also read field labels in this language (repeatable); "
                              "English is always read.")


def export(
    out: Path | None = typer.Option(None, "--out", help="Directory to write the manifests to (files there that "
                                    "b24cfg writes are replaced). Left out: print them."),
    env: str | None = EnvOption, portal: str | None = PortalOption, project: Path | None = ProjectOption,
    smart_process: str | None = SmartProcessOption, entity: Entity | None = EntityOption,
    kind: Kind | None = KindOption, language: list[str] | None = LanguageOption,
) -> None:
    """Write manifests that describe the live portal. Reads only; writes nothing to the portal."""
    ctx = context(project, env, portal)
    ctx.warn()
    try:
        with ctx.client() as client:
            live = engine.read_portal(client, language or ())
    finally:
        ctx.warn()
    chosen = engine.select(live, smart_process=smart_process, entity=entity.value if entity else None,
                           kind=kind.value if kind else None)
    files = exporter.render(chosen, chosen.skipped)
    if out is None:
        for file in files:
            typer.echo(f"# --- {file.path}\n{file.text}", nl=False)
        return
    for file in files:
        path = out / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.text, encoding="utf-8", newline="\n")
    typer.echo(f"Wrote {len(files)} manifest(s) to {out}. Check them with: b24cfg plan {out}", err=True)
