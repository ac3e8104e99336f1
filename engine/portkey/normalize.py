"""Portkey's known response-shape deviations, smoothed out in one place.

Each function takes a decoded JSON answer and returns the shape the rest of
the product relies on. Sources are in ``reference/portkey-api.md`` §10.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any


def unwrap_data(payload: Any) -> Any:
    """``{success, data: {...}}`` → ``{...}`` (the spec's config wrappers); other shapes pass."""
    if isinstance(payload, dict) and "success" in payload and isinstance(payload.get("data"), dict):
        return payload["data"]
    return payload


def _json_field(obj: dict[str, Any], key: str) -> None:
    value = obj.get(key)
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        with contextlib.suppress(ValueError):
            obj[key] = json.loads(value)


def config(payload: Any) -> Any:
    """A config read: flat or wrapped, with ``config`` as an object or a JSON string."""
    payload = unwrap_data(payload)
    if isinstance(payload, dict):
        payload = dict(payload)
        _json_field(payload, "config")
    return payload


def config_list(payload: Any) -> Any:
    """Config or config-version lists: ``{success, data:[…]}`` or ``{object, total, data}``."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        items = [config(item) for item in payload["data"]]
        return {**payload, "data": items, "total": payload.get("total", len(items))}
    if isinstance(payload, list):
        return [config(item) for item in payload]
    return payload


def prompt(payload: Any) -> Any:
    """A prompt or prompt version: ``parameters`` as an object, ``is_raw_template`` as bool."""
    if isinstance(payload, dict):
        payload = dict(payload)
        _json_field(payload, "parameters")
        if "is_raw_template" in payload and payload["is_raw_template"] is not None:
            payload["is_raw_template"] = bool(payload["is_raw_template"])
    return payload


def guardrail(payload: Any) -> Any:
    """A guardrail: checks without ``is_enabled`` are enabled (the API omits the default)."""
    if isinstance(payload, dict) and isinstance(payload.get("checks"), list):
        checks = [
            {**check, "is_enabled": check.get("is_enabled", True)} if isinstance(check, dict)
            else check
            for check in payload["checks"]
        ]
        payload = {**payload, "checks": checks}
    return payload


def _int_version(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("version"), str) and item["version"].isdigit():
        return {**item, "version": int(item["version"])}
    return item


def partial_versions(payload: Any) -> Any:
    """Partial versions: ``version`` is a string in the spec, a number elsewhere."""
    if isinstance(payload, list):
        return [_int_version(item) for item in payload]
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return {**payload, "data": [_int_version(item) for item in payload["data"]]}
    return payload


def rate_limits(value: Any) -> list[Any]:
    """``rate_limits`` is an object on some writes and a list on reads: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


ITEM_KEYS = ("data", "records", "models", "workspaces", "mappings", "groups")


def list_items(payload: Any) -> tuple[list[Any], int | None, bool | None]:
    """Split any list envelope into ``(items, total, has_more)``.

    Handles ``{object:list,total,data}``, ``{total,data}``, ``{success,data}``,
    ``{data,total,has_more}``, ``{records,total}``, ``{total,models}``,
    ``{mappings|groups,total_count}`` and bare arrays.
    """
    if isinstance(payload, list):
        return payload, None, None
    if not isinstance(payload, dict):
        raise ValueError(f"expected a list answer, got {type(payload).__name__}")
    for key in ITEM_KEYS:
        if isinstance(payload.get(key), list):
            items = payload[key]
            break
    else:
        raise ValueError(f"no list of items in answer with keys {sorted(payload)}")
    total = payload.get("total", payload.get("total_count"))
    has_more = payload.get("has_more")
    return (
        items,
        int(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else None,
        has_more if isinstance(has_more, bool) else None,
    )
