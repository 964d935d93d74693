"""Property: whatever valid manifests say, apply brings the portal there in one go, and stays there.

Hypothesis generates sets of 1-3 SmartProcess manifests over a small pool of codes, pipeline names,
stage codes (overlapping the portal's own defaults NEW, PREPARATION, CLIENT, SUCCESS, FAIL and the
default pipeline's name), field codes and types, relations and crm targets between the generated
smart processes. On a fresh sandbox: apply A, then the plan is empty; then apply another set B over
what A left (destroying allowed), then the plan for B is empty too. After every apply the report is
ok (nothing failed, nothing drifted) and the portal holds no duplicates.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis import note as _hypothesis_note
from hypothesis.errors import InvalidArgument

from b24cfg import engine
from b24cfg.errors import PlanError
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.engine.conftest import Rig, assert_converged, describe, duplicates, load_dicts, problems_of

CODES = ("alpha", "beta", "gamma")
PIPELINE_NAMES = ("General", "Sales", "Support", "Partners")
STAGE_CODES = ("NEW", "PREPARATION", "CLIENT", "SUCCESS", "FAIL", "DRAFT", "REVIEW", "WON", "LOST")
STAGE_NAMES = ("Start", "Preparation", "Approval", "Success", "Failure", "Draft", "In review", "Done", "Lost")
COLORS = ("#22B9FF", "#00FF00", "#FF0000", "#a8adb4")
FIELD_CODES = ("AMOUNT", "NOTE", "KIND", "LINK", "CHANNEL", "DUE", "FLAG", "RATING")  # usual types below
FIELD_TYPES = ("string", "money", "integer", "url", "enumeration", "employee", "crm", "address", "crm_status",
               "file", "boolean", "double", "datetime", "date")
ITEM_VALUES = ("Low", "Medium", "High", "Critical")
BUILTIN_TARGETS = ("lead", "deal", "contact", "company", "quote", "invoice")
BUILTIN_PARENTS = ("lead", "deal", "quote", "invoice", "order")
BUILTIN_CHILDREN = ("lead", "deal", "contact", "company", "quote", "invoice")
# Settings as people write them, including values the portal stores differently (clamped, upper-cased,
# 1/0 for a switch, floats for whole numbers) and one key a type does not have.
SETTINGS: dict[str, list[dict[str, Any]]] = {
    "string": [{"ROWS": 3}, {"DEFAULT_VALUE": "n/a"}, {"SIZE": 40, "MAX_LENGTH": 100}, {"ROWS": 0, "SIZE": 300}],
    "integer": [{"MIN_VALUE": 1, "MAX_VALUE": 10}, {"DEFAULT_VALUE": 5}, {"DEFAULT_VALUE": "7"}],
    "double": [{"PRECISION": 4}, {"MIN_VALUE": 1, "DEFAULT_VALUE": 2.5}, {"PRECISION": 20}],
    "boolean": [{"DEFAULT_VALUE": 1}, {"DISPLAY": "RADIO"}, {"DEFAULT_VALUE": True, "DISPLAY": "dropdown"}],
    "enumeration": [{"DISPLAY": "UI"}, {"LIST_HEIGHT": 3}, {"LIST_HEIGHT": 0, "SHOW_NO_VALUE": False}],
    "datetime": [{"USE_SECOND": "N"}, {"USE_TIMEZONE": True, "DEFAULT_VALUE": {"TYPE": "now"}}],
    "date": [{"DEFAULT_VALUE": {"TYPE": "NOW"}}],
    "url": [{"POPUP": "N"}, {"POPUP": False, "ROWS": 2}],
    "address": [{"SHOW_MAP": "N"}],
    "money": [{"DEFAULT_VALUE": "10|USD"}],
    "file": [{"EXTENSIONS": ["pdf", "doc"], "MAX_ALLOWED_SIZE": 1000}],
    "employee": [{"UNKNOWN_KEY": "1"}],
}


@st.composite
def labels(draw: st.DrawFn, code: str) -> Any:
    word = draw(st.sampled_from(("Amount", "Note", "Kind", "Link", code.title())))
    if draw(st.booleans()):
        return word
    return {"en": word, "de": draw(st.sampled_from((word, f"{word} (de)")))}


@st.composite
def stage_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(3, 6))
    codes = draw(st.lists(st.sampled_from(STAGE_CODES), min_size=count, max_size=count, unique=True))
    failures = draw(st.integers(1, count - 2))
    process = count - 1 - failures
    semantics = ["process"] * process + ["success"] + ["failure"] * failures
    explicit = draw(st.booleans())
    stages = []
    for position, (code, meaning) in enumerate(zip(codes, semantics)):
        stage: dict[str, Any] = {"code": code, "name": draw(st.sampled_from(STAGE_NAMES))}
        if meaning != "process":
            stage["semantics"] = meaning
        if draw(st.booleans()):
            stage["color"] = draw(st.sampled_from(COLORS))
        if explicit:
            stage["sort"] = (position + 1) * 100
        stages.append(stage)
    return stages


@st.composite
def pipeline_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(PIPELINE_NAMES), min_size=1, max_size=3, unique=True))
    default = draw(st.sampled_from(names))
    pipelines = []
    for name in names:
        pipeline: dict[str, Any] = {"key": name.lower(), "name": name}
        if draw(st.integers(0, 7)):  # stages left out now and then: the portal's are kept as they are
            pipeline["stages"] = draw(stage_lists())
            if draw(st.booleans()):
                pipeline["prune"] = True
        if len(names) > 1:
            pipeline["default"] = name == default
        if draw(st.integers(0, 3)) == 0:
            pipeline["sort"] = draw(st.integers(1, 600))
        pipelines.append(pipeline)
    if any("sort" in p for p in pipelines):  # explicit sorts must increase down the list
        for position, pipeline in enumerate(pipelines):
            pipeline["sort"] = (position + 1) * 10 + (pipeline.get("sort", 0) % 7)
    return pipelines


@st.composite
def fields(draw: st.DrawFn, codes: list[str]) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(FIELD_CODES), max_size=6, unique=True))
    out = []
    for code in chosen:
        # Mostly one type per code, so a code found again is usually updated rather than replaced.
        usual = FIELD_TYPES[(FIELD_CODES.index(code) * 2) % len(FIELD_TYPES)]
        kind = usual if draw(st.integers(0, 3)) else draw(st.sampled_from(FIELD_TYPES))
        field: dict[str, Any] = {"code": code, "type": kind, "label": draw(labels(code))}
        if kind != "boolean" and draw(st.integers(0, 3)) == 0:
            field["multiple"] = True
        for flag in ("mandatory", "showInFilter", "searchable"):
            if draw(st.integers(0, 3)) == 0:
                field[flag] = True
        if draw(st.integers(0, 4)) == 0:
            field["editInList"] = False
        if draw(st.integers(0, 3)) == 0:
            field["sort"] = draw(st.integers(1, 500))
        if kind in SETTINGS and draw(st.booleans()):
            field["settings"] = draw(st.sampled_from(SETTINGS[kind]))
        if kind == "enumeration":
            values = draw(st.lists(st.sampled_from(ITEM_VALUES), min_size=1, max_size=4, unique=True))
            with_xml = draw(st.booleans())
            items = []
            for value in values:
                item: dict[str, Any] = {"value": value}
                if with_xml:
                    item["xmlId"] = value.lower()
                items.append(item)
            defaults = draw(st.lists(st.sampled_from(range(len(items))), unique=True,
                                     max_size=len(items) if field.get("multiple") else 1))
            for index in defaults:
                items[index]["default"] = True
            field["items"] = items
        if kind == "crm":
            field["targets"] = draw(st.lists(st.sampled_from((*BUILTIN_TARGETS, *codes)), min_size=1, max_size=3,
                                             unique=True))
        if kind == "crm_status":
            field["directory"] = draw(st.sampled_from(("SOURCE", "SOURCE", "INDUSTRY")))
        out.append(field)
    return out


def link(draw: st.DrawFn, other: str, show: bool) -> dict[str, Any]:
    """One end of a link between generated smart processes; showInCard is sometimes left to the other end."""
    return {"type": other, "showInCard": show} if draw(st.integers(0, 2)) else {"type": other}


@st.composite
def manifest_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    codes = sorted(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True)))
    # Links between the generated smart processes: (parent, child, showInCard).
    pairs = {}
    for parent in codes:
        for child in codes:
            if parent != child and (child, parent) not in pairs and draw(st.integers(0, 3)) == 0:
                pairs[(parent, child)] = draw(st.booleans())
    documents = []
    for code in codes:
        # Pipelines left out now and then: the portal's are kept as they are.
        pipelines = draw(pipeline_lists()) if draw(st.integers(0, 5)) else None
        features: dict[str, Any] = {"stages": pipelines is not None or draw(st.booleans())}
        if (pipelines and len(pipelines) > 1) or draw(st.integers(0, 3)) == 0:
            features["pipelines"] = True
        for flag in ("client", "observers", "source", "recycleBin", "beginCloseDates", "products", "documents",
                     "businessProcesses", "myCompany"):
            if draw(st.integers(0, 3)) == 0:
                features[flag] = True
        if features["stages"] and draw(st.integers(0, 3)) == 0:
            features["automation"] = True
        if draw(st.integers(0, 4)) == 0:
            features["openPermissions"] = False
        if draw(st.integers(0, 4)) == 0:
            features["useInUserFields"] = True
            features["linkedUserFields"] = {"tasks": draw(st.booleans()), "calendarEvents": draw(st.booleans())}
        document: dict[str, Any] = {
            "kind": "SmartProcess", "code": code, "title": draw(st.sampled_from((code.title(), f"{code.title()} SP"))),
            "features": features,
        }
        if pipelines is not None:
            document["pipelines"] = pipelines
        if draw(st.integers(0, 5)) == 0:
            # One pair of pins per code: a pin never collides with another code's (that is refused at plan time).
            document["entityTypeId"] = 1100 + 2 * CODES.index(code) + 10 * draw(st.integers(0, 1))
        relations: dict[str, Any] = {}
        if draw(st.integers(0, 2)) == 0:
            builtin = draw(st.lists(st.sampled_from(BUILTIN_PARENTS), max_size=2, unique=True))
            relations["parents"] = [{"type": t} for t in builtin] + [
                link(draw, p, show) for (p, c), show in pairs.items() if c == code]
        elif any(c == code for _, c in pairs):
            relations["parents"] = [link(draw, p, show) for (p, c), show in pairs.items() if c == code]
        if draw(st.integers(0, 2)) == 0:
            builtin = draw(st.lists(st.sampled_from(BUILTIN_CHILDREN), max_size=2, unique=True))
            relations["children"] = [{"type": t, "showInCard": draw(st.booleans())} for t in builtin] + [
                link(draw, c, show) for (p, c), show in pairs.items() if p == code]
        if relations:
            document["relations"] = relations
        if draw(st.integers(0, 5)) > 0:
            document["fields"] = draw(fields(codes))
            if draw(st.integers(0, 2)) == 0:
                document["prune"] = {"fields": True}
        if pipelines is not None and draw(st.integers(0, 2)) == 0:
            document.setdefault("prune", {})["pipelines"] = True
        documents.append(document)
    return documents


def note(text: str) -> None:
    """Hypothesis's note inside a property; nothing in the fixed examples."""
    try:
        _hypothesis_note(text)
    except InvalidArgument:
        pass


