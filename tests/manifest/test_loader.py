"""The loader: files, YAML 1.2 scalars, locations, duplicate keys, anchors and variables."""

from __future__ import annotations

import math
from pathlib import Path

from b24cfg.manifest import Document, Location, load_documents


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_one(tmp_path: Path, text: str, variables: dict[str, str] | None = None) -> tuple[Document, list[str]]:
    path = write(tmp_path, "m.yaml", text)
    documents, problems = load_documents([path], variables)
    assert len(documents) == 1
    prefix = f"{path.as_posix()}:"
    return documents[0], [str(problem).removeprefix(prefix) for problem in problems]


def test_files_are_found_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a/z.yml", "a/b.YAML", "c.txt", ".hidden/x.yaml", "a/.draft.yaml", "0.yaml"):
        write(tmp_path, name, f"name: {name}\n")
    documents, problems = load_documents([tmp_path])
    assert problems == []
    assert [Path(document.file).relative_to(tmp_path).as_posix() for document in documents] == [
        "0.yaml", "a/b.YAML", "a/z.yml", "b.yaml",
    ]


def test_a_file_given_twice_is_read_once_and_missing_paths_are_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "a: 1\n")
    (tmp_path / "empty").mkdir()
    documents, problems = load_documents([tmp_path, path, tmp_path / "nope.yaml", tmp_path / "empty"])
    assert len(documents) == 1
    assert [(problem.location.file, problem.message.split(";")[0]) for problem in problems] == [
        ((tmp_path / "nope.yaml").as_posix(), "no such file or directory"),
        ((tmp_path / "empty").as_posix(), "no *.yaml or *.yml manifests in this directory"),
    ]


def test_every_value_and_key_has_a_one_based_location(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, "kind: SmartProcess\nfields:\n  - code: A\n    label: {en: X}\n")
    assert problems == []
    file = document.file
    assert document.values[()] == Location(file, 1, 1)
    assert document.values[("kind",)] == Location(file, 1, 7)
    assert document.keys[("fields",)] == Location(file, 2, 1)
    assert document.values[("fields", 0)] == Location(file, 3, 5)
    assert document.values[("fields", 0, "label", "en")] == Location(file, 4, 17)
    assert document.keys[("fields", 0, "label")] == Location(file, 4, 5)
    # Unknown paths fall back to the deepest written ancestor; key=True prefers the key.
    assert document.location(("fields", 0, "label", "de")) == Location(file, 4, 12)
    assert document.location(("fields", 0, "label"), key=True) == Location(file, 4, 5)


def test_plain_scalars_follow_yaml_1_2(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, """
bools: [true, False, TRUE]
text: [yes, no, on, off, y, n, 2024-01-01, 1_000, 12:30, '1', "true"]
ints: [0, -7, 007, 0o17, 0x1F]
floats: [1.5, 1.10, 1e3, .inf, -.Inf]
nulls: [~, null, Null, NULL]
empty:
nan: .nan
""")
    assert problems == []
    data = document.data
    assert data["bools"] == [True, False, True]
    assert data["text"] == ["yes", "no", "on", "off", "y", "n", "2024-01-01", "1_000", "12:30", "1", "true"]
    assert data["ints"] == [0, -7, 7, 15, 31]
    assert [str(number) for number in data["ints"]] == ["0", "-7", "007", "0o17", "0x1F"]
    assert data["floats"] == [1.5, 1.1, 1000.0, math.inf, -math.inf]
    assert str(data["floats"][1]) == "1.10"
    assert data["nulls"] == [None, None, None, None] and data["empty"] is None
    assert math.isnan(data["nan"])


