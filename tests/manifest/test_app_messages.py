"""Application manifests whose problem is found but explained wrongly, or not found at all.

The broken/app-* cases pin messages that are right. The cases here are the ones where the message
gives a false reason, a suggestion that is itself invalid, or advice that does not apply — or where
the portal refuses (or silently drops) what validation lets through. Assertions name the fact a
message must (not) state, not its exact wording.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from b24cfg.manifest import Problem, load_manifests
from b24cfg.manifest.compile import placement_attrs
from b24cfg.manifest.schema import PROPERTY_KEY, PlacementBinding

CONTRACTS = """\
kind: SmartProcess
code: contracts
title: Contracts
features: {stages: true, automation: true}
pipelines:
  - key: main
    name: Main
    stages:
      - {code: NEW, name: New}
      - {code: DONE, name: Done, semantics: success}
      - {code: FAIL, name: Failed, semantics: failure}
automation:
"""


def problems(tmp_path: Path, **files: str) -> list[Problem]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return load_manifests([tmp_path])[1]


def only(found: list[Problem], line: int, column: int) -> str:
    """The message of the single problem found, which must be at ``line:column``."""
    assert [(p.location.line, p.location.column) for p in found] == [(line, column)], [str(p) for p in found]
    return found[0].message


def robot(handler: str = "https://app.example.com/robots/r", code: str = "r", extra: str = "") -> str:
    return f"kind: Application\nrobots:\n  - code: \"{code}\"\n    handler: {handler}\n    name: R\n{extra}"


# --- handler messages give the portal's real reason --------------------------------------------
def test_host_starting_with_a_dot_is_not_told_it_lacks_a_dot(tmp_path: Path) -> None:
    """'.example.com' contains a dot; the portal refuses it because the dot comes first."""
    message = only(problems(tmp_path, app=robot("https://.example.com/robots/r")), 4, 14)
    assert "Wrong handler URL" in message
    assert "the host must contain a dot, so localhost is refused" not in message


def test_url_without_scheme_is_told_to_add_it(tmp_path: Path) -> None:
    """'app.example.com/robots/r' has a dotted host as written; what is missing is https://."""
    message = only(problems(tmp_path, app=robot("app.example.com/robots/r")), 4, 14)
    assert "the host must contain a dot, so localhost is refused" not in message
    assert "https://app.example.com/robots/r" in message or "scheme" in message


# --- codes and keys ---------------------------------------------------------------------------
def test_too_long_code_says_how_long_it_is(tmp_path: Path) -> None:
    """129 allowed characters: 'not a code the portal accepts' alone sends the user hunting for a bad
    character; every other length message here states the length (fields, handlers)."""
    message = only(problems(tmp_path, app=robot(code="r" * 129)), 3, 11)
    assert "129" in message


def test_property_key_suggestion_is_itself_a_valid_key(tmp_path: Path) -> None:
    extra = "    properties:\n      1st_line: {name: First line}\n"
    message = only(problems(tmp_path, app=robot(extra=extra)), 7, 7)
    suggestions = re.findall(r"such as '([^']*)'", message)
    assert all(re.fullmatch(PROPERTY_KEY, s) for s in suggestions), f"suggests an invalid key: {message}"


@pytest.mark.parametrize("kind, listed", [("robots", "robot"), ("triggers", "trigger")])
def test_code_zero_is_refused_like_the_portal_refuses_it(tmp_path: Path, kind: str, listed: str) -> None:
    """PHP's empty("0") is true: bizproc.robot.add answers "Empty activity code!" and
    crm.automation.trigger.add "Empty trigger code!" for CODE "0" (reference platform §2.2, §3.4;
    the sandbox's own test_app_methods has the robot case)."""
    text = robot(code="0") if kind == "robots" else 'kind: Application\ntriggers:\n  - {code: "0", name: T}\n'
    found = problems(tmp_path, app=text)
    assert len(found) == 1 and found[0].location.line == 3, f"{listed} code '0' is accepted: {found}"


