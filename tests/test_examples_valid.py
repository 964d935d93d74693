"""The example setups under examples/ load cleanly and say what the docs promise about them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from b24cfg.manifest import SmartProcessManifest, load_manifests
from b24cfg.manifest.schema import KINDS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCHEMAS = ROOT / "schemas"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")


def example_files() -> list[Path]:
    return sorted(path for path in EXAMPLES.rglob("*") if path.suffix in {".yaml", ".yml"} and path.is_file())


@pytest.fixture(scope="module")
def examples() -> dict[str, SmartProcessManifest]:
    manifests, problems = load_manifests([EXAMPLES])
    assert [str(problem) for problem in problems] == []
    return {manifest.spec.code: manifest for manifest in manifests if manifest.spec.kind == "SmartProcess"}


def test_examples_load_without_problems(examples: dict[str, SmartProcessManifest]) -> None:
    assert len(examples) >= 4
    assert {"contract", "complaint", "candidate", "vacancy"} <= set(examples)


def test_examples_let_the_portal_pick_the_entity_type_id(examples: dict[str, SmartProcessManifest]) -> None:
    pinned = [code for code, manifest in examples.items() if manifest.spec.entity_type_id is not None]
    assert pinned == []


@pytest.mark.parametrize("path", example_files(), ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_every_example_starts_with_the_schema_modeline(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first_line)
    assert match, f"{path} must start with '# yaml-language-server: $schema=<relative path>'"
    target = (path.parent / match["path"]).resolve()
    assert target.is_file(), f"{path}: the modeline points at {target}, which does not exist"
    kind = yaml.safe_load(path.read_text(encoding="utf-8").split("\n---")[0])["kind"]
    assert target == (SCHEMAS / f"{kind}.json").resolve(), "the modeline names the schema of another kind"
    kinds = {document["kind"] for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document}
    assert kinds == {kind}, f"{path}: one kind per file, so the editor checks every document against its schema"


def test_there_are_example_files_to_check() -> None:
    # Guards the parametrized test above, which would pass vacuously with no files.
    assert len(example_files()) >= 6


def test_contract_stages_run_draft_pending_approved_rejected(examples: dict[str, SmartProcessManifest]) -> None:
    spec = examples["contract"].spec
    assert spec.title == "Contracts"
    [pipeline] = spec.pipelines or []
    assert pipeline.name == "Contract approval" and pipeline.default
    stages = [(stage.code, stage.name, stage.semantics) for stage in pipeline.stages or []]
    assert stages == [
        ("DRAFT", "Draft", "process"),
        ("PENDING_APPROVAL", "Pending approval", "process"),
        ("APPROVED", "Approved", "success"),
        ("REJECTED", "Rejected", "failure"),
    ]
    sorts = [stage.sort or 0 for stage in pipeline.stages or []]
    assert all(0 < before < after for before, after in zip(sorts, sorts[1:])), sorts  # list order is display order


def test_candidate_is_a_child_of_vacancy(examples: dict[str, SmartProcessManifest]) -> None:
    parents = examples["candidate"].spec.relations.parents or []
    assert [(relation.type, relation.show_in_card) for relation in parents] == [("vacancy", True)]


def test_examples_cover_every_kind() -> None:
    manifests, problems = load_manifests([EXAMPLES])
    assert problems == []
    assert {manifest.spec.kind for manifest in manifests} == set(KINDS)
