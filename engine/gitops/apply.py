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
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ApplyFailure
from engine.gitops import kinds
from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.live import as_int, rows, unexpected
from engine.gitops.lock import Lock
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.plan import Action, Change, Plan
from engine.portkey import PortkeyClient, PortkeyError, PortkeyRequestError
from engine.portkey.normalize import kind_of

# Actions written by one request that stages an object (MOVE, UPDATE and ADOPT share one PUT).
_IN_PLACE = (Action.MOVE, Action.UPDATE, Action.ADOPT)
# Seconds to wait before reading a versions list again when the version an update just made is not in it
# yet (read lag): a bounded retry, then apply stops rather than guess.
VERSION_LOOKUP_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
# Where a versions-list row or a prompt version names its labels: our sandbox's `label_ids`, the spec's
# `label_id`, the live GET /prompts answer's `prompt_version_labels` / `prompt_version_label_id`
# (/work/shared/portkey-live prompts-get.json).
_LABEL_LISTS = ("label_ids", "prompt_version_labels")
_LABEL_ONES = ("label_id", "prompt_version_label_id")


# The listing apply reads right before a create (with its fixed query), and the kinds whose listing
# filters by `search` (operations.py); the others are listed whole and filtered here by exact name.
_LISTINGS: dict[ResourceKind, tuple[str, dict[str, str]]] = {
    ResourceKind.LABEL: ("list_prompt_labels", {}),
    ResourceKind.COLLECTION: ("list_collections", {}),
    ResourceKind.PARTIAL: ("list_prompt_partials", {}),
    ResourceKind.PROMPT: ("list_prompts", {}),
    ResourceKind.GUARDRAIL: ("list_guardrails", {}),
    ResourceKind.CONFIG: ("list_configs", {}),
    ResourceKind.RATE_LIMIT: ("list_rate_limits", {}),
    ResourceKind.USAGE_LIMIT: ("list_usage_limits", {"status": "active"}),
}
_SEARCHABLE = frozenset({ResourceKind.LABEL, ResourceKind.COLLECTION, ResourceKind.PROMPT})


@dataclass(frozen=True)
class _Versions:
    """How one versioned kind's versions list names a version's id and number."""

    update: str
    answer_id: str  # the update answer's field holding the new version's id
    listing: str
    id_keys: tuple[str, ...]
    number_key: str


_PROMPT_VERSIONS = _Versions("update_prompt", "prompt_version_id", "list_prompt_versions",
                             ("id", "prompt_version_id"), "prompt_version")
_PARTIAL_VERSIONS = _Versions("update_prompt_partial", "prompt_partial_version_id", "list_partial_versions",
                              ("prompt_partial_version_id", "id"), "version")


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
    """One write made (or attempted) by apply."""

    address: str
    action: Action
    ok: bool
    detail: str = ""
    acted: bool = False  # failed, but a write of this step reached Portkey (or may have: answer lost)


@dataclass
class ApplyResult:
    steps: list[Step] = field(default_factory=list)
    failed: Step | None = None
    requests: int = 0
    lock: Lock | None = None  # what is now applied (set after a successful run)

    @property
    def writes(self) -> int:
        """Steps that wrote to Portkey, counting a failed step whose write reached it (or may have)."""
        return sum(1 for s in self.steps if s.ok or s.acted)


class ApplyError(ApplyFailure):
    """Apply stopped; ``result`` says what was written before the failure."""

    def __init__(self, message: str, result: ApplyResult) -> None:
        self.result = result
        super().__init__(message)


Hook = Callable[[Step], None]


