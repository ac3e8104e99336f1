"""The envelope check of a saved plan's JSON, before its models (:mod:`engine.gitops.jsonplan`) read it.

A saved plan is input like any other file: it may be truncated, hand-edited or hostile. Every problem
is one :class:`PlanFormatError` naming the key path and what was expected; values from the file are
never echoed (they may hold terminal escapes or markup). A plan of another major format version is
refused with the instruction to plan again (format 1 plans carried apply payloads; they cannot be read).
"""

from __future__ import annotations

import re
from typing import Any

from engine.errors import PlanningError

MAX_DEPTH = 100  # nesting of any value; deeper data is refused before anything recurses on it


class PlanFormatError(PlanningError, ValueError):
    """The saved plan is not a well-formed plan of a supported format version."""


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


def check_envelope(data: Any, version: str, *older: str) -> None:
    """Raise :class:`PlanFormatError` unless ``data`` is a JSON object of format ``version`` (or one of the
    ``older`` versions this one still reads), nested no deeper than :data:`MAX_DEPTH`."""
    if not isinstance(data, dict):
        raise PlanFormatError("the plan must be a JSON object (the file written by `plan --out`)")
    found = data.get("format_version")
    if found != version and found not in older:
        shown = found if isinstance(found, str) and re.fullmatch(r"[0-9.]{1,16}", found) else "(missing or invalid)"
        raise PlanFormatError(
            f"plan format {shown} is not supported (expected {version}); plan again with this version of portkey-gitops"
        )
    _check_depth(data)
