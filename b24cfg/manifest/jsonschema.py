"""JSON Schema of the manifests, generated from the pydantic models, for editor completion.

Editors pick it up from the first line of a manifest::

    # yaml-language-server: $schema=../schemas/SmartProcess.json

Regenerate after changing ``schema.py`` with ``python -m b24cfg.manifest.jsonschema schemas``;
a test fails while the committed files are stale.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from b24cfg.manifest.schema import KINDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_texts() -> dict[str, str]:
    """The text of each schema file by file name (``SmartProcess.json``), byte-stable across runs."""
    texts: dict[str, str] = {}
    for kind, model in KINDS.items():
        schema = {"$schema": DIALECT, **model.model_json_schema(by_alias=True)}
        texts[f"{kind}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return texts


def write_schemas(directory: str | os.PathLike[str]) -> list[Path]:
    """Write every schema file into ``directory`` (created if missing); returns the paths written."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in schema_texts().items():
        path = target / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "schemas"):
        print(path)
