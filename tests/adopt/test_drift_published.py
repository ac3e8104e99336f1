"""Drift compares what callers are served (the published version), and reports newer unpublished versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import KEY, Account, Run

portkey_ai = pytest.importorskip("portkey_ai")
PROMPT = "prompts/support/triage.system.md"  # release.default: true


def _slug(account: Account) -> str:
    return next(r["slug"] for r in account.call("GET", "/prompts")["data"]
                if str(r["name"]).startswith("gitops:support/triage"))


@pytest.fixture
def two_versions(applied: Path, cli: Callable[..., Run]) -> Path:
    """An applied project whose triage prompt has v1 and v2 (a change in git, applied)."""
    path = applied / PROMPT
    path.write_text(path.read_text().replace("for Acme Cloud", "for Acme Cloud and Acme Mail"))
    assert cli("apply", applied, "--auto-approve").code == 0
    assert cli("drift", applied, "--detailed-exitcode").code == 0
    return applied


def test_an_older_version_published_in_portkey_is_drift(
    two_versions: Path, account: Account, cli: Callable[..., Run]
) -> None:
    slug = _slug(account)
    account.call("PUT", f"/prompts/{slug}/makeDefault", {"version": 1})  # a rollback in the UI
    report = cli("drift", two_versions, "--detailed-exitcode")
    assert report.code == 3, report.out + report.err
    assert "prompt:support/triage: callers are served v1, not the latest version v2" in report.out
    assert cli("apply", two_versions, "--auto-approve").code == 0  # publishes v2 again
    assert cli("drift", two_versions, "--detailed-exitcode").code == 0


def test_a_newer_unpublished_version_made_with_the_sdk_is_drift(
    two_versions: Path, account: Account, cli: Callable[..., Run]
) -> None:
    slug = _slug(account)
    sdk = portkey_ai.Portkey(api_key=KEY, base_url=account.url)
    sdk.prompts.update(slug, string="You are rude. {{customer_message}}", parameters={"max_tokens": 50},
                       model="gpt-4o-mini", virtual_key="vk-openai-dev")  # a new version, not published
    [item] = json.loads(cli("drift", two_versions, "--json").out)["drift"]
    assert item["address"] == "prompt:support/triage"
    assert item["detail"].startswith("latest version v3 (not published: callers are still served v2) differs")
