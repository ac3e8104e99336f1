"""The async Portkey Admin API client.

Every operation in :mod:`engine.portkey.operations` is served by :meth:`PortkeyClient.call`
and bound as a method of the same name (``await client.get_prompt(prompt_id=...)``).
Lists are walked with :meth:`PortkeyClient.paginate`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from engine.portkey import operations
from engine.portkey.errors import PortkeyAPIError, PortkeyRequestError
from engine.portkey.operations import Operation
from engine.portkey.paging import Pager
from engine.portkey.requests import Prepared, prepare
from engine.portkey.retry import Retryable, judge_error, judge_response, retrying
from engine.portkey.settings import Settings
from engine.redaction import SCRUBBED, scrub

log = logging.getLogger("portkey_gitops.client")

API_KEY_HEADER = "x-portkey-api-key"
OPERATION_HEADER = "x-gitops-operation"  # the catalogue name; lets the sandbox log shared routes exactly
USER_AGENT = "portkey-gitops/0.1"
MAX_MESSAGE = 500  # characters of an error message Portkey sent that are kept


@dataclass
class _Tries:
    """What the attempts of one call have done so far."""

    count: int = 0
    may_have_acted: bool = False  # an attempt may have reached Portkey without a usable answer


class PortkeyClient:
    """Talks to one Portkey account (or the sandbox) over HTTP."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._key = settings.api_key.reveal()
        self._http = httpx.AsyncClient(
            base_url=settings.base_url + "/",
            headers={API_KEY_HEADER: self._key, "user-agent": USER_AGENT},
            timeout=httpx.Timeout(settings.timeout),
            transport=transport,
            follow_redirects=False,
        )
        self.requests_sent: Counter[str] = Counter()
        parts = urlsplit(settings.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def __repr__(self) -> str:
        return f"PortkeyClient(base_url={self.settings.base_url!r})"

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return sum(self.requests_sent.values())

    async def __aenter__(self) -> PortkeyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def call(self, name: str, /, body: Any = None, **params: Any) -> Any:
        """Run operation ``name`` and return its decoded, normalised answer."""
        op = operations.get(name)
        prepared = prepare(op, body, params)
        tries = _Tries()
        try:
            async for attempt in retrying(self.settings.retry, self._sleep):
                with attempt:
                    return await self._attempt(op, prepared, tries)
        except Retryable as failure:
            if failure.response is not None:
                raise self._api_error(op, prepared.path, failure.response, tries.count) from None
            assert failure.error is not None
            raise self._request_error(op, prepared.path, failure.error, tries.count) from None
        raise AssertionError("unreachable: the retry loop returns or raises")

    async def _attempt(self, op: Operation, prepared: Prepared, tries: _Tries) -> Any:
        """One HTTP attempt; raise Retryable for failures worth another try."""
        target = self._origin + prepared.path if op.public else prepared.path.lstrip("/")
        headers = {OPERATION_HEADER: op.name}
        if prepared.body is not None:
            headers["content-type"] = "application/json"
        request = self._http.build_request(
            prepared.method, target, params=prepared.query or None, content=prepared.body, headers=headers
        )
        if op.public:
            del request.headers[API_KEY_HEADER]
        started = time.monotonic()
        tries.count += 1
        self.requests_sent[op.name] += 1
        try:
            response = await self._http.send(request)
            await response.aread()
        except httpx.TransportError as exc:
            log.info("%s %s: %s", op.method, prepared.path, type(exc).__name__)
            verdict = judge_error(op, exc)
            tries.may_have_acted |= verdict.sent
            if verdict.retry:
                raise Retryable(error=exc) from None
            raise self._request_error(op, prepared.path, exc, tries.count, sent=verdict.sent) from None
        log.debug(
            "%s %s -> %d in %.0f ms", op.method, prepared.path, response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if response.is_success:
            return self._decode(op, prepared.path, response)
        verdict = judge_response(op, response)
        if verdict.retry:
            tries.may_have_acted |= response.status_code != 429
            raise Retryable(response=response, retry_after=verdict.retry_after)
        error = self._api_error(op, prepared.path, response, tries.count)
        if op.method == "DELETE" and tries.may_have_acted and error.not_found:
            log.info("%s %s: gone after a retry, so an earlier attempt deleted it", op.method, prepared.path)
            return {}
        raise error

    def paginate(
        self, name: str, /, *, page_size: int = 100, limit: int | None = None, **params: Any
    ) -> Pager:
        """Walk every page of list operation ``name``; see :class:`Pager`."""
        return Pager(self, operations.get(name), params, page_size=page_size, limit=limit)

    async def list_all(self, name: str, /, **params: Any) -> tuple[list[Any], bool]:
        """Every item of a list operation and whether the listing was complete."""
        pager = self.paginate(name, **params)
        items = [item async for item in pager]
        return items, bool(pager.complete)

    def _decode(self, op: Operation, path: str, response: httpx.Response) -> Any:
        if not response.content.strip():
            data: Any = {}
        else:
            try:
                data = response.json()
            except (ValueError, RecursionError):
                raise PortkeyAPIError(
                    op.name, op.method, path, response.status_code,
                    "Portkey answered with a body that is not JSON",
                ) from None
        return op.normalize(data) if op.normalize else data

    def _request_error(
        self, op: Operation, path: str, exc: httpx.TransportError, attempts: int,
        sent: bool | None = None,
    ) -> PortkeyRequestError:
        if sent is None:
            sent = judge_error(op, exc).sent
        reason = self._safe(str(exc) or type(exc).__name__)
        return PortkeyRequestError(op.name, op.method, path, reason, sent=sent, attempts=attempts)

    def _api_error(
        self, op: Operation, path: str, response: httpx.Response, attempts: int
    ) -> PortkeyAPIError:
        message, code = error_fields(response)
        return PortkeyAPIError(
            op.name, op.method, path, response.status_code, self._safe(message), code,
            attempts=attempts, enterprise_gated=op.enterprise,
        )

    def _safe(self, text: str) -> str:
        """Remove the API key and every registered secret from text that may echo a request; cut it short."""
        text = text.replace(self._key, SCRUBBED) if self._key else text
        text = scrub(text)
        return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "… (cut)"


def error_fields(response: httpx.Response) -> tuple[str, str | None]:
    """Portkey's message and errorCode, from the top level, ``data`` or ``error``."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        for holder in (body, body.get("data"), body.get("error")):
            if not isinstance(holder, dict):
                continue
            message = holder.get("message")
            code = holder.get("errorCode") or holder.get("code")
            if isinstance(message, str) and message:
                return message, str(code)[:40] if code else None
        if isinstance(body.get("error"), str):
            return body["error"], None
    text = response.text.strip()
    if text and len(text) <= 300 and not text.startswith("<"):
        return text, None
    return response.reason_phrase or f"HTTP {response.status_code}", None


def _bind(op: Operation) -> Callable[..., Awaitable[Any]]:
    async def method(self: PortkeyClient, body: Any = None, **params: Any) -> Any:
        return await self.call(op.name, body=body, **params)

    method.__name__ = op.name
    method.__qualname__ = f"PortkeyClient.{op.name}"
    params = ", ".join(op.path_params + tuple(op.query))
    method.__doc__ = f"{op.method} {op.path} ({op.kind.name.lower()}); arguments: {params or 'none'}."
    return method


for _op in operations.OPERATIONS:
    setattr(PortkeyClient, _op.name, _bind(_op))
