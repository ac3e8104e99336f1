"""Drift: what changed in Portkey outside git since the last apply.

A plan made with the lock the last apply wrote lists, in its ``drift`` section, every managed object
edited or deleted in Portkey since (prompt versions are always checked: their content hash is stamped
in their metadata). Front doors (the ``drift`` command, the MCP ``gitops_drift`` tool) call
:func:`find_drift`; it writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.gitops.lock import Lock
from engine.portkey import PortkeyClient


@dataclass
class DriftReport:
    """The drift items (``{address, detail, ...}``), or the project's errors when it could not be planned."""

    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    lock_used: bool = False


async def find_drift(
    client: PortkeyClient,
    root: Path,
    *,
    env: str | None = None,
    lock: Lock | None = None,
    environ: Mapping[str, str] | None = None,
) -> DriftReport:
    """Plan ``root`` against the account with ``lock`` and return the drift it finds."""
    from engine.gitops.workflow import plan_project

    plan = (await plan_project(client, root, env=env, lock=lock, environ=environ)).plan.to_json()
    return DriftReport(items=list(plan.get("drift") or []), errors=list(plan.get("errors") or []),
                       warnings=list(plan.get("warnings") or []), requests=int(plan.get("requests") or 0),
                       lock_used=lock is not None)
