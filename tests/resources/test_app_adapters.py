"""The application adapters (robot, activity, trigger, event_binding, placement, fingerprint): the
REST calls each sends for a Change, and what each read() makes of the portal's documented answers.

Inputs are built the way a user produces them — manifests through the schema and compile.py — and
portal answers are the documented ones (reference platform-examples JSON), so a test fails when
what reaches the portal, or what a plan shows, would change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from b24cfg.manifest.compile import event_address, event_attrs, placement_attrs, robot_attrs
from b24cfg.manifest.schema import EventBinding, PlacementBinding, Robot
from b24cfg.model import APPLICATION, Address, Resource
from b24cfg.planner.changes import Action, AttrChange, Change
from b24cfg.planner.diff import compare
from b24cfg.resources import activity, event_binding, fingerprint, placement, robot, trigger
from b24cfg.resources.base import Call, Join, Out, outs
from b24cfg.sandbox.portal import SandboxPortal
from tests.support.reference import ok, platform_example

VERSION = 3
"""The application's version as app.info gives it; fingerprints are stamped with it."""


# --- helpers ------------------------------------------------------------------------------------
def resolve(value: Any, version: int = VERSION) -> Any:
    """A call parameter with every ``Out`` filled in, as the executor sends it once it knows the
    application's version (``Out(APPLICATION, "version")`` is the only one these adapters use)."""
    if isinstance(value, Out):
        assert value == Out(APPLICATION, "version")
        return version
    if isinstance(value, Join):
        return "".join(str(resolve(part, version)) for part in value.parts)
    if isinstance(value, Mapping):
        return {resolve(k, version): resolve(v, version) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v, version) for v in value]
    return value


def sent(calls: list[Call], version: int = VERSION) -> list[tuple[str, Any]]:
    """(method, params) as they go over the wire."""
    return [(call.method, resolve(dict(call.params), version)) for call in calls]


def example_body(name: str, part: str = "request") -> Any:
    """The documented request body (without the auth token) or response result of an example."""
    example = platform_example(name)
    if part == "request":
        body = dict(example["request"]["body"])
        body.pop("auth", None)
        return body
    return copy.deepcopy(example["response"]["body"]["result"])


def desired_robot(kind: str = "robot", **fields: Any) -> Resource:
    """A robot as a manifest gives it: validated by the schema, compiled by compile.py."""
    spec = Robot.model_validate({"code": "send_sms", "handler": "https://app.example.com/robot/send_sms",
                                 "name": "Send SMS", **fields})
    return Resource(Address(kind, (spec.code,)), robot_attrs(spec))


def desired_event(**fields: Any) -> Resource:
    spec = EventBinding.model_validate(fields)
    return Resource(event_address(spec.event, spec.handler if not spec.offline else None), event_attrs(spec))


def desired_placement(**fields: Any) -> Resource:
    spec = PlacementBinding.model_validate(fields)
    return Resource(Address("placement", (spec.placement, spec.handler)), placement_attrs(spec))


def option_value(call: Call, version: int = VERSION) -> tuple[str, str]:
    """The one option an ``app.option.set`` call writes: (key, text)."""
    assert call.method == "app.option.set"
    [(key, value)] = resolve(dict(call.params["options"]), version).items()
    return key, value


# The docs' bizproc.robot.add example (send_sms), written as a manifest would write it.
DOCS_ROBOT: dict[str, Any] = {
    "code": "send_sms", "handler": "https://app.example.com/robot/send_sms", "authUser": 1,
    "useSubscription": True, "name": {"en": "Send SMS", "de": "SMS senden"},
    "description": {"en": "Sends an SMS via the app"},
    "properties": {
        "datetime": {"name": "When", "type": "datetime"},
        "text": {"name": {"en": "Text", "de": "Text"}, "type": "text", "required": True},
        "user": {"name": "To", "type": "user", "default": "Author;"},
        "docType": {"name": {"en": "Document type", "de": "Dokumenttyp"}, "type": "select", "required": True,
                    "multiple": False, "default": "pdf", "options": {"pdf": "PDF", "docx": "DOCX"}},
    },
    "returnProperties": {"messageId": {"name": {"en": "Message ID"}, "type": "string"}},
}


