"""Validation of a saved plan's JSON before it becomes a :class:`~engine.gitops.plan.Plan`.

A saved plan is input like any other file: it may be truncated, hand-edited or hostile. Every
problem is one :class:`PlanFormatError` naming the key path and what was expected; values from the
file are never echoed (they may hold terminal escapes or markup).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from engine.errors import PlanningError

MAX_DEPTH = 100  # nesting of any value; deeper data is refused before json.dumps could recurse on it
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class PlanFormatError(PlanningError, ValueError):
    """The saved plan is not a well-formed plan of a supported format version."""


def _fail(path: str, expected: str) -> PlanFormatError:
    return PlanFormatError(f"{path} must be {expected}")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _dict_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


Check = tuple[Callable[[Any], bool], str]
_PLAN_KEYS: dict[str, Check] = {
    "changes": (_dict_list, "a list of objects"),
    "changes_digest": (lambda v: isinstance(v, str) and bool(_DIGEST.match(v)), "a 64-digit lowercase hex SHA-256"),
    "options": (lambda v: isinstance(v, dict) and all(isinstance(v.get(k), bool) for k in ("prune", "adopt")),
                "an object with boolean prune and adopt"),
    "fingerprints": (_str_map, "an object of strings"),
    "source": (lambda v: isinstance(v, dict) and _opt_str(v.get("desired_hash")), "an object"),
    "environment": (_opt_str, "a string or null"),
}
_PLAN_OPTIONAL: dict[str, Check] = {
    "workspace": (_opt_str, "a string or null"),
    "drift": (_dict_list, "a list of objects"),
    "adoptable": (_dict_list, "a list of objects"),
    "warnings": (_str_list, "a list of strings"),
    "errors": (_str_list, "a list of strings"),
    "blocked": (_str_list, "a list of strings"),
    "risk_summary": (_str_list, "a list of strings"),
    "incomplete": (_str_list, "a list of strings"),
    "requests": (_is_int, "an integer"),
    "created_at": (_is_str, "a string"),
    "engine_version": (_is_str, "a string"),
}
_CHANGE_KEYS: dict[str, Check] = {
    "address": (_is_str, "a string"),
    "kind": (_is_str, "a string"),
    "key": (_is_str, "a string"),
    "actions": (lambda v: _str_list(v) and bool(v), "a non-empty list of action names"),
}
_CHANGE_OPTIONAL: dict[str, Check] = {
    "order": (_is_int, "an integer"),
    "remote": (lambda v: isinstance(v, dict), "an object"),
    "payload": (lambda v: isinstance(v, dict), "an object"),
    "diff": (lambda v: _dict_list(v) and all(_is_str(d.get("path")) and _is_str(d.get("op")) for d in v),
             "a list of objects with string path and op"),
    "text_diffs": (lambda v: _dict_list(v) and all(_is_str(d.get("label")) and _is_str(d.get("unified")) for d in v),
                   "a list of objects with string label and unified"),
    "reasons": (_str_list, "a list of strings"),
    "risks": (_str_list, "a list of risk names"),
    "depends_on": (_str_list, "a list of strings"),
}


def _check_keys(data: dict[str, Any], where: str, required: dict[str, Check], optional: dict[str, Check]) -> None:
    for key, (ok, expected) in required.items():
        if key not in data:
            raise PlanFormatError(f"{where}{key} is missing")
        if not ok(data[key]):
            raise _fail(where + key, expected)
    for key, (ok, expected) in optional.items():
        if key in data and not ok(data[key]):
            raise _fail(where + key, expected)


def _check_names(values: Iterable[str], known: list[str], where: str, what: str) -> None:
    for index, value in enumerate(values):
        if value not in known:
            raise PlanFormatError(f"{where}[{index}] is not a known {what} ({', '.join(known)})")


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (iteratively: deep data cannot exhaust the stack)."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise PlanFormatError(f"the plan nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)


def check_plan_json(data: Any, version: str, actions: list[str], risks: list[str]) -> None:
    """Raise :class:`PlanFormatError` unless ``data`` is a plan of format ``version``'s major version with
    every key the saved-plan check needs, each of the right type."""
    if not isinstance(data, dict):
        raise PlanFormatError("the plan must be a JSON object (the file written by `plan --out`)")
    found = data.get("format_version")
    if not isinstance(found, str) or found.split(".")[0] != version.split(".")[0]:
        shown = found if isinstance(found, str) and re.fullmatch(r"[0-9.]{1,16}", found) else "(missing or invalid)"
        raise PlanFormatError(f"plan format {shown} is not supported (expected {version}); plan again")
    if "changes_digest" not in data:
        raise PlanFormatError(f"the plan has no changes_digest (format {found} predates {version}); plan again")
    _check_depth(data)
    _check_keys(data, "", _PLAN_KEYS, _PLAN_OPTIONAL)
    for index, change in enumerate(data["changes"]):
        where = f"changes[{index}]."
        _check_keys(change, where, _CHANGE_KEYS, _CHANGE_OPTIONAL)
        _check_names(change["actions"], actions, where + "actions", "action")
        _check_names(change.get("risks", []), risks, where + "risks", "risk")
