"""Rate limits: ``limits/<key>.rate-limit.yaml``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.gitops.kinds.base import Operations, Refs
from engine.gitops.kinds.limits import LimitKind
from engine.gitops.model import Resource, ResourceKind

RATE_FIELDS = ("conditions", "group_by", "type", "unit", "value")


class RateLimitKind(LimitKind):
    kind = ResourceKind.RATE_LIMIT
    suffix = ".rate-limit.yaml"
    operations = Operations("get_rate_limit", "create_rate_limit", "update_rate_limit", "delete_rate_limit", "id")
    listing = "list_rate_limits"
    fields = RATE_FIELDS

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        """``conditions`` are sent only when they changed, so an older backend still takes a value change."""
        extra = {"conditions": spec.get("conditions") or []} if "conditions" in changed else {}
        return {"name": name, "unit": spec.get("unit"), "value": spec.get("value"), **extra}