# --- robots and activities ----------------------------------------------------------------------
def test_robot_create_sends_the_documented_add_then_writes_its_fingerprint() -> None:
    want = desired_robot(**{k: v for k, v in DOCS_ROBOT.items() if k != "code"})
    add, option = robot.calls(Change(Action.CREATE, want.address, None, want))
    method, params = sent([add])[0]
    assert method == "bizproc.robot.add"
    docs = example_body("bizproc.robot.add")
    # What b24cfg does not manage (DOCUMENT_TYPE, FILTER) is left out; the rest is sent as documented.
    for key in ("CODE", "HANDLER", "AUTH_USER_ID", "USE_SUBSCRIPTION", "NAME", "DESCRIPTION", "USE_PLACEMENT"):
        assert params[key] == docs[key], key
    assert "PLACEMENT_HANDLER" not in params
    for group in ("PROPERTIES", "RETURN_PROPERTIES"):
        assert list(params[group]) == list(docs[group])
        for name, documented in docs[group].items():
            ours = params[group][name]
            # The docs leave Required/Multiple out where they are N; b24cfg always sends them.
            assert {k: v for k, v in ours.items() if k in documented} == documented, name
            assert {k: v for k, v in ours.items() if k not in documented} == {
                k: "N" for k in ("Required", "Multiple") if k not in documented}, name
    # Then its fingerprint, so the next plan knows what was applied: it reads back as unchanged.
    key, text = option_value(option)
    assert key == "b24cfg:robot:send_sms"
    have = robot.read("robot", "send_sms", {key: text}, VERSION)
    assert have.ids["fingerprint"] == "ok" and compare(want, have) == ()
    assert add.tier == option.tier == 0 and add.address == option.address == want.address


def test_robot_without_subscription_or_settings_page_says_n_and_sends_no_placement_handler() -> None:
    want = desired_robot(properties={"message": {"name": "Message"}})
    [(_, params), _] = sent(robot.calls(Change(Action.CREATE, want.address, None, want)))
    # No return values: an empty map, or nothing at all — both mean none to bizproc.robot.add.
    assert params.pop("RETURN_PROPERTIES", {}) == {}
    assert params == {
        "CODE": "send_sms", "HANDLER": "https://app.example.com/robot/send_sms", "NAME": "Send SMS",
        "DESCRIPTION": "", "AUTH_USER_ID": 0, "USE_SUBSCRIPTION": "N", "USE_PLACEMENT": "N",
        "PROPERTIES": {"message": {"Name": "Message", "Type": "string", "Required": "N", "Multiple": "N"}},
    }


def test_robot_with_a_settings_page_sends_use_placement_and_its_handler() -> None:
    want = desired_robot(placementHandler="https://app.example.com/robot/send_sms/settings",
                         properties={"channels": {"name": "Channels", "type": "select", "multiple": True,
                                                  "options": {"email": "E-mail", "sms": "SMS"},
                                                  "default": ["email"]}})
    [(_, params), _] = sent(robot.calls(Change(Action.CREATE, want.address, None, want)))
    assert (params["USE_PLACEMENT"], params["PLACEMENT_HANDLER"]) == (
        "Y", "https://app.example.com/robot/send_sms/settings")
    assert params["PROPERTIES"]["channels"] == {"Name": "Channels", "Type": "select", "Required": "N",
                                                "Multiple": "Y", "Options": {"email": "E-mail", "sms": "SMS"},
                                                "Default": ["email"]}


def applied(want: Resource, version: int = VERSION) -> Resource:
    """The live robot (or activity) after ``want`` was applied: read with the fingerprint it wrote."""
    key, text = option_value(fingerprint.write(want.address, want.attrs, 0), version)
    return robot.read(want.address.kind, want.address.key[0], {key: text}, VERSION)


