"""Portals, credentials and environments: the project file ``b24cfg.yaml`` and environment variables.

Where b24cfg connects is decided once, by ``resolve``; the first of these that is given wins:

1. ``--portal VALUE`` (the ``portal`` argument),
2. the environment variable ``B24CFG_PORTAL`` — for both, VALUE is the word ``sandbox`` or an
   incoming-webhook URL ``https://PORTAL/rest/USER_ID/CODE/``;
3. ``--env NAME``, else the project file's ``default_environment``;
4. the built-in sandbox portal (state in ``.b24cfg/sandbox.json``).

``open_client`` turns the chosen ``Target`` into a REST ``Client``; for the built-in sandbox the
portal runs in-process and persists every write to its state file, so ``plan`` and a later
``apply`` in another process see the same portal.

The project file (committed to git, so it never holds a secret)::

    manifests: [manifests/]                # files or directories, relative to this file
    default_environment: staging           # optional
    environments:
      staging:
        portal: https://staging.bitrix24.com
        webhook_env: B24_STAGING_WEBHOOK   # the NAME of the variable holding the webhook URL
        variables: {LAWYER_GROUP: "12"}    # ${var.LAWYER_GROUP} in manifests
      production:
        portal: https://example.bitrix24.com
        rate_limit: enterprise             # client pacing 5 req/s, burst 250 (default: standard)
        app:                               # a local application (OAuth)
          client_id_env: B24_APP_ID
          client_secret_env: B24_APP_SECRET
          refresh_token_env: B24_APP_REFRESH
          token_file: .b24cfg/production-token.json   # rotated refresh tokens are kept here
          token_endpoint: https://oauth.bitrix.info/oauth/token/
      local:
        sandbox: true                      # the built-in sandbox portal
        state: .b24cfg/sandbox.json

Decisions a user will notice
----------------------------
* Every problem in the project file is reported at once, each as ``file:line:column``; unknown
  keys are problems (with the allowed keys), as in manifests.
* A literal secret is refused: a ``portal`` (or any value) that is an incoming-webhook URL, a URL
  with a password, or a key named like webhook/token/secret/password/refresh whose value is not an
  environment-variable name (``token_file`` and ``token_endpoint`` are not secrets). The message
  never repeats the secret.
* ``manifests`` left out means ``manifests/`` next to the project file when that directory exists;
  otherwise it is a problem saying what to write. Listed paths must exist.
* An environment is either ``sandbox: true`` or a ``portal`` with exactly one way to log in:
  ``webhook_env`` or ``app``. The webhook URL must point at the environment's ``portal`` — a
  variable copied from another environment would otherwise plan against the wrong portal.
* ``--portal``/``B24CFG_PORTAL`` replace only the connection: manifests and the variables of the
  selected environment (``--env`` or ``default_environment``) still apply, and the target carries
  a warning saying so.
* OAuth: a refresh token stored in ``token_file`` wins over ``refresh_token_env`` (it is newer);
  every refresh writes the rotated token there (mode 0600), with the access token and its expiry,
  which the next runs use while it lives instead of refreshing again. When that fails, or no ``token_file``
  is configured, ``Target.warnings`` says the new token is lost and what to do.
* Robots, activities, triggers, event and placement bindings need an application context: with
  manifests that manage them, a target that logs in with a webhook is refused before any request,
  with what to create and configure (``require_application``). The built-in sandbox then connects
  as its own local application (OAuth, through its token endpoint).
* The built-in sandbox keeps its state in ``B24CFG_SANDBOX_STATE`` when set (as ``b24cfg sandbox``
  does), else ``.b24cfg/sandbox.json`` next to the project file (or in the current directory).
* Variables are text; numbers keep their spelling (``12``, ``007``) and switches read ``true``/``false``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from b24cfg.clock import Clock
from b24cfg.errors import ConfigError
from b24cfg.manifest.loader import DataPath, Document, load_documents
from b24cfg.manifest.problems import Location, Problem
from b24cfg.portal.auth import DEFAULT_TOKEN_URL, Auth, OAuthAuth, TokenSet, WebhookAuth, require_secure
from b24cfg.portal.client import Client
from b24cfg.portal.errors import mask, register_secret
from b24cfg.portal.limits import ENTERPRISE, STANDARD, Pacing
from b24cfg.sandbox.portal import (
    SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_DOMAIN, SANDBOX_REFRESH_TOKEN, SANDBOX_WEBHOOK_CODE,
    SANDBOX_WEBHOOK_USER, SandboxPortal,
)
from b24cfg.sandbox.transport import SandboxTransport

PROJECT_FILE = "b24cfg.yaml"
PORTAL_VARIABLE = "B24CFG_PORTAL"
SANDBOX_STATE_VARIABLE = "B24CFG_SANDBOX_STATE"
DEFAULT_SANDBOX_STATE = Path(".b24cfg") / "sandbox.json"
SANDBOX_URL = f"https://{SANDBOX_DOMAIN}"
PACINGS: dict[str, Pacing] = {"standard": STANDARD, "enterprise": ENTERPRISE}

SECRET_EXPLANATION = (
    "the project file is committed to git; put the secret in an environment variable and name it "
    "with webhook_env / ..._env"
)

# --- the project file's schema ---------------------------------------------------------------------

_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
EnvName = Annotated[str, StringConstraints(pattern=_ENV_NAME)]
"""The name of an environment variable (the value stays out of the file)."""


def _as_text(value: Any) -> Any:
    # Manifests substitute text; the loader's WrittenInt/WrittenFloat keep the spelling ("007").
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _as_list(value: Any) -> Any:
    # ``manifests: examples/`` is as clear as a one-entry list.
    return [value] if isinstance(value, str) else value


VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
VariableValue = Annotated[str, BeforeValidator(_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppConfig(_Model):
    """A local application (OAuth), by the names of the environment variables holding its credentials."""

    client_id_env: EnvName
    client_secret_env: EnvName
    refresh_token_env: EnvName
    token_file: str | None = None
    token_endpoint: str | None = None


class EnvironmentConfig(_Model):
    """One environment as written; ``sandbox: true``, or a ``portal`` with ``webhook_env`` or ``app``."""

    portal: str | None = None
    webhook_env: EnvName | None = None
    app: AppConfig | None = None
    variables: dict[VariableName, VariableValue] = Field(default_factory=dict)
    rate_limit: Literal["standard", "enterprise"] = "standard"
    sandbox: bool = False
    state: str | None = None


class ProjectConfig(_Model):
    """The project file as written."""

    manifests: Annotated[list[str], BeforeValidator(_as_list)] | None = None
    default_environment: str | None = None
    environments: dict[str, EnvironmentConfig] = Field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """A checked project file. ``path`` and ``manifest_paths`` are absolute."""

    path: Path
    config: ProjectConfig
    manifest_paths: list[Path]

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def environments(self) -> Mapping[str, EnvironmentConfig]:
        return self.config.environments

    @property
    def default_environment(self) -> str | None:
        return self.config.default_environment


class ProjectFileError(ConfigError):
    """The project file has problems; ``problems`` holds each with its ``file:line:column``."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(mask(f"The project file {path} has {count}:\n{lines}"))


