"""Valid manifests load into the expected models, with every default filled in."""

from __future__ import annotations

from pathlib import Path

import pytest

from b24cfg.manifest import Location, SmartProcessManifest, load_manifests, load_manifests_or_raise
# Models are built with their YAML (camelCase) names: that is the only spelling they accept.
from b24cfg.manifest.schema import (
    AutomationStep, CustomField, EnumItem, Features, Pipeline, Prune, Relation, Relations, SmartProcess, Stage,
)

VALID = Path(__file__).parent / "valid"


def load(tmp_path: Path, text: str, variables: dict[str, str] | None = None) -> list[SmartProcessManifest]:
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    return load_manifests_or_raise([tmp_path], variables)


@pytest.fixture
def two() -> dict[str, SmartProcessManifest]:
    manifests = load_manifests_or_raise([VALID / "two-processes"], {"CONTRACTS_ETID": "1040"})
    return {manifest.spec.code: manifest for manifest in manifests}


def test_minimal_manifest_gets_the_portal_defaults(tmp_path: Path) -> None:
    [manifest] = load(tmp_path, "kind: SmartProcess\ncode: tickets\ntitle: Tickets\n")
    assert manifest.spec == SmartProcess(kind="SmartProcess", code="tickets", title="Tickets")
    features = manifest.spec.features
    assert features == Features()
    assert features.open_permissions is True
    assert not any(value for name, value in features if name not in {"open_permissions", "linked_user_fields"})
    assert manifest.spec.relations == Relations(parents=None, children=None)
    assert manifest.spec.pipelines is None and manifest.spec.fields is None and manifest.spec.automation is None
    assert manifest.spec.prune == Prune(pipelines=False, fields=False)


def test_full_manifest_loads_into_the_expected_model(two: dict[str, SmartProcessManifest]) -> None:
    spec = two["contracts"].spec
    assert spec.title == "Contract approvals"
    assert spec.entity_type_id == 1040  # ${var.CONTRACTS_ETID}, read as a number
    assert spec.features.pipelines and spec.features.stages and spec.features.client and spec.features.automation
    assert spec.relations == Relations(
        parents=[Relation(type="deal", showInCard=True)], children=[Relation(type="complaints")],
    )
    assert spec.prune == Prune(pipelines=True, fields=False)
    main, renewals = spec.pipelines or []
    assert main == Pipeline(
        key="main", name="Approvals", sort=10, default=True, prune=True, stages=[
            Stage(code="DRAFT", name="Draft", color="#22B9FF", semantics="process", sort=10),
            Stage(code="REVIEW", name="Legal review", semantics="process", sort=20),
            Stage(code="SIGNED", name="Signed", semantics="success", sort=30),
            Stage(code="REJECTED", name="Rejected", semantics="failure", sort=40),
        ],
    )
    # An explicit sort anchors the ones after it; a single default elsewhere makes this one not default.
    assert (renewals.sort, renewals.default) == (200, False)
    assert [(stage.code, stage.sort) for stage in renewals.stages or []] == [("NEW", 100), ("WON", 110), ("LOST", 120)]
    amount, kind, party, channel = spec.fields or []
    assert amount == CustomField(code="AMOUNT", type="money", label="Amount")
    assert (amount.multiple, amount.mandatory, amount.show_in_filter, amount.searchable) == (False, False, False, False)
    assert (amount.show_in_list, amount.edit_in_list, amount.sort, amount.settings) == (True, True, 100, {})
    assert kind.label == {"en": "Kind", "de": "Art"}
    assert kind.items == [
        EnumItem(value="Supply", xmlId="supply", default=True, sort=10),
        EnumItem(value="Service", sort=20),
        EnumItem(value="Other", sort=100),
    ]
    assert party.targets == ["company", "contact", "complaints"]
    assert (channel.directory, channel.settings) == ("SOURCE", {"DISPLAY": "LIST"})
    assert spec.automation == [
        AutomationStep(stage="REVIEW", robots=["notify_legal"], note="Legal gets a task"),
        AutomationStep(pipeline="renewals", stage="NEW", robots=["remind_owner"]),
    ]


