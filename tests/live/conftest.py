"""Fixtures for the live-shape tests: the engine tests' sandbox, client and example project."""

from tests.gitops.conftest import client, project, sandbox

__all__ = ["client", "project", "sandbox"]
