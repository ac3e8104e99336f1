"""The engine's workflows: plan a project, apply a plan, check a saved plan is still valid.

Front doors (CLI, MCP) call these; they hold no I/O of their own beyond the
client they are given and the project files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from engine import __version__
from engine.errors import PlanBlockedError, PlanningError
from engine.gitops import gitinfo, kinds
from engine.gitops.apply import DEFAULT_PARALLELISM, Applier, ApplyResult, Hook
from engine.gitops.behaviour import DEFAULT, DOCTOR_FILE, Behaviour, DoctorFileError, load_behaviour
from engine.gitops.cache import LiveCache, identity
from engine.gitops.canonical import content_hash
from engine.gitops.lease import ApplyLease, Notify
from engine.gitops.live import LiveState, Reader
from engine.gitops.load import load_project, resolve_secrets, resource_address
from engine.gitops.loading.checks import detected_moves
from engine.gitops.lock import Lock
from engine.gitops.model import DesiredState, Resource, ResourceKind
from engine.gitops.plan import DiagnosticCode, Plan, PlanDiagnostic, changes_digest, load_diagnostic
from engine.gitops.planner import PlanOptions, adoption_names, applied_hash, build_plan, live_refs
from engine.portkey import PortkeyAPIError, PortkeyClient

# Concurrent reads of live state by default: bounded, and a rate-limit knob (--parallelism). Reads are
# idempotent GETs retried on 429 with backoff; 16 at once keeps a 1,000-prompt plan at 50 ms latency
# under a tenth of a sequential loop's time while staying far below Portkey's per-key rate limits.
READ_CONCURRENCY = 16


class StalePlanError(PlanningError):
    """A saved plan no longer matches the files or the account, or was edited."""


class SavedPlanBlockedError(StalePlanError, PlanBlockedError):
    """Planned again now, the saved plan is blocked by a safety rule (protected, mass delete, …)."""


@dataclass
class Planned:
    plan: Plan
    state: DesiredState
    live: LiveState | None
    workspace_id: str | None = None
    behaviour: Behaviour = DEFAULT  # what the plan assumed of the account; apply assumes the same
    cache: LiveCache | None = None  # the warm-plan cache this plan read and wrote (apply forgets what it writes)


async def resolve_workspace(client: PortkeyClient, workspace: str | None) -> str | None:
    """The workspace UUID for an id or slug (list filters of some kinds accept only UUIDs)."""
    if not workspace:
        return None
    try:
        found = await client.get_workspace(workspace_id=workspace)
    except PortkeyAPIError as exc:
        if not exc.not_found:
            raise
        # Portkey's error as it is (its class and status count for ci and MCP), with the setting to fix
        exc.args = (f"{exc}; check the workspace id or slug: `workspace:` in portkey.yaml or environments/<env>.yaml "
                    "(--workspace for export and doctor), and that this API key can see it",)
        raise
    return str(found.get("id") or workspace)


def desired_hash(state: DesiredState) -> str:
    """One hash over every file the desired state was read from."""
    digest = hashlib.sha256()
    for path in sorted(state.files):
        digest.update(f"{path}\0{state.files[path]}\n".encode())
    return digest.hexdigest()[:16]


def git_source(root: Path) -> dict[str, Any]:
    """The git commit and branch of the project and whether its files differ from that commit."""
    return gitinfo.source(root)


def _secrets(environ: Mapping[str, str]) -> Callable[[Resource], dict[str, Any]]:
    """Resolves a resource's ``${secret:NAME}`` references from ``environ``."""
    return partial(resolve_secrets, environ=environ)