# --- duplicates -------------------------------------------------------------------------------
def test_duplicate_trigger_code_says_what_to_do(tmp_path: Path) -> None:
    text = "kind: Application\ntriggers:\n  - {code: paid, name: Paid}\n  - {code: paid, name: Paid again}\n"
    message = only(problems(tmp_path, app=text), 4, 12)
    assert "used twice" in message
    assert any(word in message for word in ("rename", "remove", "unique", "merge", "pick")), message


def test_event_bindings_for_different_users_are_not_said_to_be_refused_by_the_portal(tmp_path: Path) -> None:
    """The portal keys a binding by event, handler and user (event.get in the docs lists exactly this
    pair); b24cfg may keep one per event and handler, but must not blame the portal."""
    text = ("kind: Application\nevents:\n"
            "  - {event: ONCRMDEALUPDATE, handler: 'https://app.example.com/events/deal'}\n"
            "  - {event: ONCRMDEALUPDATE, handler: 'https://app.example.com/events/deal', authUser: 15}\n")
    message = only(problems(tmp_path, app=text), 4, 5)
    assert "the portal binds a handler to an event once" not in message


def test_offline_event_with_auth_user_is_reported_like_its_handler(tmp_path: Path) -> None:
    """The portal forces the user of an offline binding to 0 (reference platform §4) and compile.py
    drops authUser for it: a written authUser: 5 would silently do nothing."""
    text = "kind: Application\nevents:\n  - event: ONCRMDEALADD\n    offline: true\n    authUser: 5\n"
    found = problems(tmp_path, app=text)
    assert [p.location.line for p in found] == [5], "authUser of an offline event is silently dropped"


# --- properties -------------------------------------------------------------------------------
def test_list_default_of_a_single_select_is_one_problem(tmp_path: Path) -> None:
    """The list is the problem; "default a list is not one of the options (did you mean 'formal'?)"
    on top of it is noise with a broken sentence."""
    extra = ("    properties:\n      tone:\n        name: Tone\n        type: select\n"
             "        options: {formal: Formal, casual: Casual}\n        default: [formal]\n")
    message = only(problems(tmp_path, app=robot(extra=extra)), 11, 18)
    assert "takes one value" in message


# --- automation ---------------------------------------------------------------------------------
def test_activity_named_as_app_robot_is_called_an_activity(tmp_path: Path) -> None:
    """The code exists in the Application manifest, as an activity: "unknown robot" misleads."""
    app = ("kind: Application\nrobots: []\nactivities:\n"
           "  - {code: archive_contract, handler: 'https://app.example.com/a', name: Archive}\n")
    contracts = CONTRACTS + "  - stage: NEW\n    appRobots: [archive_contract]\n"
    message = only(problems(tmp_path, app=app, contracts=contracts), 14, 17)
    assert "activit" in message, message


def test_trigger_without_application_manifest_is_not_told_to_become_a_robot(tmp_path: Path) -> None:
    """``robots`` lists robots placed by hand; a trigger moved there would document a robot that
    does not exist."""
    contracts = CONTRACTS + "  - stage: NEW\n    triggers: [contract_signed]\n"
    message = only(problems(tmp_path, contracts=contracts), 14, 16)
    assert "no Application manifest" in message
    assert "move the name to robots" not in message, message


# --- placements -------------------------------------------------------------------------------
def test_placement_text_in_a_language_the_title_lacks_is_not_silently_dropped(tmp_path: Path) -> None:
    """title {en}, description {en, fr}: LANG_ALL is built from the title's languages, so the French
    description never reaches the portal. Either validation says so, or it is sent."""
    text = ("kind: Application\nplacements:\n  - placement: CRM_DEAL_DETAIL_TAB\n"
            "    handler: https://app.example.com/tab\n    title: {en: Contracts}\n"
            "    description: {en: Contracts, fr: Contrats}\n")
    found = problems(tmp_path, app=text)
    spec = PlacementBinding.model_validate({"placement": "CRM_DEAL_DETAIL_TAB", "handler": "https://app.example.com/tab",
                                            "title": {"en": "Contracts"},
                                            "description": {"en": "Contracts", "fr": "Contrats"}})
    sent = placement_attrs(spec)["langAll"]
    assert found or sent.get("fr", {}).get("description") == "Contrats", f"fr description dropped: {sent}"
