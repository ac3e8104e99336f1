"""Identifiers and timestamps in Portkey's formats."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def new_uuid() -> str:
    """A fresh random UUID string."""
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    """True when `value` is a canonical UUID string."""
    return bool(_UUID_RE.match(value))


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds, e.g. `2024-05-12T21:37:06.000Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def slug_part(name: str, length: int) -> str:
    """The first `length` characters of `name`, lower-cased, non-alphanumerics as dashes."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:length].strip("-") or "x"


def make_slug(prefix: str, name: str, length: int, taken: Callable[[str], bool]) -> str:
    """`<prefix><name part>-<6 hex>` that `taken` does not already know, as Portkey mints them.

    Examples: prompts `pp-welcome-a1b2c3`, configs `pc-pplx-c-ca7a87`,
    workspaces `ws-shared-1f2e3d`.
    """
    base = slug_part(name, length)
    while True:
        slug = f"{prefix}{base}-{secrets.token_hex(3)}"
        if not taken(slug):
            return slug
