"""``gitops_drift`` through the official MCP client reports what ``portkey-gitops drift --json`` reports.

One sandbox database serves both: the MCP server (in-process) and the CLI (its embedded sandbox on the same
file, run through the console-script entry point). Per object: what changed, who could have changed it and
the command that puts it back; which kinds were checked and which need the lock; a stale lock with its
evidence and the objects it cannot judge. The human text block is the drift report's Markdown form.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from sandbox import Sandbox
from tests.entry_point import run_entry_point
from tests.mcp_server.conftest import data, gitops_mcp, text
from tests.mcp_server.world import engine_client

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
LOCK = ".portkey/lock.json"
REPORT = ("drift", "checked", "unchecked", "lock", "warnings")  # the fields of `drift --json`


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    path = tmp_path / "root" / "project"
    shutil.copytree(EXAMPLE, path)
    return path


@pytest.fixture
async def served(tmp_path: Path, project: Path) -> AsyncIterator[tuple[Client, Sandbox, Path]]:
    db = tmp_path / "sandbox.sqlite3"
    async with gitops_mcp(project.parent, db) as (client, sb):
        yield client, sb, db


class Cli:
    """``portkey-gitops drift --json`` on the same database, in a worker thread (the CLI runs its own loop)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path) -> None:
        self.monkeypatch, self.capsys, self.db = monkeypatch, capsys, db

    async def run(self, *args: str) -> tuple[int, str, str]:
        argv = [*args, "--sandbox", "--sandbox-db", str(self.db)]
        return await anyio.to_thread.run_sync(lambda: run_entry_point(self.monkeypatch, self.capsys, *argv))

    async def drift(self, project: Path, lock: bool) -> dict[str, Any]:
        extra = ["--lock", str(project / LOCK)] if lock else []
        code, out, err = await self.run("drift", str(project), "--json", *extra)
        assert code == 0, out + err
        return json.loads(out)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], served: Any) -> Cli:
    return Cli(monkeypatch, capsys, served[2])


async def _apply(client: Client, project: Path, lock: bool = True) -> None:
    args = {"project_dir": str(project), **({"lock_file": LOCK} if lock else {})}
    planned = data(await client.call_tool("gitops_plan", args))
    data(await client.call_tool("gitops_apply", {**args, "plan_hash": planned["plan_hash"]}))


async def _edit_in_portkey(sb: Sandbox) -> None:
    """A config edited and the triage prompt given a new version, both outside git (the engine's client as a
    script would use the API)."""
    async with engine_client(sb) as portkey:
        configs, _ = await portkey.list_all("list_configs")
        managed = next(c for c in configs if "support-routing" in c["name"])
        await portkey.update_config(slug=managed["slug"], body={"config": {"retry": {"attempts": 9}}})
        prompts, _ = await portkey.list_all("list_prompts")
        triage = next(p for p in prompts if "support/triage" in p["name"])
        await portkey.update_prompt(
            prompt_id=triage["id"], body={"string": "Edited in the UI {{customer_message}}", "patch": True}
        )


def _same_report(mcp: dict[str, Any], cli: dict[str, Any]) -> None:
    assert {k: mcp[k] for k in REPORT} == {k: cli[k] for k in REPORT}


async def test_drift_with_the_lock_is_the_cli_report(
    served: tuple[Client, Sandbox, Path], project: Path, cli: Cli
) -> None:
    client, sb, _ = served
    await _apply(client, project)
    clean = data(await client.call_tool("gitops_drift", {"project_dir": str(project), "lock_file": LOCK}))
    assert clean["drifted"] is False and clean["unchecked"] == [] and clean["lock"]["stale"] is False
    _same_report(clean, await cli.drift(project, lock=True))
    await _edit_in_portkey(sb)
    sb.reset_requests()
    result = await client.call_tool("gitops_drift", {"project_dir": str(project), "lock_file": LOCK})
    found = data(result)
    assert not [r for r in sb.requests() if r.method != "GET"]  # drift writes nothing
    assert found["drifted"] and found["count"] == 2
    by_address = {item["address"]: item for item in found["drift"]}
    assert set(by_address) == {"config:support-routing", "prompt:support/triage"}
    restore = f"portkey-gitops apply {project} --lock {project / LOCK}"
    for item in by_address.values():
        assert item["restore"] == restore and item["who"].startswith("someone in the Portkey UI or with its API")
        assert item["changed"] and item["cause"]
    assert by_address["config:support-routing"]["changed"].startswith("fields: ")
    assert by_address["prompt:support/triage"]["cause"] == "stamp_edited"  # a patch update copies our stamp
    _same_report(found, await cli.drift(project, lock=True))
    shown = text(result)
    assert "| Object | What changed | Who could have changed it | Put it back |" in shown and "support/triage" in shown


async def test_drift_without_the_lock_names_the_kinds_it_could_not_check(
    served: tuple[Client, Sandbox, Path], project: Path, cli: Cli
) -> None:
    client, sb, _ = served
    await _apply(client, project)
    await _edit_in_portkey(sb)
    found = data(await client.call_tool("gitops_drift", {"project_dir": str(project)}))
    assert found["checked"] == ["prompt", "partial"] and "config" in found["unchecked"] and found["lock"] is None
    assert [item["address"] for item in found["drift"]] == ["prompt:support/triage"]  # the config needs the lock
    assert found["drift"][0]["restore"] == f"portkey-gitops apply {project}"
    assert "Not checked without a lock_file: " in found["next_step"]
    _same_report(found, await cli.drift(project, lock=False))


async def test_a_stale_lock_is_reported_with_its_evidence(
    served: tuple[Client, Sandbox, Path], project: Path, cli: Cli
) -> None:
    client, _, _ = served
    await _apply(client, project)
    limit = project / "limits" / "per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: 30", "value: 45"))
    await _apply(client, project, lock=False)  # an apply that did not get the lock file: the lock is behind
    found = data(await client.call_tool("gitops_drift", {"project_dir": str(project), "lock_file": LOCK}))
    assert found["drifted"] is False and found["lock"]["stale"] is True
    assert any("rate_limit:per-user" in why and "not as the lock says" in why for why in found["lock"]["why"])
    assert "lock file is stale" in found["next_step"]
    _same_report(found, await cli.drift(project, lock=True))
