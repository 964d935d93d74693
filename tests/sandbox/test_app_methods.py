"""Behaviour of the application-context families, one test per rule the emulator must enforce.

Reference platform §6 items 18-28 (robots/activities, templates, triggers, events, placements,
"not installed" apps), plus app.info / app.option / user.current. Every call goes through the
sandbox's HTTP handling; definitions that REST cannot read back are checked in the portal state.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import httpx
import pytest

from b24cfg.sandbox.methods.appcontext import finish_installation
from b24cfg.sandbox.methods.bizproc import start_workflow
from b24cfg.sandbox.methods.events import deliverable_handlers
from b24cfg.sandbox.methods.placements import visible_placements
from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport
from tests.support.reference import ok, platform_example, rest

OTHER_APP = "local.othervendor0002.00000002"
HOOK = "https://app.example.com/handler"
APP_CONTEXT = ("ACCESS_DENIED", "Access denied! Application context required")
WRONG_AUTH = "WRONG_AUTH_TYPE"


def error(portal: SandboxPortal, method: str, params: dict[str, Any] | None = None, *, token: str | None = None) -> tuple[int, str, str]:
    """Call and return (status, error code, description); fail if the call succeeded."""
    status, body = rest(portal, method, params, token=token)
    assert "error" in body, f"{method} unexpectedly succeeded: {body}"
    return status, body["error"], body["error_description"]


def plain_webhook(portal: SandboxPortal, method: str, scopes: list[str]) -> tuple[str, str]:
    """Call ``method`` through the webhook of a user who is not an administrator."""
    portal.add_webhook(7, "plainhook", scopes)
    with httpx.Client(transport=SandboxTransport(portal)) as client:
        body = client.post(f"https://sandbox.test/rest/7/plainhook/{method}", json={}).json()
    return body["error"], body["error_description"]


def add_app(portal: SandboxPortal, client_id: str = OTHER_APP, *, app_id: int = 2,
            scopes: tuple[str, ...] = ("crm", "bizproc", "placement", "user"), installed: bool = True) -> str:
    """Register another application and return an access token of it (admin user 1)."""
    portal.state["auth"]["apps"][client_id] = {
        "id": app_id, "code": client_id, "secret": "secret", "version": 1, "scopes": list(scopes),
        "installed": installed, "name": f"App {app_id}",
    }
    return portal.issue_token(client_id=client_id)


def user_token(portal: SandboxPortal, user_id: int = 7) -> str:
    """An access token of the sandbox app for a portal user who is not an administrator."""
    portal.state["auth"]["users"][str(user_id)] = {"admin": False, "name": "Plain", "last_name": "User"}
    return portal.issue_token(user_id=user_id)


def robot(code: str = "send_sms", **extra: Any) -> dict[str, Any]:
    return {"CODE": code, "HANDLER": f"{HOOK}/{code}", "NAME": "Send SMS", **extra}


def stored(portal: SandboxPortal, code: str) -> dict[str, Any]:
    """The stored definition of a robot/activity (REST offers no way to read it)."""
    return next(r for r in portal.state["bizproc_activities"] if r["CODE"] == code)


def php_serialize(value: Any) -> str:
    """PHP ``serialize`` for the JSON subset, to build .bpt packages."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    items = list(enumerate(value)) if isinstance(value, list) else list(value.items())
    body = "".join(php_serialize(k) + php_serialize(v) for k, v in items)
    return f"a:{len(items)}:{{{body}}}"


TEMPLATE_TREE = [{"Type": "SequentialWorkflowActivity", "Name": "Template", "Activated": "Y",
                  "Properties": {"Title": "Hello"}, "Children": []}]


def bpt(package: dict[str, Any] | None = None, *, compress: bool = True) -> str:
    """A Base64 .bpt file (PHP-serialized, gzcompress'ed like the designer's export)."""
    data = package if package is not None else {"VERSION": 2, "TEMPLATE": TEMPLATE_TREE, "PARAMETERS": [],
                                                "VARIABLES": [], "CONSTANTS": [], "DOCUMENT_FIELDS": []}
    raw = php_serialize(data).encode()
    return base64.b64encode(zlib.compress(raw) if compress else raw).decode()


def template(name: str = "Approval", **extra: Any) -> dict[str, Any]:
    return {"DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "DEAL"], "NAME": name,
            "TEMPLATE_DATA": ["approval.bpt", bpt()], **extra}


# === application context: every family refuses webhooks with its own guard ======================
@pytest.mark.parametrize("method, params", [
    ("bizproc.robot.add", robot()), ("bizproc.robot.list", {}), ("bizproc.robot.update", {"CODE": "x", "FIELDS": {"NAME": "y"}}),
    ("bizproc.robot.delete", {"CODE": "x"}), ("bizproc.activity.add", robot()), ("bizproc.activity.list", {}),
    ("bizproc.workflow.template.add", template()), ("bizproc.workflow.template.update", {"ID": 1, "FIELDS": {"NAME": "x"}}),
    ("bizproc.workflow.template.delete", {"ID": 1}), ("crm.automation.trigger.add", {"CODE": "c", "NAME": "n"}),
    ("crm.automation.trigger.list", {}), ("crm.automation.trigger.execute", {"CODE": "c"}),
    ("crm.automation.trigger.delete", {"CODE": "c"}), ("app.option.set", {"options": {"a": 1}}), ("app.option.get", {}),
])
def test_client_id_guard_refuses_admin_webhook(portal: SandboxPortal, method: str, params: dict[str, Any]) -> None:
    assert error(portal, method, params) == (403, *APP_CONTEXT)


