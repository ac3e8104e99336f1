"""The drift report in its three forms says, per object, what changed, who could have, and how to put it back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.gitops.render.drift import render_drift_json, render_drift_markdown, render_drift_text
from engine.redaction import register
from tests.adopt.conftest import Account, Run


@pytest.fixture
def edited(locked: tuple[Path, Path], account: Account) -> tuple[Path, Path]:
    """An applied project with a lock, then its rate limit edited in Portkey (raw HTTP, as a script would)."""
    account.call("PUT", account.per_user_limit(), {"value": 99})
    return locked


def test_each_form_says_what_who_and_the_command(
    edited: tuple[Path, Path], tmp_path: Path, cli: Callable[..., Run]
) -> None:
    root, lock = edited
    restore = f"portkey-gitops apply {root} --lock {lock}"
    markdown = tmp_path / "drift.md"
    text = cli("drift", root, "--lock", lock, "--markdown", markdown, "--detailed-exitcode")
    assert text.code == 3, text.out + text.err
    assert "rate_limit:per-user: changed in Portkey outside git since the last apply" in text.out
    assert "what changed: fields: value" in text.out
    assert "who could have: someone in the Portkey UI or with its API (at " in text.out  # last_updated_at given
    assert f"put it back: {restore} (a new version or an update with git's content)" in text.out
    md = markdown.read_text()
    assert "| Object | What changed | Who could have changed it | Put it back |" in md
    assert "<code>rate\\_limit:per-user</code> | fields: value" in md
    assert f"<code>{restore}</code>" in md.replace("\\_", "_") and "Portkey UI or with its API" in md
    as_json = json.loads(cli("drift", root, "--lock", lock, "--json").out)
    [item] = as_json["drift"]
    assert item["address"] == "rate_limit:per-user" and item["changed"] == "fields: value"
    assert item["restore"] == restore and item["who"].startswith("someone in the Portkey UI or with its API")
    assert item["last_updated_at"] and as_json["lock"]["stale"] is False


def test_a_deleted_object_says_apply_creates_it_again(
    edited: tuple[Path, Path], account: Account, cli: Callable[..., Run]
) -> None:
    root, lock = edited
    account.call("DELETE", account.per_user_limit())
    [item] = json.loads(cli("drift", root, "--lock", lock, "--json").out)["drift"]
    assert item["changed"] == "the object was deleted" and item["restore_effect"] == "creates it again"


HOSTILE = {
    "drift": [{"address": "prompt:a|b", "detail": "edited [x](http://evil) <img src=x>\x1b[31m",
               "changed": "fields: string", "who": "someone (by sk-planted-secret-123, as Portkey reports)",
               "restore": "portkey-gitops apply ./p", "restore_effect": "a new version"}],
    "checked": ["prompt"], "unchecked": ["config"], "lock": None, "warnings": [],
}


def test_the_forms_escape_live_text_and_scrub_secrets() -> None:
    register("sk-planted-secret-123")
    text, md, js = render_drift_text(HOSTILE), render_drift_markdown(HOSTILE), render_drift_json(HOSTILE)
    for out in (text, md, js):
        assert "sk-planted-secret-123" not in out and "\x1b" not in out
    assert "\\x1b[31m" in text
    assert "<img" not in md and "[x](http" not in md and "prompt:a\\|b" in md
    assert json.loads(js)["drift"][0]["who"] == "someone (by [redacted], as Portkey reports)"
