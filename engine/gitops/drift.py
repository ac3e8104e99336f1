"""Drift: what changed in Portkey outside git.

Prompts and partials need no lock: the latest version's content is compared with git and with our
stamp (``template_metadata.portkey_gitops.hash``). A version that differs from git and was not made by
this tool (no stamp, or a stamp whose hash is not its content) is drift, published or not (a newer
unpublished version says which version callers are still served). A version this tool made from other
content is a change in git, not drift. When the latest version holds git's content but another version
is published, callers are served something else: drift too. Partials carry no stamp (Portkey's partial
versions have no metadata field), so a partial whose content differs from git is drift unless the
``--lock`` file shows the last apply left it so. Other kinds are checked only against the lock the last
apply wrote; a lock older than the account's last apply by this tool is reported as stale. Every finding
carries a ``cause`` (a fixed code: the planner's LOCK_CHANGED / LOCK_DELETED, or one of this module's);
decisions read it, never the ``detail``, which is prose for people. Front doors (the ``drift`` command, the
MCP ``gitops_drift`` tool, ``ci drift``) call :func:`find_drift` and show :meth:`DriftReport.to_json`; it
writes nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.gitops import kinds
from engine.gitops.canonical import content_hash
from engine.gitops.jsonplan import diagnostic_json
from engine.gitops.kinds import KINDS
from engine.gitops.kinds.base import META_KEY
from engine.gitops.live import LiveObject, LiveState
from engine.gitops.lock import Lock
from engine.gitops.model import ResourceKind
from engine.gitops.plan import Action, Change, Plan, PlanDiagnostic
from engine.gitops.planner import LOCK_CHANGED, LOCK_DELETED
from engine.portkey import PortkeyClient

# Versioned kinds, checked with or without a lock (stamped ones first, as reports have always listed them).
STAMPED = tuple(sorted((k.kind for k in KINDS.values() if k.versioned), key=lambda k: not KINDS[k].stamped))
# ``cause`` of the version findings made here (the planner's lock findings: LOCK_CHANGED, LOCK_DELETED)
UNSTAMPED, STAMP_MISMATCH, PARTIAL_CHANGED, PUBLISHED_ELSEWHERE = (
    "unstamped_version", "stamp_mismatch", "partial_changed", "published_elsewhere")


@dataclass
class DriftReport:
    """The drift items (``{address, detail, ...}``), or the project's errors when it could not be planned.

    ``checked`` names the kinds whose drift was looked for; ``unchecked`` the kinds that need ``--lock``. A
    lock older than the account's last apply by this tool is ``stale``: what differs from it is then listed
    in ``unjudged`` rather than as drift, and prompt and partial versions are judged as without a lock."""

    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[PlanDiagnostic] = field(default_factory=list)
    warnings: list[PlanDiagnostic] = field(default_factory=list)
    requests: int = 0
    lock_used: bool = False
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # why the lock is older than the last apply (empty: it is not)
    unjudged: list[dict[str, Any]] = field(default_factory=list)  # objects a stale lock cannot judge

    def to_json(self) -> dict[str, Any]:
        """The report as ``drift --json`` prints it; ``warnings`` are the plan's, as diagnostics with codes."""
        return {"drift": self.items, "checked": self.checked, "unchecked": self.unchecked,
                "lock": None if not self.lock_used else {"stale": bool(self.stale), "why": self.stale,
                                                         "unjudged": self.unjudged},
                "warnings": [diagnostic_json(w) for w in self.warnings]}