def test_robot_update_sends_code_and_the_whole_definition_as_fields() -> None:
    old = desired_robot(properties={"message": {"name": "Message"}})
    before = applied(old)
    want = desired_robot(handler="https://app.example.com/robot/v2/send_sms", properties={"message": {"name": "Message"}})
    change = Change(Action.UPDATE, want.address, before, want, compare(want, before))
    assert [a.name for a in change.attrs] == ["handler"]
    calls = robot.calls(change)
    (update, params), _ = sent(calls)
    assert update == "bizproc.robot.update"
    assert set(params) == {"CODE", "FIELDS"} and params["CODE"] == "send_sms"
    # PROPERTIES replace what the portal has, so they travel even when only the handler changed.
    assert params["FIELDS"]["PROPERTIES"] == {"message": {"Name": "Message", "Type": "string", "Required": "N",
                                                          "Multiple": "N"}}
    assert params["FIELDS"]["HANDLER"] == "https://app.example.com/robot/v2/send_sms"
    assert {"NAME", "DESCRIPTION", "AUTH_USER_ID", "USE_SUBSCRIPTION", "USE_PLACEMENT"} <= set(params["FIELDS"])
    assert "CODE" not in params["FIELDS"]
    # The new fingerprint: the plan after the apply is empty.
    key, text = option_value(calls[1])
    assert compare(want, robot.read("robot", "send_sms", {key: text}, VERSION)) == ()


@pytest.mark.parametrize("first, second", [
    ({"first": {"name": "First"}, "second": {"name": "Second"}},
     {"second": {"name": "Second"}, "first": {"name": "First"}}),
    ({"tone": {"name": "Tone", "type": "select", "options": {"formal": "Formal", "casual": "Casual"}}},
     {"tone": {"name": "Tone", "type": "select", "options": {"casual": "Casual", "formal": "Formal"}}}),
], ids=["properties", "select-options"])
def test_robot_reordered_inputs_are_a_change(first: dict[str, Any], second: dict[str, Any]) -> None:
    """Properties are "in display order" (schema) and select options are shown in the order sent: the
    portal keeps both as PHP arrays, so a new order must be applied — and is sent in the new order."""
    have = applied(desired_robot(properties=first))
    want = desired_robot(properties=second)
    [(_, params), _] = sent(robot.calls(Change(Action.UPDATE, want.address, have, want)))
    assert list(params["FIELDS"]["PROPERTIES"]) == list(second)
    assert [change.name for change in compare(want, have)] == ["properties"], "reordering plans nothing"


@pytest.mark.parametrize("before", ["had properties", "definition unknown"])
def test_robot_update_that_drops_every_property_clears_them_on_the_portal(before: str) -> None:
    """PROPERTIES replace the portal's whole map: leaving the key out would keep the old inputs."""
    old = desired_robot(properties={"message": {"name": "Message"}})
    have = applied(old) if before == "had properties" else robot.read("robot", "send_sms", {}, VERSION)
    want = desired_robot()
    change = Change(Action.UPDATE, want.address, have, want, compare(want, have))
    [(_, params), _] = sent(robot.calls(change))
    assert params["FIELDS"]["PROPERTIES"] == {}


def test_robot_delete_removes_it_and_clears_its_fingerprint() -> None:
    have = robot.read("robot", "send_sms", {}, VERSION)
    change = Change(Action.DELETE, have.address, have, None)
    assert sent(robot.calls(change)) == [
        ("bizproc.robot.delete", {"CODE": "send_sms"}),
        ("app.option.set", {"options": {"b24cfg:robot:send_sms": ""}}),
    ]
    # A cleared option reads as no fingerprint at all.
    assert fingerprint.read({"b24cfg:robot:send_sms": ""}, have.address, VERSION).status == "missing"
    # Robots go after the triggers, events and placements that are removed with them.
    trigger_delete = Change(Action.DELETE, Address("trigger", ("paid",)), trigger.read({"CODE": "paid"}), None)
    assert change.tier > trigger_delete.tier


@pytest.mark.parametrize("action", [Action.CREATE, Action.UPDATE, Action.DELETE])
def test_activity_uses_the_activity_methods_and_its_own_option(action: Action) -> None:
    want = desired_robot("activity")
    have = activity.read("activity", "send_sms", {}, VERSION)
    change = Change(action, want.address, None if action is Action.CREATE else have,
                    None if action is Action.DELETE else want)
    calls = sent(activity.calls(change))
    verb = {Action.CREATE: "add", Action.UPDATE: "update", Action.DELETE: "delete"}[action]
    assert calls[0][0] == f"bizproc.activity.{verb}"
    assert calls[0][1]["CODE"] == "send_sms"
    assert [method for method, _ in calls[1:]] == ["app.option.set"]
    assert list(calls[1][1]["options"]) == ["b24cfg:activity:send_sms"]
    assert not any(method.startswith("bizproc.robot.") for method, _ in calls)


