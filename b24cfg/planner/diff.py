"""Compare desired and live State (pure) into changes, unmanaged objects and plan problems.

Matching, by natural key (ARCHITECTURE §4):
* smart processes by ``code``; a smart process made by hand (no code on the portal) is adopted when
  exactly one has the manifest's title, and the update writes the code;
* pipelines by name (ignoring case), then the manifest's default pipeline with the portal's default
  one — so the default pipeline the portal makes by itself is reused and renamed, never duplicated;
* stages by code inside their pipeline; fields by code.

Only attributes the desired resource holds are compared, and live values are projected onto the
desired shape first (settings keys the manifest does not write, generated enumeration xmlIds), so
what the manifest leaves alone never shows up as a change.

Inside a managed list (``pipelines``, a pipeline's ``stages``, ``fields``) an object the manifest
does not list is deleted only with ``prune`` (the portal's default pipeline too: the manifest's
default is promoted first), and otherwise reported as unmanaged — except the stages the portal
creates by itself for a new pipeline and has never had renamed: those are reconciled (removed) like
the default pipeline is reused. Smart processes in no manifest are never read in detail, let alone
touched; their entityTypeIds are known, so a pin that collides with one is a plan problem.

What the application registers is matched by code (robots, activities, triggers) and by (event,
handler) or (placement, handler); a binding whose handler changed is paired with the one left over
for the same event or placement, so the change shows as one replace. A robot or activity without a
trustworthy fingerprint (registered by something else, or again after an application update) is
re-applied whole.

When a smart process is replaced, the portal drops every link to its old type: relation lists and
crm-field targets of other managed smart processes that name it are written again in the same
apply. Plan problems also catch what the portal would refuse half way: a pinned entityTypeId taken,
a second success stage, pipelines switched off while more than one would stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from b24cfg.model import APP_KINDS, APPLICATION, Address, Resource, State
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.resources import ADAPTERS, fingerprint, pipeline as pipeline_adapter, stage as stage_adapter


@dataclass
class Diff:
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Address] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    known: dict[Address, Mapping[str, Any]] = field(default_factory=dict)
    """Portal ids of every matched live resource, by its desired address."""
    matched: dict[Address, Resource] = field(default_factory=dict)
    """The live resource each kept (not created, not replaced) desired one was matched to, rekeyed."""


def project(desired: Any, live: Any) -> Any:
    """``live`` reduced to the shape of ``desired``: dict keys it does not have are dropped, lists
    of dicts are reduced item by item (the first desired item stands for extra live ones)."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        return {k: project(desired[k], v) for k, v in live.items() if k in desired}
    if isinstance(desired, list) and isinstance(live, list) and desired:
        return [project(desired[min(i, len(desired) - 1)], v) for i, v in enumerate(live)]
    return live


def compare(want: Resource, have: Resource) -> tuple[AttrChange, ...]:
    """The attributes ``want`` holds that ``have`` does not; attributes the portal cannot give back
    are compared through the digests of their fingerprint (``resources/fingerprint.py``)."""
    adapter = ADAPTERS[want.address.kind]
    hashed: frozenset[str] = getattr(adapter, "FINGERPRINTED", frozenset())
    out = []
    for name, new in want.attrs.items():
        old = have.attrs.get(name) if name in hashed else project(new, have.attrs.get(name))
        if old != (fingerprint.digest(new) if name in hashed else new):
            out.append(AttrChange(name, old, new, forces_replacement=name in adapter.IMMUTABLE))
    return tuple(out)


def rekey(resource: Resource, old: Address, new: Address) -> Resource:
    """``resource`` (``old`` or under it) moved under ``new``: live keys become manifest keys."""
    address = resource.address
    key = (*new.key, *address.key[len(old.key):])
    return replace(resource, address=Address(address.kind, key))


def diff(desired: State, live: State) -> Diff:
    result = Diff()
    for want in desired.of_kind("smart_process"):
        _smart_process(result, desired, live, want)
    for want in [*desired.of_kind("entity"), *desired.of_kind("directory")]:
        _container(result, desired, live, want)
    _workplaces(result, desired, live)
    if APPLICATION in desired:
        _application(result, desired, live)
    _follow_replaced(result, desired)
    return result