# --- loading ---------------------------------------------------------------------------------------

def load_project(path: Path | None = None) -> Project | None:
    """The project file at ``path`` (a file, or a directory holding ``b24cfg.yaml``), checked.

    With ``path=None`` it is ``./b24cfg.yaml``, and None when there is none (everything then
    defaults to the built-in sandbox). A given path that does not exist is a ``ConfigError``; any
    problem in the file raises ``ProjectFileError`` listing all of them.
    """
    if path is None:
        path = Path(PROJECT_FILE)
        if not path.is_file():
            return None
    elif path.is_dir():
        path = path / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(f"The project file {path} does not exist; check the path, or create it (see README).")
    document, problems = _read_single_document(path)
    if document is not None:
        config, manifests, problems = _check(document, path.resolve().parent)
        if config is not None and not problems:
            return Project(path.resolve(), config, manifests)
    raise ProjectFileError(path, sorted(set(problems)))


def _read_single_document(path: Path) -> tuple[Document | None, list[Problem]]:
    documents, problems = load_documents([path])
    if problems:
        return None, problems
    if len(documents) > 1:
        second = documents[1].location(())
        return None, [Problem(second, "the project file holds one YAML document; remove this '---' and what follows")]
    if not documents:
        # An empty file: every key takes its default, and missing ones are reported as such.
        return Document(path.as_posix(), {}, {(): Location(path.as_posix(), 1, 1)}, {}, frozenset()), []
    return documents[0], []


