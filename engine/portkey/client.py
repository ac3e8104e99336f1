"""The async Portkey Admin API client.

Every operation in :mod:`engine.portkey.operations` is served by :meth:`PortkeyClient.call` and has a typed
method of the same name (``await client.get_prompt(prompt_id=...)``), generated into
:mod:`engine.portkey.methods`.
Lists are walked with :meth:`PortkeyClient.paginate`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

import anyio
import httpx

from engine.portkey import operations
from engine.portkey.errors import (
    PortkeyAnswerTooLarge,
    PortkeyAPIError,
    PortkeyDeadlineError,
    PortkeyError,
    PortkeyRequestError,
)
from engine.portkey.methods import OperationMethods
from engine.portkey.operations import Operation
from engine.portkey.paging import Pager
from engine.portkey.requests import Prepared, prepare
from engine.portkey.retry import Retryable, judge_error, judge_response, next_wait
from engine.portkey.settings import MIB, Settings
from engine.portkey.transport import Answer, CookielessClient, default_transport
from engine.redaction import SCRUBBED, scrub

log = logging.getLogger("portkey_gitops.client")

API_KEY_HEADER = "x-portkey-api-key"
USER_AGENT = "portkey-gitops/0.1"
MAX_MESSAGE = 500  # characters of an error message Portkey sent that are kept


@dataclass(frozen=True)
class _Deadline:
    """A command's deadline: when it ends (``time.monotonic()``) and how long it was."""

    ends: float
    seconds: float


_COMMAND_DEADLINE: ContextVar[_Deadline | None] = ContextVar("portkey_command_deadline", default=None)


@dataclass
class _Tries:
    """What the attempts of one call have done so far, and until when they may go on."""

    count: int = 0
    may_have_acted: bool = False  # an attempt may have reached Portkey without a usable answer
    command: _Deadline | None = None
    deadline: float = math.inf  # the call's: its own limit or the command's, whichever is earlier

    def command_over(self) -> bool:
        """True when the command's deadline has passed."""
        return self.command is not None and time.monotonic() >= self.command.ends

    def stopped_by_command(self, max_retries: int) -> bool:
        """True when retrying stopped with attempts left because the command's deadline was near."""
        return self.command is not None and self.deadline == self.command.ends and self.count <= max_retries


