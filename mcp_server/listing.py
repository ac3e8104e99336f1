"""Bounded list results: one page (``current_page``/``page_size``) or every page up to a cap.

Each declaration says how its list pages (``Operation.paging``): 0-based ``current_page``,
camelCase ``currentPage``, 1-based or 0-based ``page``, or not at all (Portkey returns everything,
which is then sliced here so the caller still gets bounded pages).
"""

from __future__ import annotations

from typing import Any

from engine.portkey import Operation, Paging, PortkeyClient
from engine.portkey.normalize import list_items
from mcp_server.results import ListPage

# (page parameter, size parameter, number of the first page) per dialect
DIALECTS: dict[Paging, tuple[str, str, int]] = {
    Paging.OFFSET: ("current_page", "page_size", 0),
    Paging.OFFSET_CAMEL: ("currentPage", "pageSize", 0),
    Paging.PAGE: ("page", "page_size", 1),
    Paging.PAGE0: ("page", "page_size", 0),
}
# A list the client does not page (Paging.NONE) that still declares 0-based paging parameters.
MANUAL_DIALECT = ("current_page", "page_size", 0)
PAGE_PARAMS = frozenset(name for dialect in DIALECTS.values() for name in dialect[:2])
ALL_PAGE_SIZE = 100


def _envelope(answer: Any, items: list[Any]) -> dict[str, Any]:
    if not isinstance(answer, dict):
        return {}
    return {k: v for k, v in answer.items() if v is not items and k not in ("total", "total_count", "has_more")}


def _note(page: int | None, cap: int) -> str:
    if page is None:
        return f"Stopped at {cap} items; narrow the listing with filters, or page through it with current_page."
    return f"More items exist: call again with current_page={page + 1}, or all=true for up to {cap} items."


def dialect_of(op: Operation) -> tuple[str, str, int] | None:
    """The paging parameters the declaration both uses and declares, if any."""
    dialect = MANUAL_DIALECT if op.paging is Paging.NONE else DIALECTS.get(op.paging)
    if dialect and dialect[0] in op.query and dialect[1] in op.query:
        return dialect
    return None


async def _walk_manually(client: PortkeyClient, op: Operation, params: dict[str, Any],
                         dialect: tuple[str, str, int], cap: int) -> ListPage:
    """``all=true`` for a list the client's pager cannot walk: pages until short, total or cap."""
    page_param, size_param, first = dialect
    data: list[Any] = []
    total: int | None = None
    page = 0
    while True:
        answer = await client.call(op.name, **params, **{page_param: first + page, size_param: ALL_PAGE_SIZE})
        items, total, more = list_items(answer)
        data.extend(items)
        done = (not items or (more is False) or (more is None and total is None and len(items) < ALL_PAGE_SIZE)
                or (total is not None and len(data) >= total))
        if done or len(data) >= cap:
            break
        page += 1
    has_more = len(data) > cap or (not done)
    data = data[:cap]
    return ListPage(data=data, returned=len(data), total=total, has_more=has_more, complete=not has_more,
                    current_page=None, page_size=ALL_PAGE_SIZE, note=_note(None, cap) if has_more else None)


async def list_all(client: PortkeyClient, op: Operation, params: dict[str, Any], cap: int) -> ListPage:
    """Every item up to ``cap``, walking pages when the operation pages."""
    if op.paging is Paging.NONE and (manual := dialect_of(op)) is not None:
        return await _walk_manually(client, op, params, manual, cap)
    if op.paging is not Paging.NONE:
        pager = client.paginate(op.name, page_size=ALL_PAGE_SIZE, limit=cap, **params)
        data = [item async for item in pager]
        complete = bool(pager.complete)
        return ListPage(data=data, returned=len(data), total=pager.total, has_more=not complete,
                        complete=complete, current_page=None, page_size=ALL_PAGE_SIZE,
                        note=None if complete else _note(None, cap))
    answer = await client.call(op.name, **params)
    items, total, more = list_items(answer)
    data = items[:cap]
    has_more = len(items) > cap or bool(more)
    return ListPage(data=data, returned=len(data), total=total if total is not None else len(items),
                    has_more=has_more, complete=not has_more, current_page=None, page_size=len(data),
                    envelope=_envelope(answer, items), note=_note(None, cap) if has_more else None)


async def list_page(
    client: PortkeyClient, op: Operation, params: dict[str, Any], current_page: int, page_size: int, cap: int
) -> ListPage:
    """One page of a list, whatever the operation's paging dialect."""
    dialect = dialect_of(op)
    if dialect is not None:
        page_param, size_param, first = dialect
        answer = await client.call(op.name, **params, **{page_param: first + current_page, size_param: page_size})
        data, total, more = list_items(answer)
        envelope = _envelope(answer, data)
        seen = current_page * page_size + len(data)
        if more is not None:
            has_more = more
        elif total is not None:
            has_more = seen < total
        else:
            has_more = len(data) >= page_size
    elif op.paging is Paging.NONE:
        answer = await client.call(op.name, **params)
        items, total, more = list_items(answer)
        start = current_page * page_size
        data = items[start:start + page_size]
        has_more = start + page_size < len(items) or bool(more)
        total = total if total is not None else len(items)
        envelope = _envelope(answer, items)
    else:
        raise RuntimeError(f"{op.name} declares {op.paging} paging without its page parameters")
    return ListPage(data=data, returned=len(data), total=total, has_more=has_more,
                    complete=current_page == 0 and not has_more, current_page=current_page, page_size=page_size,
                    envelope=envelope, note=_note(current_page, cap) if has_more else None)
