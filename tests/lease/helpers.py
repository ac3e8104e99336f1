"""Helpers for tests that are not about the apply lease: take it before the requests under test."""

from __future__ import annotations

from engine.gitops.lease import ApplyLease
from engine.portkey import PortkeyClient


async def taken(client: PortkeyClient, workspace: str | None = None) -> ApplyLease:
    """The apply lease, held (its own requests then stay out of what a test counts after this)."""
    lease = ApplyLease(client, workspace)
    await lease.acquire()
    return lease
