"""Reading and checking request fields; every failure is a 400 that names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.errors import invalid


def require(body: Mapping[str, Any], name: str) -> Any:
    """The value of a required field (null counts as missing)."""
    value = body.get(name)
    if value is None:
        raise invalid(name, "field required")
    return value


def opt_str(
    body: Mapping[str, Any], name: str, *, required: bool = False, nonblank: bool = False
) -> str | None:
    """A string field; blank strings are refused for required fields and, with `nonblank`,
    whenever the field is given (e.g. a rename)."""
    value = require(body, name) if required else body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a string")
    if (required or nonblank) and not value.strip():
        raise invalid(name, "must not be empty")
    return value


def opt_dict(body: Mapping[str, Any], name: str, *, required: bool = False) -> dict | None:
    """An object field."""
    value = require(body, name) if required else body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(name, "must be an object")
    return value


def opt_list(body: Mapping[str, Any], name: str, *, required: bool = False) -> list | None:
    """An array field."""
    value = require(body, name) if required else body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid(name, "must be an array")
    return value


def opt_number(
    body: Mapping[str, Any], name: str, *, required: bool = False, minimum: float | None = None
) -> float | int | None:
    """A numeric field (booleans are not numbers here)."""
    value = require(body, name) if required else body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, "must be a number")
    if minimum is not None and value < minimum:
        raise invalid(name, f"must be >= {minimum:g}")
    return value


def opt_bool(body: Mapping[str, Any], name: str) -> bool | None:
    """A boolean field that also accepts 0 and 1, as Portkey's integer flags do."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise invalid(name, "must be a boolean or 0/1")


def opt_enum(
    body: Mapping[str, Any], name: str, choices: tuple[str, ...], *, required: bool = False
) -> str | None:
    """A string field limited to `choices`."""
    value = opt_str(body, name, required=required)
    if value is not None and value not in choices:
        raise invalid(name, f"must be one of {', '.join(choices)}")
    return value


_ASCII_NAME = re.compile(r"[A-Za-z0-9_. -]*")


def check_name_chars(name: str | None, mode: str, field: str = "name") -> None:
    """Under the `name_chars=ascii` quirk, 400 AB01 for a name with characters outside ASCII letters,
    digits, '-', '_', '.' and ' ' (the quirk's other value, `any`, accepts every name)."""
    if name is None or mode != "ascii" or _ASCII_NAME.fullmatch(name):
        return
    bad = "".join(sorted({c for c in name if not _ASCII_NAME.fullmatch(c)}))
    raise invalid(field, f"may hold only ASCII letters, digits, '-', '_', '.' and spaces, not {bad!r}")
