"""Rate limits: ``limits/<key>.rate-limit.yaml``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.kinds.base import Operations, Refs, ScratchRole
from engine.gitops.kinds.limits import LimitKind
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.schema import RateLimitFile

if TYPE_CHECKING:


    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc

RATE_FIELDS = ("conditions", "group_by", "type", "unit", "value")


class RateLimitKind(LimitKind):
    kind = ResourceKind.RATE_LIMIT
    suffix = ".rate-limit.yaml"
    operations = Operations("get_rate_limit", "create_rate_limit", "update_rate_limit", "delete_rate_limit", "id")
    listing = "list_rate_limits"
    scratch_role = ScratchRole.POLICY
    fields = RATE_FIELDS
    file_model = RateLimitFile
    overridable = ("value", "unit")

    def spec_of(self, ctx: Context, key: str, doc: YamlDoc, parsed: Any) -> dict[str, Any] | None:
        assert isinstance(parsed, RateLimitFile)
        return {"unit": parsed.unit, "value": parsed.value}

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        values = {k: obj.raw.get(k) for k in RATE_FIELDS}
        exporter.resource(self.kind, key, {**exporter.display(self.kind, obj, key), **values})

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        """``conditions`` are sent only when they changed, so an older backend still takes a value change."""
        extra = {"conditions": spec.get("conditions") or []} if "conditions" in changed else {}
        return {"name": name, "unit": spec.get("unit"), "value": spec.get("value"), **extra}
