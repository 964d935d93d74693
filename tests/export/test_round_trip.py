"""``export`` round trip: a portal configured by hand -> manifests -> plan / apply -> the same manifests.

The source portal is built with plain REST calls (``seed.py``), never through b24cfg, so the test
proves that export describes what an admin made, not what b24cfg would have made. Exports are
compared as ``{path: text}``: byte for byte.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from b24cfg import engine, export
from b24cfg.errors import PlanError
from b24cfg.executor import ApplyReport
from b24cfg.manifest import load_manifests_or_raise
from b24cfg.manifest.schema import PLAIN_DIRECTORIES
from b24cfg.planner.plan import Plan
from b24cfg.portal import Client
from b24cfg.sandbox.portal import SANDBOX_DOMAIN, SANDBOX_WEBHOOK_CODE
from b24cfg.views import text
from tests.cli.conftest import run_cli
from tests.export.seed import (
    ENTITIES, FIELD_TYPES, IDENTITY, SMART_PROCESSES, Seeded, delete_builtin_defaults, sandbox, seed,
)

Files = dict[str, str]

SMART_PROCESS_FILES = {f"smart-processes/{code}.yaml" for code in SMART_PROCESSES}
ENTITY_FILES = {f"entities/{entity}.yaml" for entity in ENTITIES}
DIRECTORY_FILES = {f"directories/{directory.lower()}.yaml" for directory in PLAIN_DIRECTORIES}
WORKPLACE_FILES = {"workplaces/recruiting.yaml"}
EVERY_FILE = SMART_PROCESS_FILES | ENTITY_FILES | DIRECTORY_FILES | WORKPLACE_FILES


# --- helpers -------------------------------------------------------------------------------------
def exported(client: Client, languages: Sequence[str] = (), **selection: str) -> Files:
    """What ``b24cfg export`` writes for the portal (or a selection of it), as ``{path: text}``."""
    live = engine.read_portal(client, languages)
    chosen = engine.select(live, **selection)
    files = export.render(chosen, chosen.skipped)
    assert len({f.path for f in files}) == len(files), [f.path for f in files]
    return {f.path: f.text for f in files}


def write(files: Mapping[str, str], folder: Path) -> Path:
    for path, content in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8", newline="\n")
    return folder


def read(folder: Path) -> Files:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))}


def plan(client: Client, folder: Path) -> Plan:
    return engine.make_plan(client, load_manifests_or_raise([folder]), IDENTITY)


def differences(want: Files, have: Files) -> str:
    """A unified diff per file that differs (empty when the exports are byte-identical)."""
    out: list[str] = []
    for path in sorted(set(want) | set(have)):
        if want.get(path) != have.get(path):
            before, after = (want.get(path) or "").splitlines(True), (have.get(path) or "").splitlines(True)
            out += difflib.unified_diff(before, after, f"first/{path}", f"second/{path}")
    return "".join(out)


def documents(files: Files) -> dict[str, dict[str, Any]]:
    """Each file's YAML document, read independently of b24cfg."""
    return {path: yaml.safe_load(content) for path, content in files.items()}


def no_changes(result: Plan) -> str:
    return "the plan is not empty:\n" + text.render_plan(result, color=False)


# --- the source portal and a round trip through a fresh one -------------------------------------------
@dataclass
class Source:
    client: Client
    seeded: Seeded
    files: Files
    """The English-only export, as ``b24cfg export`` writes it by default."""


@pytest.fixture(scope="module")
def source() -> Source:
    client = sandbox()
    seeded = seed(client)
    return Source(client, seeded, exported(client))


@dataclass
class Trip:
    languages: tuple[str, ...]
    files: Files
    folder: Path
    fresh: Client
    report: ApplyReport


@pytest.fixture(scope="module", params=[(), ("de",)], ids=["en", "en+de"])
def trip(request: pytest.FixtureRequest, source: Source, tmp_path_factory: pytest.TempPathFactory) -> Trip:
    """The source exported (labels in English, or English and German) and applied to a fresh portal."""
    languages = tuple(request.param)
    files = exported(source.client, languages)
    folder = write(files, tmp_path_factory.mktemp("export"))
    fresh = sandbox()
    first = plan(fresh, folder)
    first.check_safe(allow_destroy=False)  # nothing on a fresh portal is worth keeping, but nothing is lost either
    return Trip(languages, files, folder, fresh, engine.apply(fresh, first))


# --- (a) plan right after export -------------------------------------------------------------------
def test_plan_right_after_export_shows_no_changes_on_the_same_portal(source: Source, trip: Trip) -> None:
    result = plan(source.client, trip.folder)
    assert result.empty, no_changes(result)
    assert not result.unmanaged, result.unmanaged
    assert not result.manual and not result.warnings, (result.manual, result.warnings)


