"""The apply lease and the local lock, one behaviour at a time: a held lease stops apply naming its holder
(or makes it wait), a stale one is taken over with a warning, duplicates-allowed accounts still elect one
holder, plan/prune/export never see the lease, and a create re-checks the listing first."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from engine.gitops.apply import ApplyError
from engine.gitops.export import Exporter
from engine.gitops.lease import GENERATION_NAME, LEASE_NAME, ApplyLease, LocalLock
from engine.gitops.live import Reader
from engine.gitops.model import ResourceKind
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient
from sandbox import FaultRule, Faults, Sandbox, serve_in_thread
from tests.entry_point import Run
from tests.gitops.conftest import KEY, make_client
from tests.gitops.helpers import account, inventory
from tests.lease.test_concurrent_applies import env, http_client, lease_labels

SANDBOX_KEY = "sandbox-key"  # engine.cli.connect.SANDBOX_KEY: what --sandbox uses


def with_sandbox(db: Path, work: Callable[[PortkeyClient, Sandbox], object]) -> object:
    """Run ``work(client, sandbox)`` on the embedded sandbox file ``db`` (what --sandbox uses)."""
    async def go() -> object:
        with Sandbox(db=str(db), api_key=SANDBOX_KEY) as sb:
            async with make_sandbox_client(sb) as client:
                return await work(client, sb)  # type: ignore[misc]

    return anyio.run(go)


def make_sandbox_client(sb: Sandbox) -> PortkeyClient:
    import httpx

    from engine.portkey import Secret, Settings

    return PortkeyClient(Settings(api_key=Secret(SANDBOX_KEY), base_url="http://127.0.0.1/v1"),
                         transport=httpx.ASGITransport(app=sb.app))


async def plant_lease(client: PortkeyClient, holder: str, *, expired: bool) -> str:
    """A lease label as another apply would have left it; returns its id."""
    start = datetime.now(UTC) - timedelta(hours=2 if expired else 0)
    expiry = start + timedelta(minutes=10)
    description = json.dumps({"holder": holder, "token": "other", "start": start.isoformat(),
                              "expiry": expiry.isoformat()})
    created = await client.call("create_prompt_label", body={"name": LEASE_NAME, "description": description})
    return str(created["id"])


def test_a_held_lease_stops_apply_naming_the_holder_and_nothing_is_written(
    cli: Callable[..., Run], project: Path, db: Path
) -> None:
    cli("plan", str(project), "--sandbox")  # creates the sandbox file

    async def plant(client: PortkeyClient, sb: Sandbox) -> list[tuple[str, str, int]]:
        await plant_lease(client, "alice@build-7 pid 42", expired=False)
        return inventory(await account(client))

    before = with_sandbox(db, plant)
    run = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert run.code == 1
    text = run.unwrapped
    assert "another apply holds the apply lease of this workspace: alice@build-7 pid 42 since" in text
    assert "Nothing was written" in text and "--lock-timeout" in text and "Traceback" not in text

    async def count(client: PortkeyClient, sb: Sandbox) -> list[tuple[str, str, int]]:
        return inventory(await account(client))

    assert with_sandbox(db, count) == before  # nothing of the project was written


def test_a_stale_lease_is_taken_over_with_a_warning(cli: Callable[..., Run], project: Path, db: Path) -> None:
    cli("plan", str(project), "--sandbox")

    async def plant(client: PortkeyClient, sb: Sandbox) -> None:
        await plant_lease(client, "bob@old-runner pid 7", expired=True)

    with_sandbox(db, plant)
    run = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert run.code == 0, run.err
    text = run.unwrapped
    assert "taking over a stale apply lease (expired): bob@old-runner pid 7 since" in text
    again = cli("plan", str(project), "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.out

    async def leases(client: PortkeyClient, sb: Sandbox) -> int:
        items, _ = await client.list_all("list_prompt_labels")
        return sum(1 for item in items if item["name"] == LEASE_NAME)

    assert with_sandbox(db, leases) == 0


def test_the_local_lock_stops_a_second_apply_of_one_checkout(cli: Callable[..., Run], project: Path) -> None:
    lock = LocalLock(project)
    anyio.run(lock.acquire)
    try:
        run = cli("apply", str(project), "--sandbox", "--auto-approve")
    finally:
        lock.release()
    assert run.code == 1
    text = run.unwrapped
    assert "another apply of this project runs on this machine" in text and "pid" in text
    assert "Nothing was written" in text
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0


def test_lock_timeout_waits_for_the_holder_to_release(project: Path) -> None:
    with Sandbox(db=":memory:", api_key=KEY) as sb, serve_in_thread(sb) as url:
        async def hold() -> str:
            async with http_client(url) as client:
                lease = ApplyLease(client, None, holder="carol@laptop pid 1")
                await lease.acquire()
                return str(lease.label_id)

        async def release(label_id: str) -> None:
            async with http_client(url) as client:
                await client.call("delete_prompt_label", label_id=label_id)

        lease = anyio.run(hold)
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "portkey-gitops"), "apply", str(project), "--auto-approve",
             "--lock-timeout", "120"], env=env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        said = ""
        while "waiting up to" not in said:  # the lease is given back only once the apply says it waits
            line = process.stderr.readline()  # type: ignore[union-attr]
            assert line, said + "".join(process.communicate())  # the apply ended without waiting
            said += line
        assert process.poll() is None  # still waiting
        anyio.run(release, lease)
        out, err = process.communicate(timeout=120)
        text = " ".join((out + said + err).split())
        assert process.returncode == 0, text
        assert "waiting up to" in text and "carol@laptop pid 1" in text
        assert lease_labels(url) == []


def test_duplicate_label_names_allowed_still_elect_one_holder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where an account takes two labels of one name, the oldest lease wins and the other apply backs off."""
    import sandbox.handlers.labels as labels

    monkeypatch.setattr(labels, "_ensure_unique", lambda *args, **kwargs: None)

    async def race() -> tuple[int, list[str], list[int], int]:
        with Sandbox(db=":memory:", api_key=KEY) as sb:
            inside: list[str] = []
            most: list[int] = []
            clients = [make_client(sb) for _ in range(5)]
            leases = [ApplyLease(c, None, holder=f"runner-{n}", poll=0.05) for n, c in enumerate(clients)]

            async def take(lease: ApplyLease) -> None:
                await lease.acquire(60)
                inside.append(lease.holder)
                most.append(len(inside))
                await anyio.sleep(0.2)
                inside.remove(lease.holder)
                await lease.release()

            async with anyio.create_task_group() as group:
                for lease in leases:
                    group.start_soon(take, lease)
            items, _ = await clients[0].list_all("list_prompt_labels")
            left = sum(1 for item in items if item["name"] == LEASE_NAME)
            for client in clients:
                await client.aclose()
            return len(most), inside, most, left

    turns, inside, most, left = anyio.run(race)
    assert turns == 5 and max(most) == 1  # every runner held it, never two at once
    assert inside == [] and left == 0



