"""The reusable action and the workflow that uses it are consistent (no GitHub runner here)."""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def test_action_uses_only_declared_inputs_and_known_commands() -> None:
    action = load(ROOT / "action.yml")
    declared = set(action["inputs"])
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used <= declared, used - declared
    script = action["runs"]["steps"][-1]["run"]
    assert "portkey-gitops plan" in script and "--detailed-exitcode" in script
    assert "portkey-gitops apply" in script and "--auto-approve" in script
    outputs = set(re.findall(r"steps\.run\.outputs\.([a-z_]+)", text))
    assert outputs == set(action["outputs"])


def test_workflow_passes_only_inputs_the_action_declares() -> None:
    declared = set(load(ROOT / "action.yml")["inputs"])
    workflow = load(ROOT / ".github" / "workflows" / "portkey-gitops.yml")
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if step.get("uses") == "./":
                assert set(step.get("with", {})) <= declared
                assert step["with"]["command"] in ("plan", "apply")