async def find_drift(
    client: PortkeyClient,
    root: Path,
    *,
    env: str | None = None,
    lock: Lock | None = None,
    environ: Mapping[str, str] | None = None,
    lock_path: Path | None = None,
) -> DriftReport:
    """Plan ``root`` against the account (with ``lock`` when given) and return the drift it finds."""
    from engine.gitops.workflow import plan_project

    planned = await plan_project(client, root, env=env, lock=lock, environ=environ)
    plan = planned.plan
    items = list(plan.to_json().get("drift") or [])
    stale: list[str] = []
    unjudged: list[dict[str, Any]] = []
    if planned.live is not None and not plan.errors:
        stale = lock_staleness(plan, planned.live, lock) if lock is not None else []
        if stale:  # the lock describes an older apply: what differs from it is no evidence of an outside edit
            as_git = {c.address for c in plan.changes if _as_git(c)}
            unjudged = [_unjudged(item) for item in items if _from_lock(item) and item["address"] not in as_git]
            items = [item for item in items if not _from_lock(item)]
        seen = {item["address"] for item in items}
        items += [item for item in versions_drift(plan, planned.live, None if stale else lock)
                  if item["address"] not in seen]
    every = [kind.value for kind in ResourceKind]
    checked = every if lock is not None else [kind.value for kind in STAMPED]
    restore = restore_command(root, env, lock_path)
    differ = {c.address: _fields(c) for c in plan.changes}
    items = [explain({"fields": differ.get(item["address"]) or [], **item}, restore) for item in items]
    return DriftReport(items=items, errors=list(plan.errors), warnings=list(plan.warnings),
                       requests=int(plan.requests or 0), lock_used=lock is not None, checked=checked,
                       unchecked=[kind for kind in every if kind not in checked], stale=stale,
                       unjudged=unjudged)


def restore_command(root: Path, env: str | None, lock_path: Path | None) -> str:
    """The command that puts git's version back (and refreshes the lock it was given)."""
    parts = ["portkey-gitops", "apply", str(root)]
    parts += ["--env", env] if env else []
    parts += ["--lock", str(lock_path)] if lock_path is not None else []
    return shlex.join(parts)


def explain(item: Mapping[str, Any], restore: str) -> dict[str, Any]:
    """A drift item that says what changed, who could have changed it and the command that puts it back."""
    detail = str(item.get("detail", ""))
    out = dict(item)
    known = [f"{label} {item[key]}" for key, label in (("updated_by", "by"), ("last_updated_at", "at"))
             if item.get(key)]
    if item.get("cause") == LOCK_DELETED:
        out.setdefault("changed", "the object was deleted")
        out["restore"], out["restore_effect"] = restore, "creates it again"
    else:
        fields = item.get("fields") or []
        out.setdefault("changed", f"fields: {', '.join(map(str, fields))}" if fields else detail)
        out["restore"], out["restore_effect"] = restore, "a new version or an update with git's content"
    who = "someone in the Portkey UI or with its API"
    if item.get("cause") == PARTIAL_CHANGED:
        who += ", or a change to the file in git since the last apply"
    out["who"] = who + (f" ({', '.join(known)}, as Portkey reports)" if known else " (Portkey does not say who)")
    return out


def _from_lock(item: Mapping[str, Any]) -> bool:
    """A drift item that only says the object differs from the lock (not a deletion, not a stamp finding)."""
    return item.get("cause") == LOCK_CHANGED


def lock_staleness(plan: Plan, live: LiveState, lock: Lock) -> list[str]:
    """Why ``lock`` is older than the account's last apply by this tool; empty when nothing says so.

    Evidence: a prompt version stamped by an apply that ran after the lock was written (its ``applied_at``
    is later and its content hash is not the one the lock recorded for it), or an object that differs
    from the lock but is exactly as git says (an apply without the lock put it there)."""
    by_id = {obj.id: obj for kind in KINDS.values() if kind.stamped for obj in live.objects.get(kind.kind, [])}
    changes = {change.address: change for change in plan.changes}
    reasons = []
    for change in plan.changes:
        obj = by_id.get(str(change.remote.get("id")))
        stamp = _stamp(obj) if obj is not None else {}
        when = stamp.get("applied_at")
        if not isinstance(when, str) or stamp.get("hash") == (lock.entries.get(change.address) or {}).get("stamp"):
            continue
        if lock.applied_at is None or when > lock.applied_at:
            commit = f" from commit {str(stamp['commit'])[:12]}" if stamp.get("commit") else ""
            reasons.append(f"{change.address}: version v{obj.version if obj else '?'} was applied by this tool at "
                           f"{when}{commit}, after the lock was written ({lock.applied_at or 'undated'})")
    for item in plan.drift:
        held = changes.get(str(item.get("address")))
        if _from_lock(item) and held is not None and _as_git(held):
            reasons.append(f"{held.address}: Portkey is exactly as git says but not as the lock says "
                           "(an apply without this lock file put it there)")
    return reasons


