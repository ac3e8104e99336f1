"""Every race of the apply lease, forced one interleaving at a time (no timing luck): a create of the lease
label that loses to another apply means "held by another" (wait, then a clear stop naming the holder), never
an API error; the same for the generation label, a stale lease two applies take over at once, and a release
of a lease already gone. Portkey's answer to a duplicate label name is recognised as 409 (AB07, "Resource
already exists" in Portkey's error table) and as a 400 whose message says the name exists."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest

from engine.gitops.lease import GENERATION_NAME, LEASE_NAME, ApplyLease, LeaseHeldError, name_taken
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyAPIError, PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import EXAMPLE, KEY, make_client

Match = Callable[[httpx.Request, httpx.Response], bool]


class Interleave(httpx.AsyncBaseTransport):
    """The sandbox's transport, which runs ``then`` once right after the first answer that ``when`` matches
    (before the client sees it): another apply's steps land exactly between two of ours."""

    def __init__(
        self,
        sb: Sandbox,
        when: Match,
        then: Callable[[], Awaitable[None]],
        rewrite: Callable[[httpx.Response], httpx.Response] | None = None,
    ) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.when, self.then, self.rewrite = when, then, rewrite
        self.fired = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.fired and self.when(request, response):
            self.fired = True
            await self.then()
        if self.rewrite is not None:
            body = await response.aread()
            response = self.rewrite(httpx.Response(response.status_code, headers=response.headers, content=body))
        return response


def creating(name: str, status: int | None = None) -> Match:
    """The answer to a create of the label ``name`` (with HTTP ``status``, when given)."""

    def match(request: httpx.Request, response: httpx.Response) -> bool:
        if request.method != "POST" or not request.url.path.endswith("/labels"):
            return False
        return json.loads(request.content).get("name") == name and status in (None, response.status_code)

    return match


def deleting(request: httpx.Request, response: httpx.Response) -> bool:
    return request.method == "DELETE" and "/labels/" in request.url.path


def as_400(response: httpx.Response) -> httpx.Response:
    """Portkey answering a duplicate name 400 AB01 (as its spec documents only 400 for this create)."""
    if response.status_code != 409:
        return response
    body = {"success": False, "data": {"errorCode": "AB01", "message": "Label with this name already exists"}}
    return httpx.Response(400, json=body)


async def labels(client: PortkeyClient, name: str) -> list[dict[str, str]]:
    items, _ = await client.list_all("list_prompt_labels")
    return [item for item in items if item.get("name") == name]


async def plant_stale(client: PortkeyClient) -> str:
    start = datetime.now(UTC) - timedelta(hours=2)
    description = json.dumps(
        {
            "holder": "dave@old pid 9",
            "token": "old",
            "start": start.isoformat(),
            "expiry": (start + timedelta(minutes=10)).isoformat(),
        }
    )
    return str((await client.call("create_prompt_label", body={"name": LEASE_NAME, "description": description}))["id"])


