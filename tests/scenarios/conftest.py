"""Shared machinery for the scenario folders: a fresh sandbox portal and the engine run in-process.

``Session`` wraps one sandbox portal on a simulated clock, a client without pacing, and the engine
(``make_plan`` / ``check_safe`` / ``apply``). Portal state is read back with plain REST calls
(``view``), never through the engine's own refresh, so a scenario proves what a user would find on
the portal, not what b24cfg believes is there.

The engine logs in with the sandbox's incoming webhook, or (``use_application``, which the runner
calls for scenarios with an Application manifest) as the sandbox's own local application over
OAuth: robots, activities, triggers, events and placements are accepted only from an application.
``app_view`` reads what the application registered, over plain REST in that application's context.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.engine import apply, make_plan
from b24cfg.executor import ApplyReport
from b24cfg.manifest import load_manifests_or_raise
from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.model import Address
from b24cfg.planner.changes import Action
from b24cfg.planner.plan import Plan, PortalIdentity
from b24cfg.portal import Client, OAuthAuth, WebhookAuth
from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxTransport
from b24cfg.views import text, value

PORTAL_URL = "https://sandbox.test"
BUILTIN_NAMES = {1: "lead", 2: "deal", 3: "contact", 4: "company", 7: "quote", 14: "order", 31: "invoice"}
SEMANTICS = {"S": "success", "F": "failure"}
ENTITY_TYPE_IDS = {"lead": 1, "deal": 2, "contact": 3, "company": 4, "quote": 7}
PIPELINE_ENTITIES = ("deal", "contact", "company")
STATUS_DIRECTORIES = {"lead": "STATUS", "quote": "QUOTE_STATUS"}
PLAIN_DIRECTORIES = ("SOURCE", "CONTACT_TYPE", "COMPANY_TYPE", "EMPLOYEES", "INDUSTRY", "DEAL_TYPE", "HONORIFIC",
                     "CALL_LIST")
CRM_KEYS = (*ENTITY_TYPE_IDS, "directories", "directory_codes", "workplaces", "workplace_titles")
"""The keys ``crm_view`` adds next to the smart processes of ``view``."""


# --- how a plan reads, line by line ---------------------------------------------------------------
def plan_lines(plan: Plan) -> list[str]:
    """``"<symbol> <address>"`` per change, in the order the plan lists (and applies) them."""
    return [f"{c.action.symbol} {c.address}" for c in plan.changes]


def attribute_lines(plan: Plan) -> list[str]:
    """``"<address>: <attr> <old> -> <new>"`` for every attribute an update or replace changes,
    values spelled as the text view spells them; `` (forces replacement)`` where it does."""
    lines = []
    for change in plan.changes:
        if change.action not in (Action.UPDATE, Action.REPLACE):
            continue
        for attr in change.attrs:
            line = f"{change.address}: {attr.name} {value(attr.old)} -> {value(attr.new)}"
            lines.append(line + (" (forces replacement)" if attr.forces_replacement else ""))
    return lines


def mismatches(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected``: mappings are matched on the keys ``expected``
    lists, lists element by element and at the same length, everything else by equality."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path or '.'}: expected a mapping, found {actual!r}"]
        out = []
        for key, want in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing (have {sorted(actual)})")
            else:
                out += mismatches(want, actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, found {actual!r}"]
        return [m for i, (w, a) in enumerate(zip(expected, actual)) for m in mismatches(w, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r}, found {actual!r}"]


class Session:
    """One sandbox portal, a client on it, and the engine."""

    def __init__(self, identity: PortalIdentity | None = None, *, application: bool = False) -> None:
        self.clock = SimulatedClock()
        self.portal = SandboxPortal(clock=self.clock)
        transport = SandboxTransport(self.portal)
        self.webhook = Client(
            WebhookAuth(f"{PORTAL_URL}/rest/1/{SANDBOX_WEBHOOK_CODE}/"), transport=transport,
            clock=self.clock, pacing=None,
        )
        # The sandbox's built-in local application, as ``settings.open_client(app=True)`` connects to it.
        self.app = Client(
            OAuthAuth(PORTAL_URL, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN,
                      token_url=f"{PORTAL_URL}/oauth/token/"),
            transport=transport, clock=self.clock, pacing=None,
        )
        self.client = self.app if application else self.webhook
        """What the engine (and ``rest``) use: the webhook, or the application after ``use_application``."""
        self.identity = identity or PortalIdentity(PORTAL_URL)

    def use_application(self) -> None:
        """Plan, apply and call REST as the sandbox's local application (OAuth), as ``b24cfg`` does
        for manifests that manage what an application registers."""
        self.client = self.app

    # --- engine ---------------------------------------------------------------------------------
    @staticmethod
    def load(manifests: str | Path | Sequence[SmartProcessManifest]) -> list[SmartProcessManifest]:
        if isinstance(manifests, (str, Path)):
            return load_manifests_or_raise([manifests])
        return list(manifests)

    def plan(self, manifests: str | Path | Sequence[SmartProcessManifest], targets: Iterable[str] = ()) -> Plan:
        return make_plan(self.client, self.load(manifests), self.identity, [Address.parse(t) for t in targets])

    def apply(self, plan: Plan, *, allow_destroy: bool = False) -> ApplyReport:
        """Check and apply ``plan`` as ``b24cfg apply`` does; the apply must succeed and stick."""
        plan.check_safe(allow_destroy=allow_destroy)
        report = apply(self.client, plan)
        assert report.ok and not report.drift, text.render_report(report)
        return report

    def converge(self, manifests: str | Path | Sequence[SmartProcessManifest]) -> None:
        """Apply ``manifests`` and prove the portal then matches them."""
        self.apply(self.plan(manifests), allow_destroy=True)
        again = self.plan(manifests)
        assert again.empty, "applying the manifests did not converge:\n" + text.render_plan(again)

    # --- REST, with nothing of the engine in between -------------------------------------------
    def rest(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.client.call(method, dict(params or {}))

    def app_rest(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """A REST call as the sandbox's local application, whoever the engine logs in as."""
        return self.app.call(method, dict(params or {}))

    # --- what the application registered, read back over plain REST ----------------------------
    def app_view(self) -> dict[str, Any]:
        """What the sandbox's local application has registered, as REST gives it back.

        ``{version: app.info VERSION, robots: [CODE, ...], activities: [CODE, ...] (codes only: the
        portal gives no definition back), triggers: {CODE: NAME}, trigger_codes: [CODE, ...],
        events: [{event, handler, auth_type, offline}] (offline ones: {event, offline, connector_id}),
        placements: [{placement, handler, title, description, userId, options, langAll}],
        options: {key: value}}``; lists in the portal's order (by id: a binding made again comes last),
        option values that are JSON text (b24cfg's fingerprints) parsed, a cleared option ``""``.
        """
        options = self.app_rest("app.option.get")
        options = dict(options) if isinstance(options, Mapping) else {}
        triggers = list(self.app_rest("crm.automation.trigger.list"))
        return {
            "version": int(self.app_rest("app.info")["VERSION"]),
            "robots": list(self.app_rest("bizproc.robot.list")),
            "activities": list(self.app_rest("bizproc.activity.list")),
            "triggers": {t["CODE"]: t["NAME"] for t in triggers},
            "trigger_codes": [t["CODE"] for t in triggers],
            "events": [dict(e) for e in self.app_rest("event.get")],
            "placements": [dict(p) for p in self.app_rest("placement.get")],
            "options": {key: _parsed(value) for key, value in options.items()},
        }

    def types(self) -> list[dict[str, Any]]:
        return list(self.rest("crm.type.list", {"order": {"id": "ASC"}})["types"])

    def type(self, code: str) -> dict[str, Any]:
        """The smart process with ``code`` (or, written ``#Title``, the one without a code so titled)."""
        found = [t for t in self.types() if _key(t) == code]
        assert len(found) == 1, f"expected one smart process {code!r} on the portal, found {len(found)}"
        return dict(self.rest("crm.type.get", {"id": found[0]["id"]})["type"])

    def pipelines(self, code: str) -> list[dict[str, Any]]:
        return self._categories(int(self.type(code)["entityTypeId"]))

    def pipeline(self, code: str, name: str) -> dict[str, Any]:
        found = [c for c in self.pipelines(code) if c["name"] == name]
        assert len(found) == 1, f"expected one pipeline {name!r} of {code!r}, found {len(found)}"
        return found[0]

    def stages(self, code: str, pipeline: str) -> list[dict[str, Any]]:
        category = self.pipeline(code, pipeline)
        return self._stage_rows(int(category["entityTypeId"]), int(category["id"]))

    def stage(self, code: str, pipeline: str, stage: str) -> dict[str, Any]:
        found = [r for r in self.stages(code, pipeline) if r["STATUS_ID"].split(":", 1)[-1] == stage]
        assert len(found) == 1, f"expected one stage {stage!r} in {code}/{pipeline}, found {len(found)}"
        return found[0]

    def fields(self, code: str) -> list[dict[str, Any]]:
        return self._field_rows(int(self.type(code)["id"]))

    def _categories(self, etid: int) -> list[dict[str, Any]]:
        rows = self.rest("crm.category.list", {"entityTypeId": etid})["categories"]
        return sorted(rows, key=lambda c: (int(c["sort"]), int(c["id"])))

    def _stage_rows(self, etid: int, category_id: int) -> list[dict[str, Any]]:
        rows = self.rest("crm.status.list", {"filter": {"ENTITY_ID": f"DYNAMIC_{etid}_STAGE_{category_id}"}})
        return sorted(rows, key=lambda r: (int(r["SORT"]), int(r["ID"])))

    def _field_rows(self, type_id: int) -> list[dict[str, Any]]:
        rows = self.rest("userfieldconfig.list", {
            "moduleId": "crm", "filter": {"entityId": f"CRM_{type_id}"}, "select": {"0": "*", "language": "en"},
            "order": {"id": "ASC"},
        })["fields"]
        return [self.rest("userfieldconfig.get", {"moduleId": "crm", "id": row["id"]})["field"] for row in rows]

    def add_items(self, code: str, *, pipeline: str | None = None, stage: str | None = None, count: int = 1) -> None:
        """Put ``count`` CRM items on a smart process, one of its pipelines (by name) or a stage."""
        etid = int(self.type(code)["entityTypeId"])
        if pipeline is None:
            self.portal.add_items(etid, count=count)
            return
        category = int(self.pipeline(code, pipeline)["id"])
        status = self.stage(code, pipeline, stage)["STATUS_ID"] if stage else None
        self.portal.add_items(etid, category_id=category, stage_id=status, count=count)

    # --- built-in entities, directories and workplaces -----------------------------------------
    def entity_pipelines(self, entity: str) -> list[dict[str, Any]]:
        """The pipelines (crm.category) of deal, contact or company, in display order."""
        return self._categories(ENTITY_TYPE_IDS[entity])

    def entity_pipeline(self, entity: str, name: str) -> dict[str, Any]:
        found = [c for c in self.entity_pipelines(entity) if c["name"] == name]
        assert len(found) == 1, f"expected one {entity} pipeline {name!r}, found {len(found)}"
        return found[0]

    def entity_stages(self, entity: str, pipeline: str | None = None) -> list[dict[str, Any]]:
        """crm.status rows of a deal pipeline (by name), or of the lead / quote status list."""
        if entity in STATUS_DIRECTORIES:
            return self._status_rows(STATUS_DIRECTORIES[entity])
        assert pipeline is not None, f"name the {entity} pipeline"
        cid = int(self.entity_pipeline(entity, pipeline)["id"])
        return self._status_rows(f"DEAL_STAGE_{cid}" if cid else "DEAL_STAGE")

    def entity_stage(self, entity: str, pipeline: str | None, stage: str) -> dict[str, Any]:
        found = [r for r in self.entity_stages(entity, pipeline) if r["STATUS_ID"].split(":", 1)[-1] == stage]
        assert len(found) == 1, f"expected one stage {stage!r} of {entity}/{pipeline}, found {len(found)}"
        return found[0]

    def entity_fields(self, entity: str) -> list[dict[str, Any]]:
        """Every ``crm.{entity}.userfield`` field, as ``crm.{entity}.userfield.get`` gives it (label maps)."""
        rows = self.rest(f"crm.{entity}.userfield.list", {"order": {"ID": "ASC"}})
        return [self.rest(f"crm.{entity}.userfield.get", {"id": row["ID"]}) for row in rows]

    def add_entity_items(self, entity: str, *, pipeline: str | None = None, stage: str | None = None,
                         count: int = 1) -> None:
        """Put ``count`` deals (contacts, companies) on a pipeline (by name; default: the default one)
        or one of its stages, or leads or quotes on a status (``stage``)."""
        etid = ENTITY_TYPE_IDS[entity]
        category = None
        if entity in PIPELINE_ENTITIES:
            if pipeline is None:
                pipeline = next(c["name"] for c in self.entity_pipelines(entity) if c["isDefault"] == "Y")
            category = int(self.entity_pipeline(entity, pipeline)["id"])
        status = self.entity_stage(entity, pipeline, stage)["STATUS_ID"] if stage else None
        self.portal.add_items(etid, category_id=category, stage_id=status, count=count)

    def _status_rows(self, entity_id: str) -> list[dict[str, Any]]:
        rows = self.rest("crm.status.list", {"filter": {"ENTITY_ID": entity_id}})
        return sorted(rows, key=lambda r: (int(r["SORT"]), int(r["ID"])))

    def crm_view(self) -> dict[str, Any]:
        """The built-in entities, plain directories and workplaces as a user would describe them, over
        plain REST; the keys are ``CRM_KEYS`` (none can be a smart-process code but ``directories``,
        ``directory_codes``, ``workplaces`` and ``workplace_titles``, which no scenario uses as one).

        ``{deal|contact|company: {pipelines: {name: {id, sort, default, items, stages: {CODE: {name,
        sort, color, semantics, items}}, stage_codes: [CODE, ...]}}, pipeline_names: [name, ...],
        fields: {CODE: field}, field_codes: [CODE, ...]},
        lead|quote: {statuses: {CODE: {name, sort, color, semantics, items}}, status_codes: [...],
        fields, field_codes},
        directories: {SOURCE: {CODE: {name, sort}}}, directory_codes: {SOURCE: [CODE, ...]},
        workplaces: {title: {id, smartProcesses: [code, ...]}}, workplace_titles: [title, ...]}``;
        a second pipeline or workplace with a name already seen is keyed ``<name> (id <id>)``;
        pipelines, stages and statuses in display order (``*_names``/``*_codes`` list them all, so a
        scenario can say what is gone), ``field_codes`` sorted, field codes without ``UF_CRM_``.
        A field is shaped as in ``view`` (plus ``id`` and ``sort``).
        """
        rows = self.rest("crm.status.list", {"order": {"SORT": "ASC"}})
        by_directory: dict[str, list[dict[str, Any]]] = {}
        for row in sorted(rows, key=lambda r: (int(r["SORT"]), int(r["ID"]))):
            by_directory.setdefault(str(row["ENTITY_ID"]), []).append(row)
        out: dict[str, Any] = {}
        for entity, etid in ENTITY_TYPE_IDS.items():
            record: dict[str, Any] = {}
            items = self._entity_items(etid)
            if entity in PIPELINE_ENTITIES:
                pipelines = {}
                for category in self._categories(etid):
                    cid = int(category["id"])
                    directory = (f"DEAL_STAGE_{cid}" if cid else "DEAL_STAGE") if entity == "deal" else None
                    stages = by_directory.get(directory, []) if directory else []
                    name = category["name"] if category["name"] not in pipelines else f"{category['name']} (id {cid})"
                    pipelines[name] = {
                        "id": cid, "sort": int(category["sort"]), "default": category["isDefault"] == "Y",
                        "items": sum(1 for i in items if int(i.get("categoryId") or 0) == cid),
                        "stages": {_stage_code(r): _status_view(r, items) for r in stages},
                        "stage_codes": [_stage_code(r) for r in stages],
                    }
                record.update(pipelines=pipelines, pipeline_names=list(pipelines))
            if entity in STATUS_DIRECTORIES:
                statuses = by_directory.get(STATUS_DIRECTORIES[entity], [])
                record.update(statuses={_stage_code(r): _status_view(r, items) for r in statuses},
                              status_codes=[_stage_code(r) for r in statuses])
            fields = {str(f["FIELD_NAME"]).removeprefix("UF_CRM_"): self._entity_field_view(f)
                      for f in self.entity_fields(entity)}
            record.update(fields=fields, field_codes=sorted(fields))
            out[entity] = record
        out["directories"] = {d: {str(r["STATUS_ID"]): {"name": r["NAME"], "sort": int(r["SORT"])}
                                  for r in by_directory.get(d, [])} for d in PLAIN_DIRECTORIES}
        out["directory_codes"] = {d: [str(r["STATUS_ID"]) for r in by_directory.get(d, [])]
                                  for d in PLAIN_DIRECTORIES}
        codes = {int(t["id"]): _key(t) for t in self.types()}
        workplaces = self._workplace_rows()
        out["workplaces"] = {}
        for w in workplaces:
            title = w["title"] if w["title"] not in out["workplaces"] else f"{w['title']} (id {w['id']})"
            out["workplaces"][title] = {
                "id": int(w["id"]),
                "smartProcesses": sorted(codes.get(int(t), f"#{t}") for t in w.get("typeIds") or []),
            }
        out["workplace_titles"] = [w["title"] for w in workplaces]
        return out

    def _workplace_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            envelope = self.client.call_envelope("crm.automatedsolution.list",
                                                 {"order": {"id": "ASC"}, "start": len(rows)})
            page = list(envelope.result["automatedSolutions"])
            rows.extend(page)
            if envelope.next is None or not page:
                assert len(rows) == int(envelope.total or 0), "crm.automatedsolution.list ended short"
                return rows

    def _entity_items(self, etid: int) -> list[dict[str, Any]]:
        """Every item of a built-in type (id, and its pipeline and stage where the type has them)."""
        rows: list[dict[str, Any]] = []
        while True:
            envelope = self.client.call_envelope("crm.item.list", {"entityTypeId": etid, "start": len(rows),
                                                                   "select": ["id", "categoryId", "stageId"]})
            page = list(envelope.result["items"])
            rows.extend(page)
            if envelope.next is None or not page:
                assert len(rows) == int(envelope.total or 0), "crm.item.list ended short"
                return rows

    @staticmethod
    def _entity_field_view(raw: Mapping[str, Any]) -> dict[str, Any]:
        label = raw.get("EDIT_FORM_LABEL")
        return {
            "id": int(raw["ID"]), "type": raw["USER_TYPE_ID"], "multiple": raw.get("MULTIPLE") == "Y",
            "mandatory": raw.get("MANDATORY") == "Y", "showInFilter": str(raw.get("SHOW_FILTER") or "N") != "N",
            "sort": int(raw.get("SORT") or 0),
            "label": label.get("en") if isinstance(label, Mapping) else label,
            "labels": dict(label) if isinstance(label, Mapping) else {},
            "settings": dict(raw.get("SETTINGS") or {}),
            "items": [{"value": e["VALUE"], "xmlId": e.get("XML_ID"), "default": e.get("DEF") == "Y",
                       "sort": int(e.get("SORT") or 0), "id": int(e["ID"])}
                      for e in sorted(raw.get("LIST") or [], key=lambda e: (int(e.get("SORT") or 0), int(e["ID"])))],
        }

    def item_count(self, etid: int, **filter: Any) -> int:
        envelope = self.client.call_envelope(
            "crm.item.list", {"entityTypeId": etid, "select": ["id"], **({"filter": filter} if filter else {})})
        return int(envelope.total or 0)

    def view(self) -> dict[str, Any]:
        """Every smart process on the portal as a user would describe it, read over plain REST.

        ``{code: {type: {crm.type fields}, relations: {parents, children}, pipelines: [{name, default,
        sort, items, stages: [{code, name, sort, semantics, color, items}]}], fields: {CODE: {type,
        multiple, mandatory, showInFilter, label (en), labels, settings, items: [{value, xmlId, default, sort}]}}, items: n}}``,
        pipelines and stages in display order. A smart process without a code is keyed ``#<title>``
        (``#<title> (id <id>)`` for a second one with the same title).
        """
        types = self.types()
        names = {int(t["entityTypeId"]): str(t["code"]) or f"#{t['title']}" for t in types}
        names.update(BUILTIN_NAMES)
        out: dict[str, Any] = {}
        for row in types:
            record = dict(self.rest("crm.type.get", {"id": row["id"]})["type"])
            relations = record.pop("relations", {})
            etid = int(record["entityTypeId"])
            key = _key(record) if _key(record) not in out else f"{_key(record)} (id {record['id']})"
            out[key] = {
                "type": record,
                "relations": {
                    side: sorted(({"type": names.get(int(r["entityTypeId"]), f"#{r['entityTypeId']}"),
                                   "showInCard": r["isChildrenListEnabled"] in ("Y", True, "true")}
                                  for r in relations.get(key, []) if r.get("isPredefined") != "Y"),
                                 key=lambda r: r["type"])
                    for side, key in (("parents", "parent"), ("children", "child"))
                },
                "pipelines": [self._pipeline_view(etid, c, stages=record["isStagesEnabled"] == "Y")
                              for c in self._categories(etid)],
                "fields": {self._field_code(f, record): self._field_view(f) for f in self._field_rows(int(record["id"]))},
                "items": self.item_count(etid),
            }
        return out

    def _pipeline_view(self, etid: int, category: Mapping[str, Any], *, stages: bool) -> dict[str, Any]:
        return {
            "name": category["name"], "default": category["isDefault"] == "Y", "sort": int(category["sort"]),
            "items": self.item_count(etid, categoryId=category["id"]),
            "stages": [
                {"code": r["STATUS_ID"].split(":", 1)[-1], "name": r["NAME"], "sort": int(r["SORT"]),
                 "semantics": SEMANTICS.get(str(r.get("SEMANTICS") or ""), "process"), "color": r.get("COLOR"),
                 # Items have no stageId while the smart process has stages switched off.
                 "items": self.item_count(etid, stageId=r["STATUS_ID"]) if stages else None}
                for r in self._stage_rows(etid, int(category["id"]))
            ],
        }

    @staticmethod
    def _field_code(raw: Mapping[str, Any], record: Mapping[str, Any]) -> str:
        prefix = f"UF_CRM_{record['id']}_"
        name = str(raw["fieldName"])
        return name[len(prefix):] if name.startswith(prefix) else name

    @staticmethod
    def _field_view(raw: Mapping[str, Any]) -> dict[str, Any]:
        label = raw.get("editFormLabel")
        return {
            "type": raw["userTypeId"], "multiple": raw.get("multiple") == "Y", "mandatory": raw.get("mandatory") == "Y",
            "showInFilter": str(raw.get("showFilter") or "N") != "N",
            "label": label.get("en") if isinstance(label, Mapping) else label,
            "labels": dict(label) if isinstance(label, Mapping) else {},
            "settings": dict(raw.get("settings") or {}),
            "items": [{"value": e["value"], "xmlId": e.get("xmlId"), "default": e.get("def") == "Y",
                       "sort": int(e.get("sort") or 0), "id": int(e["id"])}
                      for e in sorted(raw.get("enum") or [], key=lambda e: (int(e.get("sort") or 0), int(e["id"])))],
        }


def _parsed(value: Any) -> Any:
    """An application option as stored: JSON text parsed, anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _key(record: Mapping[str, Any]) -> str:
    return str(record.get("code") or "") or f"#{record['title']}"


def _stage_code(row: Mapping[str, Any]) -> str:
    return str(row["STATUS_ID"]).split(":", 1)[-1]


def _status_view(row: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"name": row["NAME"], "sort": int(row["SORT"]), "color": row.get("COLOR"),
            "semantics": SEMANTICS.get(str(row.get("SEMANTICS") or ""), "process"),
            "items": sum(1 for i in items if i.get("stageId") == row["STATUS_ID"])}


@pytest.fixture
def session() -> Session:
    return Session()
