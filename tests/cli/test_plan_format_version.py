"""``apply --plan FILE`` refuses a saved plan of another format version: one clear error, nothing written.

The wrong versions are derived from the current one, so the test holds when the format version changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.gitops.plan import FORMAT_VERSION
from tests.entry_point import run_entry_point

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
MAJOR = int(FORMAT_VERSION.split(".")[0])
WRONG = {
    "next major": f"{MAJOR + 1}.0",
    "previous major": f"{MAJOR - 1}.9",
    "not a version": "latest",
    "a number": MAJOR,
    "missing": None,
}


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """The example project and its plan, saved by ``plan --out`` on a fresh embedded sandbox."""
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    plan = tmp_path / "plan.json"
    code, _, err = run_entry_point(monkeypatch, capsys, "plan", str(project), "--sandbox", "--out", str(plan))
    assert code == 0, err
    return project, plan


@pytest.mark.parametrize("case", list(WRONG))
def test_a_saved_plan_of_another_format_version_is_refused(
    case: str, saved: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project, plan = saved
    doc = json.loads(plan.read_text())
    assert doc["format_version"] == FORMAT_VERSION
    if WRONG[case] is None:
        del doc["format_version"]
    else:
        doc["format_version"] = WRONG[case]
    plan.write_text(json.dumps(doc))
    code, out, err = run_entry_point(
        monkeypatch, capsys, "apply", str(project), "--sandbox", "--plan", str(plan), "--auto-approve"
    )
    assert code == 1, err
    line = next(line for line in err.splitlines() if "cannot use saved plan" in line)
    assert "format" in line and FORMAT_VERSION in line  # which format is expected, so the user plans again
    if case in ("next major", "previous major"):
        assert str(WRONG[case]) in line
    assert "Traceback" not in err and "Apply complete" not in out
    code, _, _ = run_entry_point(monkeypatch, capsys, "plan", str(project), "--sandbox", "--detailed-exitcode")
    assert code == 2  # nothing was written: the changes are all still to make


def test_the_saved_plan_of_this_version_is_accepted(
    saved: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project, plan = saved
    code, out, err = run_entry_point(
        monkeypatch, capsys, "apply", str(project), "--sandbox", "--plan", str(plan), "--auto-approve"
    )
    assert code == 0 and "Apply complete" in out, err