_UNKNOWN = {
    "missing": "definition unknown: no b24cfg fingerprint on the portal, so something else registered it; will be "
               "re-applied",
    "stale": "definition unknown: the application was updated since b24cfg applied it (an update wipes robots and "
             "activities), so something else registered it again; will be re-applied",
}


def _application(result: Diff, desired: State, live: State) -> None:
    """Each list the Application manifest writes, against what the application registered."""
    have_app = live.get(APPLICATION)
    if have_app is None:
        result.problems.append("application: what the application registers was not read from the portal")
        return
    result.known[APPLICATION] = dict(have_app.ids)
    for kind in APP_KINDS:
        prune = desired.scopes.get((kind, APPLICATION))
        if prune is None:
            continue
        wants = desired.children(APPLICATION, kind)
        haves = {h.address: h for h in live.children(APPLICATION, kind)}
        pairs = {w.address: haves.pop(w.address) for w in wants if w.address in haves}
        if kind in ("event", "placement"):
            # A handler that changed: pair what b24cfg bound (it holds a fingerprint) and is left over
            # of the same event or placement, in order; a binding someone else made stays unmanaged.
            for want in wants:
                if want.address in pairs:
                    continue
                have = next((h for h in haves.values() if h.address.key[0] == want.address.key[0]
                             and h.ids.get("fingerprint") == "ok"), None)
                if have is not None:
                    pairs[want.address] = haves.pop(have.address)
        for want in wants:
            have = pairs.get(want.address)
            status = have.ids.get("fingerprint") if have is not None and kind in ("robot", "activity") else "ok"
            if have is not None and status != "ok":
                result.changes.append(Change(Action.UPDATE, want.address, have, want, compare(want, have),
                                             reason=_UNKNOWN[str(status)]))
                result.known[want.address] = have.ids
            else:
                _compare_child(result, want, have)
        for have in haves.values():
            if prune:
                result.changes.append(Change(Action.DELETE, have.address, have, None))
            else:
                result.unmanaged.append(have.address)


def _container(result: Diff, desired: State, live: State, want: Resource) -> None:
    """A built-in entity or a crm.status directory: it always exists; its lists are compared."""
    if want.address not in live:
        result.problems.append(f"{want.address}: not found on the portal")
        return
    children = live.under(want.address)
    if want.address.kind == "entity":
        _pipelines(result, desired, want, children)
        _fields(result, desired, want, children)
    _statuses(result, desired, want, children)


def _statuses(result: Diff, desired: State, want_parent: Resource, children: list[Resource]) -> None:
    """Lead or quote statuses, or the entries of a plain directory, matched by code."""
    prune = desired.scopes.get(("status", want_parent.address))
    if prune is None:
        return
    have_by_code = _by_key(r for r in children if r.address.kind == "status")
    wants = desired.children(want_parent.address, "status")
    for want in wants:
        _compare_child(result, want, have_by_code.pop(want.address.key[-1], None))
    for have in have_by_code.values():
        if prune:
            result.changes.append(Change(Action.DELETE, have.address, have, None))
        else:
            result.unmanaged.append(have.address)
            if have.attrs.get("semantics") == "success" and any(w.attrs.get("semantics") == "success" for w in wants):
                result.problems.append(
                    f"{have.address}: the success status on the portal is not in the manifest, and there is only "
                    "one; list it, or set prune.statuses: true to replace it"
                )


def _workplaces(result: Diff, desired: State, live: State) -> None:
    """Workplaces matched by title; the smart processes they group may be managed or not."""
    free = list(live.of_kind("workplace"))
    managed = {r.address.key[0] for r in desired.of_kind("smart_process")}
    for want in desired.of_kind("workplace"):
        for code in want.attrs["smartProcesses"]:
            address = Address("smart_process", (code,))
            if code in managed:
                continue
            if code in live.type_ids:
                result.known[address] = {"id": live.type_ids[code]}
            else:
                result.problems.append(
                    f"{want.address}: smart process '{code}' is neither in the manifests nor on the portal; add its "
                    "manifest or fix the code"
                )
        title = str(want.attrs["title"]).casefold()
        have = next((h for h in free if str(h.attrs["title"]).casefold() == title), None)
        if have is not None:
            free.remove(have)
        _compare_child(result, want, have)
    result.unmanaged.extend(h.address for h in free)


