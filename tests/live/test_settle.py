"""An account answering in the evidenced real shapes settles: apply, then plan shows no changes; and a
latest version carrying our stamp is never made again for a difference Portkey adds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import make_client
from tests.gitops.helpers import actions, converge, edit

pytestmark = pytest.mark.anyio


# The sandbox answers in these shapes by default (sandbox/quirks.py): wrapped versions lists newest first,
# message contents as text parts, echoed variables and model in `parameters`, integer flags,
# `prompt_version_labels`, configs as JSON-encoded strings (portkey-live prompts-get.json, configs-get.json).
LIVE = {"versions_envelope": "wrapped", "prompt_shape": "live", "parameters_echo": "on", "config_encoding": "string"}


def _parts(string: Any) -> Any:
    """A chat template's message contents as lists of text parts (prompts-get.json)."""
    if not (isinstance(string, str) and string.startswith("[")):
        return string
    messages = json.loads(string)
    assert all(isinstance(m["content"], str) for m in messages), "the sandbox keeps contents as written"
    return json.dumps([{**m, "content": [{"type": "text", "text": m["content"]}]} for m in messages])


class RealShapes(httpx.AsyncBaseTransport):
    """The sandbox's live-shaped answers, minus what the evidence does not show and plus what Portkey may add.

    Versions-list rows lose `prompt_template` (not evidenced: the engine reads each version) and the
    sandbox's `label_ids` extension; a prompt read's message contents become lists of text parts, as the
    recorded prompts-get.json holds them (the sandbox keeps them as written), and `extra` is added to its
    `parameters` (differences Portkey makes on its own).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, extra: dict[str, Any] | None = None) -> None:
        self.inner = inner
        self.extra = extra or {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        parts = request.url.path.removeprefix("/v1").strip("/").split("/")
        if parts[0] == "prompts" and parts[-1] == "versions":
            for row in body["data"]:
                row.pop("prompt_template", None)
                row.pop("label_ids", None)
        elif parts[0] == "prompts" and len(parts) == 2 and parts[1] != "partials":
            body["string"] = _parts(body.get("string"))
            body["parameters"] = {**(body.get("parameters") or {}), **self.extra}
        return httpx.Response(200, json=body)


def _answers_live(sandbox: Sandbox) -> None:
    assert {name: sandbox.quirks[name] for name in LIVE} == LIVE


async def test_the_example_applies_and_settles_against_real_shapes(sandbox: Sandbox, project: Path) -> None:
    _answers_live(sandbox)
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
    _answers_live(sandbox)
    await converge(client, project)
    adds = RealShapes(httpx.ASGITransport(app=sandbox.app), extra={"top_k": 40})
    async with make_client(sandbox, adds) as real:
        plan = (await plan_project(real, project)).plan
    assert not plan.has_changes, "no new version for a field Portkey fills in on its own"
    prompts = sorted(d["address"] for d in plan.drift)
    assert prompts == sorted(c.address for c in plan.changes if c.kind == "prompt") and len(prompts) >= 3
    assert all(d["fields"] == ["parameters"] and "no new version" in d["detail"] for d in plan.drift)
