"""``portkey-gitops doctor`` against the sandbox: it runs clean, touches nothing of the account's own
objects, deletes everything it made (also after failures) and reads the behaviour it finds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from engine.gitops.behaviour import SWITCHES
from engine.gitops.doctor import (
    DELETE_ORDER,
    HOLDER,
    POLICY,
    RELEASED,
    VERSION_LABEL,
    DoctorReport,
    run_doctor,
    scratch_kind,
)
from engine.gitops.doctor_checks import ASSUMPTIONS
from engine.gitops.kinds import KINDS, ScratchRole
from engine.portkey import PortkeyClient
from sandbox import FaultRule, Faults, Sandbox
from tests.live.doctor_support import KEY, Hook, make_client
from tests.worlds import create_core_objects

pytestmark = pytest.mark.anyio

WRITES = ("POST", "PUT", "DELETE")
CREATES = {"/v1/collections", "/v1/prompts", "/v1/labels", "/v1/policies/rate-limits"}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db=":memory:", api_key=KEY) as sandbox:
        yield sandbox


async def account(client: PortkeyClient) -> dict[str, Any]:
    """Everything a doctor could touch, as the API shows it (one workspace)."""
    state: dict[str, Any] = {}
    for operation in ("list_collections", "list_prompts", "list_prompt_labels", "list_rate_limits",
                      "list_usage_limits", "list_prompt_partials"):
        items, _ = await client.list_all(operation)
        state[operation] = sorted(items, key=lambda item: str(item.get("id")))
    for prompt in state["list_prompts"]:
        state[f"versions {prompt['id']}"] = await client.call("list_prompt_versions", prompt_id=prompt["id"])
    return state


async def doctored(sb: Sandbox, hooks: list[Hook] | None = None, *, seeded: bool = False) -> DoctorReport:
    """Run the doctor on ``sb`` (seeded with the usual objects first when asked)."""
    client, _ = make_client(sb, hooks)
    async with client:
        if seeded:
            await create_core_objects(client, sb, first_version_includes_partial=False)
        return await run_doctor(client, None, token="t0k3n")


def writes(sb: Sandbox) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in sb.requests() if r.method in WRITES]


async def test_doctor_runs_clean_on_the_sandbox_and_finds_every_switch(sb: Sandbox) -> None:
    report = await doctored(sb)

    assert report.clean, [(f.check, f.problem) for f in report.not_run]
    assert [f.check for f in report.findings] == list(ASSUMPTIONS)
    assert set(report.switches) == {s.name for s in SWITCHES}
    assert report.requests == len(sb.requests())
    assert report.switches["active_version"] == "published"
    assert report.switches["label_write"] == "add"
    assert report.switches["name_chars"] == "any"
    assert report.switches["versions_template"] == "full"
    for finding in report.findings:
        assert finding.observed and finding.engine, finding


async def test_doctor_leaves_nothing_behind_and_writes_only_its_own_objects(sb: Sandbox) -> None:
    client, _ = make_client(sb)
    async with client:
        await create_core_objects(client, sb, first_version_includes_partial=False)
        before = await account(client)
        sb.reset_requests()
        report = await run_doctor(client, None, token="t0k3n")
        log = writes(sb)
        assert await account(client) == before

    made = {m.id for m in report.deleted}
    assert {m.kind for m in report.deleted} == {"collection", "prompt", "label", "rate_limit"}
    assert not report.leftovers
    deletes = {path.rsplit("/", 1)[1] for method, path, status in log if method == "DELETE" and status < 300}
    assert deletes == made  # every object the doctor made was deleted, and nothing else
    for method, path, _ in log:  # every other write made a scratch object or changed one
        assert path in CREATES or any(ident in path for ident in made), (method, path)
    creates = [path for method, path, status in log if method == "POST" and status < 300]
    assert len(creates) == len(made)
    assert all(m.name.startswith("gitops-doctor-t0k3n") for m in report.deleted)


async def test_a_failure_mid_run_still_deletes_everything(sb: Sandbox) -> None:
    sb.faults = Faults(per_operation={"publish_prompt": FaultRule(script=["500"] * 10)})
    client, _ = make_client(sb)
    async with client:
        before = await account(client)
        report = await run_doctor(client, None, token="t0k3n")
        assert await account(client) == before

    assert not report.clean and not report.leftovers
    failed = {f.check: f.problem for f in report.not_run}
    assert set(failed) >= {"active_version", "label_write"}
    assert "500" in failed["active_version"] and "makeDefault" in failed["active_version"]
    assert "needs the version the versions check publishes" in failed["label_write"]
    assert "active_version" not in report.switches  # the default stays
    assert report.switches["name_chars"] == "any"  # later checks still ran


async def test_a_create_whose_answer_is_lost_is_found_by_name_and_deleted(sb: Sandbox) -> None:
    lost = Hook("POST", r"/labels", response=lambda a, b, q, p: {"object": "label"})  # created, but no id
    report = await doctored(sb, [lost])
    client, _ = make_client(sb)
    async with client:
        labels, _ = await client.list_all("list_prompt_labels")
    assert not [label for label in labels if label["name"].startswith("gitops-doctor-")]
    deleted = {m.name for m in report.deleted if m.kind == "label"}
    assert deleted == {"gitops-doctor-t0k3n-a", "gitops-doctor-t0k3n-stamp"}
    assert "answered without an id" in {f.check: f.problem for f in report.not_run}["label_write"]


async def test_objects_that_cannot_be_deleted_are_reported_by_id(sb: Sandbox) -> None:
    sb.faults = Faults(per_operation={"delete_prompt": FaultRule(script=["500"] * 100)})
    report = await doctored(sb)
    left = {m.id: error for m, error in report.leftovers}
    assert {m.kind for m, _ in report.leftovers} == {"prompt", "collection"}  # a collection holding prompts
    client, _ = make_client(sb)
    async with client:
        prompts, _ = await client.list_all("list_prompts")
    assert {p["id"] for p in prompts} == {m.id for m, _ in report.leftovers if m.kind == "prompt"}
    assert all(re.search(r"500|HTTP|holds", error) for error in left.values())
    assert not report.clean


async def test_no_scratch_collection_means_no_check_runs_and_nothing_is_left(sb: Sandbox) -> None:
    sb.faults = Faults(per_operation={"create_collection": FaultRule(script=["500"] * 10)})
    report = await doctored(sb)
    assert len(report.not_run) == len(ASSUMPTIONS)
    assert all("scratch collection could not be made" in (f.problem or "") for f in report.not_run)
    assert report.switches == {}
    assert not report.leftovers


async def test_the_account_s_own_objects_are_untouched_when_seeded(sb: Sandbox) -> None:
    report = await doctored(sb, seeded=True)
    assert report.clean


def scratch_left(state: dict[str, Any]) -> list[str]:
    """Names of scratch objects in an account state (anything named like the doctor's, or in its collection)."""
    ours = {c["id"] for c in state["list_collections"] if c["name"].startswith("gitops-doctor-")}
    listings = ("list_collections", "list_prompts", "list_prompt_labels", "list_rate_limits")
    return [str(item.get("name")) for operation in listings for item in state[operation]
            if str(item.get("name", "")).startswith("gitops-doctor-") or item.get("collection_id") in ours]


@pytest.mark.parametrize("path", sorted(CREATES))
async def test_a_lost_create_of_any_scratch_kind_is_found_and_deleted(sb: Sandbox, path: str) -> None:
    """Every create answers without an id: the sweep finds each kind's objects (prompts by their collection)."""
    lost = Hook("POST", path.removeprefix("/v1"), response=lambda a, b, q, p: {"object": "lost"})
    report = await doctored(sb, [lost])
    client, _ = make_client(sb)
    async with client:
        assert scratch_left(await account(client)) == []
    assert report.deleted and not report.leftovers
    assert "answered without an id" in " ".join(f.problem or "" for f in report.not_run)


async def test_an_interrupted_run_still_deletes_everything(sb: Sandbox) -> None:
    """Cancelled mid-run (as Ctrl-C cancels it), the cleanup still runs and the account is as before."""
    with anyio.CancelScope() as scope:
        def interrupt(answer: Any, body: Any, query: dict[str, str], path: str) -> Any:
            if str(body.get("name", "")).startswith("gitops-doctor-"):  # the scratch policy, about to be recorded
                scope.cancel()  # delivered at the doctor's next wait on the network
            return answer

        client, quirky = make_client(sb, [Hook("POST", r"/policies/rate-limits", response=interrupt)], waits=True)
        async with client:
            await create_core_objects(client, sb, first_version_includes_partial=False)
            before = await account(client)
            await run_doctor(client, None, token="t0k3n")
            pytest.fail("the run was not interrupted")
    assert scope.cancelled_caught
    assert any(method == "DELETE" and "/policies/rate-limits/" in path for method, path, _ in quirky.seen)
    client, _ = make_client(sb)
    async with client:
        after = await account(client)
    assert after == before and scratch_left(after) == []


async def test_a_run_with_faults_leaves_no_scratch_object(sb: Sandbox) -> None:
    """Faults that fail checks after their objects were made: nothing under the scratch name survives."""
    scripts = {"list_prompt_versions": ["500"] * 3, "update_prompt_version": ["500"] * 3,
               "get_rate_limit": ["500"] * 3}
    sb.faults = Faults(per_operation={op: FaultRule(script=script) for op, script in scripts.items()})
    report = await doctored(sb)
    client, _ = make_client(sb)
    async with client:
        assert scratch_left(await account(client)) == []
    assert not report.leftovers
    assert {"versions_list", "label_write", "policy_conditions_put"} <= {f.check for f in report.not_run}


async def test_a_lost_prompt_listed_under_another_name_is_found_by_its_collection(sb: Sandbox) -> None:
    lost = Hook("POST", r"/prompts", response=lambda a, b, q, p: {"object": "lost"})

    def rename(answer: Any, body: Any, query: dict[str, str], path: str) -> Any:
        for item in answer.get("data", []):
            item["name"] = "renamed by Portkey"
        return answer

    report = await doctored(sb, [lost, Hook("GET", r"/prompts", response=rename)])
    client, _ = make_client(sb)
    async with client:
        prompts, _ = await client.list_all("list_prompts")
    assert prompts == []
    assert {m.name for m in report.deleted if m.kind == "prompt"} == {"renamed by Portkey"}


async def test_only_the_scratch_collection_itself_is_taken_by_its_exact_name(sb: Sandbox) -> None:
    client, _ = make_client(sb)
    async with client:
        await client.call("create_collection", body={"name": "gitops-doctor-t0k3n-theirs"})
        report = await run_doctor(client, None, token="t0k3n")
        collections, _ = await client.list_all("list_collections")
    assert report.clean
    assert [c["name"] for c in collections if c["name"].startswith("gitops-")] == ["gitops-doctor-t0k3n-theirs"]


def test_each_scratch_role_is_played_by_one_kind_that_can_play_it() -> None:
    """The doctor picks its kinds by the role each declares; the role asks for what the checks measure."""
    for role in ScratchRole:
        assert [k for k in KINDS.values() if k.scratch_role is role] == [scratch_kind(role)]
    assert RELEASED.released and RELEASED.versioned and RELEASED.versions is not None
    assert POLICY.conditions_put
    assert DELETE_ORDER.index(RELEASED.kind) < DELETE_ORDER.index(HOLDER.kind)  # the holder is emptied first
    assert DELETE_ORDER.index(RELEASED.kind) < DELETE_ORDER.index(VERSION_LABEL.kind)  # labels outlive versions