async def plan_project(
    client: PortkeyClient,
    root: Path,
    *,
    env: str | None = None,
    prune: bool = False,
    allow_mass_delete: bool = False,
    environ: Mapping[str, str] | None = None,
    concurrency: int = READ_CONCURRENCY,
    lock: Lock | None = None,
    adopt: bool = False,
    behaviour: Behaviour | None = None,
    changed_since: str | None = None,
    scope: Sequence[str] | None = None,
    git_moves: Sequence[Sequence[str]] | None = None,
    before_read: Callable[[str | None], Awaitable[None]] | None = None,
    use_cache: bool = True,
) -> Planned:
    """Load, read live state, diff. File errors stop before any HTTP request.

    ``behaviour`` defaults to the saved doctor result (``.portkey/doctor.json``) or the defaults.
    ``changed_since`` (a git ref) makes a partial plan: only resources whose files changed since it and
    what depends on them; prune is then off. Files git sees as renamed since that ref (default HEAD) plan
    as moves. ``scope``/``git_moves`` replay a saved plan's partial scope and detected renames.
    ``before_read(workspace_id)`` runs right before the account is read (apply takes its lease there, so
    what it plans is what no other apply is changing); its requests are not counted in the plan's.
    ``use_cache``: read and write the warm-plan cache under ``.portkey/cache`` (engine.gitops.cache), which
    happens only where the doctor found that listings' stamps move (switch ``listing_stamp=moves``)."""
    environ = os.environ if environ is None else environ
    before = client.request_count
    state = load_project(root, env=env, environ=environ)
    partial = changed_since is not None or scope is not None
    prune = prune and not partial
    options = {"prune": prune, "adopt": adopt}
    plan = Plan(environment=env, workspace=state.project.workspace, options=options)
    git = _git_inputs(state, root, changed_since, scope, git_moves)
    _stamp(plan, state, root, git)
    doctor_error = ""
    if behaviour is None:
        try:
            behaviour = load_behaviour(root, environ)
        except DoctorFileError as exc:
            doctor_error = str(exc)
    if state.errors or doctor_error:
        plan.errors = [load_diagnostic(d) for d in state.errors] + (
            [PlanDiagnostic(doctor_error, code=DiagnosticCode.BEHAVIOUR_FILE)] if doctor_error else [])
        plan.warnings = [load_diagnostic(d) for d in state.warnings]
        return Planned(plan.freeze(), state, None)
    workspace_id = await resolve_workspace(client, state.project.workspace)
    if before_read is not None:
        mark = client.request_count
        await before_read(workspace_id)
        before += client.request_count - mark
    candidates: dict[ResourceKind, set[str]] = {}
    if adopt:
        for resource in state.resources.values():
            candidates.setdefault(resource.kind, set()).update(adoption_names(resource))
    assert behaviour is not None
    cache = None
    if use_cache and behaviour["listing_stamp"] == "moves":  # under 'static' nothing cached is trusted: no file
        cache = LiveCache.open(root, identity(client.settings.base_url, workspace_id, state.project.name_prefix,
                                              behaviour.values), environ)
    reader = Reader(client, workspace_id, state.project.name_prefix, concurrency, candidates, behaviour, cache)
    live = await reader.read(set(ResourceKind))
    live.requests = client.request_count - before
    cache_notes = [PlanDiagnostic(n, code=DiagnosticCode.BEHAVIOUR_NOT_TRUSTED) for n in behaviour.notes]
    cache_notes += [PlanDiagnostic(n, code=DiagnosticCode.CACHE_IGNORED) for n in cache.notes] if cache else []
    if cache is not None and (failed := cache.save()):
        cache_notes.append(PlanDiagnostic(failed, code=DiagnosticCode.CACHE_NOT_WRITTEN))
    plan = build_plan(
        state, live,
        PlanOptions(prune=prune, allow_mass_delete=allow_mass_delete, secrets=_secrets(environ), lock=lock,
                    adopt=adopt, behaviour=behaviour),
    )
    plan.options = options
    _stamp(plan, state, root, git)
    if git.only is not None:
        plan.changes = [c for c in plan.changes if c.address in git.only]
        for order, change in enumerate(plan.changes):
            change.order = order
    plan.warnings = [load_diagnostic(d) for d in state.warnings] + git.notes + cache_notes + plan.warnings
    return Planned(plan.freeze(), state, live, workspace_id, behaviour, cache)


@dataclass
class _GitInputs:
    """What git added to a plan: the partial scope (None: everything), detected moves, notes for the reader."""

    only: set[str] | None = None
    moves: list[list[str]] | None = None
    changed_since: str | None = None
    notes: list[PlanDiagnostic] = field(default_factory=list)


