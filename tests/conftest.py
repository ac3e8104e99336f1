"""Shared pytest configuration: anyio on asyncio, a quiet terminal."""

import pytest


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
