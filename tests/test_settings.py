"""Settings: the project file, literal secrets, target precedence, credentials, token files, the sandbox."""

from __future__ import annotations

import json
import stat
import textwrap
import time
from pathlib import Path

import pytest

from b24cfg.clock import SimulatedClock
from b24cfg.errors import ConfigError
from b24cfg.portal import Client, OAuthAuth, TokenSet, WebhookAuth
from b24cfg.portal.errors import mask
from b24cfg.sandbox.portal import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport
from b24cfg.settings import (
    SECRET_EXPLANATION, Project, ProjectFileError, load_project, open_client, resolve,
)

STAGING_CODE = "stg0code0secret1"
STAGING_HOOK = f"https://staging.bitrix24.com/rest/7/{STAGING_CODE}/"

PROJECT = """\
manifests: [manifests/]
default_environment: staging
environments:
  staging:
    portal: https://staging.bitrix24.com
    webhook_env: B24_STAGING_WEBHOOK
    variables: {LAWYER_GROUP: 12, CODE: 007}
  production:
    portal: https://example.bitrix24.com
    rate_limit: enterprise
    app:
      client_id_env: B24_APP_ID
      client_secret_env: B24_APP_SECRET
      refresh_token_env: B24_APP_REFRESH
      token_file: .b24cfg/production-token.json
      token_endpoint: https://oauth.bitrix.info/oauth/token/
  local:
    sandbox: true
    state: .b24cfg/local.json
"""

APP_ENV = {
    "B24_APP_ID": "local.abc123.00000001", "B24_APP_SECRET": "appsecretVALUE0001", "B24_APP_REFRESH": "envrefresh0001",
}