# --- (b) apply to a fresh portal, export again --------------------------------------------------------
def test_the_export_applies_to_a_fresh_portal_without_failures_or_drift(trip: Trip) -> None:
    assert trip.report.ok, text.render_report(trip.report)
    assert not trip.report.drift, text.render_report(trip.report)


def test_the_fresh_portal_exports_byte_identical_files(trip: Trip) -> None:
    again = exported(trip.fresh, trip.languages)
    assert again == trip.files, differences(trip.files, again)


# --- (c) plan again on the fresh portal ---------------------------------------------------------------
def test_the_fresh_portal_then_plans_no_changes(trip: Trip) -> None:
    result = plan(trip.fresh, trip.folder)
    assert result.empty, no_changes(result)
    assert not result.unmanaged, result.unmanaged


# --- what the files say -----------------------------------------------------------------------------
def test_the_export_describes_everything_that_was_made_by_hand(source: Source) -> None:
    assert set(source.files) == EVERY_FILE
    docs = documents(source.files)
    # Fields of every type on every built-in entity and on a smart process.
    for entity in ENTITIES:
        fields = {f["code"]: f["type"] for f in docs[f"entities/{entity}.yaml"]["fields"]}
        assert fields == {f"X_{t.upper()}": t for t in FIELD_TYPES}, entity
    candidate = docs["smart-processes/candidate.yaml"]
    assert {f["code"]: f["type"] for f in candidate["fields"]} == {t.upper(): t for t in FIELD_TYPES}
    crm = next(f for f in candidate["fields"] if f["type"] == "crm")
    assert sorted(crm["targets"]) == ["company", "contact", "deal", "vacancy"]
    supplier = next(f for f in docs["smart-processes/contract.yaml"]["fields"] if f["code"] == "SUPPLIER")
    assert supplier["targets"] == ["supplier"]
    # Relations by code, both sides.
    assert candidate["relations"] == {"parents": [{"type": "vacancy", "showInCard": True}], "children": []}
    assert docs["smart-processes/contract.yaml"]["relations"] == {
        "parents": [{"type": "deal", "showInCard": True}, {"type": "supplier"}],
        "children": [{"type": "quote", "showInCard": True}],
    }
    # Pipelines and stages as edited.
    vacancy = {p["name"]: [s["code"] for s in p["stages"]] for p in docs["smart-processes/vacancy.yaml"]["pipelines"]}
    assert vacancy == {"Open positions": ["NEW", "PREPARATION", "SUCCESS", "FAIL", "CANCELLED"],
                       "Internships": ["NEW", "PREPARATION", "SCREENING", "CLIENT", "SUCCESS", "FAIL"]}
    deal = {p["name"]: {s["code"]: s["name"] for s in p["stages"]} for p in docs["entities/deal.yaml"]["pipelines"]}
    assert deal["General"]["PREPARATION"] == "Proposal" and "NEGOTIATION" in deal["General"]
    assert deal["Partners"]["NEW"] == "Lead-in" and "FINAL_INVOICE" not in deal["Partners"]
    assert [p["name"] for p in docs["entities/contact.yaml"]["pipelines"]] == ["Suppliers", "General"]
    lead = {s["code"]: s["name"] for s in docs["entities/lead.yaml"]["statuses"]}
    assert lead["IN_PROCESS"] == "Working on it" and lead["QUALIFIED"] == "Qualified"
    assert {s["code"]: s["name"] for s in docs["entities/quote.yaml"]["statuses"]}["SENT"] == "Sent for review"
    sources = {i["code"]: i["name"] for i in docs["directories/source.yaml"]["items"]}
    assert (sources["JOB_BOARD"], sources["REFERRAL"], sources["TRADE_SHOW"]) == \
        ("Job board", "Employee referral", "Trade fair")
    assert docs["workplaces/recruiting.yaml"]["smartProcesses"] == ["candidate", "vacancy"]
    # Only what a manifest cannot hold is left out: the stages of a smart process without stages.
    left_out = [(path, line) for path, content in source.files.items() for line in content.splitlines()
                if line.startswith("# Left out")]
    assert [path for path, _ in left_out] == ["smart-processes/supplier.yaml"], left_out


