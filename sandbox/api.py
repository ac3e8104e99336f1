"""The API's ASGI app: routing, fault injection, authentication, one transaction per request and
the request log, in that order. One instance serves `/v1`; a keyless one the public routes."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from sandbox.context import Ctx, Org
from sandbox.errors import ApiError
from sandbox.faults import Decision, Faults
from sandbox.handlers import audit
from sandbox.quirks import DEFAULT, Quirks
from sandbox.requestlog import RequestLog, RequestRecord
from sandbox.routes import Match, Router
from sandbox.store import Store

API_PREFIX = "/v1"
KEY_HEADER = "x-portkey-api-key"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}  # DELETE: workspace force_delete (§3)
logger = logging.getLogger("sandbox")


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection after the response headers.

    Over uvicorn the socket is closed and a client sees a transport error. In process
    (httpx.ASGITransport) the exception reaches the client as is; it subclasses httpx's
    `RemoteProtocolError`, so the client sees the same transport error class either way.
    """


def error_response(error: ApiError) -> JSONResponse:
    """The JSON answer for `error`."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _fault_response(decision: Decision) -> JSONResponse:
    if decision.outcome == "429":
        retry_after = f"{decision.retry_after_s:g}"
        return error_response(
            ApiError(
                429, "AB06", "Rate limit exceeded (sandbox fault)", {"Retry-After": retry_after}
            )
        )
    if decision.outcome == "503":
        return error_response(ApiError(503, "SB503", "Service unavailable (sandbox fault)"))
    return error_response(ApiError(500, "AB04", "Internal server error (sandbox fault)"))


class PortkeyApi:
    """ASGI app for every path under `prefix` (`/v1`); `api_key=None` serves without a key."""

    def __init__(
        self,
        store: Store,
        org: Org,
        api_key: str | None,
        faults: Callable[[], Faults],
        log: RequestLog,
        router: Router | None = None,
        prefix: str = API_PREFIX,
        quirks: Callable[[], Quirks] = lambda: DEFAULT,
    ):
        self._store = store
        self._org = org
        self._api_key = api_key
        self._faults = faults
        self._log = log
        self._router = router or Router()
        self._prefix = prefix
        self._quirks = quirks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        started = perf_counter()
        path = scope["path"]
        method = request.method
        match = self._router.match(method, path[len(self._prefix) :])
        # the served row's name; where several tools send this request, a fault rule of any of them applies
        operation = match.operation.name if match.operation else None
        aliases = match.operation.aliases if match.operation else ()
        decision = self._faults().decide(operation, *aliases)
        if decision.latency_ms:
            await anyio.sleep(decision.latency_ms / 1000)

        def record(status: int) -> None:
            duration = (perf_counter() - started) * 1000
            self._log.append(
                RequestRecord(method, path, operation, status, duration, decision.outcome)
            )

        if decision.outcome == "drop":
            await request.body()
            record(0)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            raise ConnectionDropped("sandbox fault: connection dropped before the body")
        if decision.outcome is not None:
            response: Response = _fault_response(decision)
        else:
            response = await self._answer(request, match)
        record(response.status_code)
        await response(scope, receive, send)

    async def _answer(self, request: Request, match: Match) -> Response:
        given = request.headers.get(KEY_HEADER, "")
        if self._api_key is not None and not hmac.compare_digest(given.encode(), self._api_key.encode()):
            return error_response(ApiError(401, "AB05", f"Unauthorized access: missing or invalid {KEY_HEADER}"))
        if match.operation is None:
            if match.allowed:
                error = ApiError(
                    405,
                    "SB405",
                    f"method {request.method} not allowed here",
                    {"Allow": ", ".join(match.allowed)},
                )
                return error_response(error)
            return error_response(ApiError(404, "SB404", f"no route {request.url.path}"))
        try:
            body = await self._body(request)
            with self._store.transaction() as tx:
                ctx = Ctx(tx, self._org, match.params, request.query_params, body, self._quirks())
                result = match.operation.handler(ctx)
                if request.method != "GET":
                    audit.record_write(ctx, request, match.operation)
        except ApiError as error:
            return error_response(error)
        except Exception as exc:  # a sandbox bug: answer 500 and keep serving
            logger.exception("sandbox handler %s failed", match.operation.name)
            return error_response(ApiError(500, "AB04", f"sandbox error: {exc!r}"))
        return JSONResponse(result)

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        if request.method not in _BODY_METHODS:
            return {}
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "AB01", "body: malformed JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "AB01", "body: must be a JSON object")
        return body