# --- fingerprints -------------------------------------------------------------------------------
ROBOT = Address("robot", ("send_sms",))
EVENT = Address("event", ("ONCRMDEALUPDATE", "https://app.example.com/events/deal"))


def test_fingerprint_round_trip_gives_back_what_was_applied() -> None:
    want = desired_robot(**{k: v for k, v in DOCS_ROBOT.items() if k != "code"})
    key, text = option_value(fingerprint.write(ROBOT, want.attrs, 0))
    found = fingerprint.read({key: text}, ROBOT, VERSION)
    assert (found.status, found.version) == ("ok", VERSION)
    # The robot reads back as exactly what the manifest asks for: no change planned.
    have = robot.read("robot", "send_sms", {key: text}, VERSION)
    assert compare(want, have) == ()
    assert have.ids == {"code": "send_sms", "fingerprint": "ok"}


@pytest.mark.parametrize("field, value", [
    ("handler", "https://app.example.com/robot/v2/send_sms"),
    ("name", {"en": "Send SMS", "de": "SMS verschicken"}),
    ("useSubscription", False),
    ("authUser", 0),
    ("properties", {**DOCS_ROBOT["properties"], "text": {"name": "Text", "type": "text", "required": False}}),
    ("placementHandler", "https://app.example.com/robot/send_sms/settings"),
])
def test_fingerprint_names_the_one_attribute_that_changed(field: str, value: Any) -> None:
    have = applied(desired_robot(**{k: v for k, v in DOCS_ROBOT.items() if k != "code"}))
    want = desired_robot(**{**{k: v for k, v in DOCS_ROBOT.items() if k != "code"}, field: value})
    assert [change.name for change in compare(want, have)] == [field]


def test_fingerprint_of_an_older_application_version_is_stale() -> None:
    want = desired_robot()
    key, text = option_value(fingerprint.write(ROBOT, want.attrs, 0), version=2)
    found = fingerprint.read({key: text}, ROBOT, VERSION)
    assert (found.status, found.version) == ("stale", 2)
    have = robot.read("robot", "send_sms", {key: text}, VERSION)
    # Its definition is unknown: nothing is trusted, so the whole definition is applied again.
    assert have.ids == {"code": "send_sms", "fingerprint": "stale", "appliedVersion": 2}
    assert {change.name for change in compare(want, have)} == set(want.attrs)


@pytest.mark.parametrize("raw", [
    None, "", "{not json", "[1, 2]", '"text"', '{"version": 3}', '{"definition": "x", "version": 3}', 42,
], ids=["absent", "cleared", "garbage", "list", "string", "no-definition", "definition-not-a-map", "number"])
def test_fingerprint_that_cannot_be_read_is_missing(raw: Any) -> None:
    options = {} if raw is None else {fingerprint.option_key(ROBOT): raw}
    found = fingerprint.read(options, ROBOT, VERSION)
    assert found.status == "missing"
    have = robot.read("robot", "send_sms", options, VERSION)
    assert have.ids["fingerprint"] == "missing"
    want = desired_robot()
    assert {change.name for change in compare(want, have)} == set(want.attrs)


def test_event_fingerprints_do_not_expire_with_the_application_version() -> None:
    """An application update wipes robots, not event handlers: their options stay trusted."""
    key, text = option_value(fingerprint.write(EVENT, {"options": {"minTimeout": 30}}, 1), version=1)
    assert key.startswith("b24cfg:event:") and key != fingerprint.option_key(
        Address("event", ("ONCRMDEALUPDATE", "https://app.example.com/events/other")))
    assert fingerprint.read({key: text}, EVENT, VERSION).status == "ok"
    row = {"event": EVENT.key[0], "handler": EVENT.key[1], "auth_type": "0", "offline": 0}
    [have] = read_events([row], {key: text})
    want = desired_event(event=EVENT.key[0], handler=EVENT.key[1], options={"minTimeout": 30})
    assert compare(want, have) == ()


def test_robots_and_activities_keep_separate_fingerprints() -> None:
    assert fingerprint.option_key(ROBOT) != fingerprint.option_key(Address("activity", ("send_sms",)))