def _git_inputs(
    state: DesiredState, root: Path, changed_since: str | None, scope: Sequence[str] | None,
    git_moves: Sequence[Sequence[str]] | None,
) -> _GitInputs:
    """Detect renames (or replay saved ones) into ``state.project.moved`` and work out a partial scope."""
    found = _GitInputs(changed_since=changed_since)
    if state.errors:
        return found
    if git_moves is not None:
        renames = [(str(m[0]), str(m[1])) for m in git_moves if isinstance(m, list | tuple) and len(m) == 2]
        moves = detected_moves(state, renames, lambda text: text)
    else:
        try:
            renames = gitinfo.renames(root, changed_since or "HEAD")
        except gitinfo.GitError:
            if changed_since is not None:
                raise
            renames = []
        moves = detected_moves(state, renames, resource_address)
    state.project.moved.extend(moves)
    found.moves = [[m.source, m.target] for m in moves]
    for m in moves:
        target = state.resources.get(m.target)
        where = target.location if target is not None else None
        note = (f"git sees {m.source} renamed to {m.target}: planned as a move (id and slug kept); keep it in "
                f"portkey.yaml for history: `moved: [{{from: {m.source}, to: {m.target}}}]`")
        found.notes.append(PlanDiagnostic(
            note, code=DiagnosticCode.GIT_RENAME, address=m.target, addresses=[m.source, m.target],
            file=where.file if where else None, line=where.line if where else None,
            column=where.column if where else None, text=note,
        ))
    if scope is not None:
        found.only = {str(a) for a in scope}
    elif changed_since is not None:
        found.only = changed_scope(state, gitinfo.changed_files(root, changed_since))
    if found.only is not None:
        since = f" since {changed_since}" if changed_since else ""
        found.notes.insert(0, PlanDiagnostic(
            f"partial plan: only the {len(found.only)} resource(s) whose files changed{since} and what depends on "
            "them; other resources were not compared and prune is disabled",
            code=DiagnosticCode.PARTIAL_PLAN,
        ))
    return found


def changed_scope(state: DesiredState, changed: set[str]) -> set[str]:
    """Addresses whose files are in ``changed``, plus every resource that refers to them, transitively.

    A changed project-wide file (``portkey.yaml``, an environment overlay, ``.portkey/doctor.json``)
    brings every resource."""
    owned = {file for files in state.sources.values() for file in files}
    if DOCTOR_FILE in changed or any(file in state.files and file not in owned for file in changed):
        return set(state.resources)
    selected = {a for a, files in state.sources.items() if changed.intersection(files) and a in state.resources}
    users: dict[str, set[str]] = {}
    for resource in state.resources.values():
        for ref in resource.refs:
            users.setdefault(ref, set()).add(resource.address)
    pending = list(selected)
    while pending:
        for user in users.get(pending.pop(), ()):
            if user not in selected:
                selected.add(user)
                pending.append(user)
    return selected


def _stamp(plan: Plan, state: DesiredState, root: Path, git: _GitInputs | None = None) -> None:
    plan.created_at = datetime.now(UTC).isoformat(timespec="seconds")
    plan.engine_version = __version__
    plan.source = {"root": str(root), **git_source(root), "desired_hash": desired_hash(state)}
    if git is not None and git.moves:
        plan.source["git_moves"] = git.moves
    if git is not None and git.only is not None:
        plan.source.update({"changed_since": git.changed_since, "scope": sorted(git.only)})


async def apply_planned(
    client: PortkeyClient, planned: Planned, *, environ: Mapping[str, str] | None = None,
    hook: Hook | None = None, lease: ApplyLease | None = None, warn: Notify | None = None,
    parallelism: int = DEFAULT_PARALLELISM, finished: Hook | None = None,
) -> ApplyResult:
    """Execute a plan that was just made (or checked with :func:`check_saved_plan`).

    Writes happen under the workspace's apply lease (engine.gitops.lease): ``lease`` when the caller
    took it after planning (the CLI); else ``lease`` (or a new one) is taken here without waiting (another
    apply holding it stops this one before any write: LeaseHeldError) and released after. A lease whose
    ``wait_free`` ran right before planning (the ``before_read`` of :func:`plan_project`) knows the
    generation the plan was made against: when another apply moved it since, nothing is written
    (StalePlanError). A plan with nothing to write takes none. The lease is renewed while held.
    ``parallelism`` bounds the writes in flight at once. ``hook`` sees each step in plan order;
    ``finished`` sees it as soon as it ends (for a live count of writes)."""
    environ = os.environ if environ is None else environ
    if lease is not None and lease.held:
        await lease.confirm()
        return await _renewing(lease, _apply(client, planned, environ, hook, parallelism, finished))
    _check_ready(planned)
    if all(change.is_noop for change in planned.plan.changes):
        return await _apply(client, planned, environ, hook, parallelism, finished)  # nothing to write: no lease either
    if lease is None:
        lease = ApplyLease(client, planned.workspace_id, warn=warn)
    await lease.acquire(0)
    if lease.moved:
        await lease.release()
        raise StalePlanError("another apply changed the account since this plan was made; nothing was "
                             "applied. Plan again and review")
    try:
        return await _renewing(lease, _apply(client, planned, environ, hook, parallelism, finished))
    finally:
        await lease.release()