def _check(document: Document, directory: Path) -> tuple[ProjectConfig | None, list[Path], list[Problem]]:
    """Secrets first, then the schema, then the rules between values; all problems at once."""
    secrets = _literal_secrets(document)
    flagged = {path for path, _ in secrets}
    problems = [problem for _, problem in secrets]
    if not isinstance(document.data, dict):
        problems.append(Problem(document.location(()), "the project file is a mapping of keys: manifests, "
                                                     "default_environment, environments"))
        return None, [], problems
    config: ProjectConfig | None = None
    try:
        config = ProjectConfig.model_validate(document.data)
    except ValidationError as error:
        problems.extend(_schema_problems(document, error.errors(), flagged))
    manifests = _manifest_paths(document, directory, problems)
    problems.extend(_rule_problems(document, flagged))
    return config, manifests, problems


def _walk(value: Any, path: DataPath) -> Iterator[tuple[DataPath, Any]]:
    """Every scalar in the data with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    else:
        yield path, value


def _dotted(path: DataPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the project file"


# --- literal secrets ------------------------------------------------------------------------------

_WEBHOOK_URL = re.compile(r"(?:https?://[^/\s]+|[\w-]+(?:\.[\w-]+)+(?::\d+)?)/rest/\d+/[^/\s?#]+")
_WEBHOOK_CODE = re.compile(r"/rest/\d+/([^/\s?#]+)")
_URL_PASSWORD = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
_SECRET_KEY = re.compile(r"webhook|token|secret|passw|refresh", re.IGNORECASE)
# These keys say where a secret is kept or fetched, not what it is.
_NOT_SECRET_KEYS = {"token_file", "token_endpoint"}


def _literal_secrets(document: Document) -> list[tuple[DataPath, Problem]]:
    found: list[tuple[DataPath, Problem]] = []
    for path, value in _walk(document.data, ()):
        reason = _secret_reason(path, value)
        if reason is not None:
            if isinstance(value, str):
                _register_webhook_code(value)
            message = f"{_dotted(path)} {reason}; {SECRET_EXPLANATION}{_suggested_fix(path)}"
            found.append((path, Problem(document.location(path), message)))
    return found


def _secret_reason(path: DataPath, value: Any) -> str | None:
    """Why ``value`` looks like a secret, or None. Never quotes the value."""
    key = path[-1] if path and isinstance(path[-1], str) else ""
    if isinstance(value, str) and (key == "portal" and "/rest/" in value or _WEBHOOK_URL.search(value)):
        return "is an incoming-webhook URL, and its code is a password"
    if isinstance(value, str) and _URL_PASSWORD.search(value):
        return "is a URL with a password in it"
    if key and key not in _NOT_SECRET_KEYS and _SECRET_KEY.search(key) and value is not None:
        if not (isinstance(value, str) and re.fullmatch(_ENV_NAME, value)):
            return "holds a literal value where the NAME of an environment variable belongs"
    return None


def _suggested_fix(path: DataPath) -> str:
    if len(path) >= 3 and path[0] == "environments" and path[2] in {"portal", "webhook_env"}:
        variable = "B24_" + re.sub(r"[^A-Z0-9]+", "_", str(path[1]).upper()).strip("_") + "_WEBHOOK"
        return (f" (portal: https://YOUR-PORTAL.bitrix24.com without credentials, webhook_env: {variable}, "
                f"and {variable} set to the webhook URL)")
    return ""


def _register_webhook_code(text: str) -> None:
    """Mask a webhook code before any message can quote the text around it."""
    for match in _WEBHOOK_CODE.finditer(text):
        register_secret(match.group(1))


# --- schema problems -------------------------------------------------------------------------------

def _schema_problems(document: Document, errors: list[ErrorDetails], flagged: set[DataPath]) -> list[Problem]:
    problems: list[Problem] = []
    for error in errors:
        loc = tuple(error["loc"])
        path: DataPath = tuple(part for part in loc if part != "[key]")
        on_key = error["type"] == "extra_forbidden" or (bool(loc) and loc[-1] == "[key]")
        # A value already refused as a literal secret needs no second message, but a misspelt key
        # still gets its "did you mean".
        if not on_key and any(path[: len(secret)] == secret for secret in flagged):
            continue
        where = document.location(path, key=on_key)
        problems.append(Problem(where, f"{_dotted(path)}: {_describe(error, path)}"))
    return problems


def _model_at(path: DataPath) -> type[_Model] | None:
    """The settings model that validates the mapping at ``path``."""
    if len(path) == 0:
        return ProjectConfig
    if path[0] == "environments" and len(path) == 2:
        return EnvironmentConfig
    if path[0] == "environments" and len(path) == 3 and path[2] == "app":
        return AppConfig
    return None


def _describe(error: ErrorDetails, path: DataPath) -> str:
    kind, key = error["type"], str(path[-1]) if path else ""
    if kind == "missing":
        return f"this key is required; add {key}: NAME_OF_AN_ENVIRONMENT_VARIABLE" if key.endswith("_env") \
            else "this key is required; add it"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key{hint}; allowed: {', '.join(allowed)}" if allowed else "unknown key; remove it"
    if kind == "string_pattern_mismatch" and len(path) >= 2 and path[-2] == "variables":
        return "variable names use letters, digits and _ and do not start with a digit"
    if kind == "string_pattern_mismatch":
        return ("write the NAME of an environment variable here (capital letters, digits and _, such as "
                "B24_APP_ID), and set that variable where b24cfg runs")
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        return f"use one of: {', '.join(options)}"
    if kind.startswith("bool"):
        return "expected true or false"
    if kind.startswith("string"):
        return "expected text; quote it"
    if kind == "list_type":
        return "expected a list of paths, such as [manifests/]"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "expected a mapping of keys and values"
    return str(error["msg"])


# --- rules between values --------------------------------------------------------------------------

def _rule_problems(document: Document, flagged: set[DataPath]) -> list[Problem]:
    """The rules between values, checked on each environment that passed the schema on its own."""
    data: dict[str, Any] = document.data
    problems: list[Problem] = []
    written = data.get("environments")
    environments: dict[str, Any] = written if isinstance(written, dict) else {}
    names = list(environments)
    default = data.get("default_environment")
    if isinstance(default, str) and default not in names:
        problems.append(Problem(document.location(("default_environment",)),
                                f"default_environment: '{default}' is not an environment here; "
                                f"defined: {', '.join(names) or 'none'}"))
    for name in names:
        try:
            environment = EnvironmentConfig.model_validate(environments[name])
        except ValidationError:
            continue  # its schema problems are reported already
        problems.extend(_environment_problems(document, name, environment, flagged))
    return problems


def _manifest_paths(document: Document, directory: Path, problems: list[Problem]) -> list[Path]:
    """The manifest paths, absolute; appends a problem for each path that is missing."""
    written = document.data.get("manifests") if isinstance(document.data, dict) else None
    if written is None:
        if (directory / "manifests").is_dir():
            return [directory / "manifests"]
        problems.append(Problem(document.location(()), (
            "no manifests: add 'manifests: [path/to/manifests/]' (directories or files, relative to this "
            "file), or put them in a manifests/ directory next to it")))
        return []
    entries = _as_list(written)
    if entries == []:
        problems.append(Problem(document.location(("manifests",)), "manifests: the list is empty; name at least "
                                                                  "one directory or file"))
    paths: list[Path] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, str):
            continue
        path = directory / entry
        if not path.exists():
            where = ("manifests", index) if isinstance(written, list) else ("manifests",)
            problems.append(Problem(document.location(where), f"manifests: {entry} does not exist (looked for "
                                                              f"{path}); paths are relative to the project file"))
        paths.append(path)
    return paths


def _environment_problems(
    document: Document, name: str, environment: EnvironmentConfig, flagged: set[DataPath],
) -> list[Problem]:
    base: DataPath = ("environments", name)
    problems: list[Problem] = []

    def report(key: str | None, message: str, *, at_value: bool = False, inner: str | None = None) -> None:
        path = (*base, *(part for part in (key, inner) if part))
        where = document.location(path, key=not at_value)
        problems.append(Problem(where, f"{_dotted(path)}: {message}"))

    if environment.sandbox:
        for key in ("portal", "webhook_env", "app"):
            if getattr(environment, key) is not None:
                report(key, "a sandbox environment (sandbox: true) uses the built-in sandbox portal; remove this key")
        return problems
    if environment.state is not None:
        report("state", "state is the built-in sandbox's state file; it needs sandbox: true")
    if environment.portal is None:
        report(None, "add portal: https://YOUR-PORTAL.bitrix24.com (or sandbox: true for the built-in sandbox)")
    elif (*base, "portal") not in flagged:
        trouble = _portal_url_problem(environment.portal)
        if trouble:
            report("portal", trouble, at_value=True)
    if environment.webhook_env is not None and environment.app is not None:
        report("app", "choose one way to log in: webhook_env or app, not both")
    if environment.webhook_env is None and environment.app is None:
        report(None, "no credentials: add webhook_env: NAME (the environment variable holding the incoming-webhook "
                     "URL), or app: with client_id_env, client_secret_env and refresh_token_env")
    if environment.app is not None and environment.app.token_endpoint is not None:
        try:
            require_secure(environment.app.token_endpoint, "OAuth token endpoint")
        except ConfigError as error:
            report("app", str(error), at_value=True, inner="token_endpoint")
    return problems


def _portal_url_problem(url: str) -> str | None:
    try:
        require_secure(url)
    except ConfigError as error:
        return str(error)
    parts = urlsplit(url)
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        return "give only the portal's address, such as https://example.bitrix24.com (no path, user or query)"
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


# --- the target ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """The portal a command works on, with everything needed to reach it (secrets masked in str/repr).

    ``name`` is the environment's name, ``"sandbox"`` or ``"portal"`` (a ``--portal`` webhook);
    ``source`` says what chose it (``--portal``, ``B24CFG_PORTAL``, ``--env``, ``default_environment``
    or ``default``). ``auth`` is None exactly for the built-in sandbox, which has ``sandbox_state``.
    ``warnings`` collects what a user should hear (also later, e.g. a refresh token that could not be
    saved); the CLI prints them.
    """

    name: str
    url: str
    source: str
    variables: Mapping[str, str] = field(default_factory=dict)
    manifests: list[Path] = field(default_factory=list)
    auth: Auth | None = None
    sandbox_state: Path | None = None
    pacing: str = "standard"
    token_file: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox_state is not None

    def __str__(self) -> str:
        return mask(f"{self.name} ({self.url})")


def resolve(
    project: Project | None, *, env: str | None = None, portal: str | None = None, environ: Mapping[str, str],
) -> Target:
    """The target chosen by ``--portal`` > ``B24CFG_PORTAL`` > ``--env`` / default_environment > sandbox.

    Raises ``ConfigError`` naming exactly what to fix: an unknown environment (listing the known
    ones), an environment variable that is not set (and what it should hold), a portal URL without
    credentials, plain http:// to a non-loopback host.
    """
    selected = _selected(project, env)
    for value, source in ((portal, "--portal"), (environ.get(PORTAL_VARIABLE), PORTAL_VARIABLE)):
        if value and value.strip():
            return _override(value.strip(), source, project, selected, environ)
    if selected is None:
        return _sandbox("sandbox", "default", project, {}, None, "standard", environ)
    name, environment = selected
    assert project is not None  # _selected returns an environment only from a project
    source = "--env" if env else "default_environment"
    if environment.sandbox:
        return _sandbox(name, source, project, environment.variables, environment.state, environment.rate_limit,
                        environ)
    return _environment_target(project, name, source, environment, environ)


def _selected(project: Project | None, env: str | None) -> tuple[str, EnvironmentConfig] | None:
    name = env or (project.default_environment if project else None)
    if name is None:
        return None
    if project is None:
        raise ConfigError(f"--env {name}: there is no project file ({PROJECT_FILE}) in {Path.cwd()} to define "
                          f"environments; create one, give its path, or leave out --env to use the sandbox")
    if name not in project.environments:
        known = ", ".join(project.environments) or "none"
        close = difflib.get_close_matches(name, list(project.environments), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"Unknown environment '{name}'{hint}; {project.path} defines: {known}")
    return name, project.environments[name]


def _override(
    value: str, source: str, project: Project | None, selected: tuple[str, EnvironmentConfig] | None,
    environ: Mapping[str, str],
) -> Target:
    variables = selected[1].variables if selected else {}
    if value == "sandbox":
        target = _sandbox("sandbox", source, project, variables, None, "standard", environ)
    else:
        auth = _webhook(value, source)
        target = Target("portal", auth.portal_url, source, variables, _manifests(project), auth)
    if selected is not None:
        # The override replaces only the connection; saying so avoids a surprise on a shared shell.
        target.warnings.append(f"{source} overrides environment '{selected[0]}': connecting to {target.url} "
                               f"with that environment's variables")
    return target


def _manifests(project: Project | None) -> list[Path]:
    return list(project.manifest_paths) if project else []


def _sandbox(
    name: str, source: str, project: Project | None, variables: Mapping[str, str], state: str | None,
    pacing: str, environ: Mapping[str, str],
) -> Target:
    base = project.directory if project else Path.cwd()
    if state is not None:
        path = base / state
    elif environ.get(SANDBOX_STATE_VARIABLE):
        path = Path(environ[SANDBOX_STATE_VARIABLE])  # as `b24cfg sandbox serve --state` reads it
    else:
        path = base / DEFAULT_SANDBOX_STATE
    return Target(name, SANDBOX_URL, source, dict(variables), _manifests(project), None, path.absolute(), pacing)


def _webhook(value: str, source: str) -> WebhookAuth:
    """An incoming-webhook URL from ``source`` (a flag or variable name), its code masked from now on."""
    _register_webhook_code(value)
    if "/rest/" not in value:
        raise ConfigError(
            f"{source} is {mask(value)}, a portal address without credentials. Give an incoming-webhook URL, "
            f"https://PORTAL/rest/USER_ID/CODE/ (or the word sandbox), or choose a project environment with "
            f"--env whose webhook_env or app names the credentials.")
    try:
        return WebhookAuth(value)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def _missing(name: str, lines: list[str]) -> ConfigError:
    listed = "\n".join(f"  {line}" for line in lines)
    return ConfigError(f"Environment '{name}' needs these environment variables, which are not set:\n{listed}")


def _environment_target(
    project: Project, name: str, source: str, environment: EnvironmentConfig, environ: Mapping[str, str],
) -> Target:
    assert environment.portal is not None  # checked when the project was loaded
    portal = environment.portal.rstrip("/")
    if environment.webhook_env is not None:
        variable = environment.webhook_env
        value = environ.get(variable, "").strip()
        if not value:
            raise _missing(name, [f"{variable}: the incoming-webhook URL of {portal}, {portal}/rest/USER_ID/CODE/ "
                                  f"(Bitrix24: Developer resources > Other > Incoming webhook)"])
        webhook = _webhook(value, variable)
        if _origin(webhook.portal_url) != _origin(portal):
            raise ConfigError(f"{variable} is a webhook of {webhook.portal_url}, but environment '{name}' is "
                              f"{portal}; set {variable} to a webhook of {portal}")
        return Target(name, portal, source, dict(environment.variables), _manifests(project), webhook,
                      pacing=environment.rate_limit)
    assert environment.app is not None  # checked when the project was loaded
    warnings: list[str] = []
    auth, token_file = _oauth(project, name, portal, environment.app, environ, warnings)
    return Target(name, portal, source, dict(environment.variables), _manifests(project), auth,
                  pacing=environment.rate_limit, token_file=token_file, warnings=warnings)


# --- OAuth and the token file ----------------------------------------------------------------------

def _oauth(
    project: Project, name: str, portal: str, app: AppConfig, environ: Mapping[str, str], warnings: list[str],
) -> tuple[OAuthAuth, Path | None]:
    token_file = (project.directory / app.token_file).absolute() if app.token_file else None
    client_id = environ.get(app.client_id_env, "").strip()
    secret = environ.get(app.client_secret_env, "").strip()
    stored = _stored_tokens(token_file, portal, client_id, warnings) if token_file and client_id else None
    refresh = stored.refresh_token if stored else environ.get(app.refresh_token_env, "").strip()
    register_secret(secret)
    register_secret(refresh)
    missing = [line for line, ok in (
        (f"{app.client_id_env}: the local application's client id (application code, like local.xxxx.yyyy)",
         client_id),
        (f"{app.client_secret_env}: the local application's client secret (application key)", secret),
        (f"{app.refresh_token_env}: a refresh token of the application on {portal}", refresh),
    ) if not ok]
    if missing:
        raise _missing(name, missing)
    saver = _TokenSaver(token_file, portal, client_id, app.refresh_token_env, warnings)
    # An access token saved by an earlier run is used while it lives (an hour): the docs advise
    # refreshing only when the portal says expired_token, not on every run.
    access = stored.access_token if stored and stored.expires > time.time() + 60 else None
    auth = OAuthAuth(portal, client_id, secret, refresh, access_token=access,
                     token_url=app.token_endpoint or DEFAULT_TOKEN_URL, on_refresh=saver)
    return auth, token_file


@dataclass(frozen=True)
class _Stored:
    refresh_token: str
    access_token: str | None
    expires: int


def _stored_tokens(path: Path, portal: str, client_id: str, warnings: list[str]) -> _Stored | None:
    """The tokens saved by an earlier run, when they belong to this portal and application."""
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        token = stored["refresh_token"]
        if not isinstance(token, str) or not token:
            raise ValueError("no refresh token")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"The token file {path} cannot be read ({type(error).__name__}); delete it to use the "
                          f"refresh token from the environment variable again") from None
    register_secret(token)
    if stored.get("portal") != portal or stored.get("client_id") != client_id:
        warnings.append(f"The token file {path} belongs to another portal or application and was ignored")
        return None
    access = stored.get("access_token") if isinstance(stored.get("access_token"), str) else None
    register_secret(access)
    expires = stored.get("expires") if isinstance(stored.get("expires"), int) else 0
    return _Stored(token, access, expires)


@dataclass
class _TokenSaver:
    """``on_refresh``: keep the rotated refresh token, because the one used may stop working."""

    path: Path | None
    portal: str
    client_id: str
    variable: str
    warnings: list[str]

    def __call__(self, tokens: TokenSet) -> None:
        if self.path is None:
            self._warn(f"The OAuth refresh token was rotated and no token_file is configured, so the new one is "
                       f"lost when this run ends and {self.variable} may stop working; set app.token_file")
            return
        record = {"portal": self.portal, "client_id": self.client_id, "refresh_token": tokens.refresh_token,
                  "access_token": tokens.access_token, "expires": tokens.expires}
        try:
            write_private(self.path, json.dumps(record, indent=2) + "\n")
        except OSError as error:
            # Not raised: the run can go on with the token in memory; the user must still hear it.
            self._warn(f"The rotated OAuth refresh token could not be saved to {self.path} "
                       f"({error.strerror or type(error).__name__}), so it is lost when this run ends and "
                       f"{self.variable} may stop working; fix the file's location or permissions, and reopen the "
                       f"local application in Bitrix24 for a new refresh token if the next run is refused")

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), atomically; parents are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)  # a leftover temporary file keeps its old mode through O_CREAT
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


# --- the client ------------------------------------------------------------------------------------

APP_SCOPES = ("crm", "bizproc", "placement", "userfieldconfig")
"""The permissions the local application needs: CRM configuration, robots and activities, widgets,
smart-process fields (events and app.option need none)."""

_APP_NOUNS = {"robot": "robots", "activity": "activities", "trigger": "triggers", "event": "event bindings",
              "placement": "placements"}


def require_application(target: Target, kinds: Sequence[str]) -> None:
    """Refuse, before any request, a target that cannot register ``kinds`` (robot, event, ...):
    Bitrix24 accepts those only from an application (OAuth), never from an incoming webhook."""
    if not kinds or target.is_sandbox or isinstance(target.auth, OAuthAuth):
        return
    what = ", ".join(_APP_NOUNS[kind] for kind in kinds)
    if target.source in ("--portal", PORTAL_VARIABLE):
        login = f"{target.source} gives an incoming webhook"
        name = "production"  # an example environment name
    else:
        login = f"Environment '{target.name}' logs in with an incoming webhook (webhook_env)"
        name = target.name
    raise ConfigError(
        f"The manifests manage {what} (kind: Application), which Bitrix24 accepts only from an application: "
        f"bizproc.robot.*, crm.automation.trigger.*, event.* and placement.* refuse webhooks (\"Application "
        f"context required\"). {login}, so the local application's client id, client secret and refresh token are "
        f"missing. Nothing was sent to the portal.\n"
        f"Create a local application on {target.url}: Applications > Developer resources > Other > Local "
        f"application, server-side, 'Uses only API', with the permissions {', '.join(APP_SCOPES)}; install it and "
        f"get a refresh token (README, \"Local application\"). Then configure it in b24cfg.yaml, in place of "
        f"webhook_env:\n"
        f"  environments:\n"
        f"    {name}:\n"
        f"      portal: {target.url}\n"
        f"      app:\n"
        f"        client_id_env: B24_APP_ID           # the application code (local.xxxx.yyyy)\n"
        f"        client_secret_env: B24_APP_SECRET   # the application key\n"
        f"        refresh_token_env: B24_APP_REFRESH\n"
        f"        token_file: .b24cfg/{name}-token.json\n"
        f"and set those three environment variables (or leave the Application manifest out of this run)."
    )


def open_client(target: Target, *, clock: Clock | None = None, app: bool = False) -> Client:
    """A REST client for ``target``; ``app``: in an application context (``require_application``
    first). A target configured with ``app`` always connects as that application.

    For the built-in sandbox the portal runs in-process on its state file (created when missing);
    the sandbox saves after every write, so separate processes see the same portal. Two processes
    writing at the same time (an ``apply`` while ``b24cfg sandbox serve`` runs on the same file) are
    not coordinated: the last to save wins. With ``app`` it connects as the sandbox's own local
    application, through the sandbox's OAuth token endpoint.
    """
    pacing = PACINGS[target.pacing]
    if target.sandbox_state is not None:
        portal = SandboxPortal(target.sandbox_state, clock=clock)
        auth: Auth = OAuthAuth(SANDBOX_URL, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN,
                               token_url=f"{SANDBOX_URL}/oauth/token/") if app else \
            WebhookAuth(f"{SANDBOX_URL}/rest/{SANDBOX_WEBHOOK_USER}/{SANDBOX_WEBHOOK_CODE}/")
        return Client(auth, transport=SandboxTransport(portal), clock=clock, pacing=pacing)
    if target.auth is None:
        raise ConfigError(f"The target {target} has no credentials")
    return Client(target.auth, clock=clock, pacing=pacing)
