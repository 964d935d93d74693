"""``b24cfg sandbox serve|reset``: the built-in Bitrix24 sandbox portal."""

from __future__ import annotations

from pathlib import Path

import typer

from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_WEBHOOK_CODE, SANDBOX_WEBHOOK_USER, RateLimit, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxServer

DEFAULT_STATE = Path(".b24cfg") / "sandbox.json"

app = typer.Typer(no_args_is_help=True, help="The built-in sandbox portal (an emulated Bitrix24).")

StateOption = typer.Option(DEFAULT_STATE, "--state", help="Sandbox state file.", envvar="B24CFG_SANDBOX_STATE")


@app.command()
def serve(
    port: int = typer.Option(0, "--port", help="TCP port on 127.0.0.1 (0 picks a free one)."),
    state: Path = StateOption,
    rate_limit: bool = typer.Option(False, "--rate-limit", help="Enforce the cloud limit (2 req/s, burst 50)."),
) -> None:
    """Serve the sandbox portal over HTTP on 127.0.0.1 until interrupted."""
    portal = SandboxPortal(state, rate_limit=RateLimit() if rate_limit else None)
    server = SandboxServer(portal, port)
    typer.echo(f"Sandbox portal listening on {server.base_url} (state: {state})")
    typer.echo(f"  webhook URL:          {server.base_url}/rest/{SANDBOX_WEBHOOK_USER}/{SANDBOX_WEBHOOK_CODE}/")
    typer.echo(f"  OAuth token endpoint: {server.base_url}/oauth/token/")
    typer.echo(f"  local app client id:  {SANDBOX_CLIENT_ID} (secret and refresh token: see README)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Stopped.")
    finally:
        server.httpd.server_close()


@app.command()
def reset(state: Path = StateOption) -> None:
    """Start the sandbox portal afresh (a new, empty Bitrix24)."""
    if state.exists():
        state.unlink()
    SandboxPortal(state).save()
    typer.echo(f"Sandbox portal reset ({state}).")
