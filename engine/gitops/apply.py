"""Executing a plan in two phases.

Phase 1 creates and updates every object and makes every new version
UNPUBLISHED; phase 2 publishes (partials first, then prompts) and moves
labels; deletes run last, in reverse dependency order. A failure in phase 1
therefore leaves what callers are served untouched, and re-planning after any
failure converges: content already present as the latest version is only
published, never versioned again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.gitops import kinds
from engine.gitops.model import Resource, ResourceKind, split_address
from engine.gitops.plan import Action, Change, Plan
from engine.portkey import PortkeyClient, PortkeyError

# Per kind: create, update and delete operation names, and the id argument name.
OPS: dict[ResourceKind, tuple[str, str, str, str]] = {
    ResourceKind.LABEL: ("create_prompt_label", "update_prompt_label", "delete_prompt_label", "label_id"),
    ResourceKind.COLLECTION: ("create_collection", "update_collection", "delete_collection", "collection_id"),
    ResourceKind.PARTIAL: (
        "create_prompt_partial", "update_prompt_partial", "delete_prompt_partial", "prompt_partial_id",
    ),
    ResourceKind.PROMPT: ("create_prompt", "update_prompt", "delete_prompt", "prompt_id"),
    ResourceKind.GUARDRAIL: ("create_guardrail", "update_guardrail", "delete_guardrail", "guardrail_id"),
    ResourceKind.CONFIG: ("create_config", "update_config", "delete_config", "slug"),
    ResourceKind.RATE_LIMIT: ("create_rate_limit", "update_rate_limit", "delete_rate_limit", "id"),
    ResourceKind.USAGE_LIMIT: ("create_usage_limit", "update_usage_limit", "delete_usage_limit", "id"),
}


@dataclass
class Step:
    """One write made (or attempted) by apply."""

    address: str
    action: Action
    ok: bool
    detail: str = ""


@dataclass
class ApplyResult:
    steps: list[Step] = field(default_factory=list)
    failed: Step | None = None
    requests: int = 0
    lock: Any = None  # the Lock describing what is now applied (set after a successful run)

    @property
    def writes(self) -> int:
        return sum(1 for s in self.steps if s.ok)


class ApplyError(PortkeyError):
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
    ) -> None:
        self.client = client
        self.resources = resources
        self.refs = refs
        self.workspace = workspace
        self.default_collection = default_collection
        self.secrets = secrets
        self.hook = hook
        self.result = ApplyResult()
        self._new_versions: dict[str, tuple[int, str]] = {}  # address -> (number, version id)
        self._ids: dict[str, str] = {}  # address -> remote id (objects created in this run)

    async def run(self, plan: Plan) -> ApplyResult:
        start = self.client.request_count
        changes = [c for c in sorted(plan.changes, key=lambda c: c.order) if not c.is_noop]
        try:
            for change in changes:
                await self._phase_one(change)
            for kind in ("partial", "prompt"):
                for change in changes:
                    if change.kind == kind and Action.PUBLISH in change.actions:
                        await self._step(change, Action.PUBLISH, self._publish)
            for change in changes:
                if Action.LABEL in change.actions:
                    await self._step(change, Action.LABEL, self._label)
            for change in changes:
                for action in (Action.DELETE, Action.ARCHIVE):
                    if action in change.actions:
                        await self._step(change, action, self._delete)
        finally:
            self.result.requests = self.client.request_count - start
        return self.result

    async def _phase_one(self, change: Change) -> None:
        updated = False  # one PUT carries a rename, an adoption and an in-place update together
        for action in change.actions:
            if action is Action.CREATE:
                await self._step(change, action, self._create)
            elif action in (Action.MOVE, Action.UPDATE, Action.ADOPT) and not updated:
                await self._step(change, action, self._update)
                updated = True
            elif action is Action.NEW_VERSION:
                await self._step(change, action, self._new_version)
            elif action is Action.REPLACE:
                await self._step(change, Action.DELETE, self._delete)
                await self._step(change, Action.CREATE, self._create)

    async def _step(self, change: Change, action: Action, run: Callable[[Change], Any]) -> None:
        try:
            detail = await run(change)
        except PortkeyError as exc:
            step = Step(change.address, action, False, str(exc))
            self.result.failed = step
            self.result.steps.append(step)
            if self.hook:
                self.hook(step)
            phase = "before anything was published" if action not in (Action.PUBLISH, Action.LABEL) else ""
            raise ApplyError(
                f"{action.value} {change.address} failed {phase}: {exc}. "
                "Fix the cause and run apply again; it continues from where it stopped.",
                self.result,
            ) from None
        step = Step(change.address, action, True, detail or "")
        self.result.steps.append(step)
        if self.hook:
            self.hook(step)

    def _resource(self, change: Change) -> Resource:
        resource = self.resources.get(change.address)
        if resource is None:
            raise PortkeyError(f"{change.address} is not in the repository any more; plan again")
        return resource

    def _id(self, change: Change) -> str:
        return self._ids.get(change.address) or str(change.payload.get("id") or "")

    def _target(self, kind: ResourceKind, change: Change) -> str:
        """The identifier the update/delete operation takes."""
        if kind is ResourceKind.CONFIG:
            return str(change.payload.get("slug") or self._id(change))
        return self._id(change)

    async def _create(self, change: Change) -> str:
        resource = self._resource(change)
        spec = self.secrets(resource)
        body = kinds.create_body(
            resource, spec, change.payload["name"], self.refs, self.workspace, self.default_collection
        )
        created = await self.client.call(OPS[resource.kind][0], body=body)
        remote_id = str(created.get("id") or created.get("slug"))
        slug = created.get("slug")
        self._ids[change.address] = remote_id
        change.payload["slug"] = slug
        if resource.kind in (ResourceKind.PARTIAL, ResourceKind.GUARDRAIL):
            self.refs[change.address] = slug or remote_id
        else:
            self.refs[change.address] = remote_id
        if resource.kind is ResourceKind.LABEL:
            self.refs[f"label:{body['name']}"] = remote_id
        if resource.kind is ResourceKind.PROMPT:
            self._new_versions[change.address] = (1, str(created.get("version_id") or ""))
        return f"id {remote_id}" + (f", slug {slug}" if slug else "")

    async def _update(self, change: Change) -> str:
        resource = self._resource(change)
        spec = self.secrets(resource)
        body = kinds.update_body(resource, spec, change.payload["name"], self.refs)
        if resource.kind is ResourceKind.PROMPT and "collection" in change.payload:
            collection = change.payload["collection"]
            body["collection_id"] = (
                self.refs.get(f"collection:{collection}") if collection else self.default_collection
            )
        _, update_op, _, id_arg = OPS[resource.kind]
        await self.client.call(update_op, body=body, **{id_arg: self._target(resource.kind, change)})
        return ""

    async def _new_version(self, change: Change) -> str:
        resource = self._resource(change)
        spec = self.secrets(resource)
        remote_id = self._id(change)
        if resource.kind is ResourceKind.PROMPT:
            answer = await self.client.call(
                "update_prompt", body=kinds.version_body(resource, spec, self.refs), prompt_id=remote_id
            )
            version_id = str(answer.get("prompt_version_id") or "")
            versions = await self.client.call("list_prompt_versions", prompt_id=remote_id)
            rows = versions if isinstance(versions, list) else versions.get("data", [])
            number = next((int(r["prompt_version"]) for r in rows if str(r.get("id")) == version_id), None)
            if number is None:
                number = max((int(r["prompt_version"]) for r in rows), default=0)
        else:
            note = spec.get("version_description")
            body = {"string": kinds.resolve_partials(spec["string"], self.refs)}
            if note:
                body.update({"version_description": note, "description": note})
            answer = await self.client.call("update_prompt_partial", body=body, prompt_partial_id=remote_id)
            version_id = str(answer.get("prompt_partial_version_id") or "")
            versions = await self.client.call("list_partial_versions", prompt_partial_id=remote_id)
            rows = versions if isinstance(versions, list) else versions.get("data", [])
            number = max((int(r["version"]) for r in rows), default=0)
            for row in rows:
                if str(row.get("prompt_partial_version_id")) == version_id:
                    number = int(row["version"])
        self._new_versions[change.address] = (number, version_id)
        return f"v{number} (unpublished)"

    async def _publish(self, change: Change) -> str:
        kind, _ = split_address(change.address)
        target = change.payload.get("publish")
        number = self._new_versions[change.address][0] if target == "new" else int(target)
        op, id_arg = ("publish_partial", "prompt_partial_id") if kind is ResourceKind.PARTIAL else (
            "publish_prompt", "prompt_id")
        await self.client.call(op, body={"version": number}, **{id_arg: self._id(change)})
        return f"v{number} is now the default"

    async def _label(self, change: Change) -> str:
        target = change.payload.get("label_target")
        if target in ("new", "created"):
            version_id = self._new_versions[change.address][1]
        else:
            version_id = str(change.payload.get("label_version_id") or "")
        for label in change.payload.get("labels", []):
            label_id = self.refs.get(f"label:{label}")
            if not label_id:
                raise PortkeyError(f"label {label!r} does not exist in Portkey; declare labels/{label}.label.yaml")
            await self.client.call(
                "update_prompt_version", body={"label_id": label_id},
                prompt_id=self._id(change), version_id=version_id,
            )
        return ", ".join(change.payload.get("labels", []))

    async def _delete(self, change: Change) -> str:
        kind, _ = split_address(change.address)
        _, _, delete_op, id_arg = OPS[kind]
        await self.client.call(delete_op, **{id_arg: self._target(kind, change)})
        self._ids.pop(change.address, None)
        change.payload["id"] = None
        return ""