@pytest.mark.parametrize("method, detail", [
    ("event.bind", ""), ("event.get", ""), ("event.unbind", ""), ("events", ""),
    ("placement.bind", " Application context required"), ("placement.get", " Application context required"),
    ("placement.list", " Application context required"), ("placement.unbind", " Application context required"),
])
def test_auth_type_guard_refuses_webhook(portal: SandboxPortal, method: str, detail: str) -> None:
    assert error(portal, method, {}) == (403, WRONG_AUTH, "Current authorization type is denied for this method" + detail)


def test_bizproc_checks_app_context_before_admin(portal: SandboxPortal) -> None:
    assert plain_webhook(portal, "bizproc.robot.list", ["bizproc"]) == APP_CONTEXT
    assert error(portal, "bizproc.robot.list", token=user_token(portal)) == (403, "ACCESS_DENIED", "Access denied!")


def test_triggers_check_admin_before_app_context(portal: SandboxPortal) -> None:
    admin_first = ("ACCESS_DENIED", "Access denied! Admin permissions required")
    assert plain_webhook(portal, "crm.automation.trigger.list", ["crm"]) == admin_first
    assert error(portal, "crm.automation.trigger.list", token=user_token(portal))[1:] == admin_first


# === item 18: one store for robots and activities ================================================
def test_robot_and_activity_share_code_namespace_but_not_updates(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "bizproc.robot.add", robot("shared"), token=app_token)
    assert error(portal, "bizproc.activity.add", robot("shared"), token=app_token)[1] == "ERROR_ACTIVITY_ALREADY_INSTALLED"
    # update/delete/list look up IS_ROBOT too: the activity methods cannot see the robot.
    assert error(portal, "bizproc.activity.update", {"CODE": "shared", "FIELDS": {"NAME": "x"}}, token=app_token)[1] == "ERROR_ACTIVITY_NOT_FOUND"
    assert error(portal, "bizproc.activity.delete", {"CODE": "shared"}, token=app_token)[1] == "ERROR_ACTIVITY_NOT_FOUND"
    assert ok(portal, "bizproc.activity.list", token=app_token) == []
    assert ok(portal, "bizproc.robot.list", token=app_token) == ["shared"]


def test_robots_are_per_app_and_code_is_case_sensitive(portal: SandboxPortal, app_token: str) -> None:
    other = add_app(portal)
    ok(portal, "bizproc.robot.add", robot("send_sms"), token=app_token)
    ok(portal, "bizproc.robot.add", robot("Send_SMS"), token=app_token)  # md5(client@CODE) differs
    assert ok(portal, "bizproc.robot.list", token=other) == []
    assert error(portal, "bizproc.robot.delete", {"CODE": "send_sms"}, token=other)[1] == "ERROR_ACTIVITY_NOT_FOUND"
    ok(portal, "bizproc.robot.add", robot("send_sms"), token=other)  # same CODE in another app is fine
    assert ok(portal, "bizproc.robot.list", token=app_token) == ["send_sms", "Send_SMS"]
    assert stored(portal, "Send_SMS")["INTERNAL_CODE"] != stored(portal, "send_sms")["INTERNAL_CODE"]