def write_project(directory: Path, text: str = PROJECT, *, manifests: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if manifests:
        (directory / "manifests").mkdir(exist_ok=True)
    path = directory / "b24cfg.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(directory: Path, text: str = PROJECT, *, manifests: bool = True) -> Project:
    project = load_project(write_project(directory, text, manifests=manifests))
    assert project is not None
    return project


def problems_of(directory: Path, text: str, *, manifests: bool = True) -> str:
    with pytest.raises(ProjectFileError) as caught:
        load_project(write_project(directory, text, manifests=manifests))
    return str(caught.value)


# --- the project file ------------------------------------------------------------------------------

def test_without_a_project_file_in_the_current_directory_there_is_no_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_project(None) is None
    write_project(tmp_path)
    found = load_project(None)
    assert found is not None and found.path == tmp_path / "b24cfg.yaml"


def test_a_named_project_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_project(tmp_path / "nope.yaml")


def test_manifest_paths_are_absolute_and_relative_to_the_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_project(tmp_path / "proj", PROJECT.replace("[manifests/]", "[manifests/, extra.yaml]"))
    (tmp_path / "proj" / "extra.yaml").write_text("kind: SmartProcess\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    project = load_project(Path("..") / "proj")  # a directory holding b24cfg.yaml, relative to the cwd
    assert project is not None
    assert project.manifest_paths == [tmp_path / "proj" / "manifests", tmp_path / "proj" / "extra.yaml"]
    assert all(p.is_absolute() for p in project.manifest_paths)


def test_manifests_default_to_a_manifests_directory_next_to_the_project_file(tmp_path: Path) -> None:
    project = load(tmp_path, PROJECT.replace("manifests: [manifests/]\n", ""))
    assert project.manifest_paths == [tmp_path / "manifests"]


def test_without_manifests_key_or_directory_the_error_says_what_to_write(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("manifests: [manifests/]\n", ""), manifests=False)
    assert "b24cfg.yaml:1:1: no manifests: add 'manifests: [path/to/manifests/]'" in message


def test_a_listed_manifest_path_that_does_not_exist_is_reported_at_its_line(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("[manifests/]", "[manifests/, mainfests/]"))
    assert "b24cfg.yaml:1:25: manifests: mainfests/ does not exist" in message


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path: Path) -> None:
    text = PROJECT.replace("default_environment: staging", "default_environment: stagin") \
                  .replace("rate_limit: enterprise", "rate_limit: fast") \
                  .replace("    webhook_env: B24", "    webhok_env: B24")
    with pytest.raises(ProjectFileError) as caught:
        load_project(write_project(tmp_path, text))
    shown = [str(problem).split(str(tmp_path) + "/", 1)[-1] for problem in caught.value.problems]
    assert shown == [
        "b24cfg.yaml:2:22: default_environment: 'stagin' is not an environment here; "
        "defined: staging, production, local",
        "b24cfg.yaml:6:5: environments.staging.webhok_env: unknown key (did you mean 'webhook_env'?); "
        "allowed: portal, webhook_env, app, variables, rate_limit, sandbox, state",
        "b24cfg.yaml:10:17: environments.production.rate_limit: use one of: standard, enterprise",
    ]
    assert "has 3 problems" in str(caught.value)


def test_yaml_syntax_errors_carry_the_line(tmp_path: Path) -> None:
    message = problems_of(tmp_path, "environments:\n  staging: [unclosed\n")
    assert "b24cfg.yaml:3:1: YAML syntax error" in message


def test_credential_keys_take_the_name_of_an_environment_variable(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("client_id_env: B24_APP_ID", "client_id_env: b24-app-id"))
    assert "b24cfg.yaml:12:22: environments.production.app.client_id_env: write the NAME of an environment " \
           "variable here" in message


@pytest.mark.parametrize(("change", "expected"), [
    ("    webhook_env: B24_STAGING_WEBHOOK\n",
     "b24cfg.yaml:4:3: environments.staging: no credentials: add webhook_env: NAME"),
    ("    portal: https://staging.bitrix24.com\n",
     "b24cfg.yaml:4:3: environments.staging: add portal: https://YOUR-PORTAL.bitrix24.com"),
])
def test_a_portal_environment_needs_a_portal_and_credentials(tmp_path: Path, change: str, expected: str) -> None:
    assert expected in problems_of(tmp_path, PROJECT.replace(change, ""))


def test_an_environment_logs_in_one_way_only(tmp_path: Path) -> None:
    text = PROJECT.replace("    rate_limit: enterprise\n", "    rate_limit: enterprise\n    webhook_env: B24_PROD\n")
    assert "environments.production.app: choose one way to log in: webhook_env or app, not both" in \
        problems_of(tmp_path, text)


def test_a_sandbox_environment_has_no_portal_and_state_needs_the_sandbox(tmp_path: Path) -> None:
    text = PROJECT.replace("    sandbox: true\n", "    sandbox: true\n    portal: https://x.bitrix24.com\n") \
                  .replace("    rate_limit: enterprise\n", "    rate_limit: enterprise\n    state: x.json\n")
    message = problems_of(tmp_path, text)
    assert "environments.local.portal: a sandbox environment (sandbox: true) uses the built-in sandbox" in message
    assert "environments.production.state: state is the built-in sandbox's state file" in message


def test_a_plain_http_portal_is_refused_unless_it_is_on_loopback(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("https://staging.bitrix24.com", "http://staging.bitrix24.com"))
    assert "b24cfg.yaml:5:13: environments.staging.portal: Refusing plain http://" in message
    load(tmp_path, PROJECT.replace("https://staging.bitrix24.com", "http://127.0.0.1:8024"))


def test_a_plain_http_token_endpoint_is_refused_at_its_line(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("https://oauth.bitrix.info", "http://oauth.bitrix.info"))
    assert "b24cfg.yaml:16:23: environments.production.app.token_endpoint: Refusing plain http:// for the OAuth " \
           "token endpoint" in message


def test_variables_are_text_and_numbers_keep_their_spelling(tmp_path: Path) -> None:
    project = load(tmp_path)
    assert dict(project.environments["staging"].variables) == {"LAWYER_GROUP": "12", "CODE": "007"}


# --- literal secrets -------------------------------------------------------------------------------

@pytest.mark.parametrize(("original", "replacement", "secret", "line"), [
    ("portal: https://staging.bitrix24.com",
     "portal: https://staging.bitrix24.com/rest/1/lit0portal0code/", "lit0portal0code", 5),
    ("webhook_env: B24_STAGING_WEBHOOK",
     "webhook_env: https://staging.bitrix24.com/rest/1/lit0hook0code/", "lit0hook0code", 6),
    ("{LAWYER_GROUP: 12, CODE: 007}",
     "{LAWYER_GROUP: 12, HOOK: 'staging.bitrix24.com/rest/3/lit0var0code/crm.type.list'}", "lit0var0code", 7),
    ("{LAWYER_GROUP: 12, CODE: 007}", "{LAWYER_GROUP: 12, API_TOKEN: lit0token0value}", "lit0token0value", 7),
    ("client_secret_env: B24_APP_SECRET", "client_secret_env: lit0app0secret", "lit0app0secret", 13),
    ("portal: https://example.bitrix24.com", "portal: https://admin:lit0password@example.bitrix24.com",
     "lit0password", 9),
])
def test_a_literal_secret_is_refused_with_the_reason_and_never_repeated(
    tmp_path: Path, original: str, replacement: str, secret: str, line: int,
) -> None:
    assert original in PROJECT
    message = problems_of(tmp_path, PROJECT.replace(original, replacement))
    assert f"b24cfg.yaml:{line}:" in message
    assert SECRET_EXPLANATION in message
    assert secret not in message


def test_a_webhook_in_the_portal_key_suggests_the_variable_to_use(tmp_path: Path) -> None:
    message = problems_of(tmp_path, PROJECT.replace("https://staging.bitrix24.com",
                                                    "https://staging.bitrix24.com/rest/1/lit0sugg0code/"))
    assert "webhook_env: B24_STAGING_WEBHOOK, and B24_STAGING_WEBHOOK set to the webhook URL" in message


# --- which portal: precedence ----------------------------------------------------------------------

def test_the_portal_flag_beats_every_other_choice(tmp_path: Path) -> None:
    project = load(tmp_path)
    target = resolve(project, env="production", portal="sandbox",
                     environ={"B24CFG_PORTAL": STAGING_HOOK, **APP_ENV})
    assert (target.name, target.source, target.is_sandbox) == ("sandbox", "--portal", True)
    assert target.variables == {}  # production defines none: the flag kept only the environment's variables


def test_b24cfg_portal_beats_env_and_keeps_that_environments_variables(tmp_path: Path) -> None:
    project = load(tmp_path)
    hook = "https://other.bitrix24.com/rest/1/otherhook01/"
    target = resolve(project, env="staging", environ={"B24CFG_PORTAL": hook})
    assert (target.name, target.source, target.url) == ("portal", "B24CFG_PORTAL", "https://other.bitrix24.com")
    assert target.variables == {"LAWYER_GROUP": "12", "CODE": "007"}
    assert target.warnings == ["B24CFG_PORTAL overrides environment 'staging': connecting to "
                               "https://other.bitrix24.com with that environment's variables"]


def test_env_beats_default_environment(tmp_path: Path) -> None:
    target = resolve(load(tmp_path), env="local", environ={"B24_STAGING_WEBHOOK": STAGING_HOOK})
    assert (target.name, target.source, target.is_sandbox) == ("local", "--env", True)
    assert target.sandbox_state == tmp_path / ".b24cfg" / "local.json"


def test_default_environment_is_used_without_env(tmp_path: Path) -> None:
    project = load(tmp_path)
    target = resolve(project, environ={"B24_STAGING_WEBHOOK": STAGING_HOOK})
    assert (target.name, target.source) == ("staging", "default_environment")
    assert target.url == "https://staging.bitrix24.com"
    assert isinstance(target.auth, WebhookAuth) and target.auth.user_id == 7
    assert target.manifests == [tmp_path / "manifests"]
    assert target.variables == {"LAWYER_GROUP": "12", "CODE": "007"}


def test_with_nothing_chosen_the_builtin_sandbox_is_used_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    target = resolve(None, environ={})
    assert (target.name, target.source, target.url) == ("sandbox", "default", "https://sandbox.b24cfg.local")
    assert (target.auth, target.manifests) == (None, [])
    assert target.sandbox_state == tmp_path / ".b24cfg" / "sandbox.json"


def test_the_builtin_sandbox_state_sits_next_to_the_project_file_or_follows_b24cfg_sandbox_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = load(tmp_path / "proj", PROJECT.replace("default_environment: staging\n", ""))
    monkeypatch.chdir(tmp_path)
    assert resolve(project, environ={}).sandbox_state == tmp_path / "proj" / ".b24cfg" / "sandbox.json"
    moved = resolve(project, environ={"B24CFG_SANDBOX_STATE": "state/portal.json"})
    assert moved.sandbox_state == tmp_path / "state" / "portal.json"


def test_an_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(load(tmp_path), env="prod", environ={})
    assert "Unknown environment 'prod'" in str(caught.value)
    assert "defines: staging, production, local" in str(caught.value)


def test_env_without_a_project_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"--env staging: there is no project file \(b24cfg.yaml\)"):
        resolve(None, env="staging", environ={})


