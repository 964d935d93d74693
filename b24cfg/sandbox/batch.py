"""The ``batch`` method, as ``CRestProvider::methodsBatch`` and ``CRestUtil`` implement it.

Commands run in order with the caller's auth; each is ``method?query`` parsed like PHP
(``parse_url`` + ``parse_str``). References ``$result[cmd][path]`` (and ``$next``, ``$total``,
``$time``, ``$error``) are substituted with the server's greedy regex: a whole-value reference
yields the raw value (possibly an array), a reference inside a longer value is replaced as text
and swallows everything up to the next whitespace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from b24cfg.portal.phpquery import parse as parse_query
from b24cfg.sandbox.core import Call, RestError, method, php_empty

if TYPE_CHECKING:
    from b24cfg.sandbox.portal import SandboxPortal

MAX_COMMANDS = 50
FORBIDDEN = {"batch", "upload", "download"}
REFERENCE = re.compile(r"\$(result|next|total|time|error)([^\s]*)")


def _php_map(entries: dict[Any, Any]) -> Any:
    """PHP json_encode of an array: sequential 0..n-1 keys give a list, empty gives ``[]``."""
    if not entries:
        return []
    keys = list(entries.keys())
    if all(isinstance(k, int) for k in keys) and keys == list(range(len(keys))):
        return list(entries.values())
    return {str(k): v for k, v in entries.items()}


def _lookup(store: dict[str, Any], path: str) -> tuple[bool, Any]:
    """Walk the ``[a][b]...`` keys found in ``path``; stop at the first missing key.

    Everything the greedy regex captured after the reference belongs to ``path`` too, and the
    whole match is what gets replaced: ``DYNAMIC_$result[t][id]_STAGE_1`` becomes ``DYNAMIC_1032``.
    """
    segments = re.findall(r"\[([^\]]*)\]", path)
    if not segments or segments[0] not in store:
        return False, None
    value: Any = store[segments[0]]
    for seg in segments[1:]:
        if isinstance(value, dict) and seg in value:
            value = value[seg]
        elif isinstance(value, list) and seg.lstrip("-").isdigit() and 0 <= int(seg) < len(value):
            value = value[int(seg)]
        else:
            break
    return True, value


def _substitute(value: Any, stores: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict):  # processBatchStructure substitutes keys as well as values
        return {str(_substitute(k, stores)): _substitute(v, stores) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, stores) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        found, resolved = _lookup(stores[whole.group(1)], whole.group(2))
        return resolved if found else value

    def replace(match: re.Match[str]) -> str:
        found, resolved = _lookup(stores[match.group(1)], match.group(2))
        if not found:
            return match.group(0)
        if isinstance(resolved, (dict, list)):
            return "Array"  # PHP string conversion of an array
        if isinstance(resolved, bool):
            return "1" if resolved else ""
        return "" if resolved is None else str(resolved)

    return REFERENCE.sub(replace, value)


def run(portal: SandboxPortal, call: Call) -> dict[str, Any]:
    upper = call.upper()
    cmd = upper.get("CMD")
    halt = not php_empty(upper.get("HALT"))
    if isinstance(cmd, list):
        commands: dict[Any, Any] = dict(enumerate(cmd))
    elif isinstance(cmd, dict):
        commands = dict(cmd)
    else:
        commands = {}
    results: dict[Any, Any] = {}
    errors: dict[Any, Any] = {}
    totals: dict[Any, Any] = {}
    nexts: dict[Any, Any] = {}
    times: dict[Any, Any] = {}
    stores: dict[str, dict[str, Any]] = {"result": {}, "next": {}, "total": {}, "time": {}, "error": {}}
    executed = 0
    for key, text in commands.items():
        if not isinstance(text, str):
            continue  # non-string commands are skipped without a trace
        executed += 1
        if executed > MAX_COMMANDS:
            errors[key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
            continue
        parts = urlsplit(text)
        name = parts.path.strip().lower()
        try:
            if name in FORBIDDEN:
                raise RestError("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", 405)
            params = _substitute(parse_query(parts.query), stores)
            for auth_param in ("auth", "access_token"):
                params.pop(auth_param, None)
            envelope = portal.invoke_in_batch(name, params, call.caller)
        except RestError as err:
            errors[key] = err.body()
            stores["error"][str(key)] = err.body()
            if halt:
                break
            continue
        results[key] = envelope["result"]
        stores["result"][str(key)] = envelope["result"]
        if "total" in envelope:
            totals[key] = envelope["total"]
            stores["total"][str(key)] = envelope["total"]
        if "next" in envelope:
            nexts[key] = envelope["next"]
            stores["next"][str(key)] = envelope["next"]
        times[key] = envelope["time"]
        stores["time"][str(key)] = envelope["time"]
    return {
        "result": _php_map(results),
        "result_error": _php_map(errors),
        "result_total": _php_map(totals),
        "result_next": _php_map(nexts),
        "result_time": _php_map(times),
    }


@method("batch", scope="_global", write=False)
def batch(call: Call) -> Any:
    return call.portal.run_batch(call)