def test_duplicate_keys_are_problems_at_the_second_key(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert document.data == {"a": 1, "b": {"c": 1}}
    assert [problem.split(": duplicate key")[0] for problem in problems] == ["4:3", "5:1"]
    assert "(first written at line 3)" in problems[0]


def test_keys_are_text_as_written(tmp_path: Path) -> None:
    document, _ = load_one(tmp_path, "1: one\nno: Norwegian\ntrue: yes\n")
    assert document.data == {"1": "one", "no": "Norwegian", "true": "yes"}


def test_several_documents_and_empty_ones(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n")
    documents, problems = load_documents([tmp_path])
    assert problems == []
    assert [document.data for document in documents] == [{"a": 1}, {"b": 2}]
    assert documents[1].values[()].line == 6


def test_syntax_errors_are_problems_and_earlier_documents_survive(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "a: 1\n---\nb: [1, 2\nc: 3\n")
    documents, problems = load_documents([path])
    assert [document.data for document in documents] == [{"a": 1}]
    [problem] = problems
    assert problem.location.file == path.as_posix() and problem.location.line == 4
    assert problem.message.startswith("YAML syntax error:")


def test_unreadable_text_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("a: 1\nb: caf\xe9\n".encode("latin-1"))
    (tmp_path / "control.yaml").write_text("a: 1\nb: \x07\n", encoding="utf-8")
    documents, problems = load_documents([tmp_path])
    assert documents == []
    where = [(Path(problem.location.file).name, problem.location.line) for problem in problems]
    assert where == [("control.yaml", 2), ("latin1.yaml", 2)]
    assert "U+0007" in problems[0].message and "not UTF-8" in problems[1].message


def test_anchors_aliases_and_merge_keys(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, """
defaults: &defaults {multiple: false, sort: 10}
other: &other {sort: 20, mandatory: true}
field:
  <<: [*defaults, *other]
  sort: 30
copy: *defaults
""")
    assert problems == []
    assert document.data["field"] == {"multiple": False, "sort": 30, "mandatory": True}
    assert document.data["copy"] == {"multiple": False, "sort": 10}
    assert document.values[("field", "sort")].line == 6
    assert document.values[("field", "multiple")].line == 2  # where the anchor was written
    assert document.values[("field",)].line == 5


def test_recursive_aliases_and_unsupported_tags_are_problems(tmp_path: Path) -> None:
    # An alias is the anchored node itself, so the recursion is reported where the anchor is.
    document, problems = load_one(tmp_path, "a: &a [1, *a]\nb: !!set {x}\nc: !custom text\nd: !!int 12x\n")
    assert [problem.split(": ", 1)[0] for problem in problems] == ["1:4", "2:4", "3:4", "4:4"]
    assert "recursive" in problems[0] and "unsupported tag" in problems[1] and "unsupported tag" in problems[2]
    assert "'12x' is not a valid int" in problems[3]
    assert ("d",) in document.broken


def test_variables_are_substituted_in_values_only(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, """
${var.KEY}: kept
whole: ${var.NUMBER}
flag: ${var.FLAG}
quoted: "${var.NUMBER}"
inside: v${var.NUMBER}-${var.NAME}
literal: $${var.NAME} costs $$5
""", {"NUMBER": "1042", "FLAG": "false", "NAME": "x", "KEY": "unused"})
    assert problems == []
    assert document.data == {
        "${var.KEY}": "kept", "whole": 1042, "flag": False, "quoted": "1042", "inside": "v1042-x",
        "literal": "${var.NAME} costs $$5",
    }


def test_bad_variable_references_are_problems_at_the_value(tmp_path: Path) -> None:
    document, problems = load_one(tmp_path, "a: x\nb: ${var.NOPE}\nc: ${env.HOME}\nd: ${var.OPEN\n", {"A": "1"})
    assert [problem.split(": ", 1)[0] for problem in problems] == ["2:4", "3:4", "4:4"]
    assert "unknown variable 'NOPE'" in problems[0] and "(defined: A)" in problems[0]
    assert "'${env.HOME}' is not a variable reference" in problems[1]
    assert "'${var.OPEN' is not a variable reference" in problems[2]
    assert document.broken == {("b",), ("c",), ("d",)}
