"""Shared pytest configuration: anyio on asyncio, a quiet terminal, and the command line on a private sandbox."""

import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.entry_point import EXAMPLE, Run, run_cli


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture(autouse=True)
def _not_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs the same on a laptop and in a CI job: a test that wants CI's rules (the plan cache and the
    doctor file are then distrusted, engine.gitops.cache / behaviour) sets the variables itself."""
    for name in ("CI", "GITHUB_ACTIONS", "PORTKEY_GITOPS_BEHAVIOUR", "PORTKEY_GITOPS_CI_CACHE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _plans_follow_their_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSON plan a test makes (CLI, MCP, CI, engine) is checked against the published schema."""
    from engine.gitops import jsonplan
    from tests.plan_schema import checked

    monkeypatch.setattr(jsonplan, "plan_json", checked(jsonplan.plan_json))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The sandbox state file ``cli`` runs ``--sandbox`` on."""
    return tmp_path / "sandbox.sqlite3"


@pytest.fixture
def cli(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The real entry point in-process on the sandbox file ``db``, outside CI, no PORTKEY_* setting inherited."""
    for name in [name for name in os.environ if name.startswith("PORTKEY_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(db))
    return partial(run_cli, monkeypatch, capsys)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of examples/prompts."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    return root
