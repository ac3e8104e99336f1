"""The engine's end-to-end scenarios under every value of every sandbox quirk (issue 8, §3).

One quirk differs from the defaults per case (plus the all-defaults case); each case runs on a fresh
embedded sandbox, reached through the real CLI with $PORTKEY_SANDBOX_QUIRKS. First `portkey-gitops
doctor --sandbox` learns the account's behaviour (the engine adapts to the thin-evidence switches only
through .portkey/doctor.json, so this is the user's path: one command away from a working plan) and
must report each switch as the quirk sets it. Then: apply examples/prompts (environment `dev`), re-plan
to no changes, edit a prompt message and converge, move the environment's release label and converge,
rename a prompt's display name and converge. Then the sandbox's state is read back: no duplicate
prompts, no two versions of one prompt with the same content, and every prompt the environment releases
serves its newest version. Under label_write=replace a prompt releasing two labels on one version is
a plan error naming the file to fix (behaviour.py), not a half-applied label move.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from engine.gitops.behaviour import BY_NAME as SWITCHES
from sandbox import Sandbox
from sandbox.quirks import ENV_VAR, QUIRKS
from tests.entry_point import run_entry_point

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
# (case id, $PORTKEY_SANDBOX_QUIRKS): the defaults, each other value of each quirk, and the spec's shapes
# all at once (the shapes the engine was first written against: a baseline for the scenarios).
CASES = [("defaults", "")] + [(f"{q.name}={v}", f"{q.name}={v}") for q in QUIRKS for v in q.values[1:]] + [
    ("spec-shapes", "versions_envelope=bare,config_encoding=object,parameters_echo=off,prompt_shape=spec")]
# Version fields that make up a version's content (not its number, id, note, labels or time).
CONTENT = ("string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice",
           "template_metadata", "is_raw_template")


class Cli:
    """The real entry point, in process, against a private sandbox file with the case's quirks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path):
        self.monkeypatch, self.capsys, self.project = monkeypatch, capsys, project

    def __call__(self, command: str, *args: str) -> tuple[int, str]:
        return self.run(command, "--env", "dev", *args)

    def run(self, command: str, *args: str) -> tuple[int, str]:
        code, out, err = run_entry_point(self.monkeypatch, self.capsys, command, str(self.project), "--sandbox", *args)
        return code, out + err

    def doctor(self) -> dict[str, str]:
        """Run the doctor on the case's sandbox; the switches it saved in .portkey/doctor.json."""
        code, out = self.run("doctor")
        assert code == 0, f"doctor:\n{out}"
        return json.loads((self.project / ".portkey/doctor.json").read_text())["switches"]

    def converges(self, step: str) -> None:
        code, out = self("apply", "--auto-approve")
        assert code == 0, f"{step}: apply failed:\n{out}"
        code, out = self("plan", "--detailed-exitcode")
        assert code == 0, f"{step}: plan after apply is not empty:\n{out}"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def _rows(answer: Any) -> list[dict[str, Any]]:
    return answer["data"] if isinstance(answer, dict) else answer


async def _state(db: Path) -> dict[str, Any]:
    """Every prompt with its published version and all its versions, read through the API with the
    default quirks (the state is the same whatever shapes the case answered in)."""
    with Sandbox(db=db, api_key="k", quirks={}) as sb:
        transport = httpx.ASGITransport(app=sb.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sb/v1",
                                     headers={"x-portkey-api-key": "k"}) as api:
            prompts = (await api.get("/prompts", params={"page_size": 500})).json()["data"]
            state = {}
            for p in prompts:
                versions = []
                for row in _rows((await api.get(f"/prompts/{p['id']}/versions")).json()):
                    versions.append((await api.get(f"/prompts/{p['id']}/versions/{row['id']}")).json())
                published = (await api.get(f"/prompts/{p['id']}")).json()
                state[p["id"]] = {"name": p["name"], "published": published["prompt_version"],
                                  "versions": sorted(versions, key=lambda v: v["prompt_version"])}
            return state


def _check_state(state: dict[str, Any], released: Callable[[str], bool]) -> None:
    names = [p["name"] for p in state.values()]
    assert len(names) == len(set(names)), f"duplicate prompts: {sorted(names)}"
    for prompt in state.values():
        contents = [tuple(repr(v.get(k)) for k in CONTENT) for v in prompt["versions"]]
        assert len(contents) == len(set(contents)), f"{prompt['name']}: versions with the same content"
        if released(prompt["name"]):
            newest = prompt["versions"][-1]["prompt_version"]
            assert prompt["published"] == newest, f"{prompt['name']}: serves v{prompt['published']}, not v{newest}"


@pytest.mark.parametrize("quirks", [env for _, env in CASES], ids=[case for case, _ in CASES])
def test_scenarios_converge_under_the_quirk(quirks: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    db = tmp_path / "sandbox.sqlite3"
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(db))
    monkeypatch.setenv(ENV_VAR, quirks)
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    cli = Cli(monkeypatch, capsys, project)

    set_by_case = dict(item.split("=") for item in quirks.split(",") if item)
    learned = cli.doctor()
    assert learned == {name: set_by_case.get(name, switch.default) for name, switch in SWITCHES.items()}
    cli.converges("first apply")
    triage = project / "prompts/support/triage.prompt.yaml"
    _edit(triage, "wrote:\\n", "wrote to us:\\n")
    cli.converges("message edit")
    _edit(project / "environments/dev.yaml", "labels: [development]", "labels: [staging]")
    cli.converges("release label move")
    _edit(triage, "name: Support triage", "name: Support triage desk")
    cli.converges("display name change")
    before = anyio.run(_state, db)
    _edit(project / "environments/dev.yaml", "labels: [staging]", "labels: [staging, canary]")
    if learned["label_write"] == "replace":
        code, out = cli("apply", "--auto-approve")
        assert code == 1 and "release.labels staging, canary would put 2 labels on one version" in out, out
        assert "keep one label" in out and "prompt:support/triage" in out
        assert anyio.run(_state, db) == before, "a plan error writes nothing"
    else:
        cli.converges("two release labels")

    state = anyio.run(_state, db)
    names = [p["name"] for p in state.values()]
    assert any("Support triage desk" in name for name in names), names
    assert sum("Support triage" in name for name in names) == 1
    if learned["name_chars"] == "ascii":
        assert all(re.fullmatch(r"[A-Za-z0-9_. -]+", name) for name in names), names
    else:
        assert "gitops:support/triage · Support triage desk" in names, names
    _check_state(state, released=lambda name: "Support triage" in name)
