"""Walking every page of a Portkey list, whatever its paging dialect and envelope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from engine.portkey.errors import PortkeyError, PortkeyUsageError
from engine.portkey.normalize import list_items
from engine.portkey.operations import Operation, Paging

if TYPE_CHECKING:
    from engine.portkey.client import PortkeyClient

MAX_PAGES = 10_000

# (page parameter, size parameter, number of the first page) per dialect
_DIALECTS: dict[Paging, tuple[str, str, int]] = {
    Paging.OFFSET: ("current_page", "page_size", 0),
    Paging.OFFSET_CAMEL: ("currentPage", "pageSize", 0),
    Paging.PAGE: ("page", "page_size", 1),
    Paging.PAGE0: ("page", "page_size", 0),
}


class Pager:
    """An async iterator over every item of a list operation.

    After iteration, ``complete`` tells whether the listing provably holds
    every item: the server's ``total`` was reached exactly (or, without a total,
    the last page came back short or ``has_more`` said so). A prune must not
    trust an incomplete listing, so these count as incomplete: a page that
    repeats an id already seen (a server that ignores the paging parameters, or
    reorders between pages; the walk stops there), an unpaged answer whose
    ``total`` differs from its items (more counted than sent, or more sent than
    counted) or that says ``has_more``, and a walk that passes ``total`` (the
    count is wrong, or the list changed while it was read).
    ``total`` is the server's count when it gave one; ``pages`` the pages read.
    """

    def __init__(
        self,
        client: PortkeyClient,
        op: Operation,
        params: dict[str, Any],
        *,
        page_size: int = 100,
        limit: int | None = None,
    ) -> None:
        if not op.is_list:
            raise PortkeyUsageError(op.name, "is not a list operation; call it directly instead of paginating")
        if page_size < 1:
            raise PortkeyUsageError(op.name, "page_size must be at least 1", "page_size")
        dialect = _DIALECTS.get(op.paging)
        if dialect and (dialect[0] in params or dialect[1] in params):
            raise PortkeyUsageError(
                op.name, "paginate() chooses the pages itself; pass page_size= instead", dialect[0]
            )
        self._client = client
        self._op = op
        self._params = params
        self._page_size = page_size
        self._limit = limit
        self._ids: set[str] = set()
        self.complete: bool | None = None
        self.total: int | None = None
        self.pages = 0
        self.seen = 0
        self.repeated = False  # a page repeated an item already seen

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._walk()

    async def _walk(self) -> AsyncIterator[Any]:
        dialect = _DIALECTS.get(self._op.paging)
        page = dialect[2] if dialect else 0
        while True:
            items, has_more = await self._page(dialect, page)
            for item in items:
                if self._limit is not None and self.seen >= self._limit:
                    self.complete = False
                    return
                if self._repeats(item):
                    self.repeated, self.complete = True, False
                    return
                self.seen += 1
                yield item
            if not dialect:  # one answer holds the whole list: it must hold every item it counts
                self.complete = (self.total is None or self.seen == self.total) and has_more is not True
                return
            if not self._more(len(items), has_more):
                return
            if self.pages >= MAX_PAGES:
                self.complete = False
                return
            page += 1

    async def _page(self, dialect: tuple[str, str, int] | None, page: int) -> tuple[list[Any], bool | None]:
        """Read one page; remember the server's total."""
        params = dict(self._params)
        if dialect:
            params[dialect[0]] = page
            params[dialect[1]] = self._page_size
        answer = await self._client.call(self._op.name, **params)
        self.pages += 1
        try:
            items, total, has_more = list_items(answer)
        except ValueError as exc:
            raise PortkeyError(f"{self._op.name} ({self._op.method} {self._op.path}): {exc}") from None
        if total is not None:
            self.total = total
        return items, has_more

    def _repeats(self, item: Any) -> bool:
        """Whether ``item`` (by id, else slug) was yielded already; items without either are not checked."""
        ident = _identity(item)
        if ident is None:
            return False
        if ident in self._ids:
            return True
        self._ids.add(ident)
        return False

    def _more(self, count: int, has_more: bool | None) -> bool:
        """Decide whether another page is needed; set ``complete`` when stopping."""
        if count == 0:
            self.complete = self.total is None or self.seen == self.total
            return False
        if self.total is not None:
            if self.seen >= self.total:
                self.complete = self.seen == self.total
                return False
            return True
        if has_more is not None:
            if not has_more:
                self.complete = True
            return has_more
        if count < self._page_size:
            self.complete = True
            return False
        return True


def _identity(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for key in ("id", "slug"):
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f"{key}:{value}"
    return None
