"""The engine-test fixtures (a sandbox and a client on it; ``project`` comes from tests/conftest.py)."""

from tests.gitops.conftest import client, sandbox

__all__ = ["client", "sandbox"]
