"""Fixtures for the client tests: a sandbox served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import Sandbox, serve_in_thread


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Sandbox, str]]:
    """An empty sandbox taking the test module's ``KEY``, served on 127.0.0.1, and its base URL."""
    with Sandbox(db=":memory:", api_key=request.module.KEY) as sb, serve_in_thread(sb) as base_url:
        yield sb, base_url
