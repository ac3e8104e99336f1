"""Prompt and partial writes send what Portkey requires, and the version published is the one the
update made, found by its id; when Portkey does not say or list it, apply stops before publishing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.gitops import apply as apply_module
from engine.gitops.apply import ApplyError
from engine.gitops.workflow import Planned, apply_planned, plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from sandbox.serve import serve_in_thread
from tests.gitops.helpers import converge, edit, published
from tests.lease.helpers import taken
from tests.live.write_support import Shim
from tests.security.cli_support import PLANTED_KEY, Cli, cli, one_error_line

__all__ = ["cli"]  # fixture

pytestmark = pytest.mark.anyio
TRIAGE = "prompts/support/triage.prompt.yaml"
PROMPT_PUT = r"/prompts/[^/]+"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply_module, "VERSION_LOOKUP_DELAYS", (0.0, 0.0, 0.0))


async def triage_edited(client: PortkeyClient, project: Path) -> tuple[Planned, str, int]:
    """The project applied, then triage's temperature changed in git: the plan, triage's id, its published version."""
    await converge(client, project)
    edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
    planned = await plan_project(client, project)
    prompt_id = next(c for c in planned.plan.changes if c.address == "prompt:support/triage").remote["id"]
    return planned, prompt_id, await published(client, prompt_id)


def _version_puts(shim: Shim) -> list[dict]:
    return [b for b in shim.bodies("PUT", PROMPT_PUT) if "string" in b]


async def test_a_new_version_sends_every_field_portkey_requires(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox)
    client, transport = shim.client()
    async with client:
        await converge(client, project)
        edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
        await converge(client, project)
        assert not (await plan_project(client, project)).plan.has_changes
    [body] = _version_puts(shim)
    # As the Terraform provider's version-creating update: string, parameters, model, virtual_key and
    # is_raw_template 0; no `patch` (it would backfill fields the file removed from the latest version).
    assert body["is_raw_template"] == 0 and "patch" not in body
    assert body["parameters"] == {"temperature": 0.3, "max_tokens": 400}
    assert body["model"] and body["virtual_key"] and body["string"].startswith("[")
    assert body["prompt_metadata"]["portkey_gitops"]["key"] == "support/triage"
    creates = shim.bodies("POST", r"/prompts")
    assert creates and all("parameters" in b and b["virtual_key"] and "is_raw_template" not in b for b in creates)
    assert transport.violations("request") == []


async def test_removing_tools_is_not_inherited_from_the_latest_version(sandbox: Sandbox, project: Path) -> None:
    """The strict update: a field the file drops is gone from the new version (patch would keep it)."""
    shim = Shim(sandbox)
    client, _ = shim.client()
    path = project / "prompts/support/billing/refund.prompt.yaml"
    async with client:
        await converge(client, project)
        text = path.read_text()
        path.write_text(text[: text.index("tools:")])  # tools is the file's last key
        planned = await converge(client, project)
        assert any(c.address == "prompt:support/billing/refund" and "new_version" in [a.value for a in c.actions]
                   for c in planned.changes)
        assert not (await plan_project(client, project)).plan.has_changes
    body = _version_puts(shim)[-1]
    assert "tools" not in body and "patch" not in body


async def test_the_version_published_is_the_one_the_update_made(sandbox: Sandbox, project: Path) -> None:
    """A versions list that also shows a higher-numbered version: the engine matches by id, never the max."""
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        planned, prompt_id, before = await triage_edited(client, project)
        shim.decoy = True  # from now on every versions list also shows a v99 with another id
        result = await apply_planned(client, planned)
        assert await published(client, prompt_id) == before + 1
    assert shim.bodies("PUT", r"/prompts/[^/]+/makeDefault")[-1] == {"version": before + 1}
    assert any(s.detail == f"v{before + 1} (unpublished)" for s in result.steps)


async def test_a_lagging_versions_list_is_read_again_a_bounded_number_of_times(
    sandbox: Sandbox, project: Path
) -> None:
    shim = Shim(sandbox, lag_reads=2)
    client, _ = shim.client()
    async with client:
        planned, prompt_id, before = await triage_edited(client, project)
        sandbox.reset_requests()
        await apply_planned(client, planned)
        reads = [r for r in sandbox.requests() if r.operation == "list_prompt_versions"]
        assert len(reads) == 3  # two lagging reads, then the one that lists the new version
        assert await published(client, prompt_id) == before + 1


async def test_no_version_found_stops_before_publishing_or_labelling(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox, lag_reads=10)
    client, _ = shim.client()
    async with client:
        planned, prompt_id, before = await triage_edited(client, project)
        sandbox.reset_requests()
        with pytest.raises(ApplyError) as failure:
            await apply_planned(client, planned)
        message = str(failure.value)
        assert "did not show it after 4 reads" in message and "does not guess" in message
        assert "its write reached Portkey" in message and failure.value.result.writes >= 1
        operations = [r.operation for r in sandbox.requests()]
        assert operations.count("list_prompt_versions") == 4
        assert "publish_prompt" not in operations and "update_prompt_version" not in operations
        assert await published(client, prompt_id) == before
        # Once Portkey lists it, plan and apply converge: the version is found by content, not made again.
        shim.lag_reads = 0
        shim._hidden.clear()
        replanned = await plan_project(client, project)
        change = next(c for c in replanned.plan.changes if c.address == "prompt:support/triage")
        assert [a.value for a in change.actions] == ["publish", "label"]
        await apply_planned(client, replanned)
        assert await published(client, prompt_id) == before + 1


async def test_an_update_answer_without_a_version_id_stops_before_publishing(
    sandbox: Sandbox, project: Path
) -> None:
    shim = Shim(sandbox, drop_version_id=True)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
        planned = await plan_project(client, project)
        lease = await taken(client)  # the apply lease is not under test here
        sandbox.reset_requests()
        with pytest.raises(ApplyError, match="names no prompt_version_id; the engine does not guess") as failure:
            await apply_planned(client, planned, lease=lease)
        assert failure.value.result.writes == 1
        operations = [r.operation for r in sandbox.requests()]
        assert operations == ["update_prompt"]  # no versions read to guess from, no publish, no label


def test_cli_exits_5_when_the_new_version_cannot_be_found(cli: Cli, project: Path) -> None:
    """Through the real entry point: one error line, no traceback, exit 5 (a write happened)."""
    with Sandbox(db=":memory:", api_key=PLANTED_KEY) as sb:
        shim = Shim(sb)
        with serve_in_thread(SimpleNamespace(app=shim)) as url:  # type: ignore[arg-type]
            cli.against(url)
            assert cli("apply", str(project), "--auto-approve").code == 0
            edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
            shim.drop_version_id = True
            run = cli("apply", str(project), "--auto-approve")
    assert run.code == 5, run.text
    assert "names no prompt_version_id" in one_error_line(run)
    assert PLANTED_KEY not in run.text
