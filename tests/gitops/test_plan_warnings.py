"""Plan warnings are diagnostics: a JSON reader sees each one's code (a loader warning with its file, line and
column, the prune warning with the addresses it names), people still read the same sentence in the terminal
and the Markdown comment, a saved 2.0 plan (warnings as sentences) still applies, and a secret in a warning's
text is scrubbed from every output form (plan, validate, drift; text, JSON, saved file, Markdown)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import redaction
from engine.gitops.plan import DiagnosticCode, Plan
from engine.gitops.render import render_human, render_markdown
from engine.gitops.render.markdown import _md
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from tests.entry_point import run_entry_point
from tests.gitops.conftest import EXAMPLE
from tests.gitops.helpers import converge, edit
from tests.gitops.test_plan_format import check_golden

REFUND = "prompts/support/billing/refund.prompt.yaml"
CONFIG = "configs/support-routing.config.yaml"
DECLARED = "variables: [order_id, customer_message, refund_window_days"
SECRET = "sk-live-WARNING-TEXT-DO-NOT-LEAK-3b7d"


def with_warnings(project: Path) -> None:
    """Three planner-visible warnings: an unused variable (loader), is_default on an existing config (cannot
    change), two managed objects gone from the repository (kept without --prune)."""
    edit(project / REFUND, f"{DECLARED}]", f"{DECLARED}, ticket]")
    edit(project / CONFIG, "config:", "is_default: true\nconfig:")
    (project / "limits/monthly-budget.usage-limit.yaml").unlink()
    (project / "prompts/support/summarise.prompt.yaml").unlink()


@pytest.mark.anyio
async def test_each_warning_reaches_the_json_with_its_code(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    with_warnings(project)
    data = (await plan_project(client, project)).plan.to_json()
    found = {w["code"]: w for w in data["warnings"]}
    assert sorted(found) == ["not_pruned", "project_warning", "unchangeable_field"], data["warnings"]

    loader = found["project_warning"]
    column = len(f"{DECLARED}, ") + 1
    assert (loader["file"], loader["line"], loader["column"]) == (REFUND, 12, column)
    assert loader["message"].startswith("variable ticket is declared but not used")
    assert loader["text"] == f"{REFUND}:12:{column}: warning: {loader['message']}"  # the sentence validate prints

    fixed = found["unchangeable_field"]
    assert fixed["address"] == "config:support-routing" and fixed["file"] == CONFIG
    assert fixed["text"].startswith("config:support-routing: is_default cannot be changed on an existing config")

    kept = found["not_pruned"]
    assert kept["address"] is None and kept["addresses"] == ["prompt:support/summarise", "usage_limit:monthly-budget"]
    assert kept["text"] == (
        "in Portkey but no longer in the repository (use --prune to delete): "
        "prompt:support/summarise, usage_limit:monthly-budget"
    )
    check_golden("warnings", data, project)

    # People read the same sentences as before; a saved plan gives the codes back.
    human, markdown = render_human(data, color=False, width=2000), render_markdown(data)
    for warning in data["warnings"]:
        assert f"! {warning['text']}" in human
        assert f"- {_md(warning['text'])}" in markdown
    again = Plan.from_json(json.loads(json.dumps(data)))
    assert [(w.code, w.file, w.line, w.addresses) for w in again.warnings] == [
        (DiagnosticCode(w["code"]), w["file"], w["line"], tuple(w["addresses"])) for w in data["warnings"]
    ]
    assert again.to_json()["warnings"] == data["warnings"]


def as_format_2_0(plan: dict[str, Any]) -> dict[str, Any]:
    """What a 2.0 engine saved: warnings as sentences, diagnostics without ``addresses``."""

    def older(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in item.items() if k != "addresses"} for item in items]

    return {
        **plan,
        "format_version": "2.0",
        "warnings": [w["text"] for w in plan["warnings"]],
        "errors": older(plan["errors"]),
        "blocked": older(plan["blocked"]),
    }


@pytest.mark.anyio
async def test_a_saved_format_2_0_plan_is_still_read(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    with_warnings(project)
    current = (await plan_project(client, project)).plan.to_json()
    read = Plan.from_json(as_format_2_0(current))
    assert read.digest() == current["changes_digest"]  # warnings are not in the digest
    assert [str(w) for w in read.warnings] == [w["text"] for w in current["warnings"]]
    assert {w.code for w in read.warnings} == {DiagnosticCode.OTHER}  # a sentence has no code to recover
    assert read.to_json()["format_version"] == "3.0"


def test_apply_takes_a_plan_saved_in_format_2_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    project, saved = tmp_path / "project", tmp_path / "plan.json"
    shutil.copytree(EXAMPLE, project)
    edit(project / REFUND, f"{DECLARED}]", f"{DECLARED}, ticket]")
    code, _, err = run_entry_point(monkeypatch, capsys, "plan", str(project), "--sandbox", "--out", str(saved))
    assert code == 0, err
    plan = json.loads(saved.read_text())
    assert [w["code"] for w in plan["warnings"]] == ["project_warning"]
    saved.write_text(json.dumps(as_format_2_0(plan)))
    code, out, err = run_entry_point(
        monkeypatch, capsys, "apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve"
    )
    assert code == 0 and "Apply complete" in out, err
    code, _, _ = run_entry_point(monkeypatch, capsys, "plan", str(project), "--sandbox", "--detailed-exitcode")
    assert code == 0


def test_validate_json_carries_codes_and_positions(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project / REFUND, f"{DECLARED}]", f"{DECLARED}, ticket]")
    code, out, err = run_entry_point(monkeypatch, capsys, "validate", str(project))
    shown = out + err
    assert code == 0 and "1 warning(s), valid" in shown
    code, out, err = run_entry_point(monkeypatch, capsys, "validate", str(project), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["valid"] is True and report["errors"] == [] and report["resources"] > 0
    [warning] = report["warnings"]
    assert warning["code"] == "project_warning" and (warning["file"], warning["line"]) == (REFUND, 12)
    assert warning["text"] in shown.replace("\n", "")  # the sentence the terminal form prints
    edit(project / CONFIG, "config:", "colour: red\nconfig:")
    code, out, _ = run_entry_point(monkeypatch, capsys, "validate", str(project), "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    [error] = report["errors"]
    assert error["code"] == "invalid_project" and (error["file"], error["line"]) == (CONFIG, 1)


# ---------------------------------------------------------------- secrets in a warning's text


@pytest.fixture
def _clean_registry() -> Iterator[None]:
    redaction.REGISTRY.clear()
    yield
    redaction.REGISTRY.clear()


def with_secret_in_a_warning(project: Path) -> None:
    """A declared secret used by the config, and a stray folder named with its value: the loader's warning
    ("unknown folder ... is ignored") and its file carry the secret."""
    edit(project / "portkey.yaml", "version: 1\n", "version: 1\nsecrets: [OPENAI_KEY]\n")
    edit(
        project / CONFIG,
        "      override_params: {model: gpt-4o}\n",
        "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n",
    )
    (project / SECRET).mkdir()


@pytest.mark.usefixtures("_clean_registry")
def test_a_secret_in_a_warning_is_scrubbed_from_every_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    monkeypatch.setenv("OPENAI_KEY", SECRET)
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    with_secret_in_a_warning(project)
    files = {name: tmp_path / name for name in ("plan.json", "plan.md", "drift.md")}
    runs = {
        "validate": ("validate", str(project)),
        "validate --json": ("validate", str(project), "--json"),
        "plan": (
            "plan",
            str(project),
            "--sandbox",
            "--out",
            str(files["plan.json"]),
            "--markdown",
            str(files["plan.md"]),
        ),
        "plan --json": ("plan", str(project), "--sandbox", "--json"),
        "drift": ("drift", str(project), "--sandbox", "--markdown", str(files["drift.md"])),
        "drift --json": ("drift", str(project), "--sandbox", "--json"),
    }
    seen: dict[str, str] = {}
    for name, args in runs.items():
        code, out, err = run_entry_point(monkeypatch, capsys, *args)
        assert code == 0, (name, err)
        seen[name] = out + err
    for name, path in files.items():
        seen[name] = path.read_text(encoding="utf-8")
    for name, text in seen.items():
        assert SECRET not in text, name
        assert "unknown folder" in text, name  # the warning is there, its secret is not
    for name in ("validate --json", "plan --json", "drift --json", "plan.json"):
        body = json.loads(seen[name])
        [warning] = [w for w in body["warnings"] if "unknown folder" in w["text"]]
        assert warning["code"] == "project_warning" and warning["file"] == f"{redaction.SCRUBBED}/", name
