"""Done-when item 1 of issue 8: an export built from the recorded live answers plans as no changes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.gitops.export import Exporter
from engine.gitops.live import LiveState, Reader
from engine.gitops.model import ResourceKind
from engine.gitops.workflow import plan_project
from tests.live.recorded import PREFIX, RecordedAccount, load

pytestmark = pytest.mark.anyio


async def _export(account: RecordedAccount, root: Path) -> LiveState:
    async with account.client() as client:
        live = await Reader(client, None, PREFIX).read(set(ResourceKind))
    Exporter(live, root, PREFIX, None).write()
    return live


@pytest.mark.parametrize("wrapped", [True, False], ids=["versions-wrapped", "versions-bare"])
async def test_an_export_of_the_recorded_account_plans_as_no_changes(tmp_path: Path, wrapped: bool) -> None:
    account = RecordedAccount(versions_wrapped=wrapped)
    live = await _export(account, tmp_path / "project")
    assert len(live.managed(ResourceKind.PROMPT)) == 102 and len(live.managed(ResourceKind.CONFIG)) == 15
    async with account.client() as client:
        planned = await plan_project(client, tmp_path / "project", environ={})
    plan = planned.plan
    assert not plan.errors and not plan.blocked and not plan.incomplete
    assert not plan.has_changes, [(c.address, c.actions, c.diff, c.text_diffs) for c in plan.changes if not c.is_noop]
    assert plan.drift == [] and not [w for w in plan.warnings if "virtual_key" in w]


async def test_the_exported_prompt_file_is_what_a_user_would_write(tmp_path: Path) -> None:
    await _export(RecordedAccount(), tmp_path / "project")
    recorded = load("prompts-get.json")
    data = yaml.safe_load((tmp_path / "project/prompts/gira-summarize-thread.prompt.yaml").read_text())
    assert data["model"] == "claude-sonnet-4-6" and data["virtual_key"] == "anthropic"
    assert data["parameters"] == {}, "the variables and the model copy Portkey adds are not written"
    message = data["messages"][0]
    assert message["role"] == "user" and "content_file" in message
    text = (tmp_path / "project/prompts" / message["content_file"]).read_text()
    assert text.startswith("You are summarizing an internal support ticket thread") and "{{ticket_key}}" in text
    assert "'type': 'text'" not in text and recorded["string"] not in text
    config = yaml.safe_load((tmp_path / "project/configs/cencora-gemini-ocr.config.yaml").read_text())
    assert config["config"]["retry"] == {"attempts": 2, "on_status_codes": [429, 500, 502, 503]}
    assert "is_default" not in config