def _valid(documents: list[dict[str, Any]]) -> list[SmartProcessManifest]:
    problems = problems_of(documents)
    assert not problems, f"the generator made an invalid manifest set: {problems}"
    return load_dicts(documents)


def _prune_stages(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**d, "pipelines": [{**p, "prune": True} if "stages" in p else p for p in d["pipelines"]]}
            if "pipelines" in d else d for d in documents]


def _prune_pipelines(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**d, "prune": {**d.get("prune", {}), "pipelines": True}} if "pipelines" in d
            else {**d, "features": {**d["features"], "pipelines": True}} for d in documents]


# Plans b24cfg refuses by design, and what the manifest author does about them.
REFUSALS = {
    # A pipeline holds one success stage: an unlisted one on the portal blocks a new one.
    "success stage on the portal is not in the manifest": _prune_stages,
    # The portal refuses to switch pipelines off while more than one exists.
    "features.pipelines is false, but the portal would keep": _prune_pipelines,
}


def planned(rig: Rig, documents: list[dict[str, Any]], label: str) -> tuple[list[SmartProcessManifest], Plan]:
    """The manifests (after the author's answer to a designed refusal, if any) and their plan."""
    for _ in range(len(REFUSALS)):
        manifests = _valid(documents)
        try:
            return manifests, rig.plan(manifests)
        except PlanError as error:
            fix = next((f for text, f in REFUSALS.items() if text in str(error)), None)
            if fix is None:
                raise
            note(f"{label}: refused as designed ({error}); retried as the author would fix it")
            documents = fix(documents)
    manifests = _valid(documents)
    return manifests, rig.plan(manifests)


