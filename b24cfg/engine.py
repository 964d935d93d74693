"""The engine behind the commands: manifests + portal -> Plan; Plan -> applied portal + report.

Thin glue over the layers (ARCHITECTURE §1): compile, refresh, diff, count, order; execute, then
read back what was written and report what the portal did not keep.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from b24cfg import export, refresh
from b24cfg.errors import PlanError
from b24cfg.executor import ApplyReport, Executor, Hook
from b24cfg.manifest.compile import compile_manifests
from b24cfg.manifest.schema import PLAIN_DIRECTORIES
from b24cfg.manifest.validate import Manifest, load_manifests_or_raise
from b24cfg.model import APP_KINDS, ENTITIES, Address, Resource, Scope, State
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.planner.diff import Diff, compare, diff
from b24cfg.planner.plan import ManualStep, Plan, PortalIdentity, ordered
from b24cfg.portal import Client
from b24cfg.resources import ADAPTERS
from b24cfg.resources.smart_process import BUILTIN_IDS



def application_kinds(manifests: Sequence[Manifest]) -> tuple[str, ...]:
    """What the application registers that the manifests manage (robot, activity, trigger, event,
    placement): reading or writing any of it needs an application context."""
    return Scope.of(compile_manifests(manifests)[0]).app


def make_plan(
    client: Client, manifests: Sequence[Manifest], portal: PortalIdentity,
    targets: Iterable[Address] = (),
) -> Plan:
    """Read the portal and plan what makes it match the manifests."""
    warnings: list[str] = []
    desired, manual = compile_manifests(manifests, warnings)
    return plan_state(client, desired, portal, targets, manual=manual, warnings=warnings)


def plan_state(
    client: Client, desired: State, portal: PortalIdentity, targets: Iterable[Address] = (), *,
    manual: Sequence[ManualStep] = (), warnings: Sequence[str] = (),
) -> Plan:
    """Read the portal and plan what makes it match ``desired``."""
    scope = Scope.of(desired)
    live = refresh.read(client, scope)
    found = diff(desired, live)
    if found.problems:
        raise PlanError("the portal cannot be brought to match the manifests as they are:\n"
                        + "\n".join(f"  {p}" for p in found.problems))
    targets = tuple(targets)
    changes = _targeted(found.changes, targets) if targets else found.changes
    changes = _counted(client, changes, found, live)
    adopted = sorted(str(r.attrs["title"]) for r in live.of_kind("smart_process") if r.address.key[0].startswith("#"))
    return Plan(
        portal, live.fingerprint(), scope.codes, ordered(changes), _known(changes, found),
        tuple(sorted(set(found.unmanaged))), tuple(manual), warnings=tuple(warnings),
        targets=tuple(str(t) for t in targets),
        adopt=tuple(t for t in scope.titles if t in adopted), languages=scope.languages,
        entities=scope.entities, directories=scope.directories, workplaces=scope.workplaces, app=scope.app,
    )


EVERYTHING = Scope(entities=ENTITIES, directories=PLAIN_DIRECTORIES, workplaces=True)
"""What export and diff read: every smart process, entity, plain directory and workplace."""


def read_portal(client: Client, languages: Sequence[str] = ()) -> State:
    """The whole live configuration b24cfg can describe (labels in English plus ``languages``)."""
    return refresh.read(client, replace(EVERYTHING, languages=tuple(sorted(languages))), every_smart_process=True)


def select(live: State, *, smart_process: str | None = None, entity: str | None = None,
           kind: str | None = None) -> State:
    """The part of ``live`` export writes: one smart process (by code or title), one entity, one
    kind (``SmartProcess``, ``CrmEntity``, ``Directory``, ``Workplace``), or everything; with the
    smart processes the chosen ones link to."""
    tops = [r for r in live if r.address.parent() is None]
    if smart_process is not None:
        tops = [r for r in tops if r.address.kind == "smart_process"
                and smart_process in (r.address.key[0], r.attrs.get("title"))]
        if not tops:
            raise PlanError(f"no smart process with the code or title {smart_process!r} on this portal")
    if entity is not None:
        tops = [r for r in tops if r.address == Address("entity", (entity,))]
    if kind is not None:
        tops = [r for r in tops if r.address.kind == _KIND_OF[kind]]
    tops = _with_references(live, tops)
    chosen = State(skipped={a: n for a, n in live.skipped.items() if any(a == t.address for t in tops)})
    for top in tops:
        chosen.add(top)
        for resource in live.under(top.address):
            chosen.add(resource)
    # Smart processes outside the selection stay known by code, so references to them keep their names.
    chosen.type_ids = dict(live.type_ids)
    return chosen


def _with_references(live: State, tops: list[Resource]) -> list[Resource]:
    """``tops`` plus every smart process their relations and crm-field targets name, transitively:
    manifests may only name smart processes that are in the manifests too (validate.py), so a
    smart process is exported together with the ones it links to."""
    chosen = {r.address: r for r in tops}
    queue = list(tops)
    while queue:
        top = queue.pop()
        if top.address.kind != "smart_process":
            continue
        names: set[str] = set()
        for attr in ("relations.parents", "relations.children"):
            names.update(str(e["type"]) for e in top.attrs.get(attr) or [])
        for field in live.children(top.address, "field"):
            names.update(str(t) for t in field.attrs.get("targets") or [])
        for name in sorted(names):
            found = live.get(Address("smart_process", (name,)))
            if found is not None and found.address not in chosen:
                chosen[found.address] = found
                queue.append(found)
    return sorted(chosen.values(), key=lambda r: r.address)


def promotion_plan(client: Client, source: State, portal: PortalIdentity, *, prune: bool = False) -> Plan:
    """What applying ``source`` (another portal, as ``read_portal`` / ``select`` gave it) would
    change on this portal. It goes through the manifests export writes, so promoting means exactly
    what exporting and planning those files means; ``prune`` deletes what only this portal has."""
    with tempfile.TemporaryDirectory(prefix="b24cfg-diff-") as folder:
        for file in export.render(source):
            path = Path(folder) / file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(file.text, encoding="utf-8")
        manifests = load_manifests_or_raise([folder]) if any(Path(folder).iterdir()) else []
    warnings: list[str] = []
    desired, manual = compile_manifests(manifests, warnings)
    # An export prunes the lists it writes in full; promoting deletes only when asked to.
    desired.scopes = {scope: prune and flag for scope, flag in desired.scopes.items()}
    return plan_state(client, desired, portal, manual=manual, warnings=warnings)


_KIND_OF = {"SmartProcess": "smart_process", "CrmEntity": "entity", "Directory": "directory", "Workplace": "workplace"}


def _targeted(changes: list[Change], targets: Sequence[Address]) -> list[Change]:
    """Changes under a target, plus creates of their ancestors (a stage needs its new pipeline)."""
    chosen = [c for c in changes if any(c.address.within(t) for t in targets)]
    needed = {a for c in chosen for a in c.address.ancestors()}
    chosen += [c for c in changes if c.address in needed and c.action in (Action.CREATE, Action.REPLACE)
               and c not in chosen]
    return chosen


def _owners(live: State, known: Mapping[Address, Mapping[str, Any]]) -> dict[Address, Resource]:
    """The live smart process behind each managed smart-process address (matched by portal id)."""
    by_id = {str(r.ids.get("id")): r for r in live.of_kind("smart_process")}
    return {a: by_id[str(ids.get("id"))] for a, ids in known.items()
            if a.kind == "smart_process" and str(ids.get("id")) in by_id}


def _count_query(change: Change, owners: Mapping[Address, Resource]) -> tuple[int, dict[str, Any]] | None:
    before = change.before
    if before is None or before.origin == "predicted":
        return None
    kind = change.address.kind
    if kind == "workplace" or kind in APP_KINDS or (kind == "status" and not change.address.builtin):
        return None  # holds no items (a directory entry's items only lose the reference: uncounted)
    owner = owners.get(Address("smart_process", change.address.key[:1]))
    etid = BUILTIN_IDS.get(change.address.key[0]) if change.address.builtin else \
        owner.ids.get("entityTypeId") if owner is not None else before.ids.get("entityTypeId")
    if etid is None:
        return None
    if kind == "status":
        return int(etid), {"stageId": before.ids["STATUS_ID"]}
    if kind == "pipeline":
        return int(etid), {"categoryId": before.ids["id"]}
    if kind == "stage":
        if owner is not None and owner.attrs.get("features.stages") is False:
            # Items have no stage to filter on while stages are off (the portal refuses the filter):
            # whatever the pipeline holds may stand on this stage.
            return int(etid), {"categoryId": int(str(before.ids["ENTITY_ID"]).rsplit("_", 1)[-1])}
        return int(etid), {"stageId": before.ids["STATUS_ID"]}
    return int(etid), {}


def _item_counts(client: Client, changes: Sequence[Change], owners: Mapping[Address, Resource]) -> dict[Address, int]:
    """How many CRM items each change that destroys something would lose (what could be counted)."""
    queries = {c.address: q for c in changes if c.destroys and (q := _count_query(c, owners)) is not None}
    return refresh.count_items(client, queries) if queries else {}


def _counted(client: Client, changes: list[Change], found: Diff, live: State) -> list[Change]:
    """Changes that destroy something, with the number of CRM items it holds."""
    counts = _item_counts(client, changes, _owners(live, found.known))
    return [
        replace(c, before=replace(c.before, items=counts[c.address])) if c.address in counts and c.before else c
        for c in changes
    ]


def _known(changes: Sequence[Change], found: Diff) -> dict[str, Mapping[str, Any]]:
    """Ids of the live parents the changes refer to, and of every smart process (relations, targets)."""
    wanted = {a for c in changes for a in c.address.ancestors()}
    wanted |= {a for a in found.known if a.kind == "smart_process"}
    return {str(a): dict(found.known[a]) for a in sorted(wanted) if a in found.known}


def check_saved(client: Client, plan: Plan, portal: PortalIdentity) -> None:
    """Refuse a saved plan made for another portal, for objects that changed since, or when what it
    destroys holds more CRM items than the plan showed."""
    if not plan.portal.same_as(portal):
        def name(identity: PortalIdentity) -> str:
            return f"{identity.url} (member {identity.member_id})" if identity.member_id else identity.url
        raise PlanError(
            f"this plan was made for {name(plan.portal)} but the portal configured now is {name(portal)}; "
            "make a new plan against this portal"
        )
    live = refresh.read(client, plan.read_scope())
    if live.fingerprint() != plan.fingerprint:
        raise PlanError(
            "the portal changed since this plan was made (the objects it read are not the same any more); "
            "nothing was applied — run plan again and review the new plan"
        )
    # Items are not part of the fingerprint (users create them all day): what the plan destroys is
    # counted again, so a plan reviewed as losing nothing never loses items that appeared since.
    owners = _owners(live, {Address.parse(a): ids for a, ids in plan.known.items()})
    counts = _item_counts(client, plan.changes, owners)
    grown = [(c, counts[c.address]) for c in plan.changes
             if c.address in counts and c.items is not None and counts[c.address] > c.items]
    if grown:
        lines = "\n".join(f"  {c.action.symbol} {c.address}: {now} item(s), the plan said {c.items}"
                          for c, now in grown)
        raise PlanError(
            "the portal changed since this plan was made: what it destroys holds more CRM items now:\n"
            f"{lines}\nnothing was applied — run plan again and review the new plan"
        )


def apply(client: Client, plan: Plan, hook: Hook | None = None) -> ApplyReport:
    """Execute ``plan``, then read back and report what the portal did not keep."""
    start = client.stats.requests
    executor = Executor(client, plan, hook)
    report = executor.run()
    applied = [c for c, o in zip(plan.changes, report.outcomes) if o.status == "applied" and c.after is not None]
    if applied:
        live = refresh.read(client, plan.read_scope())
        report.drift = _drift(applied, executor.known, live)
    report.requests = client.stats.requests - start
    return report


def _drift(changes: Sequence[Change], known: Mapping[tuple[Address, str], Any], live: State) -> list[tuple[Address, AttrChange]]:
    by_id: dict[tuple[str, Any], Resource] = {}
    for resource in live:
        kind = resource.address.kind
        if kind not in ADAPTERS:
            continue  # a container (entity, directory): nothing is written to it
        key = ADAPTERS[kind].IDS[0]
        if key in resource.ids:
            by_id[(kind, str(resource.ids[key]))] = resource
    drift: list[tuple[Address, AttrChange]] = []
    for change in changes:
        assert change.after is not None
        kind = change.address.kind
        if getattr(ADAPTERS[kind], "NATURAL", False):
            have = live.get(change.address)  # found by its natural key; there is no portal id
        else:
            have = by_id.get((kind, str(known.get((change.address, ADAPTERS[kind].IDS[0])))))
        if have is None:
            drift.append((change.address, AttrChange("(exists)", None, True)))
            continue
        drift.extend((change.address, a) for a in compare(change.after, have))
    return drift
