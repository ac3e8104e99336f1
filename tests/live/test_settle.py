"""An account answering in the evidenced real shapes settles: apply, then plan shows no changes; and a
latest version carrying our stamp is never made again for a difference Portkey adds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.gitops import kinds
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import make_client
from tests.gitops.helpers import actions, converge, edit

pytestmark = pytest.mark.anyio


def _parts(string: Any) -> Any:
    """A chat template's message contents as lists of text parts (prompts-get.json)."""
    if not (isinstance(string, str) and string.startswith("[")):
        return string
    messages = json.loads(string)
    return json.dumps([{**m, "content": [{"type": "text", "text": m["content"]}]} for m in messages])


def _real_version(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A version as prompts-get.json shows one: parts, echoed variables and model, integer flags."""
    decoded = kinds._decode_string(body.get("string"))
    names = {n for n in kinds.template_names(decoded) if "." not in n}
    body["string"] = _parts(body.get("string"))
    body["parameters"] = {**{n: "" for n in names}, **(body.get("parameters") or {}), "model": body.get("model"),
                          **extra}
    body["is_raw_template"] = 0
    for key in ("functions", "tools", "tool_choice"):
        body.setdefault(key, None)
    return body


class RealShapes(httpx.AsyncBaseTransport):
    """The sandbox, answering reads in the shapes the recorded live answers and Portkey's clients show."""

    def __init__(self, inner: httpx.AsyncBaseTransport, extra: dict[str, Any] | None = None) -> None:
        self.inner = inner
        self.extra = extra or {}  # parameters Portkey is made to add on its own (cosmetic differences)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        path = request.url.path.removeprefix("/v1")
        parts = path.strip("/").split("/")
        if parts[0] == "prompts" and parts[-1] == "versions":
            rows = sorted(body, key=lambda r: -int(r.get("version") or r.get("prompt_version") or 0))
            for row in rows:
                row.pop("prompt_template", None)  # not evidenced: read each version
                row.pop("label_ids", None)
            body = {"object": "list", "total": len(rows), "data": rows}
        elif parts[0] == "prompts" and len(parts) == 2 and parts[1] != "partials":
            label = body.pop("prompt_version_label_id", None)
            body = {**_real_version(body, self.extra), "prompt_version_labels": [label] if label else [],
                    "prompt_version_label_id": label}
        elif parts[0] == "configs" and len(parts) == 2:
            body["config"] = json.dumps(body["config"])
            body["is_default"] = int(bool(body.get("is_default")))
        return httpx.Response(200, json=body)


async def test_the_example_applies_and_settles_against_real_shapes(sandbox: Sandbox, project: Path) -> None:
    async with make_client(sandbox, RealShapes(httpx.ASGITransport(app=sandbox.app))) as real:
        await converge(real, project)
        again = (await plan_project(real, project)).plan
        assert not again.has_changes, actions(again)
        assert again.drift == []
        edit(project / "prompts/support/triage.prompt.yaml", "temperature: 0.2", "temperature: 0.3")
        await converge(real, project)
        settled = (await plan_project(real, project)).plan
        assert not settled.has_changes, actions(settled)


async def test_a_stamped_latest_version_is_kept_whatever_portkey_adds(sandbox: Sandbox, project: Path,
                                                                     client: PortkeyClient) -> None:
    await converge(client, project)
    adds = RealShapes(httpx.ASGITransport(app=sandbox.app), extra={"top_k": 40})
    async with make_client(sandbox, adds) as real:
        plan = (await plan_project(real, project)).plan
    assert not plan.has_changes, "no new version for a field Portkey fills in on its own"
    prompts = sorted(d["address"] for d in plan.drift)
    assert prompts == sorted(c.address for c in plan.changes if c.kind == "prompt") and len(prompts) >= 3
    assert all(d["fields"] == ["parameters"] and "no new version" in d["detail"] for d in plan.drift)
