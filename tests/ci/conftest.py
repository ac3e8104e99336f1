"""Run action.yml's own ``run:`` step the way GitHub does, against a fake GitHub API and the sandbox.

The script is taken from the YAML, written to a file and run with ``bash --noprofile --norc -eo pipefail``
(GitHub's ``shell: bash``), with the step's ``env:`` evaluated from the test's inputs and the variables a
runner sets (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, RUNNER_TEMP, …). The console script
``portkey-gitops`` of this venv is first on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.ci.fake_github import FakeGitHub, serve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prompts"
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
REPO = "acme/prompts"
TOKEN = "ghs_FAKE-TOKEN-never-shown-71c0"
API_KEY = "pk-live-NEVER-SHOWN-3b9e"
BIN = Path(sys.executable).parent
_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def run_step() -> dict[str, Any]:
    return next(step for step in ACTION["runs"]["steps"] if step.get("id") == "run")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    output_text: str
    summary: str

    def everything(self) -> str:
        return "\n".join((self.stdout, self.stderr, self.output_text, self.summary))


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's ``name<<DELIM`` blocks (and ``name=value`` lines) into a dict."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
        else:
            i += 1
    return out


def pr_event(number: int = 7, head_sha: str = "head-sha-1", fork: bool = False) -> dict[str, Any]:
    head_repo = {"full_name": "mallory/prompts" if fork else REPO, "fork": fork}
    return {"action": "synchronize", "number": number,
            "pull_request": {"number": number, "head": {"sha": head_sha, "repo": head_repo},
                             "base": {"repo": {"full_name": REPO}}}}


class Runner:
    """One runner workspace: a checkout of the example project, a sandbox, a fake GitHub."""

    def __init__(self, tmp: Path, api_url: str) -> None:
        self.tmp, self.api_url = tmp, api_url
        self.workspace = tmp / "workspace"
        self.project = self.workspace / "prompts"
        shutil.copytree(EXAMPLE, self.project)
        self.sandbox_db = tmp / "sandbox.sqlite3"
        self.runs = 0

    def env(self) -> dict[str, str]:
        return {"PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(self.tmp), "CI": "true",
                "GITHUB_ACTIONS": "true", "PORTKEY_SANDBOX_DB": str(self.sandbox_db), "PORTKEY_MAX_RETRIES": "0",
                "LANG": "C.UTF-8"}

    def run(self, command: str, *, event_name: str = "pull_request", event: dict[str, Any] | None = None,
            sha: str = "merge-sha-1", **inputs: str) -> Result:
        """Run the action's step with ``command`` and ``inputs`` (underscores for dashes) for one event."""
        self.runs += 1
        folder = self.tmp / f"run{self.runs}"
        temp = folder / "runner_temp"
        temp.mkdir(parents=True)
        output, summary, event_path = folder / "output", folder / "summary", folder / "event.json"
        output.touch()
        summary.touch()
        event_path.write_text(json.dumps(event if event is not None else pr_event()))
        given = {"command": command, "project": "prompts", "sandbox": "true", **{
            k.replace("_", "-"): v for k, v in inputs.items()}}
        step = run_step()
        env = {**self.env(), **{name: evaluate(str(value), given) for name, value in step["env"].items()}}
        env.update(GITHUB_EVENT_NAME=event_name, GITHUB_EVENT_PATH=str(event_path), GITHUB_REPOSITORY=REPO,
                   GITHUB_SHA=sha, GITHUB_API_URL=self.api_url, GITHUB_SERVER_URL="https://github.example",
                   GITHUB_RUN_ID=str(4000 + self.runs), GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
                   RUNNER_TEMP=str(temp), GITHUB_WORKSPACE=str(self.workspace))
        script = folder / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                              env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        text = output.read_text()
        return Result(done.returncode, done.stdout, done.stderr, parse_outputs(text), text, summary.read_text())

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The console script outside the action (to change the sandbox between runs)."""
        return subprocess.run([str(BIN / "portkey-gitops"), *args], cwd=self.workspace, env=self.env(),
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def evaluate(value: str, inputs: dict[str, str]) -> str:
    """The step's ``${{ inputs.NAME }}`` expressions, with action.yml's defaults (``github.token`` -> TOKEN)."""
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr == "github.token":
            return TOKEN
        assert expr.startswith("inputs."), f"unexpected expression in the run step: {expr}"
        name = expr.removeprefix("inputs.")
        assert name in ACTION["inputs"], f"the run step uses an undeclared input {name}"
        if name in inputs:
            return inputs[name]
        return evaluate(str(ACTION["inputs"][name].get("default", "")), inputs)

    return _EXPR.sub(one, value)


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def runner(tmp_path: Path, github: tuple[FakeGitHub, str]) -> Runner:
    return Runner(tmp_path, github[1])


@pytest.fixture
def fake(github: tuple[FakeGitHub, str]) -> FakeGitHub:
    return github[0]
