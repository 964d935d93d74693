"""Custom fields of built-in CRM entities (``crm.{e}.userfield.*``) against the in-process sandbox:
the calls ``entity_field.calls`` makes, sent as a batch the way the executor sends them, and what
``entity_field.read`` makes of the portal afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.model import Address, Resource
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.portal import Client, WebhookAuth
from b24cfg.portal.batch import Batch
from b24cfg.resources import entity_field
from b24cfg.resources.base import Call, outs
from b24cfg.sandbox.portal import SANDBOX_WEBHOOK_CODE, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport

LANGUAGES = ("en", "de")

BASE = {"multiple": False, "mandatory": False, "showInFilter": True, "editInList": True, "searchable": False,
        "sort": 100, "settings": {}}


@pytest.fixture
def client() -> Client:
    clock = SimulatedClock()
    portal = SandboxPortal(clock=clock)
    return Client(WebhookAuth(f"https://sandbox.test/rest/1/{SANDBOX_WEBHOOK_CODE}/"),
                  transport=SandboxTransport(portal), clock=clock, pacing=None)


def address(entity: str, code: str) -> Address:
    return Address("field", (entity, code))


def desired(entity: str, code: str, **attrs: Any) -> Resource:
    return Resource(address(entity, code), {**BASE, **attrs})


def run(client: Client, change: Change) -> list[Any]:
    """Every call of the change in one batch (as the executor sends them); the results."""
    found = entity_field.calls(change)
    assert all(c.tier == 1 and c.address == change.address and not outs(c.params) for c in found)
    batch = Batch()
    for call in found:
        batch.add(call.method, dict(call.params))
    answer = client.batch(batch)
    answer.raise_first()
    assert answer.ok
    return [answer[c.key] for c in batch.commands]


def live(client: Client, entity: str) -> dict[str, Resource]:
    """The entity's fields as the refresh reads them: one list per language, labels merged."""
    rows: dict[str, dict[str, Any]] = {}
    for language in LANGUAGES:
        for row in client.call(f"crm.{entity}.userfield.list", {"filter": {"LANG": language}}):
            merged = rows.setdefault(row["ID"], {**row, "EDIT_FORM_LABEL": {}})
            if row.get("EDIT_FORM_LABEL"):
                merged["EDIT_FORM_LABEL"][language] = row["EDIT_FORM_LABEL"]
    out = {}
    for row in rows.values():
        resource = entity_field.read(row, Address("entity", (entity,)))
        if resource is not None:
            out[resource.address.key[-1]] = resource
    return out


def create(client: Client, resource: Resource) -> Resource:
    (new_id,) = run(client, Change(Action.CREATE, resource.address, after=resource))
    assert isinstance(new_id, int)
    found = live(client, resource.address.key[0])[resource.address.key[-1]]
    assert found.ids["id"] == new_id
    return found


def update(client: Client, before: Resource, after: Resource, action: Action = Action.UPDATE) -> Resource | None:
    """Apply the diff of ``after`` against ``before`` (the attributes ``after`` names); the field read back."""
    changed = tuple(AttrChange(k, before.attrs.get(k), v, k in entity_field.IMMUTABLE)
                    for k, v in after.attrs.items() if before.attrs.get(k) != v)
    run(client, Change(action, after.address, before=before, after=after, attrs=changed))
    return live(client, after.address.key[0]).get(after.address.key[-1])


def items_of(resource: Resource) -> list[tuple[str, bool, int]]:
    return [(i["value"], i["default"], i["sort"]) for i in resource.attrs["items"]]


def enum_ids(resource: Resource) -> dict[str, int]:
    return {e["value"]: e["id"] for e in resource.ids["enum"]}


# --- names and reading -------------------------------------------------------------------------------
def test_code_of() -> None:
    assert entity_field.code_of("UF_CRM_BUDGET") == "BUDGET"
    assert entity_field.code_of("UF_CRM_7_BUDGET") == "7_BUDGET"
    assert entity_field.code_of("UF_BUDGET") is None
    assert entity_field.code_of("UF_CRM_") is None
    assert entity_field.code_of("TITLE") is None