def _as_git(change: Change) -> bool:
    """Whether the live object is exactly as git says (the plan changes nothing on it)."""
    return not change.actions or change.is_noop


def _stamp(obj: LiveObject) -> dict[str, Any]:
    meta = (obj.latest.get("template_metadata") or {}).get(META_KEY)
    return meta if isinstance(meta, dict) else {}


def _unjudged(item: Mapping[str, Any]) -> dict[str, Any]:
    """An object the stale lock cannot judge: it differs from the lock and from git."""
    return {"address": item.get("address"), "remote": item.get("remote") or {},
            "detail": "differs from the stale lock and from git (`portkey-gitops plan` shows how): an edit in "
                      "Portkey, or a later apply of other files"}


def versions_drift(plan: Plan, live: LiveState, lock: Lock | None) -> list[dict[str, Any]]:
    """Prompts and partials whose latest version differs from git and was not made by this tool."""
    by_id = {obj.id: obj for kind in STAMPED for obj in live.objects.get(kind, [])}
    found = []
    for change in plan.changes:
        obj = by_id.get(str(change.remote.get("id")))
        if obj is None:
            continue
        if Action.NEW_VERSION not in change.actions:
            if Action.PUBLISH in change.actions and obj.published_version not in (None, obj.version):
                found.append(_item(change, obj, (PUBLISHED_ELSEWHERE, _published_elsewhere(obj))))
            continue
        entry = (lock.entries.get(change.address) if lock else None) or {}
        if entry.get("hash") and entry["hash"] == content_hash(change.before):
            continue  # the last apply left it so: the file changed in git
        why = _outside(obj)
        if why is not None:
            found.append(_item(change, obj, why))
    return found


def _fields(change: Change) -> list[str]:
    """The top-level fields in which the live object differs from git."""
    text = {"string"} if change.text_diffs else set()
    return sorted({d.path.split(".")[0].split("[")[0] for d in change.diff} | text)


def _published_elsewhere(obj: LiveObject) -> str:
    """The latest version holds git's content but callers are served another one."""
    return (f"callers are served v{obj.published_version}, not the latest version v{obj.version} that holds git's "
            "content: another version was published in Portkey (UI/API), or an apply stopped before publishing")


def _outside(obj: LiveObject) -> tuple[str, str] | None:
    """Why (cause, detail) the latest version was made outside this tool, or None when we made it (from other
    content)."""
    where = f"latest version v{obj.version}" if obj.version is not None else "the latest version"
    if obj.published_version is not None and obj.version is not None and obj.published_version < obj.version:
        where += f" (not published: callers are still served v{obj.published_version})"
    if not KINDS[obj.kind].stamped:
        return PARTIAL_CHANGED, (f"{where} differs from git; Portkey keeps no stamp on partial versions, so it was "
                                 "edited in Portkey (UI/API) or the file changed since the last apply (a --lock file "
                                 "tells them apart)")
    stamp = kinds.stamped_hash(obj)
    if stamp is None:
        return UNSTAMPED, f"{where} differs from git and carries no stamp of this tool: it was made in Portkey (UI/API)"
    if stamp != content_hash(kinds.live(obj)):
        return STAMP_MISMATCH, (f"{where} carries a stamp that does not match its content: it was edited in Portkey "
                                "(UI/API)")
    return None


def _item(change: Change, obj: LiveObject, why: tuple[str, str]) -> dict[str, Any]:
    cause, detail = why
    item: dict[str, Any] = {
        "address": change.address, "cause": cause, "detail": detail,
        "suggestion": "`portkey-gitops apply` puts the git version back (a new version); or export and commit "
                      "the live version",
        "remote": {"id": obj.id, "slug": obj.slug, "version": obj.version},
        "fields": _fields(change),
    }
    for source in ("updated_by", "last_updated_at"):
        value = obj.latest.get(source) or obj.raw.get(source)
        if value:
            item[source] = value
    return item