class PortkeyClient(OperationMethods):
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
        self._http = CookielessClient(
            base_url=settings.base_url + "/",
            headers={API_KEY_HEADER: self._key, "user-agent": USER_AGENT},
            timeout=httpx.Timeout(settings.timeout),
            transport=default_transport() if transport is None else transport,
            follow_redirects=False,
        )
        self.requests_sent: Counter[str] = Counter()
        self._command: ExitStack | None = None
        parts = urlsplit(settings.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base = settings.base_url + "/"
        # Each request is built here rather than by AsyncClient.build_request (which merges the base URL,
        # headers, cookies and parameters anew for every request): the client's headers once, with and
        # without the key (public operations go without it), and the timeouts httpx reads from a request.
        self._headers = list(self._http.headers.multi_items())
        self._public_headers = [(k, v) for k, v in self._headers if k.lower() != API_KEY_HEADER]
        self._timeouts = self._http.timeout.as_dict()

    def __repr__(self) -> str:
        return f"PortkeyClient(base_url={self.settings.base_url!r})"

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return sum(self.requests_sent.values())

    async def __aenter__(self) -> PortkeyClient:
        """Open the client for one command: its requests share the command's deadline (PORTKEY_DEADLINE)."""
        self._command = ExitStack()
        self._command.enter_context(self.command_deadline())
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.aclose()
        finally:
            command, self._command = self._command, None
            if command is not None:
                command.close()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    @contextmanager
    def command_deadline(self, seconds: float | None = None, *, fresh: bool = False) -> Iterator[None]:
        """Bound every call made inside the block (this task and tasks it starts) by one deadline.

        ``seconds`` defaults to ``settings.deadline``; 0 means none. An enclosing, earlier deadline wins, unless
        ``fresh``: clean-up that must still run when the command's time is up (releasing the apply lease).
        ``async with PortkeyClient(...)`` opens one; a long-lived client (one shared by many commands)
        should wrap each command in this instead.
        """
        seconds = self.settings.deadline if seconds is None else seconds
        if not seconds:
            yield
            return
        ends = time.monotonic() + seconds
        outer = None if fresh else _COMMAND_DEADLINE.get()
        token = _COMMAND_DEADLINE.set(outer if outer is not None and outer.ends <= ends else _Deadline(ends, seconds))
        try:
            yield
        finally:
            with suppress(ValueError):  # reset from another context (a task that did not set it)
                _COMMAND_DEADLINE.reset(token)

    async def call(self, name: str, /, body: Any = None, **params: Any) -> Any:
        """Run operation ``name`` and return its decoded, normalised answer."""
        op = operations.get(name)
        prepared = prepare(op, body, params)
        policy = self.settings.retry
        tries = _Tries(command=_COMMAND_DEADLINE.get())
        tries.deadline = time.monotonic() + policy.deadline
        if tries.command is not None:
            tries.deadline = min(tries.deadline, tries.command.ends)
        while True:  # the first attempt runs without any retry machinery; a failed one is judged by next_wait
            try:
                return await self._attempt(op, prepared, tries)
            except Retryable as failure:
                wait = next_wait(policy, failure, tries.count, tries.deadline)
                if wait is None:
                    self._give_up(op, prepared, tries, failure)
            await self._sleep(wait)

    def _give_up(self, op: Operation, prepared: Prepared, tries: _Tries, failure: Retryable) -> NoReturn:
        """Raise the error of the last failed attempt (a deadline error when the command's deadline stopped it)."""
        if failure.response is not None:
            error: PortkeyError = self._api_error(op, prepared.path, failure.response, tries.count)
        else:
            assert failure.error is not None
            error = self._request_error(op, prepared.path, failure.error, tries.count)
        if tries.stopped_by_command(self.settings.retry.max_retries):
            raise self._deadline_error(op, prepared.path, tries, f"the last attempt failed: {error}") from None
        raise error from None

    async def _attempt(self, op: Operation, prepared: Prepared, tries: _Tries) -> Any:
        """One HTTP attempt, bounded in total time and answer size; raise Retryable for failures worth another try."""
        remaining = tries.deadline - time.monotonic()
        if remaining <= 0:
            raise self._out_of_time(op, prepared.path, tries)
        budget = min(self.settings.timeout, remaining)
        request = self._request(op, prepared)
        started = time.monotonic()
        tries.count += 1
        self.requests_sent[op.name] += 1
        try:
            with anyio.fail_after(budget):
                response = await self._exchange(op, prepared.path, request, tries)
        except TimeoutError:
            tries.may_have_acted = True
            if tries.command_over():
                raise self._deadline_error(op, prepared.path, tries, "waiting for an answer") from None
            self._transport_failure(op, prepared.path, tries, httpx.ReadTimeout(
                f"the answer was not complete within {budget:g} s (PORTKEY_TIMEOUT)", request=request))
        except httpx.TransportError as exc:
            self._transport_failure(op, prepared.path, tries, exc)
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

    def _request(self, op: Operation, prepared: Prepared) -> httpx.Request:
        if op.public:
            url, headers = self._origin + prepared.path, list(self._public_headers)
        else:
            url, headers = self._base + prepared.path.lstrip("/"), list(self._headers)
        if prepared.body is not None:
            headers.append(("content-type", "application/json"))
        return httpx.Request(
            prepared.method, url, params=prepared.query or None, headers=headers, content=prepared.body,
            extensions={"timeout": self._timeouts},
        )

    async def _exchange(self, op: Operation, path: str, request: httpx.Request, tries: _Tries) -> Answer:
        """Send and read the whole answer, streaming, so that an endless one stops at the cap."""
        response = await self._http.send(request, stream=True)
        try:
            content = await self._read_capped(op, path, response, tries)
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, content, response.reason_phrase)

    async def _read_capped(self, op: Operation, path: str, response: httpx.Response, tries: _Tries) -> bytes:
        cap = self.settings.max_answer_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(op, path, tries, f"it announced {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(op, path, tries, f"more than {cap:,} bytes arrived")
            chunks.append(chunk)
        return b"".join(chunks)

    def _transport_failure(self, op: Operation, path: str, tries: _Tries, exc: httpx.TransportError) -> NoReturn:
        log.info("%s %s: %s", op.method, path, type(exc).__name__)
        verdict = judge_error(op, exc)
        tries.may_have_acted |= verdict.sent
        if verdict.retry:
            raise Retryable(error=exc) from None
        raise self._request_error(op, path, exc, tries.count, sent=verdict.sent) from None

    def _too_large(self, op: Operation, path: str, tries: _Tries, what: str) -> PortkeyAnswerTooLarge:
        cap_mib = self.settings.max_answer_bytes / MIB
        reason = f"the answer is larger than the {cap_mib:g} MiB cap: {what}"
        return PortkeyAnswerTooLarge(op.name, op.method, path, reason, sent=True, attempts=tries.count)

    def _deadline_error(self, op: Operation, path: str, tries: _Tries, what: str) -> PortkeyDeadlineError:
        assert tries.command is not None
        reason = self._safe(f"{tries.command.seconds:g} s passed; {what}")
        return PortkeyDeadlineError(
            op.name, op.method, path, reason, sent=tries.may_have_acted, attempts=tries.count
        )

    def _out_of_time(self, op: Operation, path: str, tries: _Tries) -> PortkeyRequestError:
        if tries.command_over():
            return self._deadline_error(op, path, tries, "no time was left for this request")
        reason = f"the call's deadline of {self.settings.retry.deadline:g} s passed before another attempt"
        return PortkeyRequestError(op.name, op.method, path, reason, sent=tries.may_have_acted, attempts=tries.count)

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

    def _decode(self, op: Operation, path: str, response: Answer) -> Any:
        if not response.content or response.content.isspace():
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
        self, op: Operation, path: str, response: Answer, attempts: int
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


def error_fields(response: Answer) -> tuple[str, str | None]:
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
