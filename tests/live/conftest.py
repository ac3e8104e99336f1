"""The engine-test fixtures (a sandbox, a client on it, a copy of the example project)."""

from tests.gitops.conftest import client, project, sandbox

__all__ = ["client", "project", "sandbox"]
