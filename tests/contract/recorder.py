"""An httpx transport that records traffic and checks it against the Portkey OpenAPI contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import httpx

from .openapi_contract import check_request, check_response

Kind = Literal["request", "response"]


@dataclass
class Exchange:
    """One recorded request/response pair and its contract violations."""

    method: str
    url: str
    request_headers: httpx.Headers
    request_body: bytes
    status: int
    response_headers: httpx.Headers
    response_body: bytes
    request_violations: list[str] = field(default_factory=list)
    response_violations: list[str] = field(default_factory=list)


class ContractTransport(httpx.AsyncBaseTransport):
    """Forward to `inner`, record every exchange, and check both sides against the spec.

    Usage: ``httpx.AsyncClient(transport=ContractTransport(ASGITransport(app)), base_url=...)``,
    then ``assert transport.violations() == []``.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request_body = await request.aread()  # caches the body; the inner transport re-reads it
        response = await self.inner.handle_async_request(request)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        decoded = httpx.Response(response.status_code, headers=response.headers, content=raw)
        body = decoded.content  # undoes any content-encoding, as the client will
        method, url = request.method, str(request.url)
        self.exchanges.append(
            Exchange(
                method=method,
                url=url,
                request_headers=request.headers,
                request_body=request_body,
                status=response.status_code,
                response_headers=response.headers,
                response_body=body,
                request_violations=check_request(method, url, request.headers, request_body),
                response_violations=check_response(
                    method, url, request_body, response.status_code, response.headers, body
                ),
            )
        )
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            request=request,
            extensions=response.extensions,
        )

    def violations(self, kind: Kind | None = None) -> list[str]:
        """Violations recorded so far: request side, response side, or both (None)."""
        out: list[str] = []
        for exchange in self.exchanges:
            if kind in (None, "request"):
                out += exchange.request_violations
            if kind in (None, "response"):
                out += exchange.response_violations
        return out

    def clear(self) -> None:
        """Forget the recorded exchanges."""
        self.exchanges.clear()

    async def aclose(self) -> None:
        await self.inner.aclose()
