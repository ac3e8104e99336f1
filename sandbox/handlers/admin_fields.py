"""Fields shared by the admin resources: inline `usage_limits` / `rate_limits` on keys,
providers, workspaces and integration access (portkey-api.md §8 "Inline limits"), date-times,
and masking of secrets on read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.errors import ApiError, invalid
from sandbox.fields import opt_enum, opt_number

RATE_UNITS = ("rpm", "rph", "rpd")
API_KEY_RATE_UNITS = (*RATE_UNITS, "rps", "rpw")


def usage_limits(value: Any, field: str = "usage_limits") -> dict[str, Any] | None:
    """One `UsageLimits` object, checked; None stays None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    credit = opt_number(value, "credit_limit", minimum=0)
    alert = opt_number(value, "alert_threshold", minimum=0)
    if credit is not None and alert is not None and alert >= credit:
        raise invalid(f"{field}.alert_threshold", "must be less than credit_limit")
    days = opt_number(value, "periodic_reset_days", minimum=1)
    if days is not None and days > 365:
        raise invalid(f"{field}.periodic_reset_days", "must be <= 365")
    reset = opt_enum(value, "periodic_reset", ("monthly", "weekly"))
    if reset is not None and days is not None:
        raise invalid(field, "periodic_reset and periodic_reset_days exclude each other")
    limits = {
        "credit_limit": credit,
        "type": opt_enum(value, "type", ("cost", "tokens")) or "cost",
        "alert_threshold": alert,
        "periodic_reset": reset,
        "periodic_reset_days": days,
    }
    return {k: v for k, v in limits.items() if v is not None}


def usage_limits_list(value: Any, field: str = "usage_limits") -> list[dict[str, Any]]:
    """`usage_limits` as an array (workspaces, integration access); one object is accepted too."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [u for i, item in enumerate(items) if (u := usage_limits(item, f"{field}[{i}]"))]


def rate_limits(value: Any, field: str = "rate_limits", units: tuple[str, ...] = RATE_UNITS) -> list[dict[str, Any]]:
    """`rate_limits` as a list: one object (provider and virtual-key writes) or an array."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        where = f"{field}[{i}]" if isinstance(value, list) else field
        if not isinstance(item, dict):
            raise invalid(where, "must be an object")
        try:
            kind = opt_enum(item, "type", ("requests", "tokens")) or "requests"
            unit = opt_enum(item, "unit", units, required=True)
            amount = opt_number(item, "value", required=True, minimum=0)
        except ApiError as exc:
            raise invalid(where, exc.message) from None
        out.append({"type": kind, "unit": unit, "value": amount})
    return out


def mask(secret: str | None) -> str | None:
    """A secret as reads show it: the first and last 4 characters of long values."""
    if not secret:
        return secret
    if len(secret) <= 12:
        return "*" * len(secret)
    return f"{secret[:4]}{'*' * 8}{secret[-4:]}"


def opt_datetime(body: dict[str, Any], name: str) -> str | None:
    """An ISO 8601 date-time field (e.g. `expires_at`), returned as sent; 400 if unparseable."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(name, "must be an ISO 8601 date-time string") from None
    if parsed.tzinfo is None or "T" not in value:
        raise invalid(name, "must be a date-time with a time zone, e.g. 2030-01-01T00:00:00Z")
    return value


SECRET_WORDS = ("secret", "token", "password", "access_key", "service_account", "api_key")


def mask_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """A credential object with every secret-looking value masked (what the sandbox stores)."""
    out: dict[str, Any] = {}
    for name, value in config.items():
        if any(word in name.lower() for word in SECRET_WORDS):
            out[name] = mask(value) if isinstance(value, str) else "********"
        else:
            out[name] = value
    return out
