"""Read manifest files into plain data, remembering where every value was written.

Each YAML document becomes a ``Document``: plain Python data (dict, list, str, int, float, bool,
None) plus a side map from each value's path — the tuple of keys and list indices that reaches it —
to its ``Location``. The validator turns a pydantic error ``loc`` into ``file:line:column`` with it.
Nothing here raises on bad input: every problem is collected and returned.

Decisions a user will notice
----------------------------
* Files: every ``*.yaml`` / ``*.yml`` under a directory, recursively, in sorted path order; files
  and directories whose name starts with ``.`` are skipped (``.git``, editor backups). A file given
  by name is read whatever its extension. Several documents per file (``---``) are allowed; empty
  documents are skipped. A directory without manifests is a problem: it is almost always a typo,
  and an empty manifest set combined with ``prune`` would plan to delete everything.
* Plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1: only ``true``/``false`` are
  booleans and nothing becomes a date, so ``label: No`` or ``value: yes`` stay text and
  ``name: 2024-01-01`` is not turned into a date. Quote a value to force text. (Where the schema
  expects a switch, pydantic still reads ``yes``/``no``/``on``/``off`` as true/false.)
* Numbers remember how they were written (``WrittenInt``/``WrittenFloat``), so a number in a
  text field keeps its spelling: ``value: 1.10`` is "1.10", not "1.1".
* Keys are always text, exactly as written (``en:``, ``1:`` and ``no:`` are the strings "en", "1",
  "no"). A key written twice in one mapping is a problem: YAML would silently keep the last one.
* Anchors, aliases and ``<<`` merge keys work; a value reached through an alias is located where
  its anchor was written. Tags other than the standard ``!!str !!int !!float !!bool !!null`` (and
  ``!!map``/``!!seq``) are problems.
* ``${var.NAME}`` in a text value is replaced by the variable ``NAME`` (names: letters, digits and
  ``_``, not starting with a digit); an unknown name is a problem at that value. When a plain
  (unquoted) value is exactly one reference, the substituted text is read as YAML again, so
  ``entityTypeId: ${var.ETID}`` gives a number; quoted values stay text. Write ``$${`` for a
  literal ``${``. Other ``${...}`` forms are problems. Keys are never substituted.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from b24cfg.manifest.problems import Location, Problem

DataPath = tuple[str | int, ...]
"""Keys and list indices from a document's root to one value."""

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_SUBSTITUTION = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)(?P<close>\}?)")
_VARIABLE = re.compile(r"var\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
_WHOLE_REFERENCE = re.compile(r"\$\{var\.[A-Za-z_][A-Za-z0-9_]*\}")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe composer with YAML 1.2 core-schema resolution of plain scalars."""

    # Starting from an empty table drops the YAML 1.1 resolvers (yes/no/on/off, dates, 1_000, 0777).
    yaml_implicit_resolvers: dict[Any, Any] = {}


_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Loader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


class WrittenInt(int):
    """An integer that remembers how it was written: ``str()`` gives the text back (``007``, ``0x1F``).

    Text fields of the schema turn numbers into text with ``str()``, so ``value: 007`` stays "007".
    """

    written: str

    def __new__(cls, value: int, written: str) -> WrittenInt:
        number = super().__new__(cls, value)
        number.written = written
        return number

    def __str__(self) -> str:
        return self.written


class WrittenFloat(float):
    """A float that remembers how it was written, so ``value: 1.10`` stays "1.10" in a text field."""

    written: str

    def __new__(cls, value: float, written: str) -> WrittenFloat:
        number = super().__new__(cls, value)
        number.written = written
        return number

    def __str__(self) -> str:
        return self.written


@dataclass(frozen=True)
class Document:
    """One YAML document: its data and where each value (and each mapping key) was written."""

    file: str
    data: Any
    values: Mapping[DataPath, Location]
    keys: Mapping[DataPath, Location]
    broken: frozenset[DataPath]
    """Values the loader already reported (a wrong variable, a bad tag): later checks skip them."""

    def location(self, path: Iterable[str | int], *, key: bool = False) -> Location:
        """Where ``path`` was written, or its deepest written ancestor.

        With ``key=True`` the location of the mapping key is preferred over its value (an unknown key
        is reported where the key is). Path parts that are not in the data (pydantic adds the names
        of union members to error locations) simply end the descent.
        """
        parts = tuple(path)
        if key and parts in self.keys:
            return self.keys[parts]
        for length in range(len(parts), -1, -1):
            found = self.values.get(parts[:length])
            if found is not None:
                return found
        return Location(self.file, 1, 1)


def load_documents(
    paths: Iterable[str | os.PathLike[str]], variables: Mapping[str, str] | None = None,
) -> tuple[list[Document], list[Problem]]:
    """Every YAML document under ``paths`` (files or directories), and every problem reading them.

    Documents come in the order of ``paths``, files of a directory in sorted order. A file with a
    syntax error still yields the documents before the error.
    """
    files, problems = _discover(paths)
    known = dict(variables or {})
    documents: list[Document] = []
    for file in files:
        documents.extend(_read(file, known, problems))
    return documents, problems


def _discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                (
                    candidate for candidate in path.rglob("*")
                    if candidate.suffix.lower() in {".yaml", ".yml"} and candidate.is_file()
                    and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
                ),
                key=lambda candidate: candidate.relative_to(path).as_posix(),
            )
            if not found:
                problems.append(Problem(
                    Location(path.as_posix(), 1, 1),
                    "no *.yaml or *.yml manifests in this directory; point b24cfg at the directory that holds them",
                ))
        elif path.is_file():
            found = [path]
        else:
            problems.append(Problem(
                Location(path.as_posix(), 1, 1), "no such file or directory; check the path",
            ))
            continue
        for file in found:
            # The same file reached twice (a directory and a file in it) would report every
            # smart process as its own duplicate.
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, problems


def _read(file: Path, variables: dict[str, str], problems: list[Problem]) -> list[Document]:
    name = file.as_posix()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = file.read_bytes()[: error.start].count(b"\n") + 1
        problems.append(Problem(Location(name, line, 1), "the file is not UTF-8 text; save it as UTF-8"))
        return []
    except OSError as error:
        problems.append(Problem(Location(name, 1, 1), f"cannot read the file: {error.strerror}"))
        return []
    documents: list[Document] = []
    loader: _Loader | None = None
    try:
        # The reader checks the whole text for forbidden characters already here.
        loader = _Loader(text)
        while loader.check_node():
            node = loader.get_node()
            # An empty document ("---" with nothing after it) composes to a null scalar.
            if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
                continue
            builder = _Builder(name, loader, variables, problems)
            data = builder.build(node, ())
            documents.append(Document(name, data, builder.values, builder.keys, frozenset(builder.broken)))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        context = ""
        if error.context and error.context_mark and mark and error.context_mark.line != mark.line:
            context = f" ({error.context} started at line {error.context_mark.line + 1})"
        elif error.context:
            context = f" ({error.context})"
        problems.append(Problem(
            where,
            f"YAML syntax error: {error.problem}{context}; fix the YAML here (indentation, a missing ':' "
            f"or '-', or quotes around text with ': ' or '#')",
        ))
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        problems.append(Problem(
            Location(name, line, 1),
            f"the file contains a control character YAML does not allow (U+{error.character:04X}); remove it",
        ))
    finally:
        if loader is not None:
            loader.dispose()
    return documents


class _Builder:
    """Turns one composed document into plain data, filling the location maps as it goes."""

    def __init__(self, file: str, loader: _Loader, variables: dict[str, str], problems: list[Problem]) -> None:
        self.file = file
        self.loader = loader
        self.variables = variables
        self.problems = problems
        self.values: dict[DataPath, Location] = {}
        self.keys: dict[DataPath, Location] = {}
        self.broken: set[DataPath] = set()
        # Nodes being built right now: an alias back to one of them would recurse forever.
        self.active: set[int] = set()

    def where(self, node: Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def report(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.where(node), message))

    def build(self, node: Node, path: DataPath) -> Any:
        self.values[path] = self.where(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.report(node, "this alias refers to a value that contains it; YAML data cannot be recursive")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    self.report(node, f"unsupported tag '{node.tag}'; remove it")
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            if node.tag != _MAP:
                self.report(node, f"unsupported tag '{node.tag}'; remove it")
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        sources: list[MappingNode] = []
        explicit: list[tuple[ScalarNode, Node]] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                sources.extend(self.merge_sources(value_node))
            elif not isinstance(key_node, ScalarNode):
                self.report(key_node, "a key must be a plain name, not a list or mapping; write it as text")
            else:
                explicit.append((key_node, value_node))
        # Earlier merge sources win over later ones and explicit keys over all (YAML merge rules);
        # building in reverse order lets the winner's locations be written last.
        for source in reversed(sources):
            merged.update(self.build(source, path) or {})
        self.values[path] = self.where(node)
        result: dict[str, Any] = {}
        first: dict[str, Location] = {}
        for key_node, value_node in explicit:
            key = key_node.value
            if key in first:
                self.report(
                    key_node,
                    f"duplicate key '{key}' (first written at line {first[key].line}); YAML would silently keep "
                    f"only the last one — remove or rename one of them",
                )
                continue
            first[key] = self.where(key_node)
            self.keys[(*path, key)] = first[key]
            result[key] = self.build(value_node, (*path, key))
        return {**{key: value for key, value in merged.items() if key not in result}, **result}

    def merge_sources(self, node: Node) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(item, MappingNode) for item in node.value):
            return list(node.value)
        self.report(node, "'<<' merges mappings only; give it an alias of a mapping (<<: *defaults) or a list of them")
        return []

    def scalar(self, node: ScalarNode, path: DataPath) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            substituted = self.substitute(node)
            if substituted is None:
                self.broken.add(path)
                return text
            if node.style is None and _WHOLE_REFERENCE.fullmatch(text):
                # The variable stands for the whole plain value: read it the way YAML would have
                # read it written there, so numbers and booleans keep their type.
                tag = self.loader.resolve(ScalarNode, substituted, (True, False))  # type: ignore[no-untyped-call]
            text = substituted
            if tag == _STR:
                return text
        try:
            return _convert(tag, text)
        except KeyError:
            self.report(node, f"unsupported tag '{tag}'; remove it, or use !!str, !!int, !!float, !!bool or !!null")
        except ValueError:
            self.report(node, f"'{text}' is not a valid {tag.rsplit(':', 1)[-1]}; fix the value or its tag")
        self.broken.add(path)
        return text

    def substitute(self, node: ScalarNode) -> str | None:
        """The scalar's text with variables replaced, or None when a reference is wrong (reported)."""
        failed = False

        def replace(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group(0) == "$${":
                return "${"
            reference = _VARIABLE.fullmatch(match.group("body"))
            if not match.group("close") or reference is None:
                failed = True
                self.report(
                    node,
                    f"'{match.group(0)}' is not a variable reference; write ${{var.NAME}} "
                    f"(letters, digits and _), or $${{ for a literal '${{'",
                )
                return match.group(0)
            name = reference.group("name")
            if name not in self.variables:
                failed = True
                known = ", ".join(sorted(self.variables)) or "none"
                self.report(node, f"unknown variable '{name}' in ${{var.{name}}}; define it or fix the name "
                                  f"(defined: {known})")
                return match.group(0)
            return self.variables[name]

        result = _SUBSTITUTION.sub(replace, node.value)
        return None if failed else result


def _convert(tag: str, text: str) -> Any:
    """A scalar's value under ``tag`` (YAML 1.2 core forms); KeyError for other tags."""
    if tag == _STR:
        return text
    if tag == _BOOL:
        if text.lower() in {"true", "false"}:
            return text.lower() == "true"
        raise ValueError(text)
    if tag == _INT:
        if re.fullmatch(r"0o[0-7]+", text):
            return WrittenInt(int(text[2:], 8), text)
        if re.fullmatch(r"0x[0-9a-fA-F]+", text):
            return WrittenInt(int(text[2:], 16), text)
        return WrittenInt(int(text, 10), text)
    if tag == _FLOAT:
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
        return WrittenFloat(special[text.lower()] if text.lower() in special else float(text), text)
    if tag == _NULL:
        if text in {"", "~", "null", "Null", "NULL"}:
            return None
        raise ValueError(text)
    raise KeyError(tag)
