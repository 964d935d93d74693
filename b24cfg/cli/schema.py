"""``b24cfg schema``: write the JSON Schemas of the manifest kinds (for editor completion)."""

from __future__ import annotations

from pathlib import Path

import typer

from b24cfg.manifest.jsonschema import write_schemas


def schema(directory: Path = typer.Argument(Path("schemas"), help="Where to write <Kind>.json.")) -> None:
    """Write the JSON Schema of every manifest kind; reference it from a manifest's first line."""
    for path in write_schemas(directory):
        typer.echo(path)
