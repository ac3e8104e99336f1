"""What rate and usage limits (policies) share: compared fields, replacement on ``group_by``/``type``.

Policy ``conditions`` are updatable since backend v1.16.0 (docs-core changelog/backend.mdx, "Policy
Conditions — Updatable": PUT on usage- and rate-limit policies accepts ``conditions``), so they are not
immutable: they are ``conditions_put`` (see behaviour switch ``policy_conditions_put``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Refs
from engine.gitops.loading.records import Loaded
from engine.gitops.model import Resource

if TYPE_CHECKING:

    from pydantic import BaseModel

    from engine.gitops.live import LiveObject
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc


class LimitKind(Kind):
    """A policy; ``fields`` are the ones compared."""

    fields: ClassVar[tuple[str, ...]]
    directory = "limits"
    live_at_once = True
    immutable = ("group_by", "type")
    conditions_put = ("conditions",)
    update_names_changes = True
    limit = True

    def spec_of(self, ctx: Context, key: str, doc: YamlDoc, parsed: Any) -> dict[str, Any] | None:
        """The kind's own fields of a validated file (None after reporting an error)."""
        raise NotImplementedError

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        own = self.spec_of(ctx, key, doc, parsed)
        if own is None:
            return None
        spec = {
            "name": getattr(parsed, "name", None) or key,
            "conditions": [c.model_dump() for c in getattr(parsed, "conditions", [])],
            "group_by": [g.model_dump() for g in getattr(parsed, "group_by", [])],
            "type": getattr(parsed, "type", None),
            **own,
        }
        return Loaded(Resource(self.kind, key, spec, doc.location()), doc)

    def content(self, source: Mapping[str, Any]) -> dict[str, Any]:
        """A limit's comparable fields (absent fields and null compare equal)."""
        return strip_null_fields({k: source.get(k) for k in self.fields})

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        return self.content(resource.spec)

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.content(obj.raw)

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        return strip_null_fields({"name": name, **self.content(spec),
                                  **({"workspace_id": workspace} if workspace else {})})