def _follow_replaced(result: Diff, desired: State) -> None:
    """Links to a smart process that is replaced are written again, to its new entityTypeId.

    Deleting the old type takes its relations and the crm-field targets naming it with it, but the
    other side still reads as matching (both name the code) until the next plan. So a relation list
    or crm field that names a replaced smart process is updated in the same apply.
    """
    replaced = {c.address.key[0]: (c.before.ids.get("entityTypeId") if c.before else None) for c in result.changes
                if c.action is Action.REPLACE and c.address.kind == "smart_process"}
    if not replaced:
        return
    names = ", ".join(sorted(replaced))
    wanted: list[tuple[Resource, str]] = []
    for want in desired:
        if want.address.kind != "workplace" and want.address.key[0] in replaced:
            continue  # recreated with everything it lists
        for attr in ("relations.parents", "relations.children", "targets", "smartProcesses"):
            entries = want.attrs.get(attr) or []
            if any((e["type"] if isinstance(e, Mapping) else e) in replaced for e in entries):
                wanted.append((want, attr))
    for want, attr in wanted:
        have = result.matched.get(want.address)
        if have is None:
            continue  # created or replaced itself: written whole anyway
        reason = f"names {names}, which is replaced: written again to its new entityTypeId"
        at = next((i for i, c in enumerate(result.changes) if c.address == want.address), None)
        # Shown as the portal holds it once the old type is gone: its relations with it, and crm
        # targets naming its old entityTypeId.
        current = project(want.attrs[attr], have.attrs.get(attr)) or []
        if attr == "targets":
            current = sorted(f"#DYNAMIC_{replaced[t]}" if t in replaced else t for t in current)
        elif attr == "smartProcesses":
            current = [code for code in current if code not in replaced]
        else:
            current = [e for e in current if e.get("type") not in replaced]
        forced = AttrChange(attr, current, want.attrs[attr])
        if at is None:
            result.changes.append(Change(Action.UPDATE, want.address, have, want, (forced,), reason=reason))
        elif result.changes[at].action is Action.UPDATE and all(a.name != attr for a in result.changes[at].attrs):
            change = result.changes[at]
            result.changes[at] = replace(change, attrs=(*change.attrs, forced), reason=change.reason or reason)


def _find_smart_process(result: Diff, live: State, want: Resource) -> Resource | None:
    have = live.get(want.address)
    if have is not None:
        return have
    title = want.attrs["title"]
    candidates = [r for r in live.of_kind("smart_process") if r.address.key[0].startswith("#") and r.attrs["title"] == title]
    if len(candidates) > 1:
        result.problems.append(
            f"{want.address}: {len(candidates)} smart processes without a code are titled {title!r}; give the one "
            f"to manage the code {want.address.key[0]!r} on the portal, or rename the others"
        )
        return None
    return candidates[0] if candidates else None


def _smart_process(result: Diff, desired: State, live: State, want: Resource) -> None:
    address = want.address
    have = _find_smart_process(result, live, want)
    pinned = want.attrs.get("entityTypeId")
    if pinned is not None:
        for other in live.of_kind("smart_process"):
            if other.attrs.get("entityTypeId") == pinned and other is not have:
                result.problems.append(
                    f"{address}: entityTypeId {pinned} is taken on this portal by {other.address} "
                    f"({other.attrs['title']!r}); pin another one or leave entityTypeId out"
                )
        if pinned in live.taken:
            result.problems.append(
                f"{address}: entityTypeId {pinned} is taken on this portal by the smart process "
                f"{live.taken[pinned]}, which these manifests do not manage; pin another one or leave "
                "entityTypeId out"
            )
    children: list[Resource]
    if have is None:
        result.changes.append(Change(Action.CREATE, address, None, want, _created(want)))
        children = _predicted_children(address)
    else:
        subtree = [rekey(r, have.address, address) for r in live.under(have.address)]
        attrs = compare(want, have)
        if have.address != address:
            attrs = (AttrChange("code", "", address.key[0]), *attrs)
        before = rekey(have, have.address, address)
        if any(a.forces_replacement for a in attrs):
            cascade = tuple(r for r in subtree if r.address.kind in ("pipeline", "field", "stage"))
            result.changes.append(Change(Action.REPLACE, address, before, want, attrs, cascade=cascade))
            children = _predicted_children(address)
        else:
            if attrs:
                result.changes.append(Change(Action.UPDATE, address, before, want, attrs))
            result.known[address] = have.ids
            result.matched[address] = before
            children = subtree
    _pipelines(result, desired, want, children)
    _fields(result, desired, want, children)