@pytest.mark.anyio
async def test_plan_prune_and_export_ignore_the_lease(project: Path, tmp_path: Path) -> None:
    from tests.gitops.helpers import converge, edit

    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            await converge(client, project)
            lease = ApplyLease(client, None)
            await lease.acquire()
            edit(project / "portkey.yaml", "prune: false", "prune: true")
            planned = await plan_project(client, project, prune=True)
            assert not planned.plan.has_changes and not planned.plan.errors, planned.plan.changes
            live = await Reader(client, None, "gitops:").read(set(ResourceKind))
            assert LEASE_NAME not in live.labels_by_name
            assert all(o.name != LEASE_NAME for o in live.objects[ResourceKind.LABEL])
            Exporter(live, tmp_path / "exported", "gitops:", None).write()
            assert not list((tmp_path / "exported").rglob(f"{LEASE_NAME}*"))
            await lease.release()


@pytest.mark.anyio
async def test_a_create_made_meanwhile_is_not_made_again(project: Path) -> None:
    """Another apply that skipped the lease (an older engine, a person) created a prompt after our plan:
    apply stops at that create, says why, and the account keeps one prompt of that name."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            ours = await plan_project(client, project)
            theirs = await plan_project(client, project)
            await apply_planned(client, theirs)
            before = inventory(await account(client))
            with pytest.raises(ApplyError) as caught:
                await apply_planned(client, ours)
            assert "exists in Portkey now" in str(caught.value) and "plan and apply again" in str(caught.value)
            assert inventory(await account(client)) == before
            again = await plan_project(client, project)
            assert not again.plan.has_changes and not again.plan.errors


@pytest.mark.anyio
async def test_label_creates_whose_answers_were_lost_are_looked_for_then_made_once() -> None:
    """Under faults, taking the lease on a fresh account: the lease label's create and the generation label's
    create are each answered 500 once (nothing made); each is looked for, sent again, and exists once."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            sb.faults = Faults(per_operation={"create_prompt_label": FaultRule(script=("500", "ok", "500"))})
            lease = ApplyLease(client, None)
            await lease.acquire()
            sb.faults = None
            names = [label["name"] for label in (await client.list_all("list_prompt_labels"))[0]]
            assert names.count(LEASE_NAME) == 1 and names.count(GENERATION_NAME) == 1
            await lease.release()
