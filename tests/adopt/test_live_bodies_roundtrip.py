"""Issue 9, "the same with the bodies in ../shared/portkey-live/ served by the sandbox".

A hand-made account built in the sandbox from the recorded live answers (tests/live/responses, a copy of
shared/portkey-live/responses): the 102 prompts of prompts-list.json, each with the recorded detail's
message array (``content`` as a list of parts), parameters, version description and a virtual key of the
recorded slugs; the 15 configs of configs-list.json with their repeated names and the recorded config
body; the five virtual keys under their recorded slugs; collections for the prompts' collection ids. The
objects are made with raw HTTP, as a user's script makes them, and the sandbox answers them in the recorded
shapes (its default quirks). Then, through the console-script entry point: ``export --adopt`` → ``validate``
→ ``plan`` shows no changes → ``apply`` writes nothing (request log) → every live object's content is
unchanged → ``drift`` is clean. The same again under the spec's shapes (the shape quirks switched over).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.adopt.conftest import Account, Run
from tests.adopt.test_export_adopt_roundtrip import applying_writes_nothing, contents
from tests.live.recorded import load

# the recorded virtual key of each model family (the recorded prompt uses `anthropic`)
PROVIDER_KEY = {"claude": "anthropic", "gpt": "open-ai", "gemini": "google", "sonar": "perplexity-api"}
# the shape quirks (sandbox/quirks.py): the live answer's shape by default, the spec's with these
SPEC_SHAPES = {
    "versions_envelope": "bare",
    "config_encoding": "object",
    "parameters_echo": "off",
    "prompt_shape": "spec",
}


def _virtual_keys(account: Account) -> None:
    """The five recorded virtual keys, under their recorded slugs (the sandbox mints its own: set in its store)."""
    for row in load("virtual-keys-list.json")["data"]:
        made = account.call(
            "POST",
            "/virtual-keys",
            {
                "name": row["name"],
                "provider": row["provider"],
                "key": "sk-recorded-" + row["slug"],
                "note": row["note"],
            },
        )
        with account.sandbox._store.transaction() as tx:  # the store: the API cannot choose a slug
            doc = tx.find("virtual_key", made["data"]["slug"])
            assert doc is not None
            tx.put("virtual_key", {**doc, "slug": row["slug"]})


def _collections(account: Account) -> dict[str, str]:
    """One collection per recorded collection id (their names were not recorded): recorded id -> sandbox id."""
    ws = account.sandbox.default_workspace_id
    ids = sorted({row["collection_id"] for row in load("prompts-list.json")["data"]})
    made = {}
    for n, recorded in enumerate(ids):
        made[recorded] = account.call("POST", "/collections", {"name": f"team {n + 1}", "workspace_id": ws})["id"]
    return made


def _prompt_body(row: dict[str, Any], detail: dict[str, Any], collection: str, verbatim: bool) -> dict[str, Any]:
    """What a script sends to make the recorded prompt ``row``: the recorded detail's template and version
    description; ``verbatim`` also sends the recorded ``parameters`` as read (variables and the model copy)."""
    family = next(key for prefix, key in PROVIDER_KEY.items() if row["model"].startswith(prefix))
    parameters = {**detail["parameters"], "model": row["model"]} if verbatim else {}
    return {
        "name": row["name"],
        "collection_id": collection,
        "string": detail["string"],
        "parameters": parameters,
        "model": row["model"],
        "virtual_key": family,
        "version_description": detail["prompt_version_description"],
        "template_metadata": detail["template_metadata"],
    }


def hand_made_from_live(account: Account) -> None:
    """The recorded account, made object by object with raw HTTP."""
    ws = account.sandbox.default_workspace_id
    _virtual_keys(account)
    collections = _collections(account)
    detail = load("prompts-get.json")
    for n, row in enumerate(load("prompts-list.json")["data"]):
        account.call("POST", "/prompts", _prompt_body(row, detail, collections[row["collection_id"]], n % 3 == 0))
    recorded = load("configs-get.json")
    for row in load("configs-list.json")["data"]:
        account.call(
            "POST", "/configs", {"name": row["name"], "workspace_id": ws, "config": json.loads(recorded["config"])}
        )


def _shapes_match_the_recording(account: Account) -> None:
    """The sandbox answers the hand-made objects in the recorded shapes (or this test proves nothing)."""
    recorded = load("prompts-get.json")
    slug = next(r["slug"] for r in account.call("GET", "/prompts")["data"] if r["name"] == recorded["name"])
    served = account.call("GET", f"/prompts/{slug}")
    assert set(recorded) <= set(served), set(recorded) - set(served)
    assert served["string"] == recorded["string"] and served["parameters"] == recorded["parameters"]
    assert served["virtual_key"] == recorded["virtual_key"] and served["is_raw_template"] == 0
    config_slug = account.call("GET", "/configs")["data"][0]["slug"]
    config = account.call("GET", f"/configs/{config_slug}")
    assert json.loads(config["config"]) == json.loads(load("configs-get.json")["config"])


@pytest.mark.parametrize("shapes", ["live", "spec"])
def test_an_account_of_the_recorded_bodies_adopts_and_plans_as_no_changes(
    tmp_path: Path, account: Account, cli: Callable[..., Run], shapes: str
) -> None:
    hand_made_from_live(account)
    if shapes == "live":
        _shapes_match_the_recording(account)
    else:
        account.sandbox.quirks = SPEC_SHAPES
    before = contents(account)
    assert sum(k.startswith("/prompts/") and "/partials" not in k for k in before) == 102
    exported = tmp_path / "exported"
    done = cli("export", exported, "--adopt")
    assert done.code == 0, done.out + done.err
    assert "Adopted 123 object(s)" in done.out, done.out  # 102 prompts, 15 configs, 6 collections
    checked = cli("validate", exported)
    assert checked.code == 0, checked.out + checked.err
    planned = cli("plan", exported, "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err
    applying_writes_nothing(account, cli, exported, before)
    drift = cli("drift", exported, "--detailed-exitcode")
    assert drift.code == 0, drift.out + drift.err
    _edited_in_portkey_is_drift_and_apply_restores_it(account, cli, exported)


def _edited_in_portkey_is_drift_and_apply_restores_it(account: Account, cli: Callable[..., Run], root: Path) -> None:
    """An edit of an adopted prompt, sent with raw HTTP in the recorded shape and published, is drift (no lock);
    apply puts git's text back; drift is then clean."""
    recorded = load("prompts-get.json")
    slug = next(
        r["slug"]
        for r in account.call("GET", "/prompts?page_size=200")["data"]
        if r["name"].startswith("gitops:gira-summarize-thread")
    )
    served = account.call("GET", f"/prompts/{slug}")
    edited = json.loads(recorded["string"])
    edited[0]["content"][0]["text"] = "Summarise {{thread}} in one line."
    account.call(
        "PUT",
        f"/prompts/{slug}",
        {
            "string": json.dumps(edited),
            "parameters": {},
            "model": served["model"],
            "virtual_key": served["virtual_key"],
        },
    )
    account.call("PUT", f"/prompts/{slug}/makeDefault", {"version": 2})
    found = cli("drift", root, "--detailed-exitcode", "--json")
    assert found.code == 3, found.out + found.err
    [item] = json.loads(found.out)["drift"]
    assert item["address"] == "prompt:gira-summarize-thread" and "no stamp" in item["detail"], item
    assert cli("apply", root, "--auto-approve").code == 0
    restored = json.loads(account.call("GET", f"/prompts/{slug}")["string"])[0]["content"]
    text = json.loads(recorded["string"])[0]["content"][0]["text"]
    assert restored in (text, [{"type": "text", "text": text}])
    assert cli("drift", root, "--detailed-exitcode").code == 0


def test_the_exported_files_carry_the_recorded_content(
    tmp_path: Path, account: Account, cli: Callable[..., Run]
) -> None:
    """Not empty shells: the message text, model, virtual key and description of the recorded prompt, and
    every one of the repeated config names in a file of its own."""
    hand_made_from_live(account)
    exported = tmp_path / "exported"
    assert cli("export", exported).code == 0
    recorded = load("prompts-get.json")
    data = yaml.safe_load((exported / "prompts/gira-summarize-thread.prompt.yaml").read_text())
    assert data["model"] == "claude-sonnet-4-6" and data["virtual_key"] == "anthropic"
    text = (exported / "prompts" / data["messages"][0]["content_file"]).read_text()
    assert text == json.loads(recorded["string"])[0]["content"][0]["text"] + "\n"  # one newline ends the file
    configs = sorted(p.name for p in (exported / "configs").glob("*.config.yaml"))
    assert len(configs) == 15 and len([c for c in configs if c.startswith("portal-editor-ai")]) == 4
