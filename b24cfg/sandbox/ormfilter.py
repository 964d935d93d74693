"""D7 ORM filters and orders as Engine list methods accept them (``filter``/``order`` of
``userfieldconfig.list`` and ``crm.automatedsolution.list``).

A filter is ``{"<op><field>": value, ...}`` joined with AND, or with OR when it carries
``"logic": "OR"``; nested filters sit under integer-like keys. Operators (reference crm §2.5 and
``D:api-reference/crm/automated-solution/crm-automated-solution-list.md``): ``=`` (default; a list
means IN), ``!``/``!=``, ``@``/``!@`` (IN / NOT IN), ``>``, ``>=``, ``<``, ``<=``, ``%`` (substring),
``=%``/``%=`` (LIKE with explicit ``%``), ``!%`` and ``!=%``/``!%=`` (their negations).
Comparisons are case-insensitive, as MySQL's default collation makes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

# Longest first, so "!=%" is not read as "!=" + "%field".
OPERATORS = ("!=%", "!%=", "!@", "!%", "!=", ">=", "<=", "=%", "%=", "!", "@", ">", "<", "%", "=")

Getter = Callable[[dict[str, Any], str], Any]


def split_key(key: str) -> tuple[str, str]:
    """``">=sort"`` -> (``">="``, ``"sort"``)."""
    for op in OPERATORS:
        if key.startswith(op):
            return op, key[len(op):]
    return "", key


def group(value: Any) -> dict[str, Any] | None:
    """A filter group as a dict, or None when ``value`` is not one.

    A query string (batch) turns a group keyed 0..n-1 into a list; D7 reads it as the same group.
    """
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return value if isinstance(value, dict) else None


def _subgroup(key: Any, value: Any) -> dict[str, Any] | None:
    return group(value) if str(key).lstrip("-").isdigit() else None


def conditions(flt: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (operator, field) of a filter, nested groups included (for validation)."""
    for key, value in flt.items():
        if str(key).lower() == "logic":
            continue
        sub = _subgroup(key, value)
        if sub is not None:
            yield from conditions(sub)
            continue
        yield split_key(str(key))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value).lower()


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return _text(left) == _text(right)


def _like(value: Any, pattern: Any) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in _text(pattern))
    return re.fullmatch(regex, _text(value), flags=re.DOTALL) is not None


def _compare(value: Any, op: str, operand: Any) -> bool:
    if op in ("", "=", "@", "!", "!=", "!@"):
        options = operand if isinstance(operand, list) else list(operand.values()) if isinstance(operand, dict) else [operand]
        hit = any(_equal(value, option) for option in options)
        return not hit if op.startswith("!") else hit
    if op in ("%", "!%"):
        hit = _text(operand) in _text(value)
        return not hit if op == "!%" else hit
    if op in ("=%", "%=", "!=%", "!%="):
        hit = _like(value, operand)
        return not hit if op.startswith("!") else hit
    sign = _three_way(value, operand)
    return {">": sign > 0, ">=": sign >= 0, "<": sign < 0, "<=": sign <= 0}[op]


def _three_way(left: Any, right: Any) -> int:
    """-1, 0 or 1: numerically when both sides are numbers, else as (case-folded) text."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = _text(left), _text(right)
    return (x > y) - (x < y)


def matches(row: dict[str, Any], flt: dict[str, Any], get: Getter) -> bool:
    """Whether ``row`` passes ``flt``; ``get(row, field)`` reads a field named as in the filter."""
    any_of = str(next((v for k, v in flt.items() if str(k).lower() == "logic"), "AND")).upper() == "OR"
    results: list[bool] = []
    for key, value in flt.items():
        if str(key).lower() == "logic":
            continue
        sub = _subgroup(key, value)
        if sub is not None:
            results.append(matches(row, sub, get))
            continue
        op, field = split_key(str(key))
        results.append(_compare(get(row, field), op, value))
    return any(results) if any_of and results else all(results)


def sort_rows(rows: list[dict[str, Any]], order: list[tuple[str, str]], get: Getter) -> list[dict[str, Any]]:
    """Stable multi-key sort; ``order`` is [(field, "ASC"|"DESC"), ...], most significant first."""

    def key(field: str) -> Callable[[dict[str, Any]], tuple[int, float, str]]:
        def one(row: dict[str, Any]) -> tuple[int, float, str]:
            value = get(row, field)
            number = _number(value)
            return (0, number, "") if number is not None else (1, 0.0, _text(value))

        return one

    out = list(rows)
    for field, direction in reversed(order):
        out.sort(key=key(field), reverse=direction.upper() == "DESC")
    return out
