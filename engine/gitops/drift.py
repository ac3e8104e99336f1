"""Drift: what changed in Portkey outside git.

Prompts and partials need no lock: the latest version's content is compared with git and with our
stamp (``template_metadata.portkey_gitops.hash``). A version that differs from git and was not made by
this tool (no stamp, or a stamp whose hash is not its content) is drift. A version this tool made from
other content is a change in git, not drift. Partials carry no stamp (Portkey's partial versions have no
metadata field), so a partial whose content differs from git is drift unless the ``--lock`` file shows
the last apply left it so. Other kinds are checked only against the lock the last apply wrote. Front
doors (the ``drift`` command, the MCP ``gitops_drift`` tool) call :func:`find_drift`; it writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.gitops import kinds
from engine.gitops.canonical import content_hash
from engine.gitops.live import LiveObject, LiveState
from engine.gitops.lock import Lock
from engine.gitops.model import ResourceKind
from engine.gitops.plan import Action, Change, Plan
from engine.portkey import PortkeyClient

STAMPED = (ResourceKind.PROMPT, ResourceKind.PARTIAL)  # checked with or without a lock


@dataclass
class DriftReport:
    """The drift items (``{address, detail, ...}``), or the project's errors when it could not be planned.

    ``checked`` names the kinds whose drift was looked for; ``unchecked`` the kinds that need ``--lock``."""

    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    lock_used: bool = False
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)


async def find_drift(
    client: PortkeyClient,
    root: Path,
    *,
    env: str | None = None,
    lock: Lock | None = None,
    environ: Mapping[str, str] | None = None,
) -> DriftReport:
    """Plan ``root`` against the account (with ``lock`` when given) and return the drift it finds."""
    from engine.gitops.workflow import plan_project

    planned = await plan_project(client, root, env=env, lock=lock, environ=environ)
    plan = planned.plan
    items = list(plan.to_json().get("drift") or [])
    if planned.live is not None and not plan.errors:
        seen = {item["address"] for item in items}
        items += [item for item in versions_drift(plan, planned.live, lock) if item["address"] not in seen]
    every = [kind.value for kind in ResourceKind]
    checked = every if lock is not None else [kind.value for kind in STAMPED]
    return DriftReport(items=items, errors=list(plan.errors), warnings=list(plan.warnings),
                       requests=int(plan.requests or 0), lock_used=lock is not None, checked=checked,
                       unchecked=[kind for kind in every if kind not in checked])


def versions_drift(plan: Plan, live: LiveState, lock: Lock | None) -> list[dict[str, Any]]:
    """Prompts and partials whose latest version differs from git and was not made by this tool."""
    by_id = {obj.id: obj for kind in STAMPED for obj in live.objects.get(kind, [])}
    found = []
    for change in plan.changes:
        obj = by_id.get(str(change.remote.get("id")))
        if obj is None or Action.NEW_VERSION not in change.actions:
            continue
        entry = (lock.entries.get(change.address) if lock else None) or {}
        if entry.get("hash") and entry["hash"] == content_hash(change.before):
            continue  # the last apply left it so: the file changed in git
        detail = _outside(obj)
        if detail is not None:
            found.append(_item(change, obj, detail))
    return found


def _outside(obj: LiveObject) -> str | None:
    """Why the latest version was made outside this tool, or None when we made it (from other content)."""
    where = f"latest version v{obj.version}" if obj.version is not None else "the latest version"
    if obj.kind is ResourceKind.PARTIAL:
        return (f"{where} differs from git; Portkey keeps no stamp on partial versions, so it was edited in "
                "Portkey (UI/API) or the file changed since the last apply (a --lock file tells them apart)")
    stamp = kinds.stamped_hash(obj)
    if stamp is None:
        return f"{where} differs from git and carries no stamp of this tool: it was made in Portkey (UI/API)"
    if stamp != content_hash(kinds.live(obj)):
        return f"{where} carries a stamp that does not match its content: it was edited in Portkey (UI/API)"
    return None


def _item(change: Change, obj: LiveObject, detail: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "address": change.address, "detail": detail,
        "suggestion": "`portkey-gitops apply` puts the git version back (a new version); or export and commit "
                      "the live version",
        "remote": {"id": obj.id, "slug": obj.slug, "version": obj.version},
        "fields": sorted({d.path.split(".")[0].split("[")[0] for d in change.diff}
                         | ({"string"} if change.text_diffs else set())),
    }
    for source in ("updated_by", "last_updated_at"):
        value = obj.latest.get(source) or obj.raw.get(source)
        if value:
            item[source] = value
    return item