def test_exported_text_holds_no_secret_and_no_portal_ids(source: Source) -> None:
    etids = {str(v) for v in source.seeded.etid.values()}
    for path, content in source.files.items():
        assert SANDBOX_WEBHOOK_CODE not in content, path
        assert SANDBOX_DOMAIN not in content and IDENTITY.url not in content, path
        for forbidden in (r"\bentityTypeId\s*:", r"\b(id|ID|typeIds?|categoryId)\s*:", r"UF_CRM_", r"\bCRM_\d",
                          r"DYNAMIC_\d", r"\bDT\d+_\d+:", r"\bC\d+:", r"#\d+\b"):
            assert not re.search(forbidden, content), f"{path}: {forbidden!r} in\n{content}"
        numbers = set(re.findall(r"\b\d{3,}\b", content))
        assert not numbers & etids, f"{path} holds an entityTypeId: {numbers & etids}"


def case(paths: set[str], *marks: pytest.MarkDecorator, **selection: str) -> Any:
    return pytest.param(selection, paths, marks=marks, id=",".join(f"{k}={v}" for k, v in selection.items()))


@pytest.mark.parametrize(("selection", "paths"), [
    # A smart process comes with the ones it links to (manifests may only name those in the manifests).
    case({"smart-processes/candidate.yaml", "smart-processes/vacancy.yaml"}, smart_process="Candidates"),
    case({"smart-processes/contract.yaml", "smart-processes/supplier.yaml"}, smart_process="contract"),
    case({"entities/deal.yaml"}, entity="deal"),
    case({"entities/lead.yaml"}, entity="lead"),
    case(SMART_PROCESS_FILES, kind="SmartProcess"),
    case(ENTITY_FILES, kind="CrmEntity"),
    case(DIRECTORY_FILES, kind="Directory"),
    case(WORKPLACE_FILES, kind="Workplace"),
    case(set(), kind="Directory", entity="deal"),
])
def test_subset_exports_write_only_the_chosen_files_as_the_full_export_does(
    source: Source, selection: dict[str, str], paths: set[str], tmp_path: Path,
) -> None:
    chosen = exported(source.client, **selection)
    assert set(chosen) == paths
    # References to smart processes outside the selection keep their codes: the text is the same.
    assert chosen == {path: source.files[path] for path in paths}, \
        differences({path: source.files[path] for path in paths}, chosen)
    if chosen:
        result = plan(source.client, write(chosen, tmp_path))
        assert result.empty, no_changes(result)
        assert not result.unmanaged, result.unmanaged


def test_select_refuses_an_unknown_smart_process(source: Source) -> None:
    with pytest.raises(PlanError, match="no smart process with the code or title 'nope'"):
        engine.select(engine.read_portal(source.client), smart_process="nope")


# --- starter rows of built-in entities deleted on the source -----------------------------------------
def test_starter_rows_deleted_from_builtin_entities_are_deleted_on_the_target(tmp_path: Path) -> None:
    """A non-system stage of the default deal pipeline, a lead status and a SOURCE item that the
    portal made by itself and an admin deleted: the portal cannot tell them from rows a user made,
    so only the complete (pruning) lists of the export remove them on the target."""
    client = sandbox()
    seed(client)
    delete_builtin_defaults(client)
    files = exported(client)
    fresh = sandbox()
    first = plan(fresh, write(files, tmp_path))
    assert sorted(f"{c.action.symbol} {c.address}" for c in first.changes if c.destroys) == [
        "- stage.deal.general.PREPAYMENT_INVOICE", "- stage.deal.partners.FINAL_INVOICE",
        "- stage.vacancy.open_positions.CLIENT", "- status.SOURCE.ADVERTISING", "- status.lead.PROCESSED",
    ], text.render_plan(first, color=False)
    first.check_safe(allow_destroy=True)  # SOURCE items are not counted, so their delete needs it
    report = engine.apply(fresh, first)
    assert report.ok and not report.drift, text.render_report(report)
    again = exported(fresh)
    assert again == files, differences(files, again)
    result = plan(fresh, tmp_path)
    assert result.empty, no_changes(result)


# --- the command ------------------------------------------------------------------------------------
def test_cli_export_writes_the_files_of_a_portal_made_by_hand(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    seed(sandbox(state))  # the sandbox saves its state file after every write

    result = run_cli("export", "--out", "manifests", cwd=tmp_path, state=state)

    assert result.returncode == 0, result
    written = read(tmp_path / "manifests")
    assert result.stderr.startswith(f"Wrote {len(written)} manifest(s) to manifests."), result
    assert result.stdout == "", result
    assert written == exported(sandbox(state)), differences(exported(sandbox(state)), written)
    assert set(written) == EVERY_FILE

    only = run_cli("export", "--out", "deal", "--entity", "deal", cwd=tmp_path, state=state)
    assert only.returncode == 0, only
    assert read(tmp_path / "deal") == {"entities/deal.yaml": written["entities/deal.yaml"]}