def test_texts_are_trimmed_and_empty_documents_skipped(two: dict[str, SmartProcessManifest]) -> None:
    assert two["complaints"].spec.title == "Complaints"
    assert set(two) == {"contracts", "complaints"}


def test_manifests_know_where_each_value_was_written(two: dict[str, SmartProcessManifest]) -> None:
    contracts = two["contracts"]
    file = (VALID / "two-processes" / "contracts.yaml").as_posix()
    assert contracts.where("code") == Location(file, 3, 7)
    assert contracts.where("pipelines", 0, "stages", 1, "name") == Location(file, 26, 15)
    assert contracts.where("fields", 1, "items", 2) == Location(file, 52, 9)
    # A value that was not written (a default) is located at its nearest written ancestor.
    assert contracts.where("pipelines", 0, "stages", 1, "sort") == Location(file, 25, 9)


def test_a_single_pipeline_is_the_default(tmp_path: Path) -> None:
    [manifest] = load(tmp_path, """
kind: SmartProcess
code: tickets
title: Tickets
features: {stages: true}
pipelines:
  - key: main
    name: Main
    stages:
      - {code: NEW, name: New}
      - {code: DONE, name: Done, semantics: success}
      - {code: FAIL, name: Failed, semantics: failure}
      - {code: SPAM, name: Spam, semantics: failure}
""")
    [pipeline] = manifest.spec.pipelines or []
    assert (pipeline.default, pipeline.sort) == (True, 10)
    assert [stage.sort for stage in pipeline.stages or []] == [10, 20, 30, 40]


def test_yaml_scalars_that_look_like_other_things_stay_text(tmp_path: Path) -> None:
    [manifest] = load(tmp_path, """
kind: SmartProcess
code: tickets
title: 2024-01-01
features: {observers: yes, source: on}
fields:
  - code: ANSWER
    type: enumeration
    label: {en: No, no: Nei}
    items: [{value: yes}, {value: 1}, {value: 1.10}, {value: 007}]
""")
    spec = manifest.spec
    assert spec.title == "2024-01-01"
    # A switch still understands yes/on (pydantic), while text keeps what was written.
    assert spec.features.observers and spec.features.source
    [field] = spec.fields or []
    assert field.label == {"en": "No", "no": "Nei"}
    assert [item.value for item in field.items or []] == ["yes", "1", "1.10", "007"]


def test_variables_fill_text_and_typed_values(tmp_path: Path) -> None:
    [manifest] = load(tmp_path, """
kind: SmartProcess
code: tickets_${var.ENV}
title: "Tickets (${var.ENV}) costs $${var.PRICE}"
entityTypeId: ${var.ETID}
features:
  automation: ${var.AUTOMATION}
  stages: "${var.AUTOMATION}"
""", {"ENV": "staging", "ETID": "1042", "AUTOMATION": "true"})
    spec = manifest.spec
    assert spec.code == "tickets_staging"
    assert spec.title == "Tickets (staging) costs ${var.PRICE}"
    assert spec.entity_type_id == 1042
    assert spec.features.automation is True and spec.features.stages is True


def test_unknown_variable_is_reported_where_it_is_used(tmp_path: Path) -> None:
    text = "kind: SmartProcess\ncode: tickets\ntitle: T ${var.NOPE}\n"
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    manifests, problems = load_manifests([tmp_path], {"ENV": "prod"})
    assert [(problem.location.line, problem.location.column) for problem in problems] == [(3, 8)]
    assert "unknown variable 'NOPE'" in problems[0].message and "defined: ENV" in problems[0].message
    assert len(manifests) == 1  # the title itself is valid text; the problem list blocks any use of it
