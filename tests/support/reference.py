"""The documented request/response pairs in ../shared/reference and tools to replay them.

``REFERENCE_DIR`` is found next to the checkout (``../shared/reference``) or through the
``B24CFG_REFERENCE`` environment variable.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from b24cfg.sandbox.portal import SANDBOX_WEBHOOK_CODE, SANDBOX_WEBHOOK_USER, SandboxPortal
from b24cfg.sandbox.transport import SandboxTransport

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = Path(os.environ.get("B24CFG_REFERENCE", ROOT.parent / "shared" / "reference"))


@cache
def crm_examples() -> dict[str, Any]:
    return json.loads((REFERENCE_DIR / "bitrix24-rest-crm-examples.json").read_text(encoding="utf-8"))


@cache
def platform_examples() -> dict[str, Any]:
    return json.loads((REFERENCE_DIR / "bitrix24-rest-platform-examples.json").read_text(encoding="utf-8"))


def crm_fixture(index: int, errors: bool = False) -> dict[str, Any]:
    """``fixtures[index]`` (or ``error_fixtures[index]``) of the CRM examples file."""
    return crm_examples()["error_fixtures" if errors else "fixtures"][index]


def platform_example(name: str) -> dict[str, Any]:
    for example in platform_examples()["examples"]:
        if example["name"] == name:
            return example
    raise KeyError(name)


def rest(
    portal: SandboxPortal, method: str, params: dict[str, Any] | None = None, *, token: str | None = None,
) -> tuple[int, Any]:
    """POST ``params`` as JSON to ``method`` of ``portal``: by webhook, or with ``token`` as OAuth app.

    Returns (HTTP status, decoded body). Goes through the real HTTP handling of the sandbox.
    """
    client = httpx.Client(transport=SandboxTransport(portal))
    body = dict(params or {})
    if token is None:
        url = f"https://sandbox.test/rest/{SANDBOX_WEBHOOK_USER}/{SANDBOX_WEBHOOK_CODE}/{method}"
    else:
        url = f"https://sandbox.test/rest/{method}"
        body["auth"] = token
    response = client.post(url, json=body)
    return response.status_code, response.json()


def ok(portal: SandboxPortal, method: str, params: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
    """Call and return ``result``; fail the test with the error body otherwise."""
    status, body = rest(portal, method, params, token=token)
    assert status == 200 and "result" in body, f"{method} failed: {status} {body}"
    return body["result"]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


TIME_OPTIONAL = {"operating", "operating_reset_at"}


def shape_problems(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """How ``actual`` differs from ``expected`` in shape: keys, wrapping and value types.

    Values themselves are not compared. ``null`` in the documentation matches null or a string
    (nullable text columns); an integer matches a float (``time`` values); an empty documented list
    matches any list (PHP prints empty maps as ``[]``). List items are compared pairwise when
    the lengths agree, otherwise every actual item against the first documented one.
    """
    ek, ak = _kind(expected), _kind(actual)
    if ek == "null":
        return [] if ak in ("null", "string") else [f"{path}: documented null, got {ak}"]
    if ek == "list" and not expected and ak in ("list", "object"):
        return []
    if ek != ak:
        return [f"{path}: documented {ek}, got {ak} ({json.dumps(actual)[:80]})"]
    problems: list[str] = []
    if ek == "object":
        exp_keys, act_keys = set(expected), set(actual)
        if {"start", "finish", "duration"} <= exp_keys:  # a `time` object, batch result_time included
            exp_keys -= TIME_OPTIONAL  # reference platform 9.14: present only while the limiter is active
            act_keys -= TIME_OPTIONAL
        missing, extra = sorted(exp_keys - act_keys), sorted(act_keys - exp_keys)
        if missing:
            problems.append(f"{path}: missing keys {missing}")
        if extra:
            problems.append(f"{path}: undocumented keys {extra}")
        for key in sorted(exp_keys & act_keys):
            problems.extend(shape_problems(expected[key], actual[key], f"{path}.{key}"))
    elif ek == "list" and actual:
        pairs = zip(expected, actual) if len(expected) == len(actual) else ((expected[0], a) for a in actual)
        for i, (e, a) in enumerate(pairs):
            problems.extend(shape_problems(e, a, f"{path}[{i}]"))
    return problems


def assert_shape(expected: Any, actual: Any) -> None:
    problems = shape_problems(expected, actual)
    assert not problems, "response shape differs from the documented example:\n  " + "\n  ".join(problems)