# --- --portal / B24CFG_PORTAL values ---------------------------------------------------------------

def test_a_portal_url_without_credentials_is_refused_with_the_way_out() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(None, portal="https://example.bitrix24.com", environ={})
    message = str(caught.value)
    assert "--portal is https://example.bitrix24.com, a portal address without credentials" in message
    assert "https://PORTAL/rest/USER_ID/CODE/" in message and "--env" in message


def test_plain_http_is_refused_except_for_loopback() -> None:
    with pytest.raises(ConfigError, match="Refusing plain http://"):
        resolve(None, portal="http://example.bitrix24.com/rest/1/plainhttp01/", environ={})
    local = resolve(None, portal="http://127.0.0.1:8024/rest/1/loopback01/", environ={})
    assert local.url == "http://127.0.0.1:8024"


def test_the_webhook_code_is_masked_everywhere() -> None:
    code = "portalflag0code991"
    target = resolve(None, environ={"B24CFG_PORTAL": f"https://example.bitrix24.com/rest/5/{code}/"})
    assert isinstance(target.auth, WebhookAuth)
    assert target.url == "https://example.bitrix24.com" and target.auth.user_id == 5
    assert str(target) == "portal (https://example.bitrix24.com)"
    assert code not in repr(target)
    # Registered as a secret: masked even where no URL shape gives it away (logs, error texts).
    assert mask(f"token {code} leaked") == "token *** leaked"


