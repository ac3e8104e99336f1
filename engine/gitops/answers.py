"""Reading Portkey's answers: lists, version rows, numbers, ids; an unusable answer is an UnexpectedAnswer."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from engine.portkey import operations
from engine.portkey.normalize import UnexpectedAnswer, kind_of

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Fields of listed objects that planning reads as text: anything but text, a number or null is unusable.
ITEM_FIELDS = ("id", "slug", "name", "description")


def unexpected(operation: str, problem: str) -> UnexpectedAnswer:
    """The error for an unusable answer to ``operation``, naming its method and path."""
    op = operations.get(operation)
    return UnexpectedAnswer(op.method, op.path, problem)


def check_item(operation: str, item: Any) -> None:
    """Raise UnexpectedAnswer unless ``item`` of a list is an object with usable identifying fields."""
    if not isinstance(item, dict):
        raise unexpected(operation, f"items that are not objects ({kind_of(item)})")
    for key in ITEM_FIELDS:
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise unexpected(operation, f"an item whose {key} is {kind_of(value)}, not text")
    if not as_text(item.get("id")) and not as_text(item.get("slug")):
        raise unexpected(operation, "an item that has neither an id nor a slug")


def as_text(value: Any) -> str:
    """A text field as a string ("" for null); numbers are written out."""
    return "" if value is None else str(value)


def rows(answer: Any) -> list[dict[str, Any]]:
    """A versions list, bare or wrapped in ``{data: [...]}``."""
    items = answer.get("data") if isinstance(answer, dict) else answer
    return [row for row in items if isinstance(row, dict)] if isinstance(items, list) else []


def only_active(listed: list[dict[str, Any]], status_key: str, number_key: str) -> int | None:
    """The published version number when exactly one version is ``active`` (the others ``archived``).

    Portkey marks unpublished versions archived (the successor MCP server: "creates a new archived
    version … publish is what makes the new version active"); anything else is inconclusive.
    """
    active = [row for row in listed if row.get(status_key) == "active"]
    if len(active) == 1 and all(row.get(status_key) in ("active", "archived") for row in listed):
        return as_int(active[0].get(number_key))
    return None


def is_uuid(value: Any) -> bool:
    """Whether ``value`` looks like a Portkey id (a UUID) rather than a slug."""
    return isinstance(value, str) and bool(_UUID.match(value))


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def json_object(value: Any) -> dict[str, Any] | None:
    """``value`` as an object: itself when it is one, decoded when it is a JSON string of one (live answers carry
    some objects as strings), else None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None