async def _renewing(lease: ApplyLease, work: Awaitable[ApplyResult]) -> ApplyResult:
    """Await ``work`` while the lease is renewed beside it; its failure is raised as itself."""
    done: list[ApplyResult] = []
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(lease.keep_renewed)
            try:
                done.append(await work)
            finally:
                group.cancel_scope.cancel()
    except BaseExceptionGroup as grouped:
        leaf: BaseException = grouped
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        raise leaf from None
    return done[0]


def _check_ready(planned: Planned) -> None:
    """Refuse a plan with errors or blocked by a safety rule, before any request."""
    if planned.live is None or planned.plan.errors:
        raise PlanningError("the plan has errors; fix them and plan again; nothing was applied")
    if planned.plan.blocked:
        raise PlanBlockedError("the plan is blocked by a safety rule; nothing was applied")


async def _apply(
    client: PortkeyClient, planned: Planned, environ: Mapping[str, str], hook: Hook | None,
    parallelism: int = DEFAULT_PARALLELISM, finished: Hook | None = None,
) -> ApplyResult:
    _check_ready(planned)
    assert planned.live is not None
    if planned.cache is not None:  # what this apply writes is read again by the next plan, whatever its stamp
        planned.cache.forget(str(c.remote["id"]) for c in planned.plan.changes if not c.is_noop and c.remote.get("id"))
        planned.cache.save()
    matched = _matched(planned)
    applied_at = now_stamp()
    applier = Applier(
        client, planned.state.resources, live_refs(planned.live, matched),
        workspace=planned.workspace_id,
        default_collection=planned.live.default_collection,
        secrets=_secrets(environ), hook=hook, behaviour=planned.behaviour,
        provenance={**gitinfo.provenance(planned.plan.source, environ), "applied_at": applied_at},
        parallelism=parallelism, finished=finished,
    )
    result = await applier.run(planned.plan)
    result.lock = lock_after(planned, applier.refs, applied_at=applied_at)
    result.lock.commit = planned.plan.source.get("git_sha")
    return result


def now_stamp() -> str:
    """The time an apply stamps on its versions and its lock (UTC, milliseconds: ISO strings sort by time)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def lock_after(planned: Planned, refs: Mapping[str, str], *, applied_at: str | None = None) -> Lock:
    """The lock describing the account right after a successful apply made at ``applied_at``.

    A prompt's entry also records the content hash its version stamp carries (``stamp``), so a later
    ``drift --lock`` can tell a version this apply made from one a later apply made (the lock is stale)."""
    entries = {}
    for address, resource in planned.state.resources.items():
        if address in refs:
            content = kinds.desired(resource, refs)
            entries[address] = {"ref": refs[address], "hash": applied_hash(content, resource)}
            if kinds.KINDS[resource.kind].stamped:
                entries[address]["stamp"] = content_hash(kinds.desired(kinds.as_sent(resource, planned.behaviour),
                                                                       refs))
    return Lock(workspace=planned.workspace_id, entries=entries, applied_at=applied_at or now_stamp())


def current_lock(planned: Planned) -> Lock:
    """The lock for an account that already matches the plan's desired state."""
    assert planned.live is not None
    lock = lock_after(planned, live_refs(planned.live, _matched(planned)))
    lock.commit = planned.plan.source.get("git_sha")
    return lock


def _matched(planned: Planned) -> dict[str, Any]:
    """Live objects matched to desired addresses, recovered from the plan's changes."""
    assert planned.live is not None
    by_id = {obj.id: obj for objects in planned.live.objects.values() for obj in objects}
    matched = {}
    for change in planned.plan.changes:
        remote_id = change.remote.get("id")
        if remote_id in by_id:
            matched[change.address] = by_id[remote_id]
    return matched


