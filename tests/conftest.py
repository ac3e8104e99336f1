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
def _plans_follow_their_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSON plan a test makes (CLI, MCP, CI, engine) is checked against the published schema."""
    from engine.gitops import jsonplan
    from tests.plan_schema import checked

    monkeypatch.setattr(jsonplan, "plan_json", checked(jsonplan.plan_json))
