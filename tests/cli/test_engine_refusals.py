"""The engine's own refusals through the console script: exit 1 and one ``Error:`` line that says what to fix,
never a traceback and never worded as a failure of Portkey (engine.errors: a GitOpsError, not a PortkeyError)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from sandbox import FaultRule, Faults, Sandbox, serve_in_thread
from tests.gitops.conftest import EXAMPLE, KEY
from tests.lease.test_concurrent_applies import http_client

CLI = Path(sys.executable).parent / "portkey-gitops"


def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``portkey-gitops ARGS`` as a user runs it, with the environment cleared of Portkey and CI settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "CI", "GITHUB_"))}
    return subprocess.run([str(CLI), *args], env={**base, **extra}, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single line a refusal prints (after checking it is alone and no traceback came with it)."""
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0].removeprefix("Error: ")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    return root


def test_an_apply_lock_folder_linked_elsewhere_is_refused(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / ".portkey").symlink_to(elsewhere, target_is_directory=True)
    done = run("apply", str(project), "--sandbox", "--auto-approve",
               PORTKEY_SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"))
    assert done.returncode == 1
    assert one_error(done) == ".portkey is a symbolic link; the apply lock is kept only inside the project"
    assert list(elsewhere.iterdir()) == []  # no lock file written through the link


@pytest.mark.parametrize(("value", "said"), [
    ("soon", "PORTKEY_GITOPS_LEASE_TTL must be a number of seconds, got 'soon'"),
    ("0", "PORTKEY_GITOPS_LEASE_TTL must be between 1 and 86400 seconds"),
])
def test_a_wrong_lease_ttl_is_one_line_naming_the_setting(project: Path, tmp_path: Path, value: str, said: str) -> None:
    db = tmp_path / "sandbox.sqlite3"
    done = run("apply", str(project), "--sandbox", "--auto-approve", PORTKEY_SANDBOX_DB=str(db),
               PORTKEY_GITOPS_LEASE_TTL=value)
    assert done.returncode == 1
    assert one_error(done) == said
    planned = run("plan", str(project), "--sandbox", "--detailed-exitcode", PORTKEY_SANDBOX_DB=str(db))
    assert planned.returncode == 2, planned.stderr  # nothing was written


def test_importing_a_label_under_another_name_is_refused(project: Path) -> None:
    with Sandbox(db=":memory:", api_key=KEY) as sb, serve_in_thread(sb) as url:
        async def make_label() -> str:
            async with http_client(url) as client:
                made = await client.call("create_prompt_label", body={"name": "nightly"})
                return str(made["id"])

        label_id = anyio.run(make_label)
        sb.reset_requests()
        done = run("import", str(project), "label:canary", label_id, PORTKEY_API_KEY=KEY, PORTKEY_BASE_URL=url)
        writes = [r for r in sb.requests() if r.method != "GET"]
    assert done.returncode == 1
    assert one_error(done) == f"label {label_id} is named 'nightly'; a label's key must equal its name ('canary')"
    assert writes == [] and "Adopted" not in done.stdout


def test_lease_labels_portkey_never_answers_are_one_line_without_a_doubled_prefix(project: Path) -> None:
    """Every create of the lease label is answered 500: after three tries the lease's own LeaseError is shown as
    it is (apply no longer wraps it in a second 'could not take the apply lease:'), and nothing was written."""
    faults = Faults(per_operation={"create_prompt_label": FaultRule(rate_500=1.0)})
    with Sandbox(db=":memory:", api_key=KEY, faults=faults) as sb, serve_in_thread(sb) as url:
        done = run("apply", str(project), "--auto-approve", PORTKEY_API_KEY=KEY, PORTKEY_BASE_URL=url,
                   PORTKEY_MAX_RETRIES="0")
        writes = [f"{r.method} {r.path}" for r in sb.requests() if r.method != "GET"]
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == ["Error: could not take the apply lease: Portkey did not answer creating its label 3 times (and "
                      "no lease is there); nothing was written. Run apply again"], done.stderr
    assert writes and all(write.endswith("/labels") and write.startswith("POST") for write in writes), writes