async def check_saved_plan(
    client: PortkeyClient, saved: Plan, root: Path, *, environ: Mapping[str, str] | None = None,
    allow_mass_delete: bool = False, behaviour: Behaviour | None = None,
    before_read: Callable[[str | None], Awaitable[None]] | None = None,
) -> Planned:
    """Re-derive a saved plan and return the FRESH plan to apply, or refuse it.

    The project is planned again against the account with the options the saved plan records
    (``prune``, ``adopt``) and the caller's ``allow_mass_delete`` (the apply command's own flag, never
    the file's), so every safety rule is enforced again. The saved plan is refused when its digest does
    not match its own changes (the file was edited), when the files or a remote object moved, when the
    fresh plan has errors or is blocked, or when the fresh plan's changes differ from the saved ones.
    Nothing from the file is ever executed: what passes is the fresh plan, equal to it by digest.
    """
    if saved.changes_digest != saved.digest():
        raise StalePlanError(
            "EDITED_PLAN: the saved plan's changes do not match its changes_digest (the file was edited after "
            "`plan --out`); nothing was applied. Plan again and review"
        )
    options = saved.options
    fresh = await plan_project(
        client, root, env=saved.environment, environ=environ, prune=bool(options.get("prune")),
        allow_mass_delete=allow_mass_delete, adopt=bool(options.get("adopt")), behaviour=behaviour,
        scope=_strings(saved.source.get("scope")), git_moves=_pairs(saved.source.get("git_moves")),
        before_read=before_read,
    )
    if fresh.plan.errors:
        raise StalePlanError("the project has errors now: " + "; ".join(fresh.plan.errors))
    _check_unmoved(saved, fresh.plan)
    if fresh.plan.blocked:
        raise SavedPlanBlockedError(
            "the saved plan is blocked by a safety rule when planned again now; nothing was applied: "
            + "; ".join(fresh.plan.blocked)
        )
    if fresh.plan.digest() != saved.changes_digest:
        raise StalePlanError(
            "STALE_PLAN: the saved plan's changes are not what planning these files against Portkey gives now "
            f"({_difference(saved, fresh.plan)}); nothing was applied. Plan again and review"
        )
    return fresh


def _strings(value: Any) -> list[str] | None:
    """A saved plan's partial scope, if it has a well-formed one (a list of addresses)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None


def _pairs(value: Any) -> list[list[str]] | None:
    """A saved plan's git-detected moves as ``[from, to]`` pairs; an empty list when it has none."""
    if not isinstance(value, list):
        return []
    return [list(p) for p in value if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)]


def _check_unmoved(saved: Plan, fresh: Plan) -> None:
    """Refuse when the project files or a fingerprinted remote object changed since the plan was made."""
    if fresh.source.get("desired_hash") != saved.source.get("desired_hash"):
        raise StalePlanError(
            "STALE_PLAN: the project files changed since this plan was made; plan again and review"
        )
    moved = sorted(key for key, value in saved.fingerprints.items() if fresh.fingerprints.get(key) != value)
    added = sorted(set(fresh.fingerprints) - set(saved.fingerprints))
    if moved or added:
        shown = ", ".join(_safe(key) for key in (moved + added)[:5])
        raise StalePlanError(
            f"STALE_PLAN: {len(moved) + len(added)} object(s) changed in Portkey since this plan was made "
            f"({shown}); plan again and review"
        )


def _difference(saved: Plan, fresh: Plan) -> str:
    """Which addresses differ between the saved and the fresh changes, for the refusal message."""
    def keyed(plan: Plan) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for change in plan.changes:
            out.setdefault(change.address, []).append(changes_digest([change], {}))
        return out

    old, new = keyed(saved), keyed(fresh)
    parts = []
    only_saved = sorted(set(old) - set(new))
    only_fresh = sorted(set(new) - set(old))
    differ = sorted(a for a in set(old) & set(new) if sorted(old[a]) != sorted(new[a]))
    for label, addresses in (("only in the saved plan", only_saved), ("only in a fresh plan", only_fresh),
                             ("different", differ)):
        if addresses:
            shown = ", ".join(_safe(a) for a in addresses[:5]) + (", …" if len(addresses) > 5 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts) or "the plan options or the order of changes differ"


def _safe(text: str, limit: int = 120) -> str:
    """An address from a saved plan made safe to print: no control characters or markup, bounded."""
    cleaned = "".join(ch if ch.isalnum() or ch in ":/._@-" else "?" for ch in text)
    return cleaned[:limit] + ("…" if len(cleaned) > limit else "")