# --- triggers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [Action.CREATE, Action.UPDATE])
def test_trigger_create_and_update_are_the_add_upsert(action: Action) -> None:
    want = Resource(Address("trigger", ("call_done",)), {"name": "Call finished"})
    before = None if action is Action.CREATE else trigger.read({"CODE": "call_done", "NAME": "Call ended"})
    assert sent(trigger.calls(Change(action, want.address, before, want))) == [
        ("crm.automation.trigger.add", example_body("crm.automation.trigger.add (upsert by CODE)")),
    ]


def test_trigger_delete() -> None:
    have = trigger.read({"CODE": "call_done", "NAME": "Call finished"})
    assert sent(trigger.calls(Change(Action.DELETE, have.address, have, None))) == [
        ("crm.automation.trigger.delete", {"CODE": "call_done"}),
    ]


def test_trigger_read_of_the_documented_list() -> None:
    rows = example_body("crm.automation.trigger.list", "response")
    found = [trigger.read(row) for row in rows]
    assert [(str(r.address), dict(r.attrs), dict(r.ids)) for r in found] == [
        ("trigger.call_done", {"name": "Call finished"}, {"code": "call_done"}),
        ("trigger.paid", {"name": "Payment received"}, {"code": "paid"}),
    ]
    want = Resource(Address("trigger", ("paid",)), {"name": "Payment received"})
    assert compare(want, found[1]) == ()


# --- events -------------------------------------------------------------------------------------
def read_events(rows: list[dict[str, Any]], options: Mapping[str, Any] | None = None) -> list[Resource]:
    taken: set[Address] = set()
    return [event_binding.read(row, options or {}, VERSION, taken) for row in rows]


def test_event_read_of_the_documented_event_get() -> None:
    first, other_user, offline = read_events(example_body("event.get", "response"))
    assert str(first.address) == "event.ONCRMDEALUPDATE.https://app.example.com/events/deal"
    assert {k: first.attrs[k] for k in ("handler", "offline", "authUser")} == {
        "handler": "https://app.example.com/events/deal", "offline": False, "authUser": 0}
    # The same event and handler for another user is a binding of its own (the portal keys by user).
    assert other_user.address != first.address and other_user.address.key[0] == "ONCRMDEALUPDATE"
    assert other_user.attrs["authUser"] == 15
    assert other_user.ids["handler"] == "https://app.example.com/events/deal"
    assert str(offline.address) == "event.ONCRMDEALADD.offline"
    assert {k: offline.attrs[k] for k in ("handler", "offline", "authUser")} == {
        "handler": None, "offline": True, "authUser": 0}
    # A manifest entry for the first row reads as unchanged.
    want = desired_event(event="onCrmDealUpdate", handler="https://app.example.com/events/deal")
    assert want.address == first.address and compare(want, first) == ()
    assert compare(desired_event(event="ONCRMDEALADD", offline=True), offline) == ()


def test_event_options_come_from_the_fingerprint() -> None:
    """event.get leaves options out; what b24cfg bound them with is read from its option."""
    want = desired_event(event="ONOFFLINEEVENT", handler="https://app.example.com/events/offline-ping",
                         options={"minTimeout": 30})
    calls = event_binding.calls(Change(Action.CREATE, want.address, None, want))
    assert sent(calls)[0] == ("event.bind", {**example_body("event.bind ONOFFLINEEVENT with options.minTimeout"),
                                             "auth_type": 0, "event_type": "online"})
    key, text = option_value(calls[1])
    row = {"event": "ONOFFLINEEVENT", "handler": want.attrs["handler"], "auth_type": "0", "offline": 0}
    [have] = read_events([row], {key: text})
    assert compare(want, have) == ()
    [bare] = read_events([row])
    assert [change.name for change in compare(want, bare)] == ["options"]


def test_event_create_binds_online_as_documented_and_writes_a_fingerprint() -> None:
    want = desired_event(event="ONCRMDEALUPDATE", handler="https://app.example.com/events/deal")
    calls = event_binding.calls(Change(Action.CREATE, want.address, None, want))
    assert sent(calls)[0] == ("event.bind", example_body("event.bind"))
    key, text = option_value(calls[1])
    assert key == fingerprint.option_key(want.address)
    [have] = read_events([{"event": "ONCRMDEALUPDATE", "handler": "https://app.example.com/events/deal",
                           "auth_type": "0", "offline": 0}], {key: text})
    assert have.ids["fingerprint"] == "ok" and compare(want, have) == ()


