"""Usage limits: ``limits/<key>.usage-limit.yaml``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.kinds.base import Operations, Refs
from engine.gitops.kinds.limits import LimitKind
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.schema import UsageLimitFile, check_reset, check_threshold

if TYPE_CHECKING:


    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc

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
    file_model = UsageLimitFile
    overridable = ("credit_limit", "alert_threshold", "periodic_reset", "periodic_reset_days")

    def check_values(self, spec: Mapping[str, Any]) -> None:
        check_threshold(spec["credit_limit"], spec["alert_threshold"])
        check_reset(spec.get("periodic_reset"), spec.get("periodic_reset_days"))

    def spec_of(self, ctx: Context, key: str, doc: YamlDoc, parsed: Any) -> dict[str, Any] | None:
        assert isinstance(parsed, UsageLimitFile)
        try:
            check_threshold(parsed.credit_limit, parsed.alert_threshold)
        except ValueError as exc:
            ctx.error(str(exc), doc.location(("alert_threshold",)))
            return None
        return {
            "credit_limit": parsed.credit_limit,
            "alert_threshold": parsed.alert_threshold,
            "periodic_reset": parsed.periodic_reset,
            "periodic_reset_days": parsed.periodic_reset_days,
        }

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        from engine.gitops.export import without_nulls

        values = without_nulls({k: obj.raw.get(k) for k in USAGE_FIELDS})
        exporter.resource(self.kind, key, {**exporter.display(self.kind, obj, key), **values})

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
