"""Findings of the session-4 exploratory pass over the ``portkey-gitops`` console script (embedded sandbox)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.entry_point import Run

Cli = Callable[..., Run]


def test_a_blocked_plan_does_not_say_the_account_matches(cli: Cli, project: Path) -> None:
    """Removing a protected prompt's file under --prune is blocked: the plan must not also claim a match."""
    assert cli("apply", project, "--sandbox", "--auto-approve").code == 0
    (project / "prompts/support/triage.prompt.yaml").unlink()
    (project / "prompts/support/triage.system.md").unlink()
    for args in (("--prune",), ("--prune", "--markdown", project.parent / "plan.md")):
        blocked = cli("plan", project, "--sandbox", *args)
        assert blocked.code == 4, blocked.text
        markdown = (project.parent / "plan.md").read_text() if "--markdown" in args else ""
        text = blocked.unwrapped + markdown
        assert "matches the repository" not in text
        assert "prompt:support/triage is protected" in text
        assert "1 safety rule stops it" in blocked.unwrapped


def test_drift_with_a_lock_file_that_does_not_exist_says_so(cli: Cli, project: Path) -> None:
    """A mistyped --lock path is not silently read as 'no lock' while the report asks for a --lock file."""
    assert cli("apply", project, "--sandbox", "--auto-approve").code == 0
    missing = project / ".portkey" / "lokc.json"
    run = cli("drift", project, "--sandbox", "--lock", missing)
    assert f"lock file {missing} does not exist" in run.unwrapped
    assert "apply --lock" in run.unwrapped  # what writes it


