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
    every item: the server's ``total`` was reached (or, without a total, the
    last page came back short). A prune must not trust an incomplete listing.
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
        self.complete: bool | None = None
        self.total: int | None = None
        self.pages = 0
        self.seen = 0

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._walk()

    async def _walk(self) -> AsyncIterator[Any]:
        dialect = _DIALECTS.get(self._op.paging)
        page = dialect[2] if dialect else 0
        while True:
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
            for item in items:
                if self._limit is not None and self.seen >= self._limit:
                    self.complete = False
                    return
                self.seen += 1
                yield item
            if not dialect:
                self.complete = total is None or self.seen >= total
                return
            if not self._more(len(items), has_more):
                return
            if self.pages >= MAX_PAGES:
                self.complete = False
                return
            page += 1

    def _more(self, count: int, has_more: bool | None) -> bool:
        """Decide whether another page is needed; set ``complete`` when stopping."""
        if count == 0:
            self.complete = self.total is None or self.seen >= self.total
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
