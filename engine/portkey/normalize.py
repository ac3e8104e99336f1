"""Portkey's known response-shape deviations, smoothed out in one place.

Each function takes a decoded JSON answer and returns the shape the rest of the product relies
on; a declaration names its function in ``Operation.normalize``. Sources are in
``reference/portkey-api.md`` §4, §6 and §10 (row numbers below).

- envelopes: :func:`unwrap_data` (``{success, data}``), :func:`list_items` (every list envelope);
- prompts, partials, configs, guardrails: :func:`prompt`, :func:`prompt_versions`, :func:`partial_versions`,
  :func:`config`, :func:`config_list`, :func:`guardrail`;
- values: :func:`flag` (Portkey's integer booleans, ``is_raw_template: 0``, ``is_default: 1``).
- admin resources: :func:`limited`, :func:`limited_list`, :func:`invite_resent`;
- MCP: :func:`mcp_integration_workspaces`.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

from engine.portkey.errors import PortkeyError

# --------------------------------------------------------------------------- envelopes

ITEM_KEYS = ("data", "records", "models", "workspaces", "mappings", "groups")


def unwrap_data(payload: Any) -> Any:
    """``{success, data: {...}}`` → ``{...}`` (config wrappers, virtual-key create); other shapes pass."""
    if isinstance(payload, dict) and "success" in payload and isinstance(payload.get("data"), dict):
        return payload["data"]
    return payload


def _count(value: Any) -> int | None:
    """A count from a JSON number; None for anything else (bools, NaN, infinities, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


_FLAG_TEXT = {"0": False, "1": True, "false": False, "true": True}


def flag(value: Any) -> Any:
    """A boolean from Portkey's integer booleans (``0``/``1``, also as text); other values pass unchanged.

    Live answers carry integers where the spec says boolean: ``is_raw_template: 0`` in
    ``shared/portkey-live/responses/prompts-get.json``, ``is_default: 0`` in ``configs-get.json``,
    ``is_default: 1`` in ``workspaces-get.json``; the Terraform provider types both as ``int``.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAG_TEXT:
        return _FLAG_TEXT[value.strip().lower()]
    return value


# --------------------------------------------------------------------------- answers we cannot use


class UnexpectedAnswer(PortkeyError):
    """Portkey answered a request with a shape the product cannot use (says which request and why)."""

    def __init__(self, method: str, path: str, problem: str) -> None:
        self.method = method
        self.path = path
        self.problem = problem
        super().__init__(
            f"Portkey answered {method} {path} with {problem}; check that PORTKEY_BASE_URL points at the "
            "Portkey Admin API (…/v1), and report it if it does"
        )


def kind_of(value: Any) -> str:
    """How a JSON value is described in messages: ``null``, ``a list``, ``a number`` …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def list_items(payload: Any) -> tuple[list[Any], int | None, bool | None]:
    """Split any list envelope into ``(items, total, has_more)``.

    Handles ``{object:list,total,data}``, ``{total,data}``, ``{success,data}``,
    ``{data,total,has_more}``, ``{records,total}``, ``{total,models}``,
    ``{mappings|groups,total_count}`` and bare arrays.
    """
    if isinstance(payload, list):
        return payload, None, None
    if not isinstance(payload, dict):
        raise ValueError(f"expected a list answer, got {kind_of(payload)}")
    items = next((payload[key] for key in ITEM_KEYS if isinstance(payload.get(key), list)), None)
    if items is None:
        raise ValueError(f"no list of items in answer with keys {sorted(payload)}")
    total = _count(payload.get("total", payload.get("total_count")))
    has_more = payload.get("has_more")
    return items, total, has_more if isinstance(has_more, bool) else None


def _each(payload: Any, fix: Any) -> Any:
    """Apply ``fix`` to every item of a bare array or of ``{…, data: [...]}``."""
    if isinstance(payload, list):
        return [fix(item) for item in payload]
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return {**payload, "data": [fix(item) for item in payload["data"]]}
    return payload


# --------------------------------------------------------------------------- prompts and partials


def _json_field(obj: dict[str, Any], key: str) -> None:
    value = obj.get(key)
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        with contextlib.suppress(ValueError):
            obj[key] = json.loads(value)


def prompt(payload: Any) -> Any:
    """A prompt or prompt version: ``parameters`` as an object, ``is_raw_template`` as bool (row 8;
    live: the integer ``0`` in ``prompts-get.json``)."""
    if isinstance(payload, dict):
        payload = dict(payload)
        _json_field(payload, "parameters")
        if payload.get("is_raw_template") is not None:
            payload["is_raw_template"] = flag(payload["is_raw_template"])
    return payload


def _version_summary(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("prompt_template"), dict):
        return {**item, "prompt_template": prompt(item["prompt_template"])}
    return item


def prompt_versions(payload: Any) -> Any:
    """A prompt's versions list, bare (spec) or ``{data: [...]}`` (the Terraform provider and the SDK read
    it wrapped), in any order; each ``prompt_template`` through :func:`prompt`."""
    return _each(payload, _version_summary)


def _int_version(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("version"), str) and item["version"].isdigit():
        return {**item, "version": int(item["version"])}
    return item


def partial_versions(payload: Any) -> Any:
    """Partial versions: ``version`` is a string in the spec, a number elsewhere (row 6)."""
    return _each(payload, _int_version)


# --------------------------------------------------------------------------- configs and guardrails


def config(payload: Any) -> Any:
    """A config read: flat or wrapped, with ``config`` as an object or a JSON string (rows 1, 2; live:
    a string in ``configs-get.json``) and ``is_default`` as a boolean (live: an integer)."""
    payload = unwrap_data(payload)
    if isinstance(payload, dict):
        payload = dict(payload)
        _json_field(payload, "config")
        if "is_default" in payload:
            payload["is_default"] = flag(payload["is_default"])
    return payload


def config_list(payload: Any) -> Any:
    """Config or config-version lists: ``{success, data:[…]}`` or ``{object, total, data}`` (row 3)."""
    payload = _each(payload, config)
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        payload.setdefault("total", len(payload["data"]))
    return payload


def guardrail(payload: Any) -> Any:
    """A guardrail: checks without ``is_enabled`` are enabled (the API omits the default, §8)."""
    if isinstance(payload, dict) and isinstance(payload.get("checks"), list):
        checks = [
            {**check, "is_enabled": check.get("is_enabled", True)} if isinstance(check, dict) else check
            for check in payload["checks"]
        ]
        payload = {**payload, "checks": checks}
    return payload


# --------------------------------------------------------------------------- admin resources


def rate_limits(value: Any) -> list[Any]:
    """``rate_limits`` is an object on some writes and a list on reads: always a list (row 16)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def limited(payload: Any) -> Any:
    """A provider or virtual key with ``rate_limits`` always a list."""
    if isinstance(payload, dict) and "rate_limits" in payload:
        return {**payload, "rate_limits": rate_limits(payload["rate_limits"])}
    return payload


def limited_list(payload: Any) -> Any:
    """A list of providers or virtual keys, each through :func:`limited`."""
    return _each(payload, limited)


def invite_resent(payload: Any) -> Any:
    """Resend answers ``{inviteLink}`` in camelCase (§6); add the create's ``invite_link``."""
    if isinstance(payload, dict) and "inviteLink" in payload and "invite_link" not in payload:
        return {**payload, "invite_link": payload["inviteLink"]}
    return payload


# --------------------------------------------------------------------------- MCP


def mcp_integration_workspaces(payload: Any) -> Any:
    """``{workspaces, global_workspace_access}`` (no ``version`` query) or
    ``{data, global_workspace_access, total}`` (with it) → always the latter (row 18)."""
    if not isinstance(payload, dict):
        return payload
    items = payload.get("data")
    if not isinstance(items, list):
        items = payload.get("workspaces")
    if not isinstance(items, list):
        return payload
    rest = {k: v for k, v in payload.items() if k not in ("data", "workspaces")}
    total = _count(payload.get("total"))
    return {
        **rest,
        "data": items,
        "global_workspace_access": payload.get("global_workspace_access"),
        "total": len(items) if total is None else total,
    }