def test_offline_event_bind_and_unbind_use_event_type_offline() -> None:
    want = desired_event(event="ONCRMDEALADD", offline=True)
    bind = sent(event_binding.calls(Change(Action.CREATE, want.address, None, want)))[0]
    assert bind == ("event.bind", example_body("event.bind offline (admin only, no handler)"))
    [_, _, have] = read_events(example_body("event.get", "response"))
    assert sent(event_binding.calls(Change(Action.DELETE, have.address, have, None))) == [
        ("event.unbind", {"event": "ONCRMDEALADD", "event_type": "offline"}),
        ("app.option.set", {"options": {fingerprint.option_key(have.address): ""}}),
    ]


def test_event_delete_of_another_users_binding_unbinds_that_user_only() -> None:
    """The documented event.unbind of the user-15 binding: not its b24cfg address, the real handler."""
    [_, other_user, _] = read_events(example_body("event.get", "response"))
    calls = sent(event_binding.calls(Change(Action.DELETE, other_user.address, other_user, None)))
    assert calls[0] == ("event.unbind", example_body("event.unbind"))
    assert calls[1] == ("app.option.set", {"options": {fingerprint.option_key(other_user.address): ""}})


def test_event_replace_unbinds_the_old_handler_then_binds_the_new_one() -> None:
    [have, _, _] = read_events(example_body("event.get", "response"))
    want = desired_event(event="ONCRMDEALUPDATE", handler="https://app.example.com/v2/events/deal", authUser=1)
    change = Change(Action.REPLACE, want.address, have, want,
                    (AttrChange("handler", have.attrs["handler"], want.attrs["handler"], True),))
    calls = event_binding.calls(change)
    assert sent(calls)[:3] == [
        ("event.unbind", {"event": "ONCRMDEALUPDATE", "handler": "https://app.example.com/events/deal",
                          "auth_type": 0}),
        ("app.option.set", {"options": {fingerprint.option_key(have.address): ""}}),
        ("event.bind", {"event": "ONCRMDEALUPDATE", "handler": "https://app.example.com/v2/events/deal",
                        "auth_type": 1, "event_type": "online"}),
    ]
    assert len(calls) == 4 and option_value(calls[3])[0] == fingerprint.option_key(want.address)


def test_event_replace_in_place_keeps_one_fingerprint() -> None:
    """Same event and handler, another user: the option is rewritten, not cleared after the write."""
    [have, _, _] = read_events(example_body("event.get", "response"))
    want = desired_event(event="ONCRMDEALUPDATE", handler="https://app.example.com/events/deal", authUser=15)
    calls = sent(event_binding.calls(Change(Action.REPLACE, want.address, have, want)))
    assert [method for method, _ in calls] == ["event.unbind", "event.bind", "app.option.set"]
    assert calls[0][1]["auth_type"] == 0 and calls[1][1]["auth_type"] == 15
    assert list(calls[2][1]["options"]) == [fingerprint.option_key(want.address)]
    assert calls[2][1]["options"][fingerprint.option_key(want.address)] != ""


# --- placements ---------------------------------------------------------------------------------
def test_placement_read_of_the_documented_placement_get() -> None:
    [have] = [placement.read(row, {}, VERSION) for row in example_body("placement.get", "response")]
    assert str(have.address) == "placement.CRM_DEAL_DETAIL_TAB.https://app.example.com/placements/deal-tab"
    assert have.attrs["options"] == {}  # the portal prints an empty PHP array as []
    assert have.attrs["langAll"] == {
        "de": {"title": "App-Daten", "description": "", "groupName": ""},
        "en": {"title": "App data", "description": "", "groupName": ""},
    }
    # Bound by someone else (no b24cfg fingerprint): a changed handler in a manifest is not paired with it.
    assert have.ids == {"placement": "CRM_DEAL_DETAIL_TAB", "handler": "https://app.example.com/placements/deal-tab",
                        "userId": 0, "fingerprint": "missing"}
    want = desired_placement(placement="crm_deal_detail_tab", handler="https://app.example.com/placements/deal-tab",
                             title={"en": "App data", "de": "App-Daten"})
    assert want.address == have.address
    assert compare(want, have) == ()


