"""What every portal command does first: find the project, the manifests and the portal."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from b24cfg.errors import ConfigError
from b24cfg.manifest import load_manifests_or_raise
from b24cfg.manifest.validate import Manifest
from b24cfg.planner.plan import PortalIdentity
from b24cfg.portal import Client
from b24cfg.settings import Project, Target, load_project, open_client, require_application, resolve

PathsArgument = typer.Argument(None, help="Manifest files or directories (default: the project file's manifests).")
EnvOption = typer.Option(None, "--env", "-e", help="Environment from b24cfg.yaml (default: its default_environment, "
                         "else the built-in sandbox).")
PortalOption = typer.Option(None, "--portal", help="An incoming-webhook URL, or 'sandbox'; overrides --env. "
                            "Also read from B24CFG_PORTAL.", show_default=False)
ProjectOption = typer.Option(None, "--project", help="The project file (default: ./b24cfg.yaml if present).")


@dataclass
class Context:
    project: Project | None
    target: Target
    shown: int = 0

    def manifests(self, paths: Sequence[Path] | None) -> list[Manifest]:
        """Load and check the manifests (every problem at once); no request is made."""
        chosen = list(paths or self.target.manifests)
        if not chosen:
            raise ConfigError(
                "no manifests given: name files or directories (b24cfg plan examples/), or list them under "
                "'manifests:' in b24cfg.yaml"
            )
        return load_manifests_or_raise(chosen, dict(self.target.variables))

    def client(self, app: Sequence[str] = ()) -> Client:
        """A client for the target; ``app``: the kinds the application registers that will be read or
        written (robot, event, ...), which need an application context — refused before any request
        when the target logs in with a webhook."""
        require_application(self.target, app)
        return open_client(self.target, app=bool(app))

    def identity(self) -> PortalIdentity:
        """The portal's identity for saved plans: its URL, and for the sandbox its member id."""
        member = None
        if self.target.sandbox_state is not None and self.target.sandbox_state.exists():
            member = json.loads(self.target.sandbox_state.read_text(encoding="utf-8"))["portal"].get("member_id")
        return PortalIdentity(self.target.url, member)

    def warn(self) -> None:
        """Print the warnings not printed yet: commands call it before and after the portal work,
        because a refresh token rotated during the run adds one (it must never go unheard)."""
        for warning in self.target.warnings[self.shown:]:
            typer.secho(f"Warning: {warning}", fg="yellow", err=True)
        self.shown = len(self.target.warnings)


def context(project_file: Path | None, env: str | None, portal: str | None) -> Context:
    project = load_project(project_file)
    target = resolve(project, env=env, portal=portal, environ=os.environ)
    return Context(project, target)
