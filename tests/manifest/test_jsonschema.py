"""The committed JSON Schema matches the models, and every field carries help for editors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from b24cfg.manifest.jsonschema import write_schemas

COMMITTED = Path(__file__).resolve().parents[2] / "schemas"


def test_committed_schemas_are_current(tmp_path: Path) -> None:
    for path in write_schemas(tmp_path):
        committed = COMMITTED / path.name
        assert committed.exists(), f"{committed} is missing: run python -m b24cfg.manifest.jsonschema schemas"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run python -m b24cfg.manifest.jsonschema schemas"
        )


def models(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    # $defs also holds JsonValue (settings values), which is "anything" and has no properties.
    yield "SmartProcess", schema
    yield from ((name, model) for name, model in schema["$defs"].items() if "properties" in model)


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for model_name, model in models(schema):
        for name, prop in model["properties"].items():
            yield f"{model_name}.{name}", prop


def test_every_property_has_a_title_and_a_description() -> None:
    schema = json.loads((COMMITTED / "SmartProcess.json").read_text(encoding="utf-8"))
    missing = [name for name, prop in properties(schema) if not prop.get("title") or not prop.get("description")]
    assert missing == []


def test_schema_speaks_the_yaml_spelling_and_refuses_unknown_keys() -> None:
    schema = json.loads((COMMITTED / "SmartProcess.json").read_text(encoding="utf-8"))
    names = {name for name, _ in properties(schema)}
    assert {"SmartProcess.entityTypeId", "Relation.showInCard", "EnumItem.xmlId", "Features.linkedUserFields"} <= names
    assert not any("_" in name.split(".")[1] for name in names)
    assert all(model["additionalProperties"] is False for _, model in models(schema))
    assert schema["required"] == ["kind", "code", "title"]