def test_a_malformed_webhook_names_its_source_and_hides_the_code() -> None:
    code = "badshape0code77"
    with pytest.raises(ConfigError) as caught:
        resolve(None, environ={"B24CFG_PORTAL": f"https://example.bitrix24.com/rest/1/{code}/crm.type.list"})
    assert str(caught.value).startswith("B24CFG_PORTAL: ")
    assert code not in str(caught.value)


# --- credentials from environment variables --------------------------------------------------------

def test_a_missing_webhook_variable_is_named_with_what_it_should_hold(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(load(tmp_path), environ={})
    assert str(caught.value) == (
        "Environment 'staging' needs these environment variables, which are not set:\n"
        "  B24_STAGING_WEBHOOK: the incoming-webhook URL of https://staging.bitrix24.com, "
        "https://staging.bitrix24.com/rest/USER_ID/CODE/ (Bitrix24: Developer resources > Other > Incoming webhook)"
    )


def test_a_webhook_of_another_portal_is_refused(tmp_path: Path) -> None:
    code = "wrongportal0code"
    with pytest.raises(ConfigError) as caught:
        resolve(load(tmp_path), environ={"B24_STAGING_WEBHOOK": f"https://example.bitrix24.com/rest/1/{code}/"})
    assert "B24_STAGING_WEBHOOK is a webhook of https://example.bitrix24.com, but environment 'staging' is " \
           "https://staging.bitrix24.com" in str(caught.value)
    assert code not in str(caught.value)


def test_missing_app_variables_are_all_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(load(tmp_path), env="production", environ={"B24_APP_ID": "local.abc123.00000001"})
    message = str(caught.value)
    assert "B24_APP_SECRET: the local application's client secret" in message
    assert "B24_APP_REFRESH: a refresh token of the application on https://example.bitrix24.com" in message
    assert "B24_APP_ID" not in message


def test_an_app_environment_builds_oauth_with_its_pacing(tmp_path: Path) -> None:
    target = resolve(load(tmp_path), env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth)
    assert (target.auth.portal_url, target.auth.client_id, target.auth.refresh_token) == (
        "https://example.bitrix24.com", "local.abc123.00000001", "envrefresh0001")
    assert target.token_file == tmp_path / ".b24cfg" / "production-token.json"
    assert "appsecretVALUE0001" not in repr(target)
    client = open_client(target, clock=SimulatedClock())
    assert client.pacer is not None and client.pacer.pacing.burst == 250  # rate_limit: enterprise


def test_a_stored_refresh_token_wins_over_the_variable(tmp_path: Path) -> None:
    project = load(tmp_path)
    token_file = tmp_path / ".b24cfg" / "production-token.json"
    token_file.parent.mkdir()
    token_file.write_text(json.dumps({"portal": "https://example.bitrix24.com", "client_id": "local.abc123.00000001",
                                      "refresh_token": "storedrefresh0001"}), encoding="utf-8")
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.refresh_token == "storedrefresh0001"
    # With a stored token the variable may be left unset.
    without = resolve(project, env="production", environ={k: v for k, v in APP_ENV.items() if k != "B24_APP_REFRESH"})
    assert isinstance(without.auth, OAuthAuth) and without.auth.refresh_token == "storedrefresh0001"


def test_a_stored_token_of_another_application_is_ignored_with_a_warning(tmp_path: Path) -> None:
    project = load(tmp_path)
    token_file = tmp_path / ".b24cfg" / "production-token.json"
    token_file.parent.mkdir()
    token_file.write_text(json.dumps({"portal": "https://example.bitrix24.com", "client_id": "local.old.1",
                                      "refresh_token": "oldapprefresh01"}), encoding="utf-8")
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.refresh_token == "envrefresh0001"
    assert target.warnings == [f"The token file {token_file} belongs to another portal or application and was ignored"]


def test_a_corrupt_token_file_is_an_error_naming_it(tmp_path: Path) -> None:
    project = load(tmp_path)
    token_file = tmp_path / ".b24cfg" / "production-token.json"
    token_file.parent.mkdir()
    token_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"The token file {token_file} cannot be read"):
        resolve(project, env="production", environ=APP_ENV)


