"""Every folder under broken/ is a set of manifests with known problems.

``expected.txt`` lists one problem per line as ``file:line:column: message-substring``; the test
demands exactly those problems: each at its exact location with the substring in its message, and
nothing else. Several cases hold many problems in one file to prove they are all reported at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from b24cfg.errors import ManifestError
from b24cfg.manifest import Problem, load_manifests, load_manifests_or_raise

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(path for path in BROKEN.iterdir() if path.is_dir())
_EXPECTED = re.compile(r"^(?P<location>[^\s:]+:\d+:\d+): (?P<text>.+)$")


def expected_problems(case: Path) -> list[tuple[str, str]]:
    lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    parsed = [_EXPECTED.match(line) for line in lines if line.strip()]
    assert all(parsed), f"{case.name}/expected.txt: every line must be 'file:line:column: text'"
    return [(match["location"], match["text"]) for match in parsed if match]


def load_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> list[Problem]:
    # Loading "." from inside the case makes problem locations relative to it, as expected.txt is.
    monkeypatch.chdir(case)
    return load_manifests(["."], {})[1]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert sum(len(expected_problems(case)) >= 5 for case in CASES) >= 3, "cases with many problems at once"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_manifests_report_exactly_the_expected_problems(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = load_case(case, monkeypatch)
    unmatched = list(problems)
    missing: list[str] = []
    for location, text in expected_problems(case):
        found = next((p for p in unmatched if str(p.location) == location and text in p.message), None)
        if found is None:
            missing.append(f"{location}: {text}")
        else:
            unmatched.remove(found)
    report = "\n".join(["missing:", *missing, "unexpected:", *map(str, unmatched)])
    assert not missing and not unmatched, report


def test_problems_come_sorted_by_location(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = load_case(BROKEN / "many-problems-in-one-manifest", monkeypatch)
    assert problems == sorted(problems)
    assert [str(problem.location) for problem in problems[:2]] == ["contracts.yaml:4:15", "contracts.yaml:10:13"]


def test_raising_helper_carries_every_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN / "many-problems-in-one-manifest")
    with pytest.raises(ManifestError) as raised:
        load_manifests_or_raise(["."])
    problems = load_manifests(["."])[1]
    assert raised.value.problems == problems
    assert str(raised.value).splitlines() == [str(problem) for problem in problems]
    assert raised.value.exit_code == 1
