"""Usage limits: ``limits/<key>.usage-limit.yaml``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.gitops.kinds.base import Operations, Refs
from engine.gitops.kinds.limits import LimitKind
from engine.gitops.model import Resource, ResourceKind

USAGE_FIELDS = (
    "conditions", "group_by", "type", "credit_limit", "alert_threshold", "periodic_reset", "periodic_reset_days",
)


class UsageLimitKind(LimitKind):
    kind = ResourceKind.USAGE_LIMIT
    suffix = ".usage-limit.yaml"
    operations = Operations(
        "get_usage_limit", "create_usage_limit", "update_usage_limit", "delete_usage_limit", "id")
    listing = "list_usage_limits"
    listing_query = {"status": "active"}  # noqa: RUF012 - read only
    fields = USAGE_FIELDS
    archived = True

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        """``conditions`` and ``periodic_reset_days`` are sent only when they changed (or the latter is set),
        so an account that does not know them still takes a plain value change."""
        extra: dict[str, Any] = {"conditions": spec.get("conditions") or []} if "conditions" in changed else {}
        if spec.get("periodic_reset_days") is not None or "periodic_reset_days" in changed:
            extra["periodic_reset_days"] = spec.get("periodic_reset_days")
        return {  # nulls are sent: they remove a threshold or a reset the file no longer has
            "name": name, "credit_limit": spec.get("credit_limit"),
            "alert_threshold": spec.get("alert_threshold"), "periodic_reset": spec.get("periodic_reset"), **extra,
        }