def rotated(refresh: str) -> TokenSet:
    return TokenSet(access_token="rotatedaccess01", refresh_token=refresh, expires=3600, member_id="m", scope="crm")


def test_a_rotated_refresh_token_is_saved_privately_and_used_next_time(tmp_path: Path) -> None:
    project = load(tmp_path)
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.on_refresh is not None
    target.auth.on_refresh(rotated("rotatedrefresh01"))
    token_file = tmp_path / ".b24cfg" / "production-token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert target.warnings == []
    again = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(again.auth, OAuthAuth) and again.auth.refresh_token == "rotatedrefresh01"


def test_a_saved_access_token_is_used_while_it_lives_instead_of_refreshing_on_every_run(tmp_path: Path) -> None:
    # The docs advise refreshing only on expired_token: each run refreshing anew would spend a
    # refresh token per CI job.
    project = load(tmp_path)
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.on_refresh is not None
    living = TokenSet(access_token="livingaccess01", refresh_token="rotatedrefresh02", expires=int(time.time()) + 3000,
                      member_id="m", scope="crm")
    target.auth.on_refresh(living)
    again = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(again.auth, OAuthAuth) and again.auth.access_token == "livingaccess01"
    target.auth.on_refresh(rotated("rotatedrefresh03"))  # expires=3600: long past
    expired = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(expired.auth, OAuthAuth) and expired.auth.access_token is None
    assert expired.auth.refresh_token == "rotatedrefresh03"


