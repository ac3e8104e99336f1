"""A thin ASGI shim around the sandbox that behaves as real Portkey accounts may where today's sandbox
does not (policy conditions on PUT, string tool_choice, a label write that replaces), or answers as
badly as a real one might (no new version id, a versions list that lags behind the write)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from engine.portkey import PortkeyClient
from sandbox import Sandbox
from sandbox.handlers.policies import conditions as parse_conditions
from tests.contract.recorder import ContractTransport
from tests.gitops.conftest import make_client

_STRING = "__portkey_string__"
_POLICY = re.compile(r"/v1/policies/(rate|usage)-limits/([0-9a-f-]{36})")
_PROMPT = re.compile(r"/v1/prompts/([^/]+)")
_VERSIONS = re.compile(r"/v1/prompts/([^/]+)/versions")
_LABEL_WRITE = re.compile(r"/v1/prompts/([^/]+)/versions/([^/]+)")


@dataclass
class Shim:
    """Forwards to ``sb`` and changes what the switches say; ``seen`` holds (method, path, body) sent."""

    sb: Sandbox
    conditions_put: bool = False  # PUT on a policy takes `conditions` (backend v1.16.0+)
    string_tool_choice: bool = False  # tool_choice "auto" / "none" / "required" stored as sent
    replace_labels: bool = False  # a label write replaces the version's labels
    drop_version_id: bool = False  # a prompt update answers without prompt_version_id
    lag_reads: int = 0  # versions-list reads after an update that do not show the new version yet
    decoy: bool = False  # versions lists also show a higher-numbered version that is not the new one
    seen: list[tuple[str, str, Any]] = field(default_factory=list)
    _hidden: dict[str, int] = field(default_factory=dict)  # version id -> reads left that hide it

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.sb.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        body = json.loads(raw) if raw else None
        self.seen.append((method, path, body))
        body = self._request(method, path, body)
        status, headers, answer = await self._forward(scope, body)
        if status < 300:
            answer = self._response(method, path, body, answer)
        content = json.dumps(answer).encode() if answer is not None else b""
        headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length",)]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _request(self, method: str, path: str, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        if self.string_tool_choice and isinstance(body.get("tool_choice"), str):
            body = {**body, "tool_choice": {_STRING: body["tool_choice"]}}
        if self.conditions_put and method == "PUT" and _POLICY.fullmatch(path) and "conditions" in body:
            kind, policy_id = _POLICY.fullmatch(path).groups()  # type: ignore[union-attr]
            wanted = parse_conditions(body)
            with self.sb._store.transaction() as tx:
                doc = tx.get(f"{kind}_limit", policy_id)
                if doc is not None:
                    tx.put(f"{kind}_limit", {**doc, "conditions": wanted})
            body = {k: v for k, v in body.items() if k != "conditions"}
        label_write = _LABEL_WRITE.fullmatch(path)
        if self.replace_labels and method == "PUT" and label_write and body.get("label_id"):
            with self.sb._store.transaction() as tx:
                version = tx.get("prompt_version", label_write.group(2))
                if version is not None:
                    tx.put("prompt_version", {**version, "label_ids": []})
        return body

    def _response(self, method: str, path: str, sent: Any, answer: Any) -> Any:
        if method == "PUT" and _PROMPT.fullmatch(path) and isinstance(answer, dict):
            new_id = answer.get("prompt_version_id")
            if new_id and self.lag_reads:
                self._hidden[str(new_id)] = self.lag_reads
            if self.drop_version_id:
                answer = {k: v for k, v in answer.items() if k != "prompt_version_id"}
        if method == "GET" and _VERSIONS.fullmatch(path):
            answer = self._versions(answer)
        return _strings(answer) if self.string_tool_choice else answer

    def _versions(self, answer: Any) -> Any:
        items = answer if isinstance(answer, list) else answer.get("data", [])
        hidden = {vid for vid, left in self._hidden.items() if left > 0}
        for vid in hidden:
            self._hidden[vid] -= 1
        items = [row for row in items if str(row.get("id")) not in hidden]
        if self.decoy and items:
            items = [*items, {**items[-1], "id": "00000000-0000-4000-8000-00000000dec0", "prompt_version": 99,
                              "label_ids": [], "label_id": None, "status": "archived"}]
        return items if isinstance(answer, list) else {**answer, "data": items}

    async def _forward(self, scope: dict[str, Any], body: Any) -> tuple[int, list[Any], Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        out: dict[str, Any] = {"body": b""}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out["status"], out["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        await self.sb.app({**scope, "headers": headers}, receive, capture)
        answer = json.loads(out["body"]) if out["body"] else None
        return out["status"], out["headers"], answer

    def client(self) -> tuple[PortkeyClient, ContractTransport]:
        """A client on this shim whose traffic is checked against the spec (with its deviations)."""
        transport = ContractTransport(httpx.ASGITransport(app=self))
        return make_client(self.sb, transport), transport

    def bodies(self, method: str, pattern: str) -> list[Any]:
        """Bodies of the requests sent with ``method`` to a path matching ``pattern`` (after /v1)."""
        return [body for m, p, body in self.seen if m == method and re.fullmatch(pattern, p.removeprefix("/v1"))]


def _strings(value: Any) -> Any:
    """Turn the shim's stored stand-ins back into the strings that were sent."""
    if isinstance(value, dict):
        if set(value) == {_STRING}:
            return value[_STRING]
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return value
