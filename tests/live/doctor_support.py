"""Support for the doctor tests: a transport that makes the sandbox behave like other accounts.

:class:`Quirky` sits between the client and the sandbox. A :class:`Hook` matches requests by method
and path (a regex after ``/v1``) and may refuse them, rewrite their body before the sandbox sees it,
or rewrite the sandbox's JSON answer; so one sandbox can answer as an account whose label writes
replace, whose versions list has no statuses, and so on (the values of behaviour.SWITCHES).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import Sandbox

KEY = "doctor-test-key"
Json = Any


@dataclass
class Hook:
    """What to do to ``method`` requests whose path matches ``path``.

    ``refuse(body, query)`` returns an error message to answer 400 with it, or None;
    ``request(body, query)`` returns the body to forward; ``query(query)`` the query to forward;
    ``response(answer, body, query, path)`` returns the answer to give."""

    method: str
    path: str
    refuse: Callable[[Json, dict[str, str]], str | None] | None = None
    request: Callable[[Json, dict[str, str]], Json] | None = None
    response: Callable[[Json, Json, dict[str, str], str], Json] | None = None
    query: Callable[[dict[str, str]], dict[str, str]] | None = None

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path.removeprefix("/v1")) is not None


@dataclass
class Quirky(httpx.AsyncBaseTransport):
    """Forwards to ``inner`` through the hooks that match; records every request (method, path, query)."""

    inner: httpx.AsyncBaseTransport
    hooks: list[Hook] = field(default_factory=list)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        query = dict(request.url.params)
        self.seen.append((method, path, query))
        hooks = [h for h in self.hooks if h.matches(method, path)]
        body = json.loads(request.content) if request.content else None
        for hook in hooks:
            if hook.refuse and (message := hook.refuse(body, query)):
                return httpx.Response(400, json={"success": False, "data": {"message": message, "errorCode": "AB01"}})
        for hook in hooks:
            if hook.request:
                body = hook.request(body, query)
            if hook.query:
                query = hook.query(query)
                request = httpx.Request(method, request.url.copy_with(params=query), headers=request.headers,
                                        content=request.content)
        if any(h.request for h in hooks):
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            request = httpx.Request(method, request.url, headers=headers, content=json.dumps(body).encode())
        response = await self.inner.handle_async_request(request)
        if not any(h.response for h in hooks):
            return response
        await response.aread()
        answer = response.json() if response.content.strip() else {}
        for hook in hooks:
            if hook.response and response.is_success:
                answer = hook.response(answer, body, query, path)
        return httpx.Response(response.status_code, json=answer)


@dataclass
class Waiting(httpx.AsyncBaseTransport):
    """Waits on the event loop before each request, as a network would, so a cancellation can land there
    (the in-process sandbox answers without ever waiting)."""

    inner: httpx.AsyncBaseTransport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0)
        return await self.inner.handle_async_request(request)


def make_client(
    sb: Sandbox, hooks: list[Hook] | None = None, *, waits: bool = False
) -> tuple[PortkeyClient, Quirky]:
    """A client on ``sb`` through a :class:`Quirky` transport (quick retries, no waiting); ``waits`` puts a
    wait on the event loop before each request."""
    inner: httpx.AsyncBaseTransport = httpx.ASGITransport(app=sb.app)
    quirky = Quirky(Waiting(inner) if waits else inner, list(hooks or []))
    settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1",
                        retry=RetryPolicy(max_retries=2, backoff_base=0, backoff_max=0, retry_after_max=0))
    return PortkeyClient(settings, transport=quirky), quirky


def version_rows(answer: Json) -> list[dict[str, Any]]:
    return answer if isinstance(answer, list) else answer.get("data", [])


# ---- the other values of each switch, as hooks ------------------------------------------------------

VERSIONS = r"/prompts/[^/]+/versions"


def active_latest() -> list[Hook]:
    """'active' marks the newest version whatever is published."""
    def rewrite(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        rows = version_rows(answer)
        newest = max(row["prompt_version"] for row in rows)
        for row in rows:
            row["status"] = "active" if row["prompt_version"] == newest else "archived"
        return answer
    return [Hook("GET", VERSIONS, response=rewrite)]


def active_absent() -> list[Hook]:
    def rewrite(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        for row in version_rows(answer):
            row.pop("status", None)
        return answer
    return [Hook("GET", VERSIONS, response=rewrite)]


def template_without(*fields: str) -> list[Hook]:
    """Versions-list entries whose prompt_template lacks ``fields`` (all of it with no fields given)."""
    def rewrite(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        for row in version_rows(answer):
            if not fields:
                row.pop("prompt_template", None)
            for name in fields:
                row.get("prompt_template", {}).pop(name, None)
        return answer
    return [Hook("GET", VERSIONS, response=rewrite)]


def label_replaces() -> list[Hook]:
    """A label write leaves only the written label on the version."""
    last: dict[str, str] = {}

    def on_write(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        last[path.rsplit("/", 1)[1]] = body["label_id"]
        return answer

    def on_list(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        for row in version_rows(answer):
            if row["id"] in last:
                row["label_ids"], row["label_id"] = [last[row["id"]]], last[row["id"]]
        return answer

    def on_get(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        if answer.get("prompt_version_id") in last:
            answer["prompt_version_labels"] = [{"id": last[answer["prompt_version_id"]]}]
        return answer

    return [Hook("PUT", VERSIONS + r"/[^/]+", response=on_write), Hook("GET", VERSIONS, response=on_list),
            Hook("GET", r"/prompts/[^/]+", response=on_get)]


def names_refused() -> list[Hook]:
    return [Hook("POST", r"/prompts", refuse=lambda b, q: "name: ':' is not allowed" if ":" in b["name"] else None)]


def names_changed() -> list[Hook]:
    def rewrite(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        answer["name"] = re.sub(r"[^A-Za-z0-9 _.-]", "-", answer.get("name", ""))
        return answer
    return [Hook("GET", r"/prompts/[^/]+", response=rewrite)]


def tool_choice_accepted() -> list[Hook]:
    """'auto' kept: the sandbox (which takes objects only) is sent a stand-in and answers 'auto' again."""
    stand_in = {"type": "auto-stand-in"}

    def send(body: Json, query: dict[str, str]) -> Json:
        return {**body, "tool_choice": stand_in} if body.get("tool_choice") == "auto" else body

    def read(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        if answer.get("tool_choice") == stand_in:
            answer["tool_choice"] = "auto"
        return answer

    return [Hook("PUT", r"/prompts/[^/]+", request=send), Hook("GET", r"/prompts/[^/]+", response=read)]


def tools_refused() -> list[Hook]:
    return [Hook("PUT", r"/prompts/[^/]+", refuse=lambda b, q: "tools: not supported" if b.get("tools") else None)]


def conditions_accepted() -> list[Hook]:
    """PUT conditions taken: the sandbox (which refuses them) is sent the rest; reads show the new ones."""
    held: dict[str, Any] = {}

    def send(body: Json, query: dict[str, str]) -> Json:
        if "conditions" in body:
            held["conditions"] = body["conditions"]
        return {k: v for k, v in body.items() if k != "conditions"}

    def read(answer: Json, body: Json, query: dict[str, str], path: str) -> Json:
        return {**answer, **held}

    return [Hook("PUT", r"/policies/rate-limits/[^/]+", request=send),
            Hook("GET", r"/policies/rate-limits/[^/]+", response=read)]


def conditions_ignored() -> list[Hook]:
    """PUT answers OK but keeps the old conditions."""
    return [Hook("PUT", r"/policies/rate-limits/[^/]+",
                 request=lambda b, q: {k: v for k, v in b.items() if k != "conditions"})]


def current_page_ignored() -> list[Hook]:
    return [Hook("GET", r"/prompts", query=lambda q: {**q, "current_page": "0"})]


def page_size_ignored() -> list[Hook]:
    return [Hook("GET", r"/prompts", query=lambda q: {k: v for k, v in q.items() if k not in ("page_size",
                                                                                        "current_page")})]
