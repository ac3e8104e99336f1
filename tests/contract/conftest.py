"""Fixtures for the contract-checker tests."""

from __future__ import annotations

import pytest

from .openapi_contract import ContractChecker, get_checker


@pytest.fixture(scope="session")
def checker() -> ContractChecker:
    """The process-wide checker; the spec is parsed once per session."""
    return get_checker()
