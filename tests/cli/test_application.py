"""``kind: Application`` end to end: the real CLI against the sandbox served over HTTP, logged in as
a local application through the sandbox's OAuth token endpoint.

Every test starts its own ``SandboxServer`` on 127.0.0.1 (an in-memory portal, in a thread of this
process) and a project whose environment ``local`` names the application's credentials by their
environment variables; ``b24cfg`` runs in a subprocess (``run_cli``) and reaches the portal only
over HTTP. What the portal holds is read back over plain REST with an access token minted on the
portal (``issue_token``), never through b24cfg.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, SANDBOX_WEBHOOK_USER,
    TOKEN_TTL, Response, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxServer
from tests.cli.conftest import EXAMPLES, Result, run_cli

APPLICATION = EXAMPLES / "contract-approvals"
HANDLERS = "https://contracts-app.example.com/b24"
ROBOTS = {"contract_check_signatures", "contract_notify_counterparty"}
ACTIVITIES = {"contract_archive"}
TRIGGERS = {"contract_signed_online"}
EVENTS = {
    ("ONCRMDEALUPDATE", f"{HANDLERS}/events/deal-update"),
    ("ONCRMDEALDELETE", f"{HANDLERS}/events/deal-delete"),
    ("ONAPPUNINSTALL", f"{HANDLERS}/events/uninstall"),
}
PLACEMENTS = {
    ("CRM_DEAL_DETAIL_TAB", f"{HANDLERS}/tabs/deal-contracts"),
    ("CRM_COMPANY_LIST_MENU", f"{HANDLERS}/menu/company-contracts"),
}

# The names of the variables that hold the credentials (the project file names them, never the values).
APP_ID_VAR, APP_SECRET_VAR, APP_REFRESH_VAR = "B24CFG_TEST_APP_ID", "B24CFG_TEST_APP_SECRET", "B24CFG_TEST_APP_REFRESH"
WEBHOOK_VAR = "B24CFG_TEST_WEBHOOK"
TOKEN_FILE = Path(".b24cfg") / "local-token.json"


# --- the served portal -----------------------------------------------------------------------------

class ShiftableClock:
    """Real time plus an offset a test can move forward; shared by the server thread and the test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class ObservedPortal(SandboxPortal):
    """The sandbox portal, plus what a test needs to see from outside b24cfg.

    It counts token-endpoint calls and keeps every refresh token presented and every token handed
    out, counts ``expired_token`` answers, and can move its clock past ``TOKEN_TTL`` once the
    ``jump_after_writes`` numbers of write calls have run (one jump per request, after the answer).
    """

    def __init__(self, clock: ShiftableClock) -> None:
        super().__init__(None, clock=clock)
        self.shiftable = clock
        self.token_calls = 0
        self.presented: list[str] = []
        self.issued: list[str] = []
        self.expired_answers = 0
        self.jump_after_writes: list[int] = []
        self.jumps = 0
        self.rest_paths: list[str] = []

    def handle(self, http_method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        with self._lock:
            answer = super().handle(http_method, url, headers, body)
            parts = urlsplit(url)
            if parts.path.rstrip("/").endswith("/oauth/token"):
                self.token_calls += 1
                asked = {k: v[0] for k, v in parse_qs(parts.query).items()}
                asked.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
                self.presented.append(asked.get("refresh_token", ""))
                data = json.loads(answer.body)
                self.issued += [data[key] for key in ("access_token", "refresh_token") if key in data]
                return answer
            self.rest_paths.append(parts.path)
            if b'"expired_token"' in answer.body:
                self.expired_answers += 1
            if self.jump_after_writes and self.faults.writes_seen >= self.jump_after_writes[0]:
                self.jump_after_writes.pop(0)
                self.shiftable.advance(TOKEN_TTL + 400)  # every access token issued so far is now expired
                self.jumps += 1
            return answer


@dataclass
class Served:
    portal: ObservedPortal
    base: str
    project: Path
    env: dict[str, str]
    unused_state: Path  # the built-in sandbox's state file: must never be created
    results: list[Result] = field(default_factory=list)

    @property
    def manifest(self) -> Path:
        return self.project / "manifests" / "contract-approvals" / "application.yaml"

    @property
    def webhook(self) -> str:
        return f"{self.base}/rest/{SANDBOX_WEBHOOK_USER}/{SANDBOX_WEBHOOK_CODE}/"

    @property
    def token_file(self) -> Path:
        return self.project / TOKEN_FILE

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        result = run_cli(*args, cwd=self.project, state=self.unused_state, env={**self.env, **(env or {})})
        self.results.append(result)
        return result

    def plan_json(self) -> dict[str, Any]:
        result = self.cli("plan", "--env", "local", "--format", "json")
        assert result.returncode == 0, result
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def apply(self) -> Result:
        result = self.cli("apply", "--env", "local", "--auto-approve")
        assert result.returncode == 0, result
        assert "Apply complete!" in result.stdout, result
        return result

    def assert_clean(self) -> None:
        result = self.cli("plan", "--env", "local", "--detailed-exitcode")
        assert result.returncode == 0, result
        assert "No changes" in result.stdout, result

    def edit(self, old: str, new: str) -> None:
        text = self.manifest.read_text("utf-8")
        assert text.count(old) == 1, f"{old!r} is not in the manifest exactly once"
        self.manifest.write_text(text.replace(old, new), "utf-8")

    # Plain REST, as the application itself: no b24cfg code involved.
    def rest(self, method: str, **params: Any) -> Any:
        token = self.portal.issue_token()
        answer = httpx.post(f"{self.base}/rest/{method}", json={**params, "auth": token}, timeout=10).json()
        assert "error" not in answer, answer
        return answer["result"]

    def inventory(self) -> dict[str, set[Any]]:
        return {
            "robots": set(self.rest("bizproc.robot.list")),
            "activities": set(self.rest("bizproc.activity.list")),
            "triggers": {row["CODE"] for row in self.rest("crm.automation.trigger.list")},
            "events": {(row["event"], row["handler"]) for row in self.rest("event.get")},
            "placements": {(row["placement"], row["handler"]) for row in self.rest("placement.get")},
        }


def _project_file(base: str) -> str:
    return f"""\
manifests: [manifests/]
environments:
  local:
    portal: {base}
    app:
      client_id_env: {APP_ID_VAR}
      client_secret_env: {APP_SECRET_VAR}
      refresh_token_env: {APP_REFRESH_VAR}
      token_file: {TOKEN_FILE.as_posix()}
      token_endpoint: {base}/oauth/token/
  hooked:
    portal: {base}
    webhook_env: {WEBHOOK_VAR}
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    portal = ObservedPortal(ShiftableClock())
    server = SandboxServer(portal, 0, "127.0.0.1")
    # A short poll interval: stopping the server waits for one (the default is 0.5 s).
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.05,), name="sandbox-under-test", daemon=True)
    thread.start()
    try:
        project = tmp_path / "project"
        shutil.copytree(APPLICATION, project / "manifests" / "contract-approvals")
        (project / "b24cfg.yaml").write_text(_project_file(server.base_url), "utf-8")
        env = {
            APP_ID_VAR: SANDBOX_CLIENT_ID, APP_SECRET_VAR: SANDBOX_CLIENT_SECRET, APP_REFRESH_VAR: SANDBOX_REFRESH_TOKEN,
            WEBHOOK_VAR: f"{server.base_url}/rest/{SANDBOX_WEBHOOK_USER}/{SANDBOX_WEBHOOK_CODE}/",
        }
        done = Served(portal, server.base_url, project, env, tmp_path / "unused-sandbox.json")
        yield done
        assert not done.unused_state.exists(), "a run used the built-in sandbox instead of the served portal"
        for result in done.results:
            assert "Traceback" not in result.output, result
    finally:
        server.stop()
        thread.join(timeout=5)


def changes_of(plan: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, Any, Any]]]]:
    return [(change["action"], change["address"], [(a["name"], a["old"], a["new"]) for a in change["attributes"]])
            for change in plan["changes"]]


def applied_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("✓")]


def saved_tokens(served: Served) -> dict[str, Any]:
    """The token file's portal, client id and tokens (without the access token's expiry)."""
    saved = json.loads(served.token_file.read_text("utf-8"))
    assert isinstance(saved, dict)
    saved.pop("expires", None)
    return saved


def secrets_of(served: Served) -> list[str]:
    """Every credential the run could leak: the configured ones and every token the portal handed out."""
    return [SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE, *served.portal.issued]


def assert_no_secret_in(result: Result, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in result.output, f"a secret ({secret[:4]}…) is in the output of b24cfg {result.args}"


# --- 2. first apply, then nothing to do -------------------------------------------------------------

def test_apply_registers_the_application_and_a_second_plan_is_clean(served: Served) -> None:
    result = served.apply()
    assert "20 added, 1 changed, 5 destroyed" in result.stdout, result
    served.assert_clean()

    assert served.inventory() == {
        "robots": ROBOTS, "activities": ACTIVITIES, "triggers": TRIGGERS, "events": EVENTS, "placements": PLACEMENTS,
    }
    # Logged in as the application (OAuth through the configured endpoint), never with the webhook.
    # The first run got its access token at the endpoint; the second used the one it saved.
    assert served.portal.token_calls == 1
    assert not any(path.startswith("/rest/1/") for path in served.portal.rest_paths)
    assert saved_tokens(served) == {"portal": served.base, "client_id": SANDBOX_CLIENT_ID,
                                    "refresh_token": served.portal.issued[1], "access_token": served.portal.issued[0]}
    assert stat.S_IMODE(os.stat(served.token_file).st_mode) == 0o600
    for run in served.results:
        assert_no_secret_in(run, secrets_of(served))


# --- 3. one edit, exactly one change -----------------------------------------------------------------

def test_each_edit_is_exactly_one_change_and_apply_makes_the_plan_clean(served: Served) -> None:
    served.apply()

    # A robot's handler: updated in place.
    old, new = f"{HANDLERS}/robots/check-signatures", f"{HANDLERS}/robots/check-signatures-v2"
    served.edit(f"handler: {old}\n", f"handler: {new}\n")
    plan = served.plan_json()
    # The portal cannot give a robot's definition back: "old" is what b24cfg recorded of it (the
    # handler itself, or a digest of it in the application's options), "new" the manifest's value.
    [(action, address, attributes)] = changes_of(plan)
    assert (action, address, [(name, value) for name, _, value in attributes]) == (
        "update", "robot.contract_check_signatures", [("handler", new)])
    assert attributes[0][1] not in (None, new)
    assert plan["summary"] == {"add": 0, "change": 1, "destroy": 0}
    assert applied_lines(served.apply()) == ["✓ ~ robot.contract_check_signatures"]
    served.assert_clean()
    robot = next(row for row in served.portal.state["bizproc_activities"] if row["CODE"] == "contract_check_signatures")
    assert robot["HANDLER"] == new

    # A placement's title: the binding is replaced (placement.bind has no update).
    served.edit("title: Open contracts\n", "title: Open all contracts\n")
    address = f"placement.CRM_COMPANY_LIST_MENU.{HANDLERS}/menu/company-contracts"
    plan = served.plan_json()
    assert changes_of(plan) == [("replace", address, [("title", "Open contracts", "Open all contracts")])]
    assert plan["summary"] == {"add": 1, "change": 0, "destroy": 1}
    assert applied_lines(served.apply()) == [f"✓ -/+ {address}"]
    served.assert_clean()
    rows = [row for row in served.rest("placement.get") if row["placement"] == "CRM_COMPANY_LIST_MENU"]
    assert [row["title"] for row in rows] == ["Open all contracts"]

    # An event's handler: the binding is replaced, under its new address.
    old, new = f"{HANDLERS}/events/deal-delete", f"{HANDLERS}/events/deal-removed"
    served.edit(f"handler: {old}\n", f"handler: {new}\n")
    plan = served.plan_json()
    assert changes_of(plan) == [("replace", f"event.ONCRMDEALDELETE.{new}", [("handler", old, new)])]
    assert plan["changes"][0]["before"]["address"] == f"event.ONCRMDEALDELETE.{old}"
    assert plan["summary"] == {"add": 1, "change": 0, "destroy": 1}
    assert applied_lines(served.apply()) == [f"✓ -/+ event.ONCRMDEALDELETE.{new}"]
    served.assert_clean()

    assert served.inventory() == {
        "robots": ROBOTS, "activities": ACTIVITIES, "triggers": TRIGGERS, "placements": PLACEMENTS,
        "events": EVENTS - {("ONCRMDEALDELETE", old)} | {("ONCRMDEALDELETE", new)},
    }


# --- 4. drift: registrations lost behind b24cfg's back ------------------------------------------------

def test_robot_deleted_on_the_portal_is_planned_and_restored(served: Served) -> None:
    served.apply()
    assert served.rest("bizproc.robot.delete", CODE="contract_notify_counterparty") is True
    assert served.inventory()["robots"] == ROBOTS - {"contract_notify_counterparty"}

    plan = served.plan_json()
    assert [(action, address) for action, address, _ in changes_of(plan)] == [
        ("create", "robot.contract_notify_counterparty")]
    assert applied_lines(served.apply()) == ["✓ + robot.contract_notify_counterparty"]
    served.assert_clean()

    assert served.inventory()["robots"] == ROBOTS
    robot = next(row for row in served.portal.state["bizproc_activities"] if row["CODE"] == "contract_notify_counterparty")
    assert robot["HANDLER"] == f"{HANDLERS}/robots/notify-counterparty"
    assert robot["USE_PLACEMENT"] == "Y"  # its settings page (placementHandler) is back too


def test_application_update_that_wipes_robots_and_activities_is_repaired(served: Served) -> None:
    served.apply()
    served.portal.app_update()  # Bitrix24 drops an application's robots and activities on a version update
    assert served.inventory()["robots"] == set() and served.inventory()["activities"] == set()

    plan = served.plan_json()
    assert sorted((action, address) for action, address, _ in changes_of(plan)) == [
        ("create", "activity.contract_archive"), ("create", "robot.contract_check_signatures"),
        ("create", "robot.contract_notify_counterparty")]
    served.apply()
    served.assert_clean()
    assert served.inventory() == {
        "robots": ROBOTS, "activities": ACTIVITIES, "triggers": TRIGGERS, "events": EVENTS, "placements": PLACEMENTS,
    }


# --- 5. a webhook cannot manage an application ------------------------------------------------------

@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("login", ["webhook_env", "--portal"])
def test_webhook_login_is_refused_before_any_request(served: Served, command: str, login: str) -> None:
    args = ["--env", "hooked"] if login == "webhook_env" else ["--env", "local", "--portal", served.webhook]
    extra = ["--auto-approve"] if command == "apply" else []
    before = served.portal.requests

    result = served.cli(command, *args, *extra)

    assert result.returncode == 1, result
    assert served.portal.requests == before, "the portal received a request"
    message = " ".join(result.stderr.split())
    for needed in ("kind: Application", "application context", "Local application", "Nothing was sent to the portal",
                   "client_id_env", "client_secret_env", "refresh_token_env", "token_file"):
        assert needed.lower() in message.lower(), (needed, result)
    assert "robots" in message and "placements" in message, result
    assert "Traceback" not in result.output, result
    assert result.stdout == "" or "will perform" not in result.stdout, result
    assert_no_secret_in(result, secrets_of(served))
    assert not served.token_file.exists()


# --- 6. the access token expires in the middle of an apply ------------------------------------------

def test_token_expiring_during_apply_is_refreshed_and_the_rotated_token_saved(served: Served) -> None:
    # After the 1st and the 12th write the portal's clock jumps TOKEN_TTL + 400 s ahead, so the
    # access token in use expires twice while the first apply (several batches of writes) runs.
    served.portal.jump_after_writes = [1, 12]

    result = served.apply()

    assert served.portal.jumps == 2, "the apply ended before both clock jumps"
    assert served.portal.expired_answers == 2, "the portal never answered expired_token"
    assert served.portal.token_calls == 3  # the first access token, then one refresh per expiry
    assert "20 added, 1 changed, 5 destroyed" in result.stdout, result
    assert served.inventory() == {
        "robots": ROBOTS, "activities": ACTIVITIES, "triggers": TRIGGERS, "events": EVENTS, "placements": PLACEMENTS,
    }

    # Each refresh presented the token the previous one returned; the last rotation is on disk, 0600.
    refresh_tokens = served.portal.issued[1::2]
    assert served.portal.presented == [SANDBOX_REFRESH_TOKEN, *refresh_tokens[:-1]]
    assert stat.S_IMODE(os.stat(served.token_file).st_mode) == 0o600
    saved = saved_tokens(served)
    assert saved["refresh_token"] == refresh_tokens[-1] != SANDBOX_REFRESH_TOKEN
    assert (saved["portal"], saved["client_id"]) == (served.base, SANDBOX_CLIENT_ID)
    assert_no_secret_in(result, secrets_of(served))

    # The next run goes on from what was saved: the live access token, or else the rotated refresh token.
    presented = len(served.portal.presented)
    served.assert_clean()
    assert served.portal.presented[presented:] in ([], [refresh_tokens[-1]])


# --- 7. the next run uses the saved refresh token --------------------------------------------------

def test_second_run_uses_the_token_file_when_the_variable_token_is_spent(served: Served) -> None:
    # Like a real portal's: the refresh token in the variable works once, then only its successor does.
    served.portal.state["auth"]["refresh_tokens"][SANDBOX_REFRESH_TOKEN]["permanent"] = False

    served.apply()
    first = saved_tokens(served)["refresh_token"]
    assert SANDBOX_REFRESH_TOKEN not in served.portal.state["auth"]["refresh_tokens"], "the variable's token still works"
    assert first != SANDBOX_REFRESH_TOKEN

    # Hours later: the saved access token has expired on the portal, and B24CFG_TEST_APP_REFRESH
    # still holds the spent token; only the refresh token in the token file can go on.
    served.portal.shiftable.advance(TOKEN_TTL + 400)
    served.assert_clean()
    assert served.portal.expired_answers == 1  # the saved access token was tried first
    assert served.portal.presented == [SANDBOX_REFRESH_TOKEN, first]
    second = saved_tokens(served)["refresh_token"]
    assert second not in (first, SANDBOX_REFRESH_TOKEN)
    assert stat.S_IMODE(os.stat(served.token_file).st_mode) == 0o600

    # Control: without the token file only the spent token is left, and the portal refuses it.
    served.token_file.unlink()
    refused = served.cli("plan", "--env", "local")
    assert refused.returncode == 1, refused
    assert "refresh token" in refused.stderr.lower(), refused
    assert "Traceback" not in refused.output, refused
    assert served.portal.presented[-1] == SANDBOX_REFRESH_TOKEN
    for run in served.results:
        assert_no_secret_in(run, secrets_of(served))


# --- 8. a rotated refresh token that cannot be kept is announced -----------------------------------

COMMANDS = {"plan": ("plan", "--env", "local"), "apply": ("apply", "--env", "local", "--auto-approve")}


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("trouble", ["no token_file", "token_file cannot be written"])
def test_rotated_refresh_token_that_cannot_be_kept_is_announced(served: Served, command: str, trouble: str) -> None:
    if trouble == "no token_file":
        project_file = served.project / "b24cfg.yaml"
        text = project_file.read_text("utf-8")
        project_file.write_text(text.replace(f"      token_file: {TOKEN_FILE.as_posix()}\n", ""), "utf-8")
        expected = "no token_file is configured, so the new one is lost"
    else:
        (served.project / ".b24cfg").write_text("a file where the token file's directory belongs\n", "utf-8")
        expected = f"could not be saved to {served.token_file}"

    result = served.cli(*COMMANDS[command])

    assert result.returncode == 0, result
    assert served.portal.token_calls == 1  # the refresh token presented was rotated
    warning = " ".join(result.stderr.split())
    assert warning.count(expected) == 1, result
    assert APP_REFRESH_VAR in warning, result
    assert_no_secret_in(result, secrets_of(served))


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_token_file_of_another_portal_is_ignored_with_one_warning(served: Served, command: str) -> None:
    served.token_file.parent.mkdir()
    foreign = {"portal": "https://other.bitrix24.com", "client_id": SANDBOX_CLIENT_ID, "refresh_token": "f0reign7oken"}
    served.token_file.write_text(json.dumps(foreign), "utf-8")

    result = served.cli(*COMMANDS[command])

    assert result.returncode == 0, result
    assert served.portal.presented == [SANDBOX_REFRESH_TOKEN]  # the variable's token, not the foreign one
    assert result.stderr.count("belongs to another portal or application and was ignored") == 1, result
    assert saved_tokens(served) == {"portal": served.base, "client_id": SANDBOX_CLIENT_ID,
                                    "refresh_token": served.portal.issued[1], "access_token": served.portal.issued[0]}
    assert "f0reign7oken" not in result.output
