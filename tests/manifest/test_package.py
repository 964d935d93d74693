"""The manifest layer is pure: it pulls in no network, CLI or terminal library."""

from __future__ import annotations

import subprocess
import sys

from b24cfg.manifest.schema import EnumItem, Pipeline, Stage


def test_manifest_layer_imports_no_network_cli_or_terminal_code() -> None:
    probe = (
        "import sys, b24cfg.manifest, b24cfg.manifest.jsonschema; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'typer', 'rich'} "
        "or m.startswith(('b24cfg.portal', 'b24cfg.sandbox', 'b24cfg.cli'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_defaults_are_filled_when_models_are_built_in_code_too() -> None:
    pipeline = Pipeline(key="main", name="Main", stages=[Stage(code="A", name="A"), Stage(code="B", name="B", sort=15),
                                                          Stage(code="C", name="C")])
    assert [stage.sort for stage in pipeline.stages or []] == [10, 15, 25]
    assert Stage(code="A", name="A", color="#abcdef").color == "#ABCDEF"
    assert EnumItem(value=" Yes ").value == "Yes"
