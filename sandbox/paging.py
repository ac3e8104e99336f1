"""Offset paging: `current_page` (0-based) and `page_size`, with `total` the full count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from sandbox.errors import invalid

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100


def _int_param(query: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"must be an integer >= {minimum}") from None
    if value < minimum:
        raise invalid(name, f"must be an integer >= {minimum}")
    return value


def page(
    items: Sequence[T],
    query: Mapping[str, str],
    *,
    default_size: int | None = DEFAULT_PAGE_SIZE,
    max_size: int | None = None,
) -> list[T]:
    """The requested page of `items`; `default_size=None` means "all" when no size is given."""
    current = _int_param(query, "current_page", 0) or 0
    size = _int_param(query, "page_size", 1)
    if size is not None and max_size is not None and size > max_size:
        raise invalid("page_size", f"must be <= {max_size}")
    if size is None:
        size = default_size
    if size is None:
        return list(items) if current == 0 else []
    start = current * size
    return list(items[start : start + size])
