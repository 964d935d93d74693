"""``b24cfg`` entry point and the one error boundary.

Every ``B24cfgError`` becomes a clear message on stderr and its exit code; anything else is a bug
and is reported as such (with the traceback only under ``B24CFG_DEBUG=1``), secrets masked.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer

from b24cfg import __version__
from b24cfg.cli import sandbox as sandbox_cli
from b24cfg.cli.apply import apply
from b24cfg.cli.diff import diff
from b24cfg.cli.export import export
from b24cfg.cli.plan import plan
from b24cfg.cli.schema import schema
from b24cfg.cli.validate import validate
from b24cfg.errors import B24cfgError
from b24cfg.portal.errors import mask

app = typer.Typer(
    name="b24cfg", no_args_is_help=True, add_completion=False,
    help="Bitrix24 CRM configuration as code: plan and apply smart processes, pipelines, stages and fields.",
)
app.command()(validate)
app.command()(plan)
app.command()(apply)
app.command()(export)
app.command()(diff)
app.command()(schema)
app.add_typer(sandbox_cli.app, name="sandbox")


@app.command()
def version() -> None:
    """Print the b24cfg version."""
    typer.echo(__version__)


def run() -> None:
    try:
        # Without standalone mode typer returns the code of typer.Exit instead of exiting with it.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except B24cfgError as err:
        typer.secho(f"Error: {mask(str(err))}", fg="red", err=True)
        sys.exit(err.exit_code)
    except (typer.Exit, SystemExit) as done:
        code = getattr(done, "exit_code", getattr(done, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 — the boundary: a bug, reported without leaking secrets
        if _is_click(exc, "NoArgsIsHelpError"):
            ctx = getattr(exc, "ctx", None)
            typer.echo(ctx.get_help() if ctx is not None else "Usage: b24cfg COMMAND [ARGS]...")
            sys.exit(1)
        if _is_click(exc, "ClickException"):
            # A usage error (unknown option, bad choice): click's own message, and exit 1, not
            # click's usual 2 — under --detailed-exitcode 2 means "there are changes".
            exc.show()  # type: ignore[attr-defined]
            sys.exit(1)
        if os.environ.get("B24CFG_DEBUG") == "1":
            typer.echo(mask(traceback.format_exc()), err=True)
        typer.secho(f"Internal error (a bug in b24cfg): {mask(f'{type(exc).__name__}: {exc}')}", fg="red", err=True)
        sys.exit(1)


def _is_click(exc: BaseException, name: str) -> bool:
    """True for click's exception ``name`` or a subclass; matched by name because typer may ship
    click vendored (``typer._click``) or depend on the click package."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)
