"""PHP query strings, both ways.

Bitrix24 batch commands are ``method?query`` strings that the server splits with ``parse_url`` and
reads with PHP's ``parse_str``; nested parameters use bracket syntax (``fields[NAME]=x``,
``select[]=ID``). ``build`` writes what ``http_build_query`` would; ``parse`` reads what
``parse_str`` would, turning arrays keyed 0..n-1 into lists so a handler sees the same shape as
from a JSON body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus, unquote_plus


def _scalar(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def _pairs(prefix: str, value: Any) -> list[tuple[str, str]]:
    if value is None:  # http_build_query skips nulls
        return []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    else:
        return [(prefix, _scalar(value))]
    out: list[tuple[str, str]] = []
    for key, sub in items:
        out.extend(_pairs(f"{prefix}[{key}]", sub))
    return out


def build(params: dict[str, Any]) -> str:
    """Encode ``params`` as ``http_build_query`` does (RFC 1738, ``+`` for spaces)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        pairs.extend(_pairs(str(key), value))
    return "&".join(f"{quote_plus(k, safe='')}={quote_plus(v, safe='')}" for k, v in pairs)


def _split_key(raw: str) -> tuple[str, list[str]]:
    raw = raw.lstrip(" ")
    open_at = raw.find("[")
    if open_at <= 0:
        return _mangle(raw), []
    base, rest = raw[:open_at], raw[open_at:]
    segments: list[str] = []
    while rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            if not segments:  # PHP turns an unmatched first '[' into '_' and keeps the rest
                return _mangle(base) + "_" + rest[1:], []
            break
        segments.append(rest[1:close])
        rest = rest[close + 1 :]
    return _mangle(base), segments


def _mangle(name: str) -> str:
    return name.replace(" ", "_").replace(".", "_")


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        value = {k: _listify(v) for k, v in value.items()}
        if value and list(value.keys()) == [str(i) for i in range(len(value))]:
            return list(value.values())
    return value


def parse(query: str) -> dict[str, Any]:
    """Decode a query string as PHP ``parse_str`` does."""
    result: dict[str, Any] = {}
    for chunk in query.split("&"):
        if not chunk:
            continue
        raw_key, _, raw_value = chunk.partition("=")
        key = unquote_plus(raw_key)
        value = unquote_plus(raw_value)
        base, segments = _split_key(key)
        if not base:
            continue
        if not segments:
            result[base] = value
            continue
        node = result.get(base)
        if not isinstance(node, dict):
            node = {}
            result[base] = node
        for i, seg in enumerate(segments):
            last = i == len(segments) - 1
            if seg == "":
                ints = [int(k) for k in node if k.lstrip("-").isdigit()]
                seg = str(max(ints) + 1 if ints else 0)
            if last:
                node[seg] = value
            else:
                child = node.get(seg)
                if not isinstance(child, dict):
                    child = {}
                    node[seg] = child
                node = child
    return {k: _listify(v) for k, v in result.items()}


def empty_containers(params: Any, path: str = "") -> list[str]:
    """Paths of empty arrays/objects, which a query string cannot carry (PHP drops them)."""
    found: list[str] = []
    if isinstance(params, dict):
        items: list[tuple[Any, Any]] = list(params.items())
    elif isinstance(params, (list, tuple)):
        items = list(enumerate(params))
    else:
        return found
    if not items and path:
        return [path]
    for key, sub in items:
        found.extend(empty_containers(sub, f"{path}[{key}]" if path else str(key)))
    return found
