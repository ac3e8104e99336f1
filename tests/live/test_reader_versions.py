"""Reading prompt and partial versions in every evidenced shape: wrapped or bare, any order, with or
without a complete prompt_template, and the published version by the active_version switch."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from engine.gitops.behaviour import DEFAULT
from engine.gitops.live import PROMPT_VERSION_FIELDS, LiveObject, Reader
from engine.gitops.model import ResourceKind
from tests.live.recorded import envelope, load
from tests.portkey.helpers import Recorder, make_client

pytestmark = pytest.mark.anyio

RECORDED = load("prompts-get.json")
PID = RECORDED["id"]


def version(number: int, text: str) -> dict[str, Any]:
    body = copy.deepcopy(RECORDED)
    body["prompt_version"] = number
    body["prompt_version_id"] = f"v-{number}"
    body["string"] = json.dumps([{"role": "user", "content": [{"type": "text", "text": text}]}])
    return body


class Account:
    """One managed prompt with versions 1..3 (v2 published, v3 latest), answered as configured."""

    def __init__(self, *, wrapped: bool = True, template: str = "none", statuses: str = "published") -> None:
        self.versions = {n: version(n, f"text {n}") for n in (1, 2, 3)}
        self.versions[2]["prompt_version_labels"] = [{"id": "label-prod", "name": "production"}]
        self.wrapped, self.template, self.statuses = wrapped, template, statuses
        self.recorder = Recorder(self.handle)

    def row(self, number: int) -> dict[str, Any]:
        body = self.versions[number]
        status = {"published": "active" if number == 2 else "archived",
                  "latest": "active" if number == 3 else "archived"}.get(self.statuses)
        row: dict[str, Any] = {"id": body["prompt_version_id"], "prompt_id": PID, "prompt_version": number,
                               "created_at": f"2026-05-0{number}", "object": "prompt"}
        if status:
            row["status"] = status
        if number == 2:
            row["prompt_version_labels"] = body["prompt_version_labels"]
        if self.template == "full":
            row["prompt_template"] = {k: body.get(k) for k in (*PROMPT_VERSION_FIELDS, "is_raw_template")}
        elif self.template == "partial":
            row["prompt_template"] = {"string": body["string"], "model": body["model"]}
        return row

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if path == "/prompts":
            return httpx.Response(200, json=envelope([{"id": PID, "name": "gitops:p", "slug": RECORDED["slug"]}]))
        if path == f"/prompts/{PID}/versions":
            rows = [self.row(n) for n in (3, 2, 1)]  # newest first, as the Terraform provider notes
            return httpx.Response(200, json=envelope(rows) if self.wrapped else rows)
        if path == f"/prompts/{PID}":
            number = int(request.url.params.get("version", 2))
            return httpx.Response(200, json=self.versions[number])
        return httpx.Response(200, json=envelope([]))

    def reads(self) -> list[str]:
        return [f"{r.url.path.removeprefix('/v1/prompts/' + PID) or 'get'}?{r.url.query.decode()}"
                for r in self.recorder.requests if r.url.path.startswith(f"/v1/prompts/{PID}")]


async def read(account: Account, **behaviour: str) -> LiveObject:
    client, _ = make_client(account.recorder)
    async with client:
        state = await Reader(client, None, "gitops:", behaviour=DEFAULT.with_values(**behaviour)).read(
            {ResourceKind.PROMPT})
    return state.objects[ResourceKind.PROMPT][0]


@pytest.mark.parametrize("wrapped", [True, False])
async def test_the_latest_is_the_highest_number_in_any_order_and_envelope(wrapped: bool) -> None:
    obj = await read(Account(wrapped=wrapped, template="full"))
    assert (obj.version, obj.published_version) == (3, 2)
    assert json.loads(obj.latest["string"])[0]["content"][0]["text"] == "text 3"
    assert obj.labels == {"label-prod": 2}, "labels come from prompt_version_labels"


async def test_a_complete_template_in_the_list_spares_every_detail_read() -> None:
    account = Account(template="full")
    await read(account)
    assert account.reads() == ["/versions?"]


@pytest.mark.parametrize("template", ["partial", "none"])
async def test_an_incomplete_template_costs_one_read_of_that_version(template: str) -> None:
    account = Account(template=template)
    obj = await read(account)
    assert account.reads() == ["/versions?", "get?version=3"]
    assert obj.latest["parameters"]["model"] == RECORDED["model"] and obj.latest["tools"] is None
    assert json.loads(obj.latest["string"])[0]["content"][0]["text"] == "text 3"


@pytest.mark.parametrize("value", ["latest", "absent"])
async def test_without_a_trustworthy_status_the_published_version_is_read(value: str) -> None:
    account = Account(template="full", statuses=value)
    obj = await read(account, active_version=value)
    assert (obj.version, obj.published_version) == (3, 2), "not the row marked active"
    assert account.reads() == ["/versions?", "get?"]


async def test_published_switch_trusts_the_single_active_row() -> None:
    account = Account(template="full", statuses="latest")
    obj = await read(account)  # default: active_version=published
    assert obj.published_version == 3 and account.reads() == ["/versions?"]


async def test_partial_versions_wrapped_in_data_are_read() -> None:
    rows = [{"prompt_partial_version_id": f"pv-{n}", "version": str(n), "string": f"body {n}",
             "prompt_version_status": "active" if n == 1 else "archived"} for n in (2, 1)]

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if path == "/prompts/partials":
            return httpx.Response(200, json={"data": [{"id": "pp", "slug": "pl-x", "name": "gitops:tone"}]})
        if path == "/prompts/partials/pp/versions":
            return httpx.Response(200, json={"data": rows})
        return httpx.Response(200, json=envelope([]))

    client, _ = make_client(Recorder(handle))
    async with client:
        state = await Reader(client, None, "gitops:").read({ResourceKind.PARTIAL})
    obj = state.objects[ResourceKind.PARTIAL][0]
    assert (obj.version, obj.published_version, obj.latest) == (2, 1, {"string": "body 2"})