def test_read_ignores_names_outside_the_scheme() -> None:
    row = {"ID": "5", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_OTHER", "USER_TYPE_ID": "string"}
    assert entity_field.read(row, Address("entity", ("deal",))) is None


def test_read_maps_targets_of_every_kind() -> None:
    row = {"ID": "5", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_LINK", "USER_TYPE_ID": "crm", "SORT": "100",
           "MULTIPLE": "N", "SHOW_FILTER": "N", "EDIT_FORM_LABEL": {"en": "Link"},
           "SETTINGS": {"LEAD": "N", "CONTACT": "Y", "COMPANY": "N", "DEAL": "Y", "ORDER": "Y", "QUOTE": "Y",
                        "SMART_INVOICE": "N", "DYNAMIC_1032": "Y", "DYNAMIC_1034": "Y"}}
    resource = entity_field.read(row, Address("entity", ("deal",)), names={1032: "contract"})
    assert resource is not None
    assert resource.address == Address("field", ("deal", "LINK"))
    assert resource.attrs["targets"] == ["#DYNAMIC_1034", "contact", "contract", "deal", "quote"]
    assert resource.attrs["settings"] == {}
    assert resource.attrs["showInFilter"] is False
    assert resource.ids["settings"]["ORDER"] == "Y"


# --- create --------------------------------------------------------------------------------------------
def test_create_string_field_with_label_map_and_settings(client: Client) -> None:
    want = desired("deal", "BUDGET", type="string", label={"en": "Budget", "de": "Etat"}, mandatory=True,
                   sort=250, searchable=True, settings={"ROWS": "3", "DEFAULT_VALUE": "n/a", "SIZE": "50"})
    (call,) = entity_field.calls(Change(Action.CREATE, want.address, after=want))
    fields = call.params["fields"]
    assert call.method == "crm.deal.userfield.add" and call.produces == {"id": ()}
    assert fields["FIELD_NAME"] == "BUDGET" and fields["LABEL"] == "Budget"
    assert fields["SETTINGS"] == {"ROWS": "3", "DEFAULT_VALUE": "n/a"}  # SIZE is not written by this family
    got = create(client, want)
    assert got.ids["fieldName"] == "UF_CRM_BUDGET" and got.ids["entityId"] == "CRM_DEAL"
    for name in ("type", "multiple", "label", "mandatory", "showInFilter", "editInList", "searchable", "sort"):
        assert got.attrs[name] == want.attrs[name], name
    assert got.attrs["settings"]["ROWS"] == "3" and got.attrs["settings"]["DEFAULT_VALUE"] == "n/a"
    assert got.attrs["settings"]["SIZE"] == "20"  # the type's default, not what was asked


def test_create_label_fills_languages_not_in_the_map(client: Client) -> None:
    create(client, desired("lead", "NOTE", type="string", label={"de": "Notiz", "en": "Note"}))
    row = client.call("crm.lead.userfield.list", {"filter": {"LANG": "fr"}})[0]
    assert row["EDIT_FORM_LABEL"] == "Note" and row["LIST_COLUMN_LABEL"] == "Note"
    assert row["LIST_FILTER_LABEL"] == "Note"


def test_create_plain_label(client: Client) -> None:
    got = create(client, desired("lead", "NOTE", type="string", label="Note", showInFilter=False))
    assert got.attrs["label"] == "Note"
    assert got.attrs["showInFilter"] is False


def test_create_enumeration(client: Client) -> None:
    items = [{"value": "Low", "default": False, "sort": 10, "xmlId": "low"},
             {"value": "High", "default": True, "sort": 20, "xmlId": ""}]
    want = desired("deal", "PRIORITY", type="enumeration", label="Priority", items=items,
                   settings={"DISPLAY": "UI"})
    got = create(client, want)
    assert items_of(got) == [("Low", False, 10), ("High", True, 20)]
    assert got.attrs["items"][0]["xmlId"] == "low" and got.attrs["items"][1]["xmlId"]  # generated
    assert got.attrs["settings"]["DISPLAY"] == "UI"


def test_create_crm_field_with_targets(client: Client) -> None:
    want = desired("lead", "PARTNER", type="crm", label="Partner", multiple=True, targets=["company", "contact"])
    (call,) = entity_field.calls(Change(Action.CREATE, want.address, after=want))
    assert call.params["fields"]["SETTINGS"] == {"LEAD": "N", "CONTACT": "Y", "COMPANY": "Y", "DEAL": "N"}
    got = create(client, want)
    assert got.attrs["targets"] == ["company", "contact"]
    assert got.attrs["multiple"] is True
    assert got.attrs["settings"] == {}


def test_create_crm_status_field(client: Client) -> None:
    got = create(client, desired("deal", "SOURCE", type="crm_status", label="Source", directory="SOURCE"))
    assert got.attrs["directory"] == "SOURCE"
    assert got.attrs["settings"] == {}


def test_create_boolean_and_double(client: Client) -> None:
    flag = create(client, desired("deal", "VIP", type="boolean", label="VIP",
                                  settings={"DEFAULT_VALUE": "1", "DISPLAY": "RADIO"}))
    assert flag.attrs["settings"]["DEFAULT_VALUE"] == "1" and flag.attrs["settings"]["DISPLAY"] == "RADIO"
    amount = create(client, desired("deal", "RATE", type="double", label="Rate", settings={"PRECISION": "4"}))
    assert amount.attrs["type"] == "double" and amount.attrs["settings"]["PRECISION"] == "4"


def test_create_without_settings_sends_none(client: Client) -> None:
    want = desired("contact", "OWNER", type="employee", label="Owner")
    (call,) = entity_field.calls(Change(Action.CREATE, want.address, after=want))
    assert "SETTINGS" not in call.params["fields"] and "LIST" not in call.params["fields"]
    assert create(client, want).attrs["type"] == "employee"


# --- update --------------------------------------------------------------------------------------------
def test_update_relabels_and_toggles_mandatory(client: Client) -> None:
    before = create(client, desired("deal", "BUDGET", type="string", label={"en": "Budget", "de": "Etat"}))
    after = desired("deal", "BUDGET", type="string", label="Amount", mandatory=True)
    (call,) = entity_field.calls(Change(Action.UPDATE, after.address, before=before, after=after,
                                        attrs=(AttrChange("label", before.attrs["label"], "Amount"),
                                               AttrChange("mandatory", False, True))))
    assert call.method == "crm.deal.userfield.update" and call.params["id"] == before.ids["id"]
    assert "SETTINGS" not in call.params["fields"] and "LIST" not in call.params["fields"]
    got = update(client, before, after)
    assert got is not None and got.attrs["label"] == "Amount" and got.attrs["mandatory"] is True
    assert got.ids["id"] == before.ids["id"]


def test_update_without_label_change_keeps_labels(client: Client) -> None:
    before = create(client, desired("lead", "NOTE", type="string", label={"en": "Note", "de": "Notiz"}))
    after = desired("lead", "NOTE", type="string", label={"en": "Note", "de": "Notiz"}, sort=300)
    (call,) = entity_field.calls(Change(Action.UPDATE, after.address, before=before, after=after,
                                        attrs=(AttrChange("sort", 100, 300),)))
    assert not {"EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"} & set(call.params["fields"])
    got = update(client, before, after)
    assert got is not None and got.attrs["sort"] == 300 and got.attrs["label"] == {"en": "Note", "de": "Notiz"}


def test_update_settings_merges_over_stored(client: Client) -> None:
    before = create(client, desired("deal", "BUDGET", type="string", label="Budget",
                                    settings={"ROWS": "2", "DEFAULT_VALUE": "n/a"}))
    after = desired("deal", "BUDGET", type="string", label="Budget", settings={"ROWS": "5"})
    got = update(client, before, after)
    assert got is not None
    assert got.attrs["settings"]["ROWS"] == "5" and got.attrs["settings"]["DEFAULT_VALUE"] == "n/a"


def test_update_enumeration_items(client: Client) -> None:
    items = [{"value": "Low", "default": False, "sort": 10, "xmlId": "low"},
             {"value": "Mid", "default": False, "sort": 20, "xmlId": ""},
             {"value": "High", "default": True, "sort": 30, "xmlId": ""}]
    before = create(client, desired("deal", "PRIORITY", type="enumeration", label="Priority", items=items))
    ids = enum_ids(before)
    wanted = [{"value": "Minor", "default": False, "sort": 10, "xmlId": "low"},   # renamed (by xmlId)
              {"value": "High", "default": True, "sort": 20, "xmlId": ""},      # kept (by value), resorted
              {"value": "Urgent", "default": False, "sort": 30, "xmlId": "urgent"}]  # added; Mid removed
    after = desired("deal", "PRIORITY", type="enumeration", label="Priority", items=wanted)
    got = update(client, before, after)
    assert got is not None
    assert items_of(got) == [("Minor", False, 10), ("High", True, 20), ("Urgent", False, 30)]
    now = enum_ids(got)
    assert now["Minor"] == ids["Low"] and now["High"] == ids["High"]
    assert ids["Mid"] not in now.values() and now["Urgent"] not in ids.values()
    # xmlIds of kept items stay what they were (none desired for High: the live one is sent back)
    assert {i["value"]: i["xmlId"] for i in got.attrs["items"]}["High"] == \
        {i["value"]: i["xmlId"] for i in before.attrs["items"]}["High"]
    assert update(client, got, after) == got  # nothing left to do: the same request changes nothing


def test_update_crm_targets(client: Client) -> None:
    before = create(client, desired("deal", "LINK", type="crm", label="Link", targets=["deal", "lead"]))
    after = desired("deal", "LINK", type="crm", label="Link", targets=["company"])
    got = update(client, before, after)
    assert got is not None and got.attrs["targets"] == ["company"]


def test_update_crm_status_directory(client: Client) -> None:
    before = create(client, desired("lead", "SRC", type="crm_status", label="Src", directory="SOURCE"))
    got = update(client, before, desired("lead", "SRC", type="crm_status", label="Src", directory="INDUSTRY"))
    assert got is not None and got.attrs["directory"] == "INDUSTRY"


# --- replace and delete --------------------------------------------------------------------------------
def test_replace_changes_the_type(client: Client) -> None:
    before = create(client, desired("deal", "SIZE", type="string", label="Size"))
    after = desired("deal", "SIZE", type="integer", label="Size", settings={"DEFAULT_VALUE": "5"})
    found = entity_field.calls(Change(Action.REPLACE, after.address, before=before, after=after))
    assert [c.method for c in found] == ["crm.deal.userfield.delete", "crm.deal.userfield.add"]
    got = update(client, before, after, Action.REPLACE)
    assert got is not None and got.attrs["type"] == "integer" and got.ids["id"] != before.ids["id"]
    assert got.attrs["settings"]["DEFAULT_VALUE"] == "5"
    assert len(live(client, "deal")) == 1


def test_delete(client: Client) -> None:
    before = create(client, desired("lead", "GONE", type="string", label="Gone"))
    keep = create(client, desired("lead", "KEEP", type="string", label="Keep"))
    (call,) = entity_field.calls(Change(Action.DELETE, before.address, before=before))
    assert call == Call("crm.lead.userfield.delete", {"id": before.ids["id"]}, 1, before.address)
    run(client, Change(Action.DELETE, before.address, before=before))
    assert set(live(client, "lead")) == {"KEEP"} and live(client, "lead")["KEEP"] == keep


def test_entity_ids_cover_every_builtin_entity() -> None:
    from b24cfg.model import ENTITIES

    assert set(entity_field.ENTITY_IDS) == set(ENTITIES)
    assert isinstance(entity_field.WRITABLE_SETTINGS, Mapping)