def test_placement_with_languages_binds_with_lang_all_as_documented() -> None:
    want = desired_placement(placement="CRM_DEAL_DETAIL_TAB", handler="https://app.example.com/placements/deal-tab",
                             title={"en": "App data", "de": "App-Daten"})
    [(method, params), (marker, _)] = sent(placement.calls(Change(Action.CREATE, want.address, None, want)))
    assert marker == "app.option.set"  # the fingerprint that says b24cfg bound it
    documented = example_body("placement.bind")
    assert method == "placement.bind"
    assert params == {k: documented[k] for k in ("PLACEMENT", "HANDLER", "LANG_ALL")}


def test_placement_replace_unbinds_the_old_handler_then_binds_with_title_and_description() -> None:
    [have] = [placement.read(row, {}, VERSION) for row in example_body("placement.get", "response")]
    want = desired_placement(placement="CRM_DEAL_DETAIL_TAB", handler="https://app.example.com/placements/v2/tab",
                             title="Contracts", description="Contracts of this deal")
    change = Change(Action.REPLACE, want.address, have, want,
                    (AttrChange("handler", have.attrs["handler"], want.attrs["handler"], True),))
    calls = sent(placement.calls(change))
    assert [c for c in calls if c[0] != "app.option.set"] == [
        ("placement.unbind", example_body("placement.unbind (count is 2 per removed handler)")),
        ("placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "https://app.example.com/placements/v2/tab",
                            "TITLE": "Contracts", "DESCRIPTION": "Contracts of this deal"}),
    ]
    # The old address's fingerprint is cleared, the new one's written.
    assert [c[1]["options"] for c in calls if c[0] == "app.option.set"][0] == {
        fingerprint.option_key(have.address): ""}


def test_placement_options_are_sent_and_delete_only_unbinds() -> None:
    want = desired_placement(placement="CRM_DEAL_DETAIL_TAB", handler="https://app.example.com/tab",
                             title="Tab", options={"width": 600})
    [(_, params), _] = sent(placement.calls(Change(Action.CREATE, want.address, None, want)))
    assert params == {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "https://app.example.com/tab", "TITLE": "Tab",
                      "OPTIONS": {"width": 600}}
    have = placement.read({"placement": "CRM_DEAL_DETAIL_TAB", "handler": "https://app.example.com/tab",
                           "options": {"width": 600}, "title": "Tab", "description": "", "langAll": []}, {}, VERSION)
    assert sent(placement.calls(Change(Action.DELETE, have.address, have, None))) == [
        ("placement.unbind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "https://app.example.com/tab"}),
        ("app.option.set", {"options": {fingerprint.option_key(have.address): ""}}),
    ]


def test_placement_group_name_reads_back_as_bound(portal: SandboxPortal, app_token: str) -> None:
    """A menu placement with one-text title and group name, bound through the emulator and read
    back with placement.get: the plan right after applying must be empty.

    placement.get has no top-level group name (reference platform §5; Placement::get in the
    source): GROUP_NAME is only inside langAll.
    """
    want = desired_placement(placement="CRM_DEAL_LIST_MENU", handler="https://app.example.com/menu/deal",
                             title="Contracts", groupName="Tools")
    [(method, params), _] = sent(placement.calls(Change(Action.CREATE, want.address, None, want)))
    assert params["GROUP_NAME"] == "Tools"
    assert ok(portal, method, params, token=app_token) is True
    [row] = ok(portal, "placement.get", token=app_token)
    assert "groupName" not in row and row["langAll"]["en"]["GROUP_NAME"] == "Tools"
    have = placement.read(row, {}, VERSION)
    assert compare(want, have) == (), "a one-text groupName would be replaced on every plan"


# --- every call carries its change's tier and address, and nothing unresolvable ----------------------
def test_calls_carry_the_change_tier_and_only_the_version_out() -> None:
    want = desired_robot()
    for adapter, change in [
        (robot, Change(Action.CREATE, want.address, None, want)),
        (trigger, Change(Action.CREATE, Address("trigger", ("t",)), None,
                         Resource(Address("trigger", ("t",)), {"name": "T"}))),
        (event_binding, Change(Action.CREATE, EVENT, None, desired_event(event=EVENT.key[0], handler=EVENT.key[1]))),
    ]:
        for call in adapter.calls(change):
            assert call.tier == change.tier
            assert all(out == Out(APPLICATION, "version") for out in outs(call.params))