def test_a_token_that_cannot_be_saved_is_reported_as_lost(tmp_path: Path) -> None:
    project = load(tmp_path)
    (tmp_path / ".b24cfg").write_text("a file where the directory should be", encoding="utf-8")
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.on_refresh is not None
    target.auth.on_refresh(rotated("lostrefresh0001"))
    assert len(target.warnings) == 1
    assert "could not be saved to" in target.warnings[0] and "it is lost when this run ends" in target.warnings[0]
    assert "B24_APP_REFRESH may stop working" in target.warnings[0]
    assert "lostrefresh0001" not in target.warnings[0]


def test_without_a_token_file_a_refresh_warns_once(tmp_path: Path) -> None:
    project = load(tmp_path, PROJECT.replace("      token_file: .b24cfg/production-token.json\n", ""))
    target = resolve(project, env="production", environ=APP_ENV)
    assert isinstance(target.auth, OAuthAuth) and target.auth.on_refresh is not None
    target.auth.on_refresh(rotated("unsavedrefresh1"))
    target.auth.on_refresh(rotated("unsavedrefresh2"))
    assert target.warnings == ["The OAuth refresh token was rotated and no token_file is configured, so the new one "
                               "is lost when this run ends and B24_APP_REFRESH may stop working; set app.token_file"]


def test_a_real_refresh_through_the_client_persists_the_new_token(tmp_path: Path) -> None:
    text = PROJECT.replace("https://example.bitrix24.com", "https://sandbox.test") \
                  .replace("https://oauth.bitrix.info/oauth/token/", "https://sandbox.test/oauth/token/")
    project = load(tmp_path, text)
    environ = {"B24_APP_ID": SANDBOX_CLIENT_ID, "B24_APP_SECRET": SANDBOX_CLIENT_SECRET,
               "B24_APP_REFRESH": SANDBOX_REFRESH_TOKEN}
    target = resolve(project, env="production", environ=environ)
    assert isinstance(target.auth, OAuthAuth)
    clock = SimulatedClock()
    client = Client(target.auth, transport=SandboxTransport(SandboxPortal(clock=clock)), clock=clock)
    assert "types" in client.call("crm.type.list")
    saved = json.loads((tmp_path / ".b24cfg" / "production-token.json").read_text(encoding="utf-8"))
    assert saved["refresh_token"] == target.auth.refresh_token != SANDBOX_REFRESH_TOKEN


# --- the built-in sandbox --------------------------------------------------------------------------

def test_the_default_sandbox_creates_its_state_file_and_answers_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    target = resolve(None, environ={})
    state = tmp_path / ".b24cfg" / "sandbox.json"
    assert not state.exists()
    with open_client(target, clock=SimulatedClock()) as client:
        assert state.exists()
        assert client.call("crm.type.list") == {"types": []}


def test_separate_sandbox_clients_see_the_same_portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # plan and apply run in separate processes: each opens the portal from the state file afresh.
    monkeypatch.chdir(tmp_path)
    with open_client(resolve(None, environ={}), clock=SimulatedClock()) as first:
        first.call("crm.type.add", {"fields": {"title": "Contracts", "code": "contracts"}})
    with open_client(resolve(None, env=None, portal="sandbox", environ={}), clock=SimulatedClock()) as second:
        titles = [row["title"] for row in second.call("crm.type.list")["types"]]
    assert titles == ["Contracts"]