def test_export_below_a_file_names_the_file_before_reading_the_account(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    run = cli("export", blocker / "sub", "--sandbox")
    assert run.code == 1
    assert f"{blocker} is a file" in run.unwrapped and "File exists" not in run.text
    assert "HTTP requests" not in run.text  # refused before any work
    assert blocker.read_text() == "x"


def test_a_refused_live_write_with_nothing_written_does_not_claim_changes_are_live(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit update Portkey refuses (conditions on PUT, no doctor run): exit 1, and the message does not say
    that some of what callers are served changed already: no write succeeded."""
    monkeypatch.setenv("PORTKEY_SANDBOX_QUIRKS", "policy_conditions_put=refused")
    assert cli("apply", project, "--sandbox", "--auto-approve").code == 0
    limit = project / "limits/per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: ws-support", "value: ws-support-2"))
    run = cli("apply", project, "--sandbox", "--auto-approve")
    assert run.code == 1, run.text
    assert "update rate_limit:per-user failed" in run.unwrapped
    assert "changed already" not in run.unwrapped and "the steps before it are live" not in run.unwrapped
    assert "Nothing callers are served changed" in run.unwrapped


def test_a_mistake_in_portkey_yaml_is_the_only_error_reported(cli: Cli, project: Path) -> None:
    """An unknown key in portkey.yaml must not also report every prompt that takes its virtual key from
    `defaults:` as missing one: those errors point at the wrong fix."""
    settings = project / "portkey.yaml"
    settings.write_text(settings.read_text() + "bogus: 1\n")
    run = cli("validate", project)
    assert run.code == 1
    assert "unknown key 'bogus'" in run.err
    assert "virtual_key" not in run.err.replace("valid: version", "")
    assert "1 error(s)" in run.err


def test_two_moves_into_one_address_or_out_of_one_are_refused(cli: Cli, project: Path) -> None:
    """Two `moved:` entries with one target (or one source) cannot both rename in place: validate names both
    instead of the plan silently renaming one object and leaving the other behind."""
    summarise = project / "prompts/support/summarise.prompt.yaml"
    settings = project / "portkey.yaml"
    base = settings.read_text()
    summarise.rename(project / "prompts/support/digest.prompt.yaml")
    for pairs in (("a", "digest", "c", "digest"), ("a", "digest", "a", "triage")):
        entries = [f'{{from: "prompt:support/{a}", to: "prompt:support/{b}"}}' for a, b in (pairs[:2], pairs[2:])]
        moved = f"[{', '.join(entries)}]"
        settings.write_text(f"{base}moved: {moved}\n")
        run = cli("validate", project)
        assert run.code == 1, moved
        assert "moved:" in run.err and "two entries" in run.err, run.err


def test_a_doctor_run_whose_checks_could_not_run_keeps_what_the_last_run_found(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """doctor found the account refuses conditions on PUT; a later doctor run that cannot make its scratch
    collection (exit 1) must not reset that to the default, or the next apply updates in place and fails."""
    from engine.gitops import doctor

    monkeypatch.setenv("PORTKEY_SANDBOX_QUIRKS", "policy_conditions_put=refused")
    assert cli("doctor", project, "--sandbox").code == 0
    saved = json.loads((project / ".portkey/doctor.json").read_text())
    assert saved["switches"]["policy_conditions_put"] == "refused"

    async def cannot_open(self: object) -> None:
        raise doctor.CheckFailed("scratch refused (test)")

    opener = doctor.Scratch.open
    monkeypatch.setattr(doctor.Scratch, "open", cannot_open)
    failed = cli("doctor", project, "--sandbox")
    assert failed.code == 1 and "could not run" in failed.err
    saved = json.loads((project / ".portkey/doctor.json").read_text())
    assert saved["switches"]["policy_conditions_put"] == "refused"
    monkeypatch.setattr(doctor.Scratch, "open", opener)
    assert cli("apply", project, "--sandbox", "--auto-approve").code == 0
    limit = project / "limits/per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: ws-support", "value: ws-support-2"))
    planned = cli("plan", project, "--sandbox")
    assert "replace" in planned.out, planned.out


def test_an_unknown_workspace_says_where_it_is_set(cli: Cli, project: Path) -> None:
    """`plan --env prod` on an account without the prod workspace: the error says which setting to fix."""
    run = cli("plan", project, "--sandbox", "--env", "prod")
    assert run.code == 1
    assert "ws-support-prod" in run.err and "workspace:" in run.unwrapped
    assert "environments/prod.yaml" in run.unwrapped or "portkey.yaml" in run.unwrapped


def test_plan_outputs_never_overwrite_each_other_or_a_project_file(cli: Cli, project: Path, tmp_path: Path) -> None:
    """`--out X --markdown X` left Markdown where `apply --plan X` expects JSON (after saying "Plan saved");
    `--out portkey.yaml` replaced the project's own settings with a plan. Both are refused before any work."""
    same = tmp_path / "plan.out"
    run = cli("plan", project, "--sandbox", "--out", same, "--markdown", same)
    assert run.code == 1 and "same file" in run.unwrapped and not same.exists()
    settings = project / "portkey.yaml"
    before = settings.read_text()
    for option, target in (("--out", settings), ("--markdown", project / "prompts/support/triage.system.md")):
        original = target.read_text()
        run = cli("plan", project, "--sandbox", option, target)
        assert run.code == 1 and "project file" in run.unwrapped, run.text
        assert target.read_text() == original
    drift = cli("drift", project, "--sandbox", "--markdown", settings)
    assert drift.code == 1 and "project file" in drift.unwrapped
    assert settings.read_text() == before
    assert cli("plan", project, "--sandbox", "--out", project / "plan.json").code == 0  # beside the files is fine


def test_one_ctrl_c_at_the_confirmation_prompt_cancels_apply(project: Path, tmp_path: Path) -> None:
    """The prompt runs inside the event loop, whose SIGINT handler only cancels the task (delivered once the
    prompt returns): one Ctrl-C did nothing. It must cancel at once: exit 1, nothing written."""
    import os
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    exe = Path(sys.executable).with_name("portkey-gitops")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "CI"))}
    env.update(PORTKEY_SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"), TERM="dumb", COLUMNS="120")
    main, child = pty.openpty()
    process = subprocess.Popen(
        [str(exe), "apply", str(project), "--sandbox"], stdin=child, stdout=child, stderr=child, env=env, close_fds=True
    )
    os.close(child)
    seen = b""

    def read_for(seconds: float, until: bytes | None = None) -> None:
        nonlocal seen
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until in seen):
            if select.select([main], [], [], 0.2)[0]:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    return

    try:
        read_for(120, until=b"Only 'yes' is accepted")
        assert b"Only 'yes' is accepted" in seen, seen.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)  # a hang, not a speed: the prompt ignored Ctrl-C
        except subprocess.TimeoutExpired:
            code = None
        read_for(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    text = seen.decode(errors="replace")
    assert code == 1, text[-500:]
    assert "nothing was changed" in text and "Traceback" not in text
    again = subprocess.run(
        [str(exe), "plan", str(project), "--sandbox", "--detailed-exitcode"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2  # nothing was written


def test_drift_json_of_a_project_with_errors_is_json_naming_them(cli: Cli, project: Path) -> None:
    """`drift --json` on a broken project printed nothing on stdout (exit 1); a script reading it got no JSON.
    It now prints the report with the errors as diagnostics (file and line), as `plan --json` does."""
    (project / "portkey.yaml").write_text("name: [broken\n")
    run = cli("drift", project, "--sandbox", "--json")
    assert run.code == 1
    report = json.loads(run.out)
    assert report["drift"] == [] and report["errors"], report
    first = report["errors"][0]
    assert first["file"] == "portkey.yaml" and first["line"] == 2 and "invalid YAML" in first["message"], first
    assert "invalid YAML" in run.err  # people still read the errors on stderr


def test_apply_lock_in_the_projects_own_state_folder_creates_it(cli: Cli, project: Path) -> None:
    """`apply --lock DIR/.portkey/lock.json` on a fresh project (as the README's commands write it) stopped with
    'directory .portkey does not exist'; the project's own state folder is made, as export makes it. Any other
    missing folder is still refused up front, before any write."""
    shutil.rmtree(project / ".portkey", ignore_errors=True)
    elsewhere = project.parent / "nowhere" / "lock.json"
    refused = cli("apply", project, "--sandbox", "--auto-approve", "--lock", elsewhere)
    assert refused.code == 1 and "does not exist; create it first" in refused.err
    assert "create" not in refused.out  # refused before planning: nothing applied
    lock = project / ".portkey" / "lock.json"
    run = cli("apply", project, "--sandbox", "--auto-approve", "--lock", lock)
    assert run.code == 0, run.err
    assert json.loads(lock.read_text())["entries"]


def test_a_path_as_environment_name_is_not_offered_as_a_file_to_create(cli: Cli, project: Path) -> None:
    """`--env ../../etc/passwd` was refused but told to 'create environments/../../etc/passwd.yaml'; the hint now
    says what an environment name is."""
    run = cli("validate", project, "--env", "../../etc/passwd")
    assert run.code == 1 and "unknown environment '../../etc/passwd'" in run.err
    assert "create environments/../../etc" not in run.err and "letters, digits" in run.err
    assert "create environments/qa.yaml to add it" in cli("validate", project, "--env", "qa").err