def _created(want: Resource) -> tuple[AttrChange, ...]:
    return tuple(AttrChange(name, None, value) for name, value in want.attrs.items())


def _predicted_children(sp: Address) -> list[Resource]:
    default = pipeline_adapter.predicted_default(sp)
    return [default, *stage_adapter.predicted(default.address)]


def _by_key(resources: Iterable[Resource]) -> dict[str, Resource]:
    return {r.address.key[-1]: r for r in resources}


def _pipelines(result: Diff, desired: State, want_sp: Resource, children: list[Resource]) -> None:
    sp = want_sp.address
    prune = desired.scopes.get(("pipeline", sp))
    haves = [r for r in children if r.address.kind == "pipeline"]
    if prune is None:
        _pipelines_switch(result, want_sp, len(haves))
        return
    wants = desired.children(sp, "pipeline")
    matched = _match_pipelines(wants, haves)
    builtin = sp.kind == "entity"
    for want in wants:
        have = matched.get(want.address)
        if have is None:
            result.changes.append(Change(Action.CREATE, want.address, None, want, _created(want)))
            stages = stage_adapter.predicted(want.address)
        else:
            before = rekey(have, have.address, want.address)
            attrs = compare(want, have)
            if builtin and sp.key[0] in ("contact", "company") and have.attrs.get("default") and attrs:
                # The client default pipeline is virtual (system): the portal refuses any change to it.
                result.problems.append(
                    f"{want.address}: the default {sp.key[0]} pipeline is the portal's system pipeline "
                    f"{have.attrs['name']!r} and cannot be changed; write it as name: {have.attrs['name']!r}, "
                    f"sort: {have.attrs['sort']}"
                )
            elif builtin and any(a.name == "default" for a in attrs):
                result.problems.append(
                    f"{want.address}: the default {sp.key[0]} pipeline is the portal's own ({_default_name(haves)!r}) "
                    "and cannot move; mark that pipeline default: true in the manifest"
                )
            if attrs:
                reason = "the default pipeline the portal creates with a smart process, reused" \
                    if have.origin == "predicted" else None
                result.changes.append(Change(Action.UPDATE, want.address, before, want, attrs, reason=reason))
            if have.origin != "predicted":
                result.known[want.address] = have.ids
            stages = [rekey(r, have.address, want.address) for r in children
                      if r.address.kind == "stage" and r.address.parent() == have.address]
        _stages(result, desired, want, stages, have.ids.get("stages") if have is not None else None)
    taken = {id(r) for r in matched.values()}
    for have in haves:
        if id(have) in taken:
            continue
        if builtin and have.attrs.get("default"):
            result.problems.append(
                f"{have.address}: the default {sp.key[0]} pipeline {have.attrs['name']!r} is not in the manifest; "
                "the portal never deletes it — list it with default: true"
            )
            continue
        if prune:
            # The live default pipeline goes too: the manifest's default is promoted in tier 1 (which
            # demotes this one) and pipeline deletes run after that (pipeline adapter).
            cascade = tuple(r for r in children if r.address.kind == "stage" and r.address.parent() == have.address)
            reason = "the portal's default pipeline until the manifest's default is promoted" \
                if have.attrs.get("default") else None
            result.changes.append(Change(Action.DELETE, have.address, have, None, cascade=cascade, reason=reason))
        else:
            result.unmanaged.append(have.address)
    _pipelines_switch(result, want_sp, len(wants) + sum(1 for h in haves if id(h) not in taken and not prune))


