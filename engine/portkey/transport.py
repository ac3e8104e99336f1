"""The HTTP side of the client: a connection pool that stays cheap with many connections, and one answer.

httpcore's pool walks every pooled connection on each request it assigns (several times per request):
each idle one is asked whether its socket became readable, which costs a ``poll`` and an anyio
attribute lookup. With 16 reads in flight that walk was about half of the client's CPU per request
(issue 12). :class:`PooledTransport` keeps one httpx transport per connection instead (each an
ordinary ``httpx.AsyncHTTPTransport`` limited to one connection, so its walk looks at that one
connection) and hands a request to an idle one. Errors, timeouts and TLS are httpx's own.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

MAX_CONNECTIONS = 100  # httpx's default for one client
MAX_IDLE = 20  # idle connections kept open (httpx's default keep-alive count)


class _Slot:
    """One connection's transport and the requests it is serving (0 or, once every slot is busy, more)."""

    __slots__ = ("busy", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.busy = 0


class _Released(httpx.AsyncByteStream):
    """A response body that hands its slot back to the pool when it is closed (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: PooledTransport, slot: _Slot) -> None:
        self._stream = stream
        self._pool: PooledTransport | None = pool
        self._slot = slot

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            pool, self._pool = self._pool, None
            if pool is not None:
                surplus = pool.release(self._slot)
                if surplus is not None:
                    with anyio.CancelScope(shield=True):
                        await surplus.transport.aclose()


class PooledTransport(httpx.AsyncBaseTransport):
    """Up to ``max_connections`` connections, each in its own one-connection httpx transport.

    A request goes to the most recently used idle connection, else to a new one, else (every
    connection busy) it waits on the least busy one. Idle connections beyond ``max_idle`` are closed.
    """

    def __init__(self, *, max_connections: int = MAX_CONNECTIONS, max_idle: int = MAX_IDLE) -> None:
        self._ssl = httpx.create_ssl_context()  # one for every connection (building one costs ~30 ms)
        self._limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._max = max_connections
        self._max_idle = max_idle
        self._slots: list[_Slot] = []
        self._idle: list[_Slot] = []  # slots with nothing in flight, most recently used last

    @property
    def connections(self) -> int:
        """Slots open (each holds at most one connection)."""
        return len(self._slots)

    def _take(self) -> _Slot:
        if self._idle:
            slot = self._idle.pop()
        elif len(self._slots) < self._max:
            slot = _Slot(httpx.AsyncHTTPTransport(verify=self._ssl, limits=self._limits))
            self._slots.append(slot)
        else:
            slot = min(self._slots, key=lambda s: s.busy)
        slot.busy += 1
        return slot

    def release(self, slot: _Slot) -> _Slot | None:
        """Hand ``slot`` back; return an idle slot to close when more than ``max_idle`` are idle."""
        slot.busy -= 1
        if slot.busy:
            return None
        self._idle.append(slot)
        if len(self._idle) <= self._max_idle:
            return None
        oldest = self._idle.pop(0)
        self._slots.remove(oldest)
        return oldest

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        slot = self._take()
        try:
            response = await slot.transport.handle_async_request(request)
        except BaseException:
            self.release(slot)  # a surplus idle slot is closed at a later release
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, self, slot)
        return response

    async def aclose(self) -> None:
        slots, self._slots, self._idle = self._slots, [], []
        for slot in slots:
            await slot.transport.aclose()


def default_transport() -> PooledTransport | None:
    """The client's transport when none is given: :class:`PooledTransport`, or None (httpx's own) when the
    environment names a proxy (``HTTPS_PROXY`` …): httpx honours those only when it builds the transport."""
    return None if urllib.request.getproxies() else PooledTransport()


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing and sends nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


_NO_COOKIES = _NoCookies()


class CookielessClient(httpx.AsyncClient):
    """httpx's client without cookies: the Admin API authenticates by header, and taking in Set-Cookie
    from every answer (httpx builds urllib request and response stand-ins for it) was about a quarter
    of the client's own CPU per request."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None  # never kept


@dataclass(frozen=True, slots=True)
class Answer:
    """One complete HTTP answer: status, headers and the whole (decoded, size-capped) body."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    reason_phrase: str = ""

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """The body as JSON; ValueError (or RecursionError) when it is not."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 otherwise; bad bytes replaced)."""
        charset = _charset(self.headers.get("content-type", "")) or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None