class Applier:
    """Runs one plan against one workspace."""

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
    ) -> None:
        self.client = client
        self.provenance = dict(provenance or {})  # commit / CI run stamped on new versions (kinds.with_provenance)
        self.behaviour = behaviour
        self.resources = resources
        self.refs = refs
        self.workspace = workspace
        self.default_collection = default_collection
        self.secrets = secrets
        self.hook = hook
        self.result = ApplyResult()
        self._staging = True  # phase one: nothing callers are served has changed yet
        self._new_versions: dict[str, tuple[int, str]] = {}  # address -> (number, version id)
        self._ids: dict[str, str] = {}  # address -> remote id (objects created in this run)
        self._acted = False  # the current step sent a write that reached Portkey (or may have)

    async def run(self, plan: Plan) -> ApplyResult:
        start = self.client.request_count
        changes = [c for c in sorted(plan.changes, key=lambda c: c.order) if not c.is_noop]
        staged = [c for c in changes if ResourceKind(c.kind) not in kinds.LIVE_AT_ONCE]
        live = [c for c in changes if ResourceKind(c.kind) in kinds.LIVE_AT_ONCE]
        try:
            for change in staged:
                await self._write(change)
            self._staging = False
            for kind in (ResourceKind.PARTIAL, ResourceKind.PROMPT):
                for change in changes:
                    if change.kind == kind.value and Action.PUBLISH in change.actions:
                        await self._step(change, Action.PUBLISH, self._publish)
            for change in changes:
                if Action.LABEL in change.actions:
                    await self._step(change, Action.LABEL, self._label)
            for change in live:
                await self._write(change)
            for change in changes:
                for action in (Action.DELETE, Action.ARCHIVE):
                    if action in change.actions:
                        await self._step(change, action, self._delete)
        finally:
            self.result.requests = self.client.request_count - start
        return self.result

    async def _write(self, change: Change) -> None:
        """Create, update, version or replace one object (its publishes, labels and deletes come later)."""
        if Action.CREATE in change.actions:
            await self._step(change, Action.CREATE, self._create_unless_made)
        in_place = next((a for a in change.actions if a in _IN_PLACE), None)
        if in_place is not None:
            await self._step(change, in_place, self._update)
        if Action.NEW_VERSION in change.actions:
            await self._step(change, Action.NEW_VERSION, self._new_version)
        if Action.REPLACE in change.actions:
            await self._step(change, Action.DELETE, self._delete)
            await self._step(change, Action.CREATE, self._create)

    async def _step(self, change: Change, action: Action, run: Callable[[Change], Awaitable[str]]) -> None:
        self._acted = False
        try:
            detail = await run(change)
        except Exception as exc:  # any failure: what was written before it must be reported, not lost
            reason = str(exc) if isinstance(exc, PortkeyError) else f"unexpected {type(exc).__name__}: {exc}"
            step = Step(change.address, action, False, reason, acted=self._acted)
            self.result.failed = step
            self._record(step)
            when = ("before anything callers are served changed" if self._staging
                    else "while changing what callers are served (the steps before it are live)")
            written = " (its write reached Portkey or may have)" if self._acted else ""
            raise ApplyError(
                f"{action.value} {change.address} failed {when}{written}: {reason}. "
                "Fix the cause and run apply again; it continues from where it stopped.",
                self.result,
            ) from None
        self._record(Step(change.address, action, True, detail))

    async def _send(self, operation: str, **arguments: Any) -> Any:
        """One write; notes whether it reached Portkey, so a failure after it is reported as partial."""
        try:
            answer = await self.client.call(operation, **arguments)
        except PortkeyRequestError as exc:
            self._acted |= exc.sent
            raise
        self._acted = True
        return answer

    async def _send_for_object(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """A write whose answer must be an object (a create's new id, a new version's id)."""
        answer = await self._send(operation, **arguments)
        if not isinstance(answer, dict):
            raise unexpected(operation, f"{kind_of(answer)} instead of an object (the write itself was sent)")
        return answer

    def _record(self, step: Step) -> None:
        self.result.steps.append(step)
        if self.hook:
            self.hook(step)

    def _resource(self, change: Change) -> Resource:
        resource = self.resources.get(change.address)
        if resource is None:
            raise PortkeyError(f"{change.address} is not in the repository any more; plan again")
        return kinds.as_sent(resource, self.behaviour)

    def _target(self, change: Change) -> dict[str, str]:
        """The id argument of an update, publish or delete of ``change``'s object."""
        kind = ResourceKind(change.kind)
        remote_id = self._ids.get(change.address) or str(change.payload.get("id") or "")
        return {kinds.OPERATIONS[kind].id_arg: kinds.target_id(kind, remote_id, change.payload.get("slug"))}

    async def _create_unless_made(self, change: Change) -> str:
        """Create, after listing the kind once more by name: an object another apply made since the plan
        (one that did not take the apply lease) is never made twice; apply stops and asks for a new plan."""
        kind = ResourceKind(change.kind)
        name = str(change.payload["name"])
        operation, params = _LISTINGS[kind]
        if kind in _SEARCHABLE:
            params = {**params, "search": name}
        items, _ = await self.client.list_all(operation, **params, **self._ws())
        if any(isinstance(item, dict) and item.get("name") == name for item in items):
            raise PortkeyError(
                f"{change.address} exists in Portkey now ({name!r}) but did not when the plan was made: another "
                "apply or a person created it meanwhile. It was not created again; plan and apply again"
            )
        return await self._create(change)

    def _ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace} if self.workspace else {}

    async def _create(self, change: Change) -> str:
        resource = self._resource(change)
        body = kinds.with_provenance(resource.kind, kinds.create_body(
            resource, self.secrets(resource), change.payload["name"], self.refs, self.workspace,
            self.default_collection,
        ), self.provenance)
        operation = kinds.OPERATIONS[resource.kind].create
        created = await self._send_for_object(operation, body=body)
        if not isinstance(created.get("id") or created.get("slug"), str | int):
            raise unexpected(operation, "no usable id or slug for the object it created")
        remote_id = str(created.get("id") or created.get("slug"))
        slug = None if created.get("slug") is None else str(created["slug"])
        self._ids[change.address] = remote_id
        change.payload["slug"] = slug
        self.refs[change.address] = kinds.reference(resource.kind, remote_id, slug)
        if resource.kind is ResourceKind.LABEL:
            self.refs[f"label:{body['name']}"] = remote_id
        if resource.kind is ResourceKind.PROMPT:
            self._new_versions[change.address] = (1, str(created.get("version_id") or ""))
        return f"id {remote_id}" + (f", slug {slug}" if slug else "")

    async def _update(self, change: Change) -> str:
        resource = self._resource(change)
        body = kinds.update_body(resource, self.secrets(resource), change.payload["name"], self.refs,
                                 changed=change.payload.get("changed") or ())
        if resource.kind is ResourceKind.PROMPT and "collection" in change.payload:
            collection = change.payload["collection"]
            body["collection_id"] = (
                self.refs.get(f"collection:{collection}") if collection else self.default_collection
            )
        await self._send(kinds.OPERATIONS[resource.kind].update, body=body, **self._target(change))
        return ""

    async def _new_version(self, change: Change) -> str:
        resource = self._resource(change)
        spec = self.secrets(resource)
        target = self._target(change)
        if resource.kind is ResourceKind.PROMPT:
            how, body = _PROMPT_VERSIONS, kinds.version_body(resource, spec, self.refs)
        else:
            how = _PARTIAL_VERSIONS
            body = {"string": kinds.resolve_partials(spec["string"], self.refs)}
            if note := spec.get("version_description"):
                body.update({"version_description": note, "description": note})
        body = kinds.with_provenance(resource.kind, body, self.provenance)
        answer = await self._send_for_object(how.update, body=body, **target)
        version_id = answer.get(how.answer_id)
        if not isinstance(version_id, str | int) or isinstance(version_id, bool) or not str(version_id):
            raise PortkeyError(
                f"Portkey made a new version of {change.address} but its answer names no {how.answer_id}; "
                "the engine does not guess which version that is, so it stops before publishing or labelling "
                "it. Plan and apply again: the new version is then found by its content"
            )
        number = await self._version_number(how, target, str(version_id), change.address)
        self._new_versions[change.address] = (number, str(version_id))
        return f"v{number} (unpublished)"

    async def _version_number(self, how: _Versions, target: dict[str, str], version_id: str, address: str) -> int:
        """The number of the version whose id is ``version_id``, from the versions list, read again a few
        times while Portkey's reads lag behind its write (as the Terraform provider, prompt_resource.go
        Update, maps the update's prompt_version_id to a number through the versions list before
        makeDefault). Never the highest number: a version not found stops apply."""
        delays = (0.0, *VERSION_LOOKUP_DELAYS)
        for delay in delays:
            if delay:
                await asyncio.sleep(delay)
            for row in rows(await self.client.call(how.listing, **target)):
                if any(str(row.get(key)) == version_id for key in how.id_keys if row.get(key) is not None):
                    number = as_int(row.get(how.number_key))
                    if number is not None:
                        return number
        raise PortkeyError(
            f"Portkey made version {version_id} of {address} but its versions list did not show it after "
            f"{len(delays)} reads; the engine does not guess its number, so it stops before publishing or "
            "labelling it. Plan and apply again once Portkey lists it"
        )

    async def _publish(self, change: Change) -> str:
        target = change.payload.get("publish")
        number = self._new_versions[change.address][0] if target == "new" else int(target)
        operation = "publish_partial" if change.kind == ResourceKind.PARTIAL.value else "publish_prompt"
        await self._send(operation, body={"version": number}, **self._target(change))
        return f"v{number} is now the default"

    async def _label(self, change: Change) -> str:
        target = change.payload.get("label_target")
        if target in ("new", "created"):
            version_id = self._new_versions[change.address][1] or await self._created_version_id(change)
        else:
            version_id = str(change.payload.get("label_version_id") or "")
        labels: list[str] = change.payload.get("labels", [])
        written: dict[str, str] = {}
        for label in labels:
            label_id = self.refs.get(f"label:{label}")
            if not label_id:
                raise PortkeyError(f"label {label!r} does not exist in Portkey; declare labels/{label}.label.yaml")
            await self._send(
                "update_prompt_version", body={"label_id": label_id}, version_id=version_id, **self._target(change)
            )
            written[label_id] = label
        kept: list[str] = change.payload.get("labels_kept") or []
        if self.behaviour["label_write"] == "add" and (len(written) > 1 or kept):
            await self._check_labels(change, version_id, written, kept)
        return ", ".join(labels)

    async def _created_version_id(self, change: Change) -> str:
        """The id of a created prompt's version 1, when the create's answer did not name it."""
        target = self._target(change)
        for row in rows(await self.client.call("list_prompt_versions", **target)):
            if as_int(row.get("prompt_version")) == 1 and row.get("id"):
                return str(row["id"])
        raise PortkeyError(f"Portkey does not list version 1 of the prompt it created for {change.address}, so "
                           "its labels cannot be set; plan and apply again")

    async def _check_labels(self, change: Change, version_id: str, written: dict[str, str], kept: list[str]) -> None:
        """Read the version back: every label written and every label it held before must be on it.

        A missing one means Portkey replaces a version's label rather than adding one; that is reported
        loudly, since callers using the vanished label now get another version (or none).
        """
        target = self._target(change)
        row = next((r for r in rows(await self.client.call("list_prompt_versions", **target))
                    if str(r.get("id")) == version_id), None)
        held = _labels_of(row) if row is not None else None
        if held is None:
            held = _labels_of(await self.client.call("get_prompt_version", version_id=version_id, **target))
        if held is None:
            return  # Portkey's answers carry no label fields: nothing to compare
        names = {label_id: name.removeprefix("label:") for name, label_id in self.refs.items()
                 if name.startswith("label:")}
        gone = [names.get(lid, lid) for lid in [*written, *kept] if lid not in held]
        if gone:
            raise PortkeyError(
                f"after labelling {change.address}, label(s) {', '.join(gone)} are not on the version any more: "
                "Portkey seems to replace a version's label rather than add one. Callers of the missing label(s) "
                "no longer get this version. Run `portkey-gitops doctor` (label_write=replace), keep one label "
                "per prompt, then apply again"
            )

    async def _delete(self, change: Change) -> str:
        kind = ResourceKind(change.kind)
        await self._send(kinds.OPERATIONS[kind].delete, **self._target(change))
        self._ids.pop(change.address, None)
        change.payload["id"] = None
        return ""


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
