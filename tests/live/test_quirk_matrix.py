"""The engine's end-to-end scenarios under every value of every sandbox quirk (issue 8, §3).

One quirk differs from the defaults per case (plus the all-defaults case); each case runs on a fresh
embedded sandbox, reached through the real CLI with $PORTKEY_SANDBOX_QUIRKS: apply examples/prompts
(environment `dev`), re-plan to no changes, edit a prompt message and converge, move the environment's
release label and converge, rename a prompt's display name and converge. Then the sandbox's state is
read back: no duplicate prompts, no two versions of one prompt with the same content, and every prompt
the environment releases serves its newest version.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from engine.cli import main
from sandbox import Sandbox
from sandbox.quirks import ENV_VAR, QUIRKS

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
        self.monkeypatch.setattr(sys, "argv", ["portkey-gitops", command, str(self.project), "--sandbox",
                                               "--env", "dev", *args])
        code = 0
        try:
            main.run()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

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

    cli.converges("first apply")
    triage = project / "prompts/support/triage.prompt.yaml"
    _edit(triage, "wrote:\\n", "wrote to us:\\n")
    cli.converges("message edit")
    _edit(project / "environments/dev.yaml", "labels: [development]", "labels: [staging]")
    cli.converges("release label move")
    _edit(triage, "name: Support triage", "name: Support triage desk")
    cli.converges("display name change")

    state = anyio.run(_state, db)
    assert any("Support triage desk" in p["name"] for p in state.values()), [p["name"] for p in state.values()]
    assert sum("Support triage" in p["name"] for p in state.values()) == 1
    _check_state(state, released=lambda name: "Support triage" in name)
