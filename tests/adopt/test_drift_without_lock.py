"""Prompt and partial versions made outside git are drift without a lock: made with the official SDK over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import KEY, Account, Run

portkey_ai = pytest.importorskip("portkey_ai")


def _sdk(account: Account) -> object:
    return portkey_ai.Portkey(api_key=KEY, base_url=account.url)


def _slug(account: Account, path: str, name: str) -> str:
    answer = account.call("GET", path)
    rows = answer["data"] if isinstance(answer, dict) else answer  # partials: a bare list
    return next(row["slug"] for row in rows if row["name"] == name)


def test_a_prompt_edited_and_published_with_the_sdk_is_drift_until_apply_restores_it(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    clean = cli("drift", applied, "--detailed-exitcode")
    assert clean.code == 0, clean.out + clean.err
    assert "Checked: prompt, partial." in clean.out and "Not checked" in clean.out and "config" in clean.out
    slug = _slug(account, "/prompts", "gitops:support/triage · Support triage")
    sdk = _sdk(account)
    sdk.prompts.update(slug, string="You are rude. {{customer_message}}", parameters={"max_tokens": 50},
                       model="gpt-4o-mini", virtual_key="vk-openai-dev")
    versions = account.call("GET", f"/prompts/{slug}/versions")["data"]
    newest = max(int(v["prompt_version"]) for v in versions)
    sdk.prompts.publish(slug, version=newest)
    drifted = cli("drift", applied, "--detailed-exitcode")
    assert drifted.code == 3, drifted.out + drifted.err
    assert f"prompt:support/triage: latest version v{newest}" in drifted.out
    assert "carries no stamp of this tool: it was made in Portkey (UI/API)" in drifted.out, drifted.out
    as_json = json.loads(cli("drift", applied, "--json").out)
    assert [item["address"] for item in as_json["drift"]] == ["prompt:support/triage"]
    restored = cli("apply", applied, "--auto-approve")
    assert restored.code == 0, restored.err
    after = cli("drift", applied, "--detailed-exitcode")
    assert after.code == 0, after.out
    assert cli("plan", applied, "--detailed-exitcode").code == 0


def test_a_partial_published_with_the_sdk_is_drift_without_a_lock(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    slug = _slug(account, "/prompts/partials", "gitops:tone-of-voice")
    sdk = _sdk(account)
    sdk.prompts.partials.update(slug, string="Be terse.")
    versions = account.call("GET", f"/prompts/partials/{slug}/versions")
    versions = versions["data"] if isinstance(versions, dict) else versions
    newest = max(int(v["version"]) for v in versions)
    sdk.prompts.partials.publish(slug, version=newest)
    drifted = cli("drift", applied, "--detailed-exitcode")
    assert drifted.code == 3 and "partial:tone-of-voice" in drifted.out, drifted.out + drifted.err
    assert cli("apply", applied, "--auto-approve").code == 0
    assert cli("drift", applied, "--detailed-exitcode").code == 0


def test_a_git_change_to_a_stamped_prompt_is_not_drift(applied: Path, cli: Callable[..., Run]) -> None:
    path = applied / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("three bullet points", "two bullet points"))
    assert cli("drift", applied, "--detailed-exitcode").code == 0
