"""Executing a plan in two phases.

Phase one stages what callers cannot see yet: it creates and updates labels,
collections, partials and prompts, and makes every new prompt and partial
version UNPUBLISHED. Phase two changes what callers are served: it publishes
partials, then prompts, moves labels, then writes the kinds that are live as
soon as they are written (guardrails, configs, rate and usage limits), and
deletes last, in reverse dependency order. A failure in phase one therefore
leaves what callers are served untouched, and re-planning after any failure
converges: content already present as the latest version is only published,
never versioned again, and objects already created are found by their marker.

Within a phase, the writes of one dependency level run side by side (at most
``parallelism`` at once); a 429 pauses them all. A failed write does not stop
the others: only what depends on it is left out, and apply ends with one error
saying how far it got ("12 of 40 change(s) applied, 3 failed"). A create or a
version-making write whose answer was lost is never sent again blindly: apply
reads whether it arrived, and sends it once more only when it did not (and the
failure was an answer or a dropped connection, not a timeout). Apply keeps what
it learns (new ids, slugs, version numbers) in an :class:`ApplyRecord`; the
plan it runs is not changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import anyio

from engine.errors import ApplyFailure
from engine.gitops import kinds
from engine.gitops.answers import as_int, rows, unexpected
from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.kinds import HOLDERS, KINDS, VERSION_LABELS, Kind, Versions
from engine.gitops.kinds import kind_of as kind_named
from engine.gitops.lock import Lock
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.plan import Action, Change, LabelStep, Plan, VersionTarget, WriteStep
from engine.portkey import PortkeyAPIError, PortkeyClient, PortkeyError, PortkeyRequestError
from engine.portkey.errors import PortkeyDeadlineError
from engine.portkey.normalize import kind_of
from engine.portkey.retry import RateGate, shared_backoff

# Actions written by one request that stages an object (MOVE, UPDATE and ADOPT share one PUT).
_IN_PLACE = (Action.MOVE, Action.UPDATE, Action.ADOPT)
# Steps of phase two for every kind: what callers are served changes with them.
_SERVED = (Action.PUBLISH, Action.LABEL, Action.DELETE, Action.ARCHIVE)
DEFAULT_PARALLELISM = 8  # writes of one dependency level in flight at once (apply --write-parallelism)
# Times a create or a version-making write is sent in all, each again only after a read showed that the
# one before did not arrive.
WRITE_SENDS = 3
# Seconds to wait before reading a versions list again when the version an update just made is not in it
# yet (read lag): a bounded retry, then apply stops rather than guess.
VERSION_LOOKUP_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
# Where a versions-list row or a prompt version names its labels: our sandbox's `label_ids`, the spec's
# `label_id`, the live GET /prompts answer's `prompt_version_labels` / `prompt_version_label_id`
# (/work/shared/portkey-live prompts-get.json).
_LABEL_LISTS = ("label_ids", "prompt_version_labels")
_LABEL_ONES = ("label_id", "prompt_version_label_id")


def step_count(change: Change) -> int:
    """How many steps apply takes for ``change`` (a replace is two; in-place actions share one)."""
    if change.is_noop:
        return 0
    actions = set(change.actions)
    steps = len(actions - {*_IN_PLACE, Action.REPLACE})
    steps += 1 if actions & set(_IN_PLACE) else 0
    steps += 2 if Action.REPLACE in actions else 0
    return steps


@dataclass
class Step:
    """One write made (or attempted, or skipped) by apply."""

    address: str
    action: Action
    ok: bool
    detail: str = ""
    acted: bool = False  # failed, but a write of this step reached Portkey (or may have: answer lost)
    skipped: bool = False  # not attempted: it depends on a failed change, or comes after a failure


@dataclass
class ApplyRecord:
    """What apply learnt while writing; the plan it runs is never changed."""

    ids: dict[str, str] = field(default_factory=dict)  # address -> remote id of an object created in this run
    slugs: dict[str, str | None] = field(default_factory=dict)  # address -> slug of an object created in this run
    versions: dict[str, tuple[int, str]] = field(default_factory=dict)  # address -> (number, id) of a new version
    deleted: set[str] = field(default_factory=set)  # addresses whose object this run deleted


@dataclass
class ApplyResult:
    steps: list[Step] = field(default_factory=list)
    failed: Step | None = None  # the first failed step, in plan order
    failures: list[Step] = field(default_factory=list)
    skipped: list[Step] = field(default_factory=list)
    changes: int = 0  # changes with something to do
    applied: int = 0  # changes all of whose steps succeeded
    requests: int = 0
    record: ApplyRecord = field(default_factory=ApplyRecord)
    lock: Lock | None = None  # what is now applied (set after a successful run)

    @property
    def writes(self) -> int:
        """Steps that wrote to Portkey, counting a failed step whose write reached it (or may have)."""
        return sum(1 for s in self.steps if s.ok or s.acted)

    def progress(self) -> str:
        """One line: how far this run got (e.g. "12 of 40 changes applied, 3 failed")."""
        failed = len({s.address for s in self.failures})
        skipped = len({s.address for s in self.skipped} - {s.address for s in self.failures})
        text = f"{self.applied} of {self.changes} change(s) applied, {failed} failed"
        if skipped:
            text += f", {skipped} not attempted (they depend on a failed one or come after it)"
        return text


class ApplyError(ApplyFailure):
    """Apply stopped; ``result`` says what was written before the failure."""

    def __init__(self, message: str, result: ApplyResult) -> None:
        self.result = result
        super().__init__(message)


class ApplyRefusal(ApplyFailure):
    """Apply refuses one step: what it finds (in the files, the plan or Portkey's answers) does not let it
    take that step safely; the message says what to do (mostly: plan again). The step is reported failed,
    and apply ends with :class:`ApplyError`, whose ``result`` counts the writes made before."""


Hook = Callable[[Step], None]
Work = Callable[[Change], Awaitable[list[Step]]]
_FAILURES_SHOWN = 5


class _Acted:
    """Whether the current step sent a write that reached Portkey (or may have)."""

    def __init__(self) -> None:
        self.value = False


_ACTED: ContextVar[_Acted | None] = ContextVar("apply_acted", default=None)


class Applier:
    """Runs one plan against one workspace.

    Changes of one dependency level are written concurrently (at most ``parallelism`` at a time); a 429
    pauses every writer (engine.portkey.retry.shared_backoff). A failed write does not stop the others:
    what depends on it is not attempted, and a failure while staging leaves phase two out entirely.
    Steps are reported in plan order, whatever order they finished in."""

    def __init__(
        self,
        client: PortkeyClient,
        resources: Mapping[str, Resource],
        refs: dict[str, str],
        *,
        workspace: str | None,
        default_collection: str | None,
        secrets: Callable[[Resource], dict[str, Any]],
        hook: Hook | None = None,
        behaviour: Behaviour = DEFAULT,
        provenance: Mapping[str, Any] | None = None,
        parallelism: int = DEFAULT_PARALLELISM,
        finished: Hook | None = None,
    ) -> None:
        """``hook`` sees every step in plan order (reports); ``finished`` sees each as soon as it ends (counts)."""
        self.client = client
        self.finished = finished
        self.provenance = dict(provenance or {})  # commit / CI run stamped on new versions (kinds.with_provenance)
        self.behaviour = behaviour
        self.resources = resources
        self.refs = refs
        self.workspace = workspace
        self.default_collection = default_collection
        self.secrets = secrets
        self.hook = hook
        self.parallelism = max(1, int(parallelism))
        self.result = ApplyResult()
        self.record = self.result.record
        self.gate = RateGate()
        self._staging = True  # phase one: nothing callers are served has changed yet
        self._failed: dict[str, str] = {}  # address -> why it failed or was not attempted
        self._existing: dict[ResourceKind, set[str] | Exception] = {}  # names listed at the level's re-check
        self._sleep: Callable[[float], Awaitable[None]] = getattr(client, "_sleep", anyio.sleep)

    async def run(self, plan: Plan) -> ApplyResult:
        start = self.client.request_count
        changes = [c for c in sorted(plan.changes, key=lambda c: c.order) if not c.is_noop]
        self.result.changes = len(changes)
        staged = [c for c in changes if not kind_named(c.kind).live_at_once]
        live = [c for c in changes if kind_named(c.kind).live_at_once]
        try:
            with shared_backoff(self.gate):
                for level in _levels(staged):
                    await self._level(level)
                if self._failed:  # what callers are served stays as it was: phase two waits for a clean stage
                    self._skip_all(changes, "a change before it failed while staging")
                else:
                    await self._serve(changes, live)
        finally:
            self.result.requests = self.client.request_count - start
        failed = {s.address for s in self.result.failures}
        self.result.applied = sum(1 for c in changes if c.address not in failed and c.address not in self._failed)
        if self.result.failures or self.result.skipped:
            raise ApplyError(self._stopped_message(), self.result)
        return self.result

    async def _serve(self, changes: list[Change], live: list[Change]) -> None:
        """Phase two: publish partials then prompts, move labels, write live kinds by level, delete last."""
        self._staging = False
        for kind in (k for k in KINDS.values() if k.versioned):  # partials before the prompts using them
            await self._batch([c for c in changes if c.kind == kind.kind.value and Action.PUBLISH in c.actions],
                              self._steps_of(Action.PUBLISH, self._publish), lambda _c: [Action.PUBLISH])
        await self._batch([c for c in changes if Action.LABEL in c.actions], self._steps_of(Action.LABEL, self._label),
                          lambda _c: [Action.LABEL])
        for level in _levels(live):
            await self._level(level)
        deletes = [(c, a) for c in changes for a in (Action.DELETE, Action.ARCHIVE) if a in c.actions]
        for change, action in deletes:  # in order, one at a time, none after a failure (they may be in use)
            if self._failed:
                self._skip(change, action, "a change before it failed (deletes run last, only after the rest)")
                continue
            self._record([await self._step(change, action, self._delete)])

    def _stopped_message(self) -> str:
        first = self.result.failures[0] if self.result.failures else self.result.skipped[0]
        untouched = self._staging_failed() or not self.result.writes  # phase one, or no write reached Portkey
        when = ("Nothing callers are served changed (phase two waits until everything is staged)"
                if self._staging_failed() else
                "Nothing callers are served changed (no write of this run reached Portkey)" if untouched else
                "Some of what callers are served changed already (the writes reported ok are live)")
        shown = [_describe(step) for step in self.result.failures[:_FAILURES_SHOWN]]
        more = len(self.result.failures) - len(shown)
        if more > 0:
            shown.append(f"and {more} more (listed above)")
        where = ("before anything callers are served changed" if untouched
                 else "while changing what callers are served (the steps before it are live)")
        return (f"{first.action.value} {first.address} failed {where}. {self.result.progress()}; run apply again to "
                f"finish (it continues from where this run got). {when}. Failures: " + "; ".join(shown))

    def _staging_failed(self) -> bool:
        """The run stopped in phase one: nothing callers are served was written."""
        return self._staging

    async def _level(self, level: list[Change]) -> None:
        """Create, update or version the changes of one dependency level, side by side."""
        ready = [c for c in level if not self._blocker(c)]
        await self._recheck([ResourceKind(c.kind) for c in ready if Action.CREATE in c.actions])
        await self._batch(level, self._write, _write_actions)

    async def _recheck(self, creating: list[ResourceKind]) -> None:
        """One listing per kind with a create pending in this level: an object another apply (or a person)
        made since the plan is never made twice."""
        self._existing = {}
        for kind in dict.fromkeys(creating):
            operation, params = KINDS[kind].listing, KINDS[kind].listing_query
            try:
                items, _ = await self._read_all(operation, **params, **self._ws())
            except PortkeyError as exc:
                self._existing[kind] = exc
                continue
            self._existing[kind] = {str(item.get("name")) for item in items if isinstance(item, dict)}

    async def _batch(self, changes: list[Change], work: Work, actions: Callable[[Change], list[Action]]) -> None:
        """Run ``work`` for each change not blocked by a failure, at most ``parallelism`` at a time; report
        their steps in plan order (also when cancelled part-way: what finished is reported)."""
        ready: list[Change] = []
        for change in changes:
            blocker = self._blocker(change)
            if blocker:
                for action in actions(change):
                    self._skip(change, action, blocker)
            else:
                ready.append(change)
        done: dict[int, list[Step]] = {}
        limiter = anyio.CapacityLimiter(self.parallelism)

        async def one(index: int, change: Change) -> None:
            async with limiter:
                done[index] = await work(change)

        try:
            async with anyio.create_task_group() as group:
                for index, change in enumerate(ready):
                    group.start_soon(one, index, change)
        finally:
            for index in sorted(done):
                self._record(done[index])

    def _blocker(self, change: Change) -> str:
        """Why ``change`` is not attempted now ("" when it may be)."""
        if change.address in self._failed:
            return f"an earlier step of {change.address} failed"
        failed = next((dep for dep in change.depends_on if dep in self._failed), None)
        return f"it depends on {failed}, which failed or was not attempted" if failed else ""

    def _skip(self, change: Change, action: Action, why: str) -> None:
        self._failed.setdefault(change.address, why)
        step = Step(change.address, action, False, f"not attempted: {why}", skipped=True)
        self.result.skipped.append(step)
        if self.hook:
            self.hook(step)

    def _skip_all(self, changes: list[Change], why: str) -> None:
        """Report every phase-two step of ``changes`` as not attempted."""
        for change in changes:
            for action in change.actions:
                if action in _SERVED or kind_named(change.kind).live_at_once:
                    self._skip(change, action, self._failed.get(change.address) or why)

    def _steps_of(self, action: Action, run: Callable[[Change], Awaitable[str]]) -> Work:
        async def work(change: Change) -> list[Step]:
            return [await self._step(change, action, run)]

        return work

    async def _write(self, change: Change) -> list[Step]:
        """Create, update, version or replace one object (its publishes, labels and deletes come later);
        the steps taken, stopping at the first that fails."""
        plan: list[tuple[Action, Callable[[Change], Awaitable[str]]]] = []
        if Action.CREATE in change.actions:
            plan.append((Action.CREATE, self._create_unless_made))
        in_place = next((a for a in change.actions if a in _IN_PLACE), None)
        if in_place is not None:
            plan.append((in_place, self._update))
        if Action.NEW_VERSION in change.actions:
            plan.append((Action.NEW_VERSION, self._new_version))
        if Action.REPLACE in change.actions:  # delete, then create without the re-check (the name is ours)
            plan += [(Action.DELETE, self._delete), (Action.CREATE, self._create)]
        steps: list[Step] = []
        for action, run in plan:
            steps.append(await self._step(change, action, run))
            if not steps[-1].ok:
                break
        return steps

    async def _step(self, change: Change, action: Action, run: Callable[[Change], Awaitable[str]]) -> Step:
        """Run one step; a failure is returned as a failed step (and blocks what depends on the change)."""
        acted = _Acted()
        token = _ACTED.set(acted)
        try:
            detail = await run(change)
        except Exception as exc:  # any failure: what was written before it must be reported, not lost
            expected = isinstance(exc, PortkeyError | ApplyRefusal)
            reason = str(exc) if expected else f"unexpected {type(exc).__name__}: {exc}"
            self._failed[change.address] = reason
            return self._ended(Step(change.address, action, False, reason, acted=acted.value))
        finally:
            _ACTED.reset(token)
        return self._ended(Step(change.address, action, True, detail))

    def _ended(self, step: Step) -> Step:
        if self.finished:
            self.finished(step)
        return step

    async def _read(self, operation: str, **arguments: Any) -> Any:
        await self.gate.wait(self._sleep)
        return await self.client.call(operation, **arguments)

    async def _read_all(self, operation: str, **params: Any) -> tuple[list[Any], bool]:
        await self.gate.wait(self._sleep)
        return await self.client.list_all(operation, **params)

    async def _send(self, operation: str, **arguments: Any) -> Any:
        """One write; notes whether it reached Portkey, so a failure after it is reported as partial."""
        acted = _ACTED.get() or _Acted()
        await self.gate.wait(self._sleep)
        try:
            answer = await self.client.call(operation, **arguments)
        except PortkeyRequestError as exc:
            acted.value |= exc.sent
            raise
        except PortkeyAPIError as exc:
            acted.value |= exc.status >= 500
            raise
        acted.value = True
        return answer

    async def _send_for_object(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """A write whose answer must be an object (a create's new id, a new version's id)."""
        answer = await self._send(operation, **arguments)
        if not isinstance(answer, dict):
            raise unexpected(operation, f"{kind_of(answer)} instead of an object (the write itself was sent)")
        return answer

    def _record(self, steps: list[Step]) -> None:
        for step in steps:
            self.result.steps.append(step)
            if not step.ok:
                self.result.failures.append(step)
                if self.result.failed is None:
                    self.result.failed = step
            if self.hook:
                self.hook(step)

    def _resource(self, change: Change) -> Resource:
        resource = self.resources.get(change.address)
        if resource is None:
            raise ApplyRefusal(f"{change.address} is not in the repository any more; plan again")
        return kinds.as_sent(resource, self.behaviour)

    @staticmethod
    def _write_step(change: Change) -> WriteStep:
        """The name (and update fields) a create, update or replace of ``change`` sends."""
        if change.payload.write is None:
            raise ApplyRefusal(f"the plan gives {change.address} no name to write; plan again")
        return change.payload.write

    def _target(self, change: Change) -> dict[str, str]:
        """The id argument of an update, publish or delete of ``change``'s object (one this run created, else
        the one the plan names)."""
        kind = kind_named(change.kind)
        address = change.address
        remote = change.payload.remote
        if address in self.record.ids:
            remote_id, slug = self.record.ids[address], self.record.slugs.get(address)
        elif remote is not None:
            remote_id, slug = remote.id, remote.slug
        else:
            remote_id, slug = "", None
        return {kind.operations.id_arg: kind.target_id(remote_id, slug)}

    def _ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace} if self.workspace else {}

    async def _create_unless_made(self, change: Change) -> str:
        """Create, unless this level's listing of the kind shows the name: an object another apply made since
        the plan (one that did not take the apply lease) is never made twice; that change asks for a new plan."""
        kind = ResourceKind(change.kind)
        name = self._write_step(change).name
        listed = self._existing.get(kind)
        if isinstance(listed, Exception):
            raise ApplyRefusal(f"could not list {kind.value}s again before creating {name!r} ({listed}); "
                               "nothing was created")
        if listed is None:  # not listed at the level's start (never so from run): one targeted read instead
            listed = {name} if await self._find_by_name(kind, name) is not None else set()
        if name in listed:
            raise ApplyRefusal(
                f"{change.address} exists in Portkey now ({name!r}) but did not when the plan was made: another "
                "apply or a person created it meanwhile. It was not created again; plan and apply again"
            )
        return await self._create(change)

    async def _find_by_name(self, kind: ResourceKind, name: str) -> dict[str, Any] | None:
        """The object of ``kind`` named ``name``, read now (a targeted re-check after an ambiguous create)."""
        operation, params = KINDS[kind].listing, KINDS[kind].listing_query
        if KINDS[kind].searchable:
            params = {**params, "search": name}
        items, _ = await self._read_all(operation, **params, **self._ws())
        return next((item for item in items if isinstance(item, dict) and item.get("name") == name), None)

    async def _settle(self, exc: PortkeyError) -> None:
        """Before reading whether a write whose answer was lost arrived: give a dropped one time to land."""
        if isinstance(exc, PortkeyRequestError):
            await self._sleep(2 * self.client.settings.retry.backoff_base)

    async def _create(self, change: Change) -> str:
        resource = self._resource(change)
        body = kinds.with_provenance(resource.kind, kinds.create_body(
            resource, self.secrets(resource), self._write_step(change).name, self.refs, self.workspace,
            self.default_collection,
        ), self.provenance)
        kind = KINDS[resource.kind]
        operation = kind.operations.create
        note = ""
        for sent in range(1, WRITE_SENDS + 1):
            try:
                created = await self._send_for_object(operation, body=body)
                break
            except PortkeyError as exc:
                if not _ambiguous(exc):
                    raise
                # Never send again a create that may have arrived: read whether it did (the lease keeps other
                # applies out); send it again only when it did not.
                await self._settle(exc)
                found = await self._find_by_name(resource.kind, str(body["name"]))
                if found is not None:
                    created, note = found, " (its answer was lost; found by name)"
                    break
                if not _may_repeat(exc) or sent == WRITE_SENDS:
                    raise
                note = f" (sent {sent + 1} times: the earlier ones did not arrive)"
        if not isinstance(created.get("id") or created.get("slug"), str | int):
            raise unexpected(operation, "no usable id or slug for the object it created")
        remote_id = str(created.get("id") or created.get("slug"))
        slug = None if created.get("slug") is None else str(created["slug"])
        self.record.ids[change.address] = remote_id
        self.record.slugs[change.address] = slug
        self.record.deleted.discard(change.address)
        self.refs[change.address] = kind.reference(remote_id, slug)
        self.refs.update(kind.created_refs(str(body["name"]), remote_id))
        if kind.released:  # Portkey publishes version 1 of a new object at once
            self.record.versions[change.address] = (1, str(created.get("version_id") or ""))
        return f"id {remote_id}" + (f", slug {slug}" if slug else "") + note

    async def _update(self, change: Change) -> str:
        resource = self._resource(change)
        write = self._write_step(change)
        body = kinds.update_body(resource, self.secrets(resource), write.name, self.refs, changed=write.changed)
        if write.collection is not None:  # a prompt that moves collection (None: the workspace's default one)
            key = write.collection.key
            held_by = self.refs.get(HOLDERS.address_of(key)) if key is not None else self.default_collection
            body["collection_id"] = held_by
        await self._send(KINDS[resource.kind].operations.update, body=body, **self._target(change))
        return ""

    async def _new_version(self, change: Change) -> str:
        resource = self._resource(change)
        spec = self.secrets(resource)
        target = self._target(change)
        kind = KINDS[resource.kind]
        how = _versions(kind)
        body = kind.with_provenance(kind.version_body(resource, spec, self.refs), self.provenance)
        planned = as_int(change.remote.get("version"))
        for sent in range(1, WRITE_SENDS + 1):
            try:
                answer = await self._send_for_object(how.update, body=body, **target)
                break
            except PortkeyError as exc:
                # A version-making write is never repeated once it may have arrived: read whether it did. While
                # the latest version is still the one planned against, it did not, and it is sent again.
                if not (_ambiguous(exc) and _may_repeat(exc)) or sent == WRITE_SENDS or planned is None:
                    raise
                await self._settle(exc)
                if await self._latest_number(how, target) != planned:
                    raise
        version_id = answer.get(how.answer_id)
        if not isinstance(version_id, str | int) or isinstance(version_id, bool) or not str(version_id):
            raise ApplyRefusal(
                f"Portkey made a new version of {change.address} but its answer names no {how.answer_id}; "
                "the engine does not guess which version that is, so it stops before publishing or labelling "
                "it. Plan and apply again: the new version is then found by its content"
            )
        number = await self._version_number(how, target, str(version_id), change.address)
        self.record.versions[change.address] = (number, str(version_id))
        return f"v{number} (unpublished)"

    async def _latest_number(self, how: Versions, target: dict[str, str]) -> int | None:
        numbers = [as_int(row.get(how.number_key)) for row in rows(await self._read(how.listing, **target))]
        return max((n for n in numbers if n is not None), default=None)

    async def _version_number(self, how: Versions, target: dict[str, str], version_id: str, address: str) -> int:
        """The number of the version whose id is ``version_id``, from the versions list, read again a few
        times while Portkey's reads lag behind its write (as the Terraform provider, prompt_resource.go
        Update, maps the update's prompt_version_id to a number through the versions list before
        makeDefault). Never the highest number: a version not found stops apply."""
        delays = (0.0, *VERSION_LOOKUP_DELAYS)
        for delay in delays:
            if delay:
                await asyncio.sleep(delay)
            for row in rows(await self._read(how.listing, **target)):
                if any(str(row.get(key)) == version_id for key in how.id_keys if row.get(key) is not None):
                    number = as_int(row.get(how.number_key))
                    if number is not None:
                        return number
        raise ApplyRefusal(
            f"Portkey made version {version_id} of {address} but its versions list did not show it after "
            f"{len(delays)} reads; the engine does not guess its number, so it stops before publishing or "
            "labelling it. Plan and apply again once Portkey lists it"
        )

    def _made(self, change: Change) -> tuple[int, str]:
        made = self.record.versions.get(change.address)
        if made is None:
            raise ApplyRefusal(f"the plan publishes or labels a version of {change.address} that this apply did not "
                               "make; plan again")
        return made

    async def _publish(self, change: Change) -> str:
        step = change.payload.publish
        if step is None:
            raise ApplyRefusal(f"the plan names no version of {change.address} to publish; plan again")
        number = self._made(change)[0] if isinstance(step.version, VersionTarget) else step.version
        await self._send(_versions(kind_named(change.kind)).publish, body={"version": number}, **self._target(change))
        return f"v{number} is now the default"

    async def _label(self, change: Change) -> str:
        step = change.payload.label
        if step is None or step.version is None:
            raise ApplyRefusal(f"the plan names no version of {change.address} to label; plan again")
        version_id = await self._label_version_id(change, step)
        written: dict[str, str] = {}
        for label in step.labels:
            label_id = self.refs.get(VERSION_LABELS.address_of(label))
            if not label_id:
                raise ApplyRefusal(f"label {label!r} does not exist in Portkey; declare labels/{label}.label.yaml")
            await self._send(
                "update_prompt_version", body={"label_id": label_id}, version_id=version_id, **self._target(change)
            )
            written[label_id] = label
        if self.behaviour["label_write"] == "add" and (len(written) > 1 or step.kept):
            await self._check_labels(change, version_id, written, step.kept)
        return ", ".join(step.labels)

    async def _label_version_id(self, change: Change, step: LabelStep) -> str:
        """The id of the version ``step`` labels: one this apply made (a created prompt's version 1 when the
        create's answer did not name it), or the live version the plan names."""
        if isinstance(step.version, VersionTarget):
            return self._made(change)[1] or await self._created_version_id(change)
        return step.version_id or ""

    async def _created_version_id(self, change: Change) -> str:
        """The id of a created prompt's version 1, when the create's answer did not name it."""
        target = self._target(change)
        for row in rows(await self._read("list_prompt_versions", **target)):
            if as_int(row.get("prompt_version")) == 1 and row.get("id"):
                return str(row["id"])
        raise ApplyRefusal(f"Portkey does not list version 1 of the prompt it created for {change.address}, so "
                           "its labels cannot be set; plan and apply again")

    async def _check_labels(
        self, change: Change, version_id: str, written: dict[str, str], kept: tuple[str, ...]
    ) -> None:
        """Read the version back: every label written and every label it held before must be on it.

        A missing one means Portkey replaces a version's label rather than adding one; that is reported
        loudly, since callers using the vanished label now get another version (or none).
        """
        target = self._target(change)
        row = next((r for r in rows(await self._read("list_prompt_versions", **target))
                    if str(r.get("id")) == version_id), None)
        held = _labels_of(row) if row is not None else None
        if held is None:
            held = _labels_of(await self._read("get_prompt_version", version_id=version_id, **target))
        if held is None:
            return  # Portkey's answers carry no label fields: nothing to compare
        names = {label_id: name for target, label_id in self.refs.items()
                 if (name := VERSION_LABELS.key_in(target)) is not None}
        gone = [names.get(lid, lid) for lid in [*written, *kept] if lid not in held]
        if gone:
            raise ApplyRefusal(
                f"after labelling {change.address}, label(s) {', '.join(gone)} are not on the version any more: "
                "Portkey seems to replace a version's label rather than add one. Callers of the missing label(s) "
                "no longer get this version. Run `portkey-gitops doctor` (label_write=replace), keep one label "
                "per prompt, then apply again"
            )

    async def _delete(self, change: Change) -> str:
        await self._send(kind_named(change.kind).operations.delete, **self._target(change))
        self.record.ids.pop(change.address, None)
        self.record.deleted.add(change.address)
        return ""


def _write_actions(change: Change) -> list[Action]:
    """The phase-one (or live-kind) steps of ``change``, in the order :meth:`Applier._write` takes them."""
    actions = [a for a in (Action.CREATE, *_IN_PLACE, Action.NEW_VERSION) if a in change.actions]
    in_place = [a for a in actions if a in _IN_PLACE][:1]
    actions = [a for a in actions if a not in _IN_PLACE or a in in_place]
    return actions + ([Action.DELETE, Action.CREATE] if Action.REPLACE in change.actions else [])


def _levels(changes: list[Change]) -> list[list[Change]]:
    """``changes`` (in plan order) grouped by dependency level: each level refers only to earlier ones."""
    level: dict[str, int] = {}
    pending = {c.address for c in changes}
    for change in changes:
        deps = [d for d in change.depends_on if d in pending and d != change.address]
        # a dependency not placed yet (never so in plan order) puts the change after everything so far
        level[change.address] = max((level.get(d, max(level.values(), default=-1)) for d in deps), default=-1) + 1
    grouped: dict[int, list[Change]] = {}
    for change in changes:
        grouped.setdefault(level[change.address], []).append(change)
    return [grouped[n] for n in sorted(grouped)]


def _ambiguous(exc: PortkeyError) -> bool:
    """A write that failed in a way that does not say whether Portkey acted on it."""
    if isinstance(exc, PortkeyRequestError):
        return exc.sent
    return isinstance(exc, PortkeyAPIError) and exc.status >= 500


def _may_repeat(exc: PortkeyError) -> bool:
    """After a read shows the write did not arrive, may it be sent again? Not after a timeout or the command's
    deadline: Portkey may still be working on it; only after an answer (5xx) or a connection that dropped."""
    if isinstance(exc, PortkeyDeadlineError):
        return False
    if isinstance(exc, PortkeyRequestError):
        reason = exc.reason.lower()
        return not any(word in reason for word in ("timeout", "timed out", "not complete within"))
    return True


def _describe(step: Step) -> str:
    written = " (its write reached Portkey or may have)" if step.acted else ""
    return f"{step.action.value} {step.address}{written}: {step.detail}"


def _labels_of(row: Any) -> set[str] | None:
    """Label ids a version row or version answer shows, or None when it has no label field at all."""
    if not isinstance(row, dict) or not any(key in row for key in (*_LABEL_LISTS, *_LABEL_ONES)):
        return None
    held: set[str] = set()
    for key in _LABEL_LISTS:
        for item in row.get(key) or []:
            value = (item.get("id") or item.get("label_id")) if isinstance(item, dict) else item
            if isinstance(value, str | int) and not isinstance(value, bool):
                held.add(str(value))
    for key in _LABEL_ONES:
        if isinstance(row.get(key), str | int) and not isinstance(row.get(key), bool):
            held.add(str(row[key]))
    return held


def _versions(kind: Kind) -> Versions:
    """How ``kind`` makes and publishes versions (only versioned kinds reach a version step)."""
    if kind.versions is None:
        raise TypeError(f"{kind.kind.value} has no versions")
    return kind.versions
