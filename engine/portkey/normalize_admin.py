"""Response-shape deviations of the admin groups, smoothed out (portkey-api.md §6, §10)."""

from __future__ import annotations

from typing import Any

from engine.portkey.normalize import rate_limits, unwrap_data


def limited(payload: Any) -> Any:
    """A provider or virtual key: ``rate_limits`` always a list (object on writes, §10 row 16)."""
    if isinstance(payload, dict) and "rate_limits" in payload:
        return {**payload, "rate_limits": rate_limits(payload["rate_limits"])}
    return payload


def limited_list(payload: Any) -> Any:
    """A list of providers or virtual keys, each through :func:`limited`."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return {**payload, "data": [limited(item) for item in payload["data"]]}
    return payload


def virtual_key_created(payload: Any) -> Any:
    """Virtual-key create answers ``{success, data: {slug}}`` (§6): return ``{slug}``."""
    return unwrap_data(payload)


def invite_resent(payload: Any) -> Any:
    """Resend answers ``{inviteLink}`` in camelCase (§6); add the create's ``invite_link``."""
    if isinstance(payload, dict) and "inviteLink" in payload and "invite_link" not in payload:
        return {**payload, "invite_link": payload["inviteLink"]}
    return payload