@pytest.mark.anyio
@pytest.mark.parametrize("duplicate_answer", ["409 AB07", "400 already exists"])
async def test_a_create_that_loses_to_a_holder_who_then_releases_takes_the_lease(duplicate_answer: str) -> None:
    """The failure seen under load: our create is refused because another apply holds the lease, and that apply
    releases before our listing. The lease is free: we take it (even without --lock-timeout), no API error."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as other_client:
            holder = ApplyLease(other_client, None, holder="erin@ci pid 2")
            await holder.acquire()
            rewrite = as_400 if duplicate_answer.startswith("400") else None
            transport = Interleave(sb, creating(LEASE_NAME, 409), holder.release, rewrite)
            async with make_client(sb, transport) as client:
                lease = ApplyLease(client, None, holder="frank@ci pid 3", poll=0.01)
                await lease.acquire(0)
                assert transport.fired and lease.held
                assert [label["id"] for label in await labels(client, LEASE_NAME)] == [lease.label_id]
                await lease.release()
                assert await labels(client, LEASE_NAME) == []


@pytest.mark.anyio
@pytest.mark.parametrize("duplicate_answer", ["409 AB07", "400 already exists"])
async def test_a_create_that_loses_to_a_live_holder_waits_then_names_it(duplicate_answer: str) -> None:
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as other_client:
            holder = ApplyLease(other_client, None, holder="erin@ci pid 2")
            await holder.acquire()
            told: list[str] = []
            rewrite = as_400 if duplicate_answer.startswith("400") else None

            async def nothing() -> None:
                return None

            async with make_client(sb, Interleave(sb, creating(LEASE_NAME), nothing, rewrite)) as client:
                lease = ApplyLease(client, None, holder="frank@ci pid 3", poll=0.01, warn=told.append)
                with pytest.raises(LeaseHeldError) as caught:
                    await lease.acquire(0.05)
            assert "erin@ci pid 2" in str(caught.value) and "Nothing was written" in str(caught.value)
            assert any("waiting up to" in line and "erin@ci pid 2" in line for line in told)
            assert [label["id"] for label in await labels(other_client, LEASE_NAME)] == [holder.label_id]
            await holder.release()


class Refuse(httpx.AsyncBaseTransport):
    """The sandbox's transport, except that every create of a label is refused with ``answer`` unsent."""

    def __init__(self, sb: Sandbox, answer: httpx.Response) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.answer = answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/labels"):
            return httpx.Response(self.answer.status_code, headers=self.answer.headers, content=self.answer.content)
        return await self.inner.handle_async_request(request)


@pytest.mark.anyio
async def test_a_refusal_that_is_no_name_collision_still_stops_with_its_error() -> None:
    """Not every refusal is a race: a create refused while no lease exists, again and again, is reported."""
    refusal = httpx.Response(
        400, json={"success": False, "data": {"errorCode": "AB01", "message": "description: too long"}}
    )
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb, Refuse(sb, refusal)) as client:
            with pytest.raises(PortkeyAPIError) as caught:
                await ApplyLease(client, None, poll=0.01).acquire(0)
            assert caught.value.status == 400 and "description: too long" in str(caught.value)
            assert await labels(client, LEASE_NAME) == []


@pytest.mark.anyio
async def test_a_generation_label_made_meanwhile_is_updated_not_an_error() -> None:
    """The generation label's create loses to one made between our listing and our create (an apply that took
    a stale lease over, or a late lost create): its value is replaced with ours, it exists once."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as other_client:

            async def made_meanwhile() -> None:
                await other_client.call("create_prompt_label", body={"name": GENERATION_NAME, "description": "theirs"})

            def before_ours(request: httpx.Request, response: httpx.Response) -> bool:
                return request.method == "GET" and request.url.path.endswith("/labels")

            async with make_client(sb, Interleave(sb, before_ours, made_meanwhile)) as client:
                lease = ApplyLease(client, None)
                await lease.acquire(0)
                assert lease.held
                generations = await labels(client, GENERATION_NAME)
                assert len(generations) == 1 and generations[0]["description"] != "theirs"
                await lease.release()


@pytest.mark.anyio
async def test_two_applies_taking_over_one_stale_lease_elect_one() -> None:
    """Both see the stale lease; the other deletes it and takes the lease while our delete is on its way (ours
    answers 404): we then see the other's live lease and stop naming it; one lease is left, the other's."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as setup:
            await plant_stale(setup)
        async with make_client(sb) as other_client:
            other = ApplyLease(other_client, None, holder="grace@ci pid 4")
            told: list[str] = []
            async with make_client(sb, Interleave(sb, deleting, other.acquire)) as client:
                lease = ApplyLease(client, None, holder="heidi@ci pid 5", poll=0.01, warn=told.append)
                with pytest.raises(LeaseHeldError) as caught:
                    await lease.acquire(0)
            assert other.held and "grace@ci pid 4" in str(caught.value)
            assert any("stale" in line and "dave@old pid 9" in line for line in told)
            assert [label["id"] for label in await labels(other_client, LEASE_NAME)] == [other.label_id]
            await other.release()


