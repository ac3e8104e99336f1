"""Several applies at once on one project, as separate processes over real HTTP to one sandbox:
one object per resource, no doubled version, the others wait or stop cleanly; a stale lease is
taken over with a warning; a killed apply's lease expires."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from engine.gitops.lease import LEASE_NAME
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import Sandbox, serve_in_thread
from sandbox.faults import Faults
from tests.gitops.conftest import EXAMPLE, KEY, make_client
from tests.gitops.helpers import account, inventory

CLI = Path(sys.executable).parent / "portkey-gitops"
HELD = "another apply holds the apply lease"


@pytest.fixture
def served() -> Iterator[str]:
    """A sandbox over real HTTP (uvicorn on a thread); yields its base URL."""
    with Sandbox(db=":memory:", api_key=KEY) as sb, serve_in_thread(sb) as url:
        yield url


@pytest.fixture
def slow_served() -> Iterator[str]:
    """As ``served``, with 150 ms per request, so an apply is still writing when the test kills it."""
    slow = Faults.uniform(0, latency_ms=150)
    with Sandbox(db=":memory:", api_key=KEY, faults=slow) as sb, serve_in_thread(sb) as url:
        yield url


def http_client(url: str) -> PortkeyClient:
    return PortkeyClient(Settings(api_key=Secret(KEY), base_url=url, retry=RetryPolicy(max_retries=2)))


def copies(tmp_path: Path, count: int) -> list[Path]:
    """``count`` checkouts of the example project (as on ``count`` machines)."""
    roots = []
    for n in range(count):
        root = tmp_path / f"checkout{n}"
        shutil.copytree(EXAMPLE, root)
        roots.append(root)
    return roots


def env(url: str, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "CI", "GITHUB_"))}
    return {**base, "PORTKEY_API_KEY": KEY, "PORTKEY_BASE_URL": url, "PORTKEY_MAX_RETRIES": "2", **extra}


def start(root: Path, url: str, *args: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), "apply", str(root), "--auto-approve", *args], env=env(url, **extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, out + err))
    return results


_REFERENCE: list[tuple[str, str, int]] = []


def reference(tmp_path: Path) -> list[tuple[str, str, int]]:
    """What one apply alone leaves in an empty account: (kind, name, versions) of every object."""
    if not _REFERENCE:
        root = tmp_path / "alone"
        shutil.copytree(EXAMPLE, root)

        async def once() -> list[tuple[str, str, int]]:
            with Sandbox(db=":memory:", api_key=KEY) as sb:
                async with make_client(sb) as client:
                    await apply_planned(client, await plan_project(client, root))
                    return inventory(await account(client))

        _REFERENCE.extend(anyio.run(once))
    return list(_REFERENCE)


def settled(url: str, root: Path) -> tuple[list[tuple[str, str, int]], bool]:
    """The account's inventory and whether a plan of ``root`` now has changes (or errors)."""
    async def read() -> tuple[list[tuple[str, str, int]], bool]:
        async with http_client(url) as client:
            planned = await plan_project(client, root)
            return inventory(await account(client)), bool(planned.plan.has_changes or planned.plan.errors)

    return anyio.run(read)


def lease_labels(url: str) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with http_client(url) as client:
            items, _ = await client.list_all("list_prompt_labels")
            return [item for item in items if item.get("name") == LEASE_NAME]

    return anyio.run(read)


@pytest.mark.parametrize("count", [2, 5])
def test_concurrent_applies_that_wait_leave_one_object_per_resource(
    served: str, tmp_path: Path, count: int
) -> None:
    results = finish([start(root, served, "--lock-timeout", "240") for root in copies(tmp_path, count)])
    assert [code for code, _ in results] == [0] * count, results
    assert all("Traceback" not in text for _, text in results)
    found, changes = settled(served, tmp_path / "checkout0")
    assert found == reference(tmp_path)  # one object per resource, one version each: nothing doubled
    assert not changes
    assert lease_labels(served) == []  # every lease was released


@pytest.mark.parametrize("count", [2, 5])
def test_concurrent_applies_that_do_not_wait_stop_cleanly(served: str, tmp_path: Path, count: int) -> None:
    results = finish([start(root, served) for root in copies(tmp_path, count)])
    for code, text in results:
        assert code in (0, 1), text
        assert "Traceback" not in text
        if code == 1:
            assert HELD in text and "since" in text and "Nothing was written" in text
    assert any(code == 0 for code, _ in results)
    found, changes = settled(served, tmp_path / "checkout0")
    assert found == reference(tmp_path)
    assert not changes
    assert lease_labels(served) == []


def test_two_applies_of_one_checkout_take_turns_on_the_local_lock(served: str, tmp_path: Path) -> None:
    root = copies(tmp_path, 1)[0]
    results = finish([start(root, served, "--lock-timeout", "240") for _ in range(2)])
    assert [code for code, _ in results] == [0, 0], results
    found, changes = settled(served, root)
    assert found == reference(tmp_path) and not changes


def test_a_killed_apply_loses_its_lease_when_it_expires(slow_served: str, tmp_path: Path) -> None:
    served = slow_served
    first, second = copies(tmp_path, 2)
    victim = start(first, served, PORTKEY_GITOPS_LEASE_TTL="3")
    deadline = time.monotonic() + 120
    while not lease_labels(served):
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline, "the apply never took the lease"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert len(lease_labels(served)) == 1  # left behind by the killed apply

    [(code, text)] = finish([start(second, served)])
    if code == 1:  # still within its time to live: a clear stop naming the holder, nothing written
        assert HELD in text and "pid" in text and "Nothing was written" in text
        time.sleep(3.5)
        [(code, text)] = finish([start(second, served)])
    assert code == 0, text
    assert "taking over a stale apply lease" in text
    found, changes = settled(served, second)
    assert found == reference(tmp_path) and not changes
    assert lease_labels(served) == []