def _pipelines_switch(result: Diff, want_sp: Resource, kept: int) -> None:
    """The portal refuses to switch pipelines off while a smart process has more than one."""
    if want_sp.attrs.get("features.pipelines") is False and kept > 1:
        result.problems.append(
            f"{want_sp.address}: features.pipelines is false, but the portal would keep {kept} pipelines (it "
            "refuses to switch pipelines off while more than one exists); list the pipelines and set "
            "prune.pipelines: true to delete the others, or turn features.pipelines on"
        )


def _default_name(haves: list[Resource]) -> str:
    return next((str(h.attrs["name"]) for h in haves if h.attrs.get("default")), "")


def _match_pipelines(wants: list[Resource], haves: list[Resource]) -> dict[Address, Resource]:
    matched: dict[Address, Resource] = {}
    free = list(haves)
    for want in wants:
        name = str(want.attrs["name"]).casefold()
        found = next((h for h in free if str(h.attrs["name"]).casefold() == name), None)
        if found is not None:
            matched[want.address] = found
            free.remove(found)
    default_want = next((w for w in wants if w.attrs.get("default") and w.address not in matched), None)
    default_have = next((h for h in free if h.attrs.get("default")), None)
    if default_want is not None and default_have is not None:
        matched[default_want.address] = default_have
    return matched


def _stages(
    result: Diff, desired: State, want_pipeline: Resource, haves: list[Resource], directory: str | None = None,
) -> None:
    """Stages by code; ``directory`` is the live pipeline's stage ENTITY_ID, which new stages need
    (``DEAL_STAGE`` of the default deal pipeline cannot be built from its id)."""
    prune = desired.scopes.get(("stage", want_pipeline.address))
    if prune is None:
        return
    have_by_code = _by_key(haves)
    wants = desired.children(want_pipeline.address, "stage")
    for want in wants:
        have = have_by_code.pop(want.address.key[-1], None)
        if have is None and directory:
            want = replace(want, ids={"stages": directory})
        _compare_child(result, want, have)
    for have in have_by_code.values():
        if prune or have.origin in ("predicted", "portal-default"):
            reason = None if prune else "a stage the portal created by itself and the manifest does not list"
            result.changes.append(Change(Action.DELETE, have.address, have, None, reason=reason))
        else:
            result.unmanaged.append(have.address)
            if have.attrs.get("semantics") == "success":
                result.problems.append(
                    f"{have.address}: the pipeline's success stage on the portal is not in the manifest, and a "
                    "pipeline holds only one; list it, or set prune: true on the pipeline to replace it"
                )


def _compare_child(result: Diff, want: Resource, have: Resource | None) -> None:
    if have is None:
        result.changes.append(Change(Action.CREATE, want.address, None, want, _created(want)))
        return
    attrs = compare(want, have)
    reason = "created by the portal with its pipeline, reused" if have.origin == "predicted" else None
    if any(a.forces_replacement for a in attrs):
        result.changes.append(Change(Action.REPLACE, want.address, have, want, attrs, reason=reason))
    elif attrs:
        result.changes.append(Change(Action.UPDATE, want.address, have, want, attrs, reason=reason))
    if not any(a.forces_replacement for a in attrs):
        result.matched[want.address] = have
    if have.ids and have.origin != "predicted":
        result.known[want.address] = have.ids


def _fields(result: Diff, desired: State, want_sp: Resource, children: list[Resource]) -> None:
    """Fields by code (of a smart process or a built-in entity)."""
    sp = want_sp.address
    prune = desired.scopes.get(("field", sp))
    if prune is None:
        return
    have_by_code = _by_key(r for r in children if r.address.kind == "field")
    for want in desired.children(sp, "field"):
        _compare_child(result, want, have_by_code.pop(want.address.key[-1], None))
    for have in have_by_code.values():
        if prune:
            result.changes.append(Change(Action.DELETE, have.address, have, None))
        else:
            result.unmanaged.append(have.address)