@pytest.mark.anyio
@pytest.mark.parametrize("gone", ["404 AB08", "403 AB03"])
async def test_releasing_a_lease_already_gone_is_quiet(gone: str) -> None:
    """A lease removed meanwhile (taken over after it expired): the release's 404, or the 403 AB03 some
    Portkey endpoints answer for a deleted object, means done; no warning, nothing else deleted."""
    status, code = gone.split()

    def answer(response: httpx.Response) -> httpx.Response:
        if response.status_code != 404:
            return response
        return httpx.Response(int(status), json={"success": False, "data": {"errorCode": code, "message": "gone"}})

    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as other_client:
            told: list[str] = []
            lease: ApplyLease | None = None

            async def taken_over() -> None:
                assert lease is not None and lease.label_id
                await other_client.call("delete_prompt_label", label_id=lease.label_id)

            async with make_client(sb, Interleave(sb, lambda rq, rs: False, taken_over, answer)) as client:
                lease = ApplyLease(client, None, warn=told.append)
                await lease.acquire(0)
                await taken_over()
                await lease.release()
            assert told == [] and not lease.held


@pytest.mark.anyio
async def test_an_apply_whose_lease_create_loses_the_race_applies_once(tmp_path: Path) -> None:
    """The user's view of the flake: apply (no --lock-timeout) while another apply is just releasing; it
    takes the lease and writes, and the account holds one object per resource, no lease left."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as other_client:
            holder = ApplyLease(other_client, None, holder="ivan@ci pid 6")
            await holder.acquire()
            async with make_client(sb, Interleave(sb, creating(LEASE_NAME, 409), holder.release)) as client:
                result = await apply_planned(client, await plan_project(client, project))
                assert result.writes > 0
                again = await plan_project(client, project)
                assert not again.plan.has_changes and not again.plan.errors
                assert await labels(client, LEASE_NAME) == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body", "taken"),
    [
        (409, {"success": False, "data": {"errorCode": "AB07", "message": "Resource already exists"}}, True),
        (409, None, True),
        (400, {"errorCode": "AB07", "message": "Label exists"}, True),
        (400, {"error": {"code": "invalid_request", "message": "A label with this name already exists"}}, True),
        (422, {"message": "duplicate label name"}, True),
        (400, {"success": False, "data": {"errorCode": "AB01", "message": "description: too long"}}, False),
        (403, {"errorCode": "AB03", "message": "label already exists in another workspace"}, False),
        (500, {"message": "already exists"}, False),
    ],
)
async def test_portkeys_answer_to_a_duplicate_label_name_is_recognised(
    status: int, body: dict[str, object] | None, taken: bool
) -> None:
    """Every error envelope Portkey uses (top level, ``data``, ``error``): 409 or AB07 is a taken name, and so
    is a 4xx that says the name exists; a refusal for rights or a server error is not."""
    answer = httpx.Response(status, json=body) if body is not None else httpx.Response(status)
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb, Refuse(sb, answer)) as client:
            with pytest.raises(PortkeyAPIError) as caught:
                await client.call("create_prompt_label", body={"name": LEASE_NAME})
    assert caught.value.status == status
    assert name_taken(caught.value) is taken


@pytest.mark.anyio
async def test_a_lease_taken_over_while_held_is_said_once_and_not_renewed() -> None:
    """Our lease removed while we hold it (another apply took it over as expired): the renewal says so once,
    stops renewing, and the release leaves the other apply's lease alone."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client, make_client(sb) as other_client:
            told: list[str] = []
            lease = ApplyLease(client, None, ttl=0.15, warn=told.append)
            await lease.acquire(0)
            assert lease.label_id
            await other_client.call("delete_prompt_label", label_id=lease.label_id)
            other = ApplyLease(other_client, None, holder="judy@ci pid 7")
            await other.acquire(0)
            with anyio.fail_after(30):
                await lease.keep_renewed()  # returns by itself once it finds the lease gone
            assert len(told) == 1 and "the apply lease is gone" in told[0], told
            await lease.release()
            assert [label["id"] for label in await labels(client, LEASE_NAME)] == [other.label_id]
            await other.release()