# === item 19: validation order and messages ======================================================
@pytest.mark.parametrize("params, code, message", [
    ({}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Empty data!"),
    (robot("0"), "ERROR_ACTIVITY_VALIDATION_FAILURE", "Empty activity code!"),  # PHP empty("0")
    (robot("bad code"), "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong activity code!"),
    (robot("x") | {"HANDLER": "https://localhost/robot"}, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL"),
    (robot("x") | {"HANDLER": "ftp://app.example.com/robot"}, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol"),
    (robot("x") | {"NAME": ""}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Empty activity NAME!"),
    (robot("x") | {"PROPERTIES": "text"}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong properties array!"),
    (robot("x") | {"PROPERTIES": {"a-b": {"Name": "A"}}}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong property key (a-b)!"),
    (robot("x") | {"RETURN_PROPERTIES": {"ok": {"Type": "string"}}}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Empty property NAME (ok)!"),
    (robot("x") | {"DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "LEAD"]}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong activity DOCUMENT_TYPE!"),
    (robot("x") | {"FILTER": "b24"}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong activity FILTER!"),
    (robot("x") | {"USE_PLACEMENT": "Y", "PLACEMENT_HANDLER": "settings"}, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL"),
    (robot("x" * 129), "ERROR_ACTIVITY_ADD_FAILURE", "Activity save error!"),
    # The source's order: a bad CODE is reported before a bad HANDLER or a missing NAME.
    ({"CODE": "bad code", "HANDLER": "nope"}, "ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong activity code!"),
])
def test_robot_add_validation(portal: SandboxPortal, app_token: str, params: dict[str, Any], code: str, message: str) -> None:
    assert error(portal, "bizproc.robot.add", params, token=app_token) == (400, code, message)


def test_keys_are_case_insensitive_but_property_names_are_kept(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "bizproc.robot.add", {
        "code": "lower", "handler": f"{HOOK}/lower", "name": "Lower",
        "properties": {"docType": {"Name": {"en": "Type"}, "Type": "select", "Options": {"pdf": "PDF"}}},
    }, token=app_token)
    row = stored(portal, "lower")
    assert row["NAME"] == {"*": "Lower"}  # a plain NAME is stored as the "*" translation
    assert row["PROPERTIES"] == {"docType": {"NAME": {"EN": "Type"}, "TYPE": "select", "OPTIONS": {"pdf": "PDF"}}}


def test_activity_document_type_is_validated_and_robot_one_switchable(app_token: str, clock: Any) -> None:
    source = SandboxPortal(clock=clock, options={"robot_add_validates_document_type": False})
    token = source.issue_token()
    bad_type = {"DOCUMENT_TYPE": ["crm", "Nope", "DEAL"]}
    ok(source, "bizproc.robot.add", robot("r") | bad_type, token=token)
    assert error(source, "bizproc.activity.add", robot("a") | bad_type, token=token)[2] == "Wrong activity DOCUMENT_TYPE!"


def test_use_placement_creates_private_settings_placement(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "bizproc.robot.add", robot("dialog") | {"USE_PLACEMENT": "Y", "PLACEMENT_HANDLER": f"{HOOK}/settings"}, token=app_token)
    rows = [r for r in portal.state["placements"] if r["PLACEMENT"] == "BIZPROC_ACTIVITY_PROPERTIES_DIALOG"]
    assert [(r["ADDITIONAL"], r["PLACEMENT_HANDLER"]) for r in rows] == [("dialog", f"{HOOK}/settings")]
    assert ok(portal, "placement.get", token=app_token) == []  # private placements are never listed
    ok(portal, "bizproc.robot.update", {"CODE": "dialog", "FIELDS": {"USE_PLACEMENT": "N"}}, token=app_token)
    assert not [r for r in portal.state["placements"] if r["PLACEMENT"] == "BIZPROC_ACTIVITY_PROPERTIES_DIALOG"]


# === item 20: codes only, update semantics =======================================================
def test_list_returns_codes_only(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "bizproc.activity.add", robot("a1") | {"PROPERTIES": {"x": {"Name": "X"}}}, token=app_token)
    assert ok(portal, "bizproc.activity.list", token=app_token) == ["a1"]


def test_update_is_partial_and_replaces_whole_values(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "bizproc.robot.add", robot("r") | {
        "PROPERTIES": {"a": {"Name": "A"}, "b": {"Name": "B"}}, "DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "DEAL"],
        "FILTER": {"INCLUDE": ["b24"]},
    }, token=app_token)
    ok(portal, "bizproc.robot.update", {"CODE": "r", "FIELDS": {
        "HANDLER": f"{HOOK}/v2", "NAME": "", "PROPERTIES": {"c": {"Name": "C"}}, "DOCUMENT_TYPE": "", "FILTER": [],
    }}, token=app_token)
    row = stored(portal, "r")
    assert row["HANDLER"] == f"{HOOK}/v2"
    assert row["NAME"] == {"*": "Send SMS"}  # an empty NAME is ignored
    assert row["PROPERTIES"] == {"c": {"NAME": "C"}}  # replaced, not merged
    assert row["DOCUMENT_TYPE"] is None and row["FILTER"] is None  # empty values clear
    assert error(portal, "bizproc.robot.update", {"CODE": "r", "FIELDS": {"CODE": "renamed", "COLOR": "red"}},
                 token=app_token)[2] == "No fields to update"
    assert error(portal, "bizproc.robot.update", {"CODE": "missing", "FIELDS": {}}, token=app_token)[1] == "ERROR_ACTIVITY_NOT_FOUND"


# === item 21: app update and uninstall wipe robots and activities ===============================
@pytest.mark.parametrize("lifecycle", ["app_update", "app_uninstall"])
def test_app_lifecycle_wipes_robots_and_activities(portal: SandboxPortal, app_token: str, lifecycle: str) -> None:
    other = add_app(portal)
    ok(portal, "bizproc.robot.add", robot("r") | {"USE_PLACEMENT": "Y", "PLACEMENT_HANDLER": f"{HOOK}/s"}, token=app_token)
    ok(portal, "bizproc.activity.add", robot("a"), token=app_token)
    ok(portal, "bizproc.robot.add", robot("theirs"), token=other)
    getattr(portal, lifecycle)()
    token = portal.issue_token()
    assert ok(portal, "bizproc.robot.list", token=token) == []
    assert ok(portal, "bizproc.activity.list", token=token) == []
    assert ok(portal, "bizproc.robot.list", token=other) == ["theirs"]
    assert not [r for r in portal.state["placements"] if r["APP_ID"] == SANDBOX_CLIENT_ID]


# === item 22: template.add ======================================================================
@pytest.mark.parametrize("data", [
    ["approval.bpt", bpt()], bpt(), ["plain.bpt", bpt(compress=False)], {"0": "named.bpt", "1": bpt()},
])
def test_template_add_decodes_template_data(portal: SandboxPortal, app_token: str, data: Any) -> None:
    template_id = ok(portal, "bizproc.workflow.template.add", template(TEMPLATE_DATA=data, AUTO_EXECUTE="3"), token=app_token)
    assert isinstance(template_id, int)
    [row] = ok(portal, "bizproc.workflow.template.list",
               {"SELECT": ["ID", "TEMPLATE", "SYSTEM_CODE", "AUTO_EXECUTE"], "FILTER": {"ID": template_id}}, token=app_token)
    assert row == {"ID": str(template_id), "TEMPLATE": TEMPLATE_TREE, "SYSTEM_CODE": "rest_app_1", "AUTO_EXECUTE": "3"}


@pytest.mark.parametrize("change, message", [
    ({"DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal"]}, "Incorrect field DOCUMENT_TYPE!"),
    ({"NAME": ""}, "Empty template name!"),
    ({"AUTO_EXECUTE": 8}, "Incorrect field AUTO_EXECUTE!"),
    ({"AUTO_EXECUTE": 4}, "Incorrect field AUTO_EXECUTE!"),
    ({"AUTO_EXECUTE": "1.0"}, "Incorrect field AUTO_EXECUTE!"),
    ({"TEMPLATE_DATA": ["x.bpt", "not base64 at all!"]}, "Incorrect field TEMPLATE_DATA!"),
    ({"TEMPLATE_DATA": ["x.bpt", bpt({"VERSION": 2, "PARAMETERS": []})]}, "Incorrect field TEMPLATE_DATA!"),
    ({"TEMPLATE_DATA": ""}, "Incorrect field TEMPLATE_DATA!"),
])
def test_template_add_validation(portal: SandboxPortal, app_token: str, change: dict[str, Any], message: str) -> None:
    assert error(portal, "bizproc.workflow.template.add", template() | change, token=app_token) == (
        400, "ERROR_TEMPLATE_VALIDATION_FAILURE", message)


# === item 23: template.list, update and delete ==================================================
def test_template_list_select_filter_order_and_pages(portal: SandboxPortal, app_token: str) -> None:
    ids = [ok(portal, "bizproc.workflow.template.add", template(f"T{i:02}", AUTO_EXECUTE=i % 4), token=app_token)
           for i in range(55)]
    first = rest(portal, "bizproc.workflow.template.list", {"SELECT": ["id", "Name"]}, token=app_token)[1]
    assert (len(first["result"]), first["total"], first["next"]) == (50, 55, 50)
    assert first["result"][0] == {"ID": str(ids[0]), "NAME": "T00"}
    second = rest(portal, "bizproc.workflow.template.list", {"start": 50}, token=app_token)[1]
    assert [r["ID"] for r in second["result"]] == [str(i) for i in ids[50:]] and "next" not in second
    picked = ok(portal, "bizproc.workflow.template.list", {
        "SELECT": ["NAME"], "FILTER": {">=ID": ids[10], "<ID": ids[20], "!AUTO_EXECUTE": 0, "=document_type": "DEAL"},
        "ORDER": {"AUTO_EXECUTE": "desc", "ID": "asc"},
    }, token=app_token)
    assert [r["NAME"] for r in picked] == ["T11", "T15", "T19", "T10", "T14", "T18", "T13", "T17"]


def test_template_list_filter_ops_and_document_type_options(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"template_list_filter_ops": "source", "template_list_document_type": "source"})
    token = portal.issue_token()
    ok(portal, "bizproc.workflow.template.add", template("A"), token=token)
    ok(portal, "bizproc.workflow.template.add", template("B"), token=token)
    # "=NAME" is dropped silently by the source's allow-list, so both templates come back.
    rows = ok(portal, "bizproc.workflow.template.list", {"SELECT": ["NAME", "DOCUMENT_TYPE"], "FILTER": {"=NAME": "A"}}, token=token)
    assert rows == [{"NAME": "A", "DOCUMENT_TYPE": [None, None, "DEAL"]}, {"NAME": "B", "DOCUMENT_TYPE": [None, None, "DEAL"]}]


def test_template_update_and_delete_only_own(portal: SandboxPortal, app_token: str) -> None:
    mine = ok(portal, "bizproc.workflow.template.add", template("Mine"), token=app_token)
    theirs = ok(portal, "bizproc.workflow.template.add", template("Theirs"), token=add_app(portal))
    assert ok(portal, "bizproc.workflow.template.update", {"ID": mine, "FIELDS": {"NAME": "Renamed", "DOCUMENT_TYPE": "LEAD"}},
              token=app_token) == mine
    assert ok(portal, "bizproc.workflow.template.list", {"SELECT": ["NAME", "DOCUMENT_TYPE"], "FILTER": {"ID": mine}},
              token=app_token) == [{"NAME": "Renamed", "DOCUMENT_TYPE": "DEAL"}]
    assert error(portal, "bizproc.workflow.template.delete", {"ID": theirs}, token=app_token) == (
        400, "ERROR_TEMPLATE_NOT_OWNER", "You can delete ONLY templates created by current application")
    assert error(portal, "bizproc.workflow.template.update", {"ID": 99999, "FIELDS": {"NAME": "x"}}, token=app_token) == (
        400, "ERROR_TEMPLATE_NOT_FOUND", "Workflow template not found.")
    assert error(portal, "bizproc.workflow.template.update", {"ID": mine, "FIELDS": {}}, token=app_token) == (
        400, "ERROR_TEMPLATE_VALIDATION_FAILURE", "No fields to update.")
    status, body = rest(portal, "bizproc.workflow.template.delete", {"ID": mine}, token=app_token)
    assert (status, body["result"]) == (200, None)


def test_template_delete_refused_while_workflows_run(portal: SandboxPortal, app_token: str) -> None:
    template_id = ok(portal, "bizproc.workflow.template.add", template(), token=app_token)
    start_workflow(portal, template_id)
    assert error(portal, "bizproc.workflow.template.delete", {"ID": template_id}, token=app_token)[:2] == (400, "ERROR_CORE")


def test_template_errors_in_source_style(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"template_error_style": "source"})
    token = portal.issue_token()
    assert error(portal, "bizproc.workflow.template.update", {"ID": 99999, "FIELDS": {"NAME": "x"}}, token=token) == (
        400, "", "Workflow template not found.")
    assert error(portal, "bizproc.workflow.template.add", template(""), token=token)[1:] == (
        "ERROR_TEMPLATE_VALIDATION_FAILURE", "Empty activity code!")


def test_template_list_is_admin_only_but_works_by_webhook(portal: SandboxPortal) -> None:
    assert isinstance(ok(portal, "bizproc.workflow.template.list"), list)  # admin webhook, no app context
    assert error(portal, "bizproc.workflow.template.list", token=user_token(portal)) == (403, "ACCESS_DENIED", "Access denied!")


# === item 24: seeded stage automation is invisible and untouchable ==============================
def test_stage_automation_templates_exist_but_rest_cannot_see_or_change_them(portal: SandboxPortal, app_token: str) -> None:
    seeded = [t for t in portal.state["bizproc_templates"] if t["AUTO_EXECUTE"] == 8]
    assert seeded and all(t["DOCUMENT_STATUS"] for t in seeded)
    assert ok(portal, "bizproc.workflow.template.list", {"FILTER": {">=AUTO_EXECUTE": 8}}) == []
    assert ok(portal, "bizproc.workflow.template.list") == []
    target = seeded[0]["ID"]
    assert error(portal, "bizproc.workflow.template.update", {"ID": target, "FIELDS": {"NAME": "x"}}, token=app_token)[1] == "ERROR_TEMPLATE_NOT_OWNER"
    assert error(portal, "bizproc.workflow.template.delete", {"ID": target}, token=app_token)[1] == "ERROR_TEMPLATE_NOT_OWNER"


# === robot callbacks ============================================================================
def test_event_token_must_have_the_robot_token_shape(portal: SandboxPortal) -> None:
    good = platform_example("bizproc.event.send")["request"]["body"]["EVENT_TOKEN"]
    assert ok(portal, "bizproc.event.send", {"EVENT_TOKEN": good}) is True  # any user, webhook included
    assert error(portal, "bizproc.event.send", {"EVENT_TOKEN": "forged"}) == (403, "ACCESS_DENIED", "Access denied!")
    assert error(portal, "bizproc.activity.log", {"EVENT_TOKEN": good, "LOG_MESSAGE": ""}) == (
        400, "ERROR_EMPTY_LOG_MESSAGE", "Empty log message!")


# === item 25: triggers ==========================================================================
def test_trigger_add_is_an_upsert_and_list_gives_name_and_code(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "crm.automation.trigger.add", {"code": "paid", "name": "Paid"}, token=app_token)
    ok(portal, "crm.automation.trigger.add", {"CODE": "paid", "NAME": "Payment received"}, token=app_token)
    assert ok(portal, "crm.automation.trigger.list", token=app_token) == [{"NAME": "Payment received", "CODE": "paid"}]
    assert ok(portal, "crm.automation.trigger.list", token=add_app(portal)) == []


@pytest.mark.parametrize("method, params, message", [
    ("crm.automation.trigger.add", {"CODE": "", "NAME": "n"}, "Empty trigger code!"),
    ("crm.automation.trigger.add", {"CODE": "a b", "NAME": "n"}, "Wrong trigger code!"),
    ("crm.automation.trigger.add", {"CODE": "ok"}, "Empty trigger name!"),
    ("crm.automation.trigger.delete", {"CODE": "missing"}, "Trigger not found"),
    ("crm.automation.trigger.execute", {"CODE": "known", "OWNER_TYPE_ID": 99, "OWNER_ID": 1}, "Incorrect parameter OWNER_TYPE_ID."),
    ("crm.automation.trigger.execute", {"CODE": "known", "OWNER_TYPE_ID": 2, "OWNER_ID": 0}, "Incorrect parameter OWNER_ID."),
])
def test_trigger_errors_have_an_empty_code(portal: SandboxPortal, app_token: str, method: str, params: dict[str, Any], message: str) -> None:
    ok(portal, "crm.automation.trigger.add", {"CODE": "known", "NAME": "Known"}, token=app_token)
    assert error(portal, method, params, token=app_token) == (400, "", message)


def test_trigger_execute_accepts_existing_smart_processes(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "crm.automation.trigger.add", {"CODE": "known", "NAME": "Known"}, token=app_token)
    portal.state.setdefault("types", {})["7"] = {"id": 7, "entityTypeId": 1038}
    assert ok(portal, "crm.automation.trigger.execute", {"CODE": "known", "OWNER_TYPE_ID": 1038, "OWNER_ID": 5}, token=app_token)


@pytest.mark.parametrize("params, message", [
    ({}, "Target is not set."), ({"target": "DEAL25"}, "Incorrect target format."),
    ({"target": "SPACESHIP_25"}, "Target is not found."), ({"target": "DEAL_x"}, "Target is not found."),
    ({"TARGET": "DEAL_25"}, "Target is not set."),  # read literally, unlike the app trigger methods
])
def test_incoming_webhook_trigger_target(portal: SandboxPortal, params: dict[str, Any], message: str) -> None:
    assert error(portal, "crm.automation.trigger", params) == (400, "", message)


# === item 26: events ============================================================================
DEAL_HOOK = "https://app.example.com/events/deal"


def test_event_uniqueness_per_app_event_handler_and_user(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "event.bind", {"event": "onCrmDealUpdate", "handler": DEAL_HOOK}, token=app_token)
    assert error(portal, "event.bind", {"EVENT": "ONCRMDEALUPDATE", "HANDLER": DEAL_HOOK}, token=app_token) == (
        400, "ERROR_CORE", "Unable to set event handler: Handler already binded")
    ok(portal, "event.bind", {"event": "ONCRMDEALUPDATE", "handler": DEAL_HOOK, "auth_type": 1}, token=app_token)
    ok(portal, "event.bind", {"event": "ONCRMDEALUPDATE", "handler": DEAL_HOOK + "/2"}, token=app_token)
    ok(portal, "event.bind", {"event": "ONCRMDEALUPDATE", "handler": DEAL_HOOK}, token=add_app(portal))
    assert len(ok(portal, "event.get", token=app_token)) == 3


@pytest.mark.parametrize("params, expected", [
    ({"handler": DEAL_HOOK}, (400, "ERROR_ARGUMENT", "Argument 'EVENT' is null or empty")),
    ({"event": "ONCRMDEALADD"}, (400, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty")),
    ({"event": "ONCRMDEALADD", "handler": DEAL_HOOK, "event_type": "later"}, (400, "ERROR_ARGUMENT", "Value must be one of {online|offline}")),
    ({"event": "ONTASKADD", "handler": DEAL_HOOK}, (400, "ERROR_EVENT_NOT_FOUND", "Event not found")),  # no task scope
    ({"event": "ONOFFLINEEVENT", "event_type": "offline"}, (400, "ERROR_ARGUMENT", "Offline event cannot be registered for this event.")),
    ({"event": "ONCRMDEALADD", "handler": "http://intranet/hook"}, (400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL")),
])
def test_event_bind_errors(portal: SandboxPortal, app_token: str, params: dict[str, Any], expected: tuple[int, str, str]) -> None:
    assert error(portal, "event.bind", params, token=app_token) == expected


def test_non_admin_binds_only_for_self_and_online(portal: SandboxPortal) -> None:
    token = user_token(portal, 7)
    assert error(portal, "event.bind", {"event": "ONCRMDEALADD", "event_type": "offline"}, token=token) == (
        403, "ACCESS_DENIED", "Access denied! Offline events binding requires administrator access rights")
    assert error(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK, "auth_type": 1}, token=token)[2] == (
        "Access denied! Event binding with AUTH_TYPE requires administrator access rights")
    ok(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK}, token=token)
    ok(portal, "event.bind", {"event": "ONCRMDEALUPDATE", "handler": DEAL_HOOK}, token=portal.issue_token())
    assert ok(portal, "event.get", token=token) == [
        {"event": "ONCRMDEALADD", "handler": DEAL_HOOK, "auth_type": "7", "offline": 0}]


def test_event_get_never_returns_options(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "event.bind", {"event": "ONOFFLINEEVENT", "handler": DEAL_HOOK, "options": {"minTimeout": "30", "color": "red"}},
       token=app_token)
    assert ok(portal, "event.get", token=app_token) == [{"event": "ONOFFLINEEVENT", "handler": DEAL_HOOK, "auth_type": "0", "offline": 0}]
    assert portal.state["event_handlers"][0]["OPTIONS"] == {"minTimeout": 30}  # only declared options, typed


def test_event_unbind_counts_and_never_fails_on_zero(portal: SandboxPortal, app_token: str) -> None:
    for user in (0, 1, 15):
        ok(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK, "auth_type": user}, token=app_token)
    assert ok(portal, "event.unbind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK, "auth_type": 15}, token=app_token) == {"count": 1}
    assert ok(portal, "event.unbind", {"event": "oncrmdealadd", "handler": DEAL_HOOK}, token=app_token) == {"count": 2}
    assert ok(portal, "event.unbind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK}, token=app_token) == {"count": 0}


def test_event_unbind_docs_wildcards_option(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"event_unbind_docs_wildcards": True})
    token = portal.issue_token()
    ok(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK}, token=token)
    ok(portal, "event.bind", {"event": "ONCRMDEALUPDATE", "handler": DEAL_HOOK}, token=token)
    assert ok(portal, "event.unbind", {}, token=token) == {"count": 2}


def test_events_lists_scope_events(portal: SandboxPortal, app_token: str) -> None:
    portal.state.setdefault("types", {})["7"] = {"id": 7, "entityTypeId": 1038}
    names = ok(portal, "events", token=app_token)
    assert {"ONAPPINSTALL", "ONOFFLINEEVENT", "ONCRMDEALADD", "ONUSERADD", "ONCRMDYNAMICITEMADD_1038"} <= set(names)
    assert "ONTASKADD" not in names and "ONTASKADD" in ok(portal, "events", {"FULL": True}, token=app_token)
    assert ok(portal, "events", {"SCOPE": "user"}, token=app_token) == ["ONUSERADD"]


def test_app_update_drops_only_the_install_handler_and_uninstall_drops_all(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "event.bind", {"event": "ONAPPINSTALL", "handler": DEAL_HOOK}, token=app_token)
    ok(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK}, token=app_token)
    portal.app_update()
    assert [e["event"] for e in ok(portal, "event.get", token=portal.issue_token())] == ["ONCRMDEALADD"]
    portal.app_uninstall()
    assert portal.state["event_handlers"] == []


# === item 27: placements ========================================================================
TAB = "https://app.example.com/placements/tab"


@pytest.mark.parametrize("params, expected", [
    ({"PLACEMENT": "BIZPROC_ACTIVITY_PROPERTIES_DIALOG", "HANDLER": TAB}, (400, "ERROR_PLACEMENT_NOT_FOUND", "Placement not found")),
    ({"PLACEMENT": "TASK_VIEW_TAB", "HANDLER": TAB}, (400, "ERROR_PLACEMENT_NOT_FOUND", "Placement not found")),  # no task scope
    ({"PLACEMENT": "", "HANDLER": TAB}, (400, "ERROR_ARGUMENT", "Argument 'PLACEMENT' is null or empty")),
    ({"PLACEMENT": "CRM_DEAL_DETAIL_TAB"}, (400, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty")),
    ({"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB, "USER_ID": 1}, (400, "ERROR_PLACEMENT_USER_MODE", "User mode is not available.")),
    ({"PLACEMENT": "PAGE_BACKGROUND_WORKER", "HANDLER": TAB}, (200, "EMPTY_ERROR_HANDLER_URL", "Field errorHandlerUrl is empty.")),
    ({"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB, "TITLE": ["x"]},
     (400, "ERROR_ARGUMENT", "The value of an argument 'TITLE' must be of type string")),
])
def test_placement_bind_errors(portal: SandboxPortal, app_token: str, params: dict[str, Any], expected: tuple[int, str, str]) -> None:
    assert error(portal, "placement.bind", params, token=app_token) == expected


def test_placement_max_count_and_user_mode(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "placement.bind", {"PLACEMENT": "REST_APP_URI", "HANDLER": TAB}, token=app_token)
    assert error(portal, "placement.bind", {"PLACEMENT": "REST_APP_URI", "HANDLER": TAB + "/2"}, token=app_token) == (
        400, "ERROR_PLACEMENT_MAX_COUNT", "Placement max count: 1")
    worker = {"PLACEMENT": "PAGE_BACKGROUND_WORKER", "HANDLER": TAB, "OPTIONS": {"errorHandlerUrl": TAB + "/err", "x": 1}}
    ok(portal, "placement.bind", worker | {"USER_ID": 1}, token=app_token)
    ok(portal, "placement.bind", worker | {"USER_ID": 5, "HANDLER": TAB + "/5"}, token=app_token)  # another user's slot
    assert error(portal, "placement.bind", worker | {"USER_ID": 1, "HANDLER": TAB + "/again"}, token=app_token)[1] == (
        "ERROR_PLACEMENT_MAX_COUNT")
    rows = [p for p in ok(portal, "placement.get", token=app_token) if p["placement"] == "PAGE_BACKGROUND_WORKER"]
    only_declared = {"errorHandlerUrl": TAB + "/err"}
    assert [(p["userId"], p["options"]) for p in rows] == [(1, only_declared), (5, only_declared)]


def test_placement_options_are_filtered_and_typed_and_lang_all_wins(portal: SandboxPortal, app_token: str) -> None:
    portal.state["auth"]["apps"][SANDBOX_CLIENT_ID]["scopes"].append("im")
    token = portal.issue_token()
    ok(portal, "placement.bind", {
        "PLACEMENT": "im_textarea", "HANDLER": TAB, "TITLE": "Ignored", "OPTIONS": {"width": "300", "role": "USER", "evil": "x"},
        "LANG_ALL": {"de": {"TITLE": "Knopf"}, "en": {"TITLE": " Button ", "DESCRIPTION": "d"}},
    }, token=token)
    [got] = ok(portal, "placement.get", token=token)
    assert got == {"placement": "IM_TEXTAREA", "userId": 0, "handler": TAB, "options": {"width": 300, "role": "USER"},
                   "title": "Button", "description": "d",
                   "langAll": {"de": {"TITLE": "Knopf", "DESCRIPTION": "", "GROUP_NAME": ""},
                               "en": {"TITLE": "Button", "DESCRIPTION": "d", "GROUP_NAME": ""}}}


def test_placement_uniqueness_ignores_title_and_user(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB, "TITLE": "One"}, token=app_token)
    assert error(portal, "placement.bind", {"placement": "crm_deal_detail_tab", "handler": TAB, "title": "Two"},
                 token=app_token)[1] == "ERROR_CORE"
    ok(portal, "placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB}, token=add_app(portal))


def test_placement_unbind_counts_twice_per_deleted_row(portal: SandboxPortal, app_token: str) -> None:
    for handler in (TAB, TAB + "/2", TAB + "/3"):
        ok(portal, "placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": handler}, token=app_token)
    assert ok(portal, "placement.unbind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB}, token=app_token) == {"count": 2}
    assert ok(portal, "placement.unbind", {"PLACEMENT": "crm_deal_detail_tab"}, token=app_token) == {"count": 4}
    assert ok(portal, "placement.unbind", {"PLACEMENT": "NO_SUCH_PLACEMENT"}, token=app_token) == {"count": 0}
    assert error(portal, "placement.unbind", {"PLACEMENT": 5}, token=app_token)[2] == "The value of an argument 'PLACEMENT' must be of type string"


def test_placement_catalogue_by_scope(portal: SandboxPortal, app_token: str) -> None:
    default = ok(portal, "placement.list", token=app_token)
    assert {"REST_APP_URI", "CRM_DEAL_DETAIL_TAB", "USER_PROFILE_MENU"} <= set(default)
    assert "BIZPROC_ACTIVITY_PROPERTIES_DIALOG" not in default and "TASK_VIEW_TAB" not in default
    assert "TASK_VIEW_TAB" in ok(portal, "placement.list", {"FULL": True}, token=app_token)
    assert ok(portal, "placement.list", {"SCOPE": "user"}, token=app_token) == ["USER_PROFILE_MENU", "USER_PROFILE_TOOLBAR"]
    # placement.list needs no admin, unlike bind/get/unbind.
    token = user_token(portal)
    assert ok(portal, "placement.list", {"SCOPE": "user"}, token=token)
    assert error(portal, "placement.get", token=token) == (403, "ACCESS_DENIED", "Access denied!")


def test_placements_removed_on_uninstall_only(portal: SandboxPortal, app_token: str) -> None:
    ok(portal, "placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB}, token=app_token)
    portal.app_update()
    assert len(ok(portal, "placement.get", token=portal.issue_token())) == 1
    portal.app_uninstall()
    assert portal.state["placements"] == []


# === item 28: an app that has not finished installation =========================================
def test_not_installed_app_binds_but_nothing_is_live_until_install_finish(portal: SandboxPortal) -> None:
    token = add_app(portal, installed=False)
    ok(portal, "event.bind", {"event": "ONCRMDEALADD", "handler": DEAL_HOOK}, token=token)
    ok(portal, "placement.bind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": TAB}, token=token)
    assert ok(portal, "app.info", token=token)["INSTALLED"] is False
    assert deliverable_handlers(portal.state, "ONCRMDEALADD") == []
    assert visible_placements(portal.state, "CRM_DEAL_DETAIL_TAB") == []
    finish_installation(portal, OTHER_APP)
    assert ok(portal, "app.info", token=token)["INSTALLED"] is True
    assert [h["EVENT_HANDLER"] for h in deliverable_handlers(portal.state, "onCrmDealAdd")] == [DEAL_HOOK]
    assert [p["PLACEMENT_HANDLER"] for p in visible_placements(portal.state, "crm_deal_detail_tab")] == [TAB]


# === app.info, app.option.*, user.current =======================================================
def test_app_info_for_app_and_webhook(portal: SandboxPortal, app_token: str) -> None:
    info = ok(portal, "app.info", token=app_token)
    assert (info["ID"], info["CODE"], info["STATUS"], info["INSTALLED"]) == (1, SANDBOX_CLIENT_ID, "L", True)
    portal.app_update()
    assert ok(portal, "app.info", token=app_token)["VERSION"] == 2
    assert set(ok(portal, "app.info")) == {"SCOPE", "LICENSE"}  # a webhook gets its scopes and the plan


def test_app_info_webhook_denied_option(clock: Any) -> None:
    portal = SandboxPortal(clock=clock, options={"app_info_webhook": "denied"})
    assert error(portal, "app.info") == (403, *APP_CONTEXT)


def test_app_options_round_trip(portal: SandboxPortal, app_token: str) -> None:
    assert ok(portal, "app.option.get", token=app_token) == []
    ok(portal, "app.option.set", {"options": {"fingerprint": "abc", "count": 3, "nested": {"a": [1]}}}, token=app_token)
    ok(portal, "app.option.set", {"count": 4}, token=app_token)  # without "options" the params are the options
    assert ok(portal, "app.option.get", token=app_token) == {"fingerprint": "abc", "count": 4, "nested": {"a": [1]}}
    assert ok(portal, "app.option.get", {"option": "nested"}, token=app_token) == {"a": [1]}
    assert ok(portal, "app.option.get", {"option": "missing"}, token=app_token) is None
    assert ok(portal, "app.option.get", token=add_app(portal)) == []  # options are per app
    portal.app_update()
    assert ok(portal, "app.option.get", {"option": "count"}, token=app_token) == 4


def test_app_option_set_errors(portal: SandboxPortal, app_token: str) -> None:
    assert error(portal, "app.option.set", {"options": {}}, token=app_token) == (
        400, "ERROR_ARGUMENT", "Argument 'options' is null or empty")
    assert error(portal, "app.option.set", {"options": {"a": 1}}, token=user_token(portal)) == (
        403, "ACCESS_DENIED", "Access denied! Administrator authorization required")
    assert ok(portal, "app.option.get", {"option": "a"}, token=user_token(portal)) is None  # any user may read


def test_user_current_fields(portal: SandboxPortal, clock: Any) -> None:
    assert ok(portal, "user.current") == {"ID": "1", "ACTIVE": True, "NAME": "Sandbox", "LAST_NAME": "Admin"}
    full = SandboxPortal(clock=clock, options={"user_current_fields": "full"})
    assert set(ok(full, "user.current")) == {  # the docs page's field set
        "ID", "ACTIVE", "NAME", "LAST_NAME", "EMAIL", "LAST_LOGIN", "DATE_REGISTER", "IS_ONLINE", "LAST_ACTIVITY_DATE",
        "PERSONAL_GENDER", "PERSONAL_BIRTHDAY", "WORK_POSITION", "UF_EMPLOYMENT_DATE", "UF_DEPARTMENT",
    }


def test_auth_connector_is_part_of_the_event_handler_key(portal: SandboxPortal, app_token: str) -> None:
    bind = {"event": "ONCRMDEALADD", "event_type": "offline"}
    assert rest(portal, "event.bind", bind, token=app_token)[0] == 200
    assert rest(portal, "event.bind", {**bind, "auth_connector": "crm1c"}, token=app_token)[0] == 200
    status, body = rest(portal, "event.bind", {**bind, "auth_connector": "crm1c"}, token=app_token)
    assert status == 400 and body["error_description"] == "Unable to set event handler: Handler already binded"
    rows = ok(portal, "event.get", token=app_token)
    assert sorted(r["connector_id"] for r in rows if r["offline"] == 1) == ["", "crm1c"]
