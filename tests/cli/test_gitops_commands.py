"""The portkey-gitops command line end to end against the embedded sandbox: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.entry_point import EXAMPLE, Run

SECRET = "sk-live-DO-NOT-LEAK-9c2f"

def test_readme_flow_apply_then_plan_shows_no_changes(cli: Callable[..., Run], project: Path) -> None:
    first = cli("plan", str(project), "--sandbox", "--detailed-exitcode")
    assert first.code == 2 and "Plan: 12 to create" in first.out
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 13 write(s)" in applied.out
    again = cli("plan", str(project), "--sandbox", "--detailed-exitcode")
    assert again.code == 0
    assert "No changes. The Portkey account matches the repository." in again.out


def test_validate_reports_file_line_and_column(cli: Callable[..., Run], project: Path) -> None:
    assert cli("validate", str(project)).code == 0
    path = project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("model:", "modle:"))
    broken = cli("validate", str(project))
    assert broken.code == 1
    assert "prompts/support/summarise.prompt.yaml:2:1: error: unknown key 'modle'" in broken.err
    planned = cli("plan", str(project), "--sandbox")
    assert planned.code == 1 and "modle" in planned.out + planned.err


def test_missing_project_and_missing_key_are_one_line_errors(cli: Callable[..., Run], tmp_path: Path) -> None:
    missing = cli("plan", str(tmp_path / "nope"), "--sandbox")
    assert missing.code == 1 and "is not a directory" in missing.err and "Traceback" not in missing.err
    no_key = cli("plan", str(EXAMPLE))
    assert no_key.code == 1 and "PORTKEY_API_KEY is not set" in no_key.err


def test_json_markdown_and_saved_plan(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    as_json = cli("plan", str(project), "--sandbox", "--json")
    plan = json.loads(as_json.out)
    assert plan["format_version"] == "3.0" and plan["summary"]["create"] == 12
    saved, md = tmp_path / "plan.json", tmp_path / "plan.md"
    assert cli("plan", str(project), "--sandbox", "--out", str(saved), "--markdown", str(md)).code == 0
    assert md.read_text().startswith("<!-- portkey-gitops-plan -->")
    assert cli("apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve").code == 0
    stale = cli("apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve")
    assert stale.code == 1 and "STALE_PLAN" in stale.err


def test_apply_without_terminal_needs_auto_approve(cli: Callable[..., Run], project: Path) -> None:
    refused = cli("apply", str(project), "--sandbox")
    assert refused.code == 1 and "--auto-approve" in refused.err
    assert cli("plan", str(project), "--sandbox", "--detailed-exitcode").code == 2


def test_safety_block_and_drift_exit_codes(cli: Callable[..., Run], project: Path) -> None:
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    (project / "prompts/support/triage.prompt.yaml").unlink()
    blocked = cli("plan", str(project), "--sandbox", "--prune")
    assert blocked.code == 4 and "protected" in blocked.out
    assert cli("drift", str(project), "--sandbox", "--detailed-exitcode").code == 0


def test_export_then_plan_is_a_no_op(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    exported = tmp_path / "exported"
    result = cli("export", str(exported), "--sandbox")
    assert result.code == 0 and "unmanaged" not in result.out
    assert (exported / "prompts/support/triage.prompt.yaml").exists()
    again = cli("plan", str(exported), "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.out


def test_secrets_never_appear_in_any_output(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = project / "portkey.yaml"
    settings.write_text(settings.read_text().replace("version: 1\n", "version: 1\nsecrets: [OPENAI_KEY]\n"))
    config = project / "configs/support-routing.config.yaml"
    config.write_text(config.read_text().replace(
        "      override_params: {model: gpt-4o}\n",
        "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n",
    ))
    missing = cli("validate", str(project))
    assert missing.code == 1 and "OPENAI_KEY" in missing.err
    monkeypatch.setenv("OPENAI_KEY", SECRET)
    outputs = [cli("plan", str(project), "--sandbox", "--json").out]
    md, saved = tmp_path / "p.md", tmp_path / "p.json"
    outputs.append(cli("plan", str(project), "--sandbox", "--markdown", str(md), "--out", str(saved)).out)
    outputs += [md.read_text(), saved.read_text()]
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    outputs += [applied.out, applied.err]
    monkeypatch.setenv("OPENAI_KEY", SECRET + "-rotated")
    rotated = cli("plan", str(project), "--sandbox")
    outputs += [rotated.out, rotated.err]
    assert "(secret" in rotated.out
    for text in outputs:
        assert SECRET not in text
    assert applied.code == 0


def test_sandbox_serve_prints_the_base_url_and_serves(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("portkey-gitops")
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from engine.cli.main import run; run()"]
    proc = subprocess.Popen([*command, "sandbox", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line == f"PORTKEY_BASE_URL=http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/labels", headers={"x-portkey-api-key": "sandbox-key"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["total"] >= 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lock_file_makes_drift_of_configs_visible(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    import anyio

    from engine.cli.connect import open_client

    lock = tmp_path / "portkey.lock.json"
    assert cli("apply", str(project), "--sandbox", "--auto-approve", "--lock", str(lock)).code == 0
    assert json.loads(lock.read_text())["entries"]["config:support-routing"]["hash"]
    assert cli("drift", str(project), "--sandbox", "--lock", str(lock), "--detailed-exitcode").code == 0

    async def edit_in_portkey() -> None:
        async with open_client(sandbox=True, sandbox_db=tmp_path / "sandbox.sqlite3") as client:
            items, _ = await client.list_all("list_configs")
            await client.update_config(slug=items[0]["slug"], body={"config": {"retry": {"attempts": 1}}})

    anyio.run(edit_in_portkey)
    drifted = cli("drift", str(project), "--sandbox", "--lock", str(lock), "--detailed-exitcode")
    assert drifted.code == 3 and "config:support-routing: changed in Portkey outside git" in drifted.out


def test_unreachable_portkey_is_one_line_not_a_traceback(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-unreachable-secret")
    monkeypatch.setenv("PORTKEY_BASE_URL", f"http://127.0.0.1:{_free_port()}/v1")
    monkeypatch.setenv("PORTKEY_MAX_RETRIES", "0")
    result = cli("plan", str(EXAMPLE))
    assert result.code == 1
    assert "no answer from Portkey" in result.err and "Traceback" not in result.err
    assert "pk-unreachable-secret" not in result.err + result.out
    usage = cli("validate", "/etc/hostname")
    assert usage.code == 2 and "is a file" in usage.err