def _apply_and_check(rig: Rig, documents: list[dict[str, Any]], label: str) -> None:
    manifests, plan = planned(rig, documents, label)
    note(f"{label} plan:\n{describe(plan)}")
    plan.check_safe(allow_destroy=True)
    report = engine.apply(rig.client, plan)
    assert report.ok, f"{label}: {report.to_json()}"
    assert not duplicates(rig.portal), duplicates(rig.portal)
    assert_converged(rig, manifests)


# B24CFG_CONVERGENCE_EXAMPLES=500 searches harder (minutes); the default keeps the file under a minute.
@settings(max_examples=int(os.environ.get("B24CFG_CONVERGENCE_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=manifest_sets(), second=manifest_sets())
def test_apply_converges(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> None:
    note(f"A = {first}")
    note(f"B = {second}")
    rig = Rig.fresh()
    _apply_and_check(rig, first, "A")
    _apply_and_check(rig, second, "B over A")


# --- the bugs this property found, each as a fixed example ------------------------------------------
def _sp(code: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "SmartProcess", "code": code, "title": code.title(), **extra}


def _stages(*spec: str) -> list[dict[str, Any]]:
    """``"CODE"`` a process stage, ``"CODE:success"`` / ``"CODE:failure"`` the others."""
    out = []
    for text in spec:
        code, _, semantics = text.partition(":")
        out.append({"code": code, "name": code.title(), **({"semantics": semantics} if semantics else {})})
    return out


FIXED: dict[str, list[list[dict[str, Any]]]] = {
    # executor: a stage replaced into success ran before the one replaced out of it (one per pipeline).
    "success-moves-between-replaced-stages": [
        [_sp("alpha", features={"stages": True}, pipelines=[
            {"key": "main", "name": "Main", "stages": _stages("NEW", "PREPARATION:success", "CLIENT:failure")}])],
    ],
    # executor: a call with an empty list went alone, still holding a $result reference of the batch.
    "relations-with-an-empty-side-on-a-new-smart-process": [
        [_sp("alpha", relations={"parents": [{"type": "lead"}], "children": []})],
    ],
    # executor: the old ID of a replaced default stage was never looked up when its own add makes the new one.
    "every-default-stage-of-a-new-pipeline-replaced": [
        [_sp("alpha", features={"stages": True, "pipelines": True}, pipelines=[
            {"key": "main", "name": "Main", "default": True, "stages": _stages("NEW", "WON:success", "LOST:failure")},
            {"key": "other", "name": "Other", "default": False,
             "stages": _stages("FAIL", "NEW:success", "PREPARATION:failure", "CLIENT:failure", "SUCCESS:failure")}])],
    ],
    # diff: with prune.pipelines the portal's old default pipeline was kept, then deleted by the next plan.
    "pruned-old-default-pipeline-goes-in-one-apply": [
        [_sp("alpha", features={"stages": True, "pipelines": True}, pipelines=[
            {"key": "general", "name": "General", "default": True, "stages": _stages("A", "B:success", "C:failure")},
            {"key": "sales", "name": "Sales", "default": False, "stages": _stages("A", "B:success", "C:failure")}])],
        [_sp("alpha", features={"stages": True, "pipelines": True}, prune={"pipelines": True}, pipelines=[
            {"key": "sales", "name": "Sales", "stages": _stages("A", "B:success", "C:failure")}])],
    ],
    # smart_process: pipelines were switched off before the extra pipelines were deleted (the portal refuses).
    "pipelines-switched-off-after-the-others-are-pruned": [
        [_sp("alpha", features={"pipelines": True}, pipelines=[
            {"key": "general", "name": "General", "default": True}, {"key": "sales", "name": "Sales", "default": False}])],
        [_sp("alpha", prune={"pipelines": True}, pipelines=[{"key": "sales", "name": "Sales"}])],
    ],
    # diff: links to a replaced smart process went with the old type and were not written again.
    "links-follow-a-replaced-smart-process": [
        [_sp("alpha", relations={"parents": [{"type": "beta", "showInCard": True}]}, fields=[
            {"code": "LINK", "type": "crm", "label": "Link", "targets": ["beta", "deal"]}]), _sp("beta")],
        [_sp("alpha", relations={"parents": [{"type": "beta", "showInCard": True}]}, fields=[
            {"code": "LINK", "type": "crm", "label": "Link", "targets": ["beta", "deal"]}]), _sp("beta", entityTypeId=1110)],
    ],
    # compile: showInCard left out on one end of a link fought the other end's explicit value.
    "show-in-card-said-on-one-end-only": [
        [_sp("alpha", relations={"children": [{"type": "beta", "showInCard": True}]}),
         _sp("beta", relations={"parents": [{"type": "alpha"}]})],
    ],
    # compile: settings the portal stores differently (clamped, 1/0 for a switch, floats) never converged.
    "field-settings-as-the-portal-stores-them": [
        [_sp("alpha", fields=[
            {"code": "A", "type": "string", "label": "A", "settings": {"ROWS": 0, "SIZE": 300}},
            {"code": "B", "type": "boolean", "label": "B", "settings": {"DEFAULT_VALUE": True, "DISPLAY": "radio"}},
            {"code": "C", "type": "double", "label": "C", "settings": {"MIN_VALUE": 1, "PRECISION": 20}},
            {"code": "D", "type": "employee", "label": "D", "settings": {"UNKNOWN": "1"}},
            {"code": "E", "type": "enumeration", "label": "E", "items": [{"value": "x"}],
             "settings": {"LIST_HEIGHT": 0, "DISPLAY": "ui"}}])],
    ],
    # A label map replaced by one text. Plain-text labels are compared in English only (refresh.py
    # CHOICE), so this converges by plan; the German text stays until the English one changes.
    "label-map-becomes-one-text": [
        [_sp("alpha", fields=[{"code": "A", "type": "string", "label": {"en": "Amount", "de": "Betrag"}}])],
        [_sp("alpha", fields=[{"code": "A", "type": "string", "label": "Amount"}])],
    ],
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_example_converges(name: str) -> None:
    rig = Rig.fresh()
    for number, documents in enumerate(FIXED[name]):
        _apply_and_check(rig, documents, f"step {number + 1}")


def test_settings_the_portal_changes_are_named_in_the_plan() -> None:
    plan = Rig.fresh().plan(_valid(FIXED["field-settings-as-the-portal-stores-them"][0]))
    text = "\n".join(plan.warnings)
    assert "field.alpha.A: settings.ROWS: the portal stores 0 as 1; write 1" in text
    assert "field.alpha.C: settings.MIN_VALUE" not in text  # 1 is 1.0
    assert "field.alpha.D: settings.UNKNOWN is not a setting of employee fields" in text
    assert "field.alpha.B: settings.DEFAULT_VALUE" not in text  # true for a switch is 1: what was meant


def test_pinned_entity_type_id_of_an_unmanaged_smart_process_is_refused_at_plan_time() -> None:
    rig = Rig.fresh()
    _apply_and_check(rig, [_sp("alpha", entityTypeId=1100)], "A")
    writes = rig.writes()
    with pytest.raises(PlanError, match=r"entityTypeId 1100 is taken on this portal by the smart process alpha"):
        rig.plan(_valid([_sp("beta", entityTypeId=1100)]))
    assert rig.writes() == writes


def test_pipelines_switched_off_while_unlisted_ones_stay_is_refused_at_plan_time() -> None:
    rig = Rig.fresh()
    _apply_and_check(rig, FIXED["pipelines-switched-off-after-the-others-are-pruned"][0], "A")
    with pytest.raises(PlanError, match="features.pipelines is false, but the portal would keep 2 pipelines"):
        rig.plan(_valid([_sp("alpha", pipelines=[{"key": "sales", "name": "Sales"}])]))
