"""Guardrails: ``guardrails/<key>.guardrail.yaml``; checks may hold secrets; configs point at them by slug."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.gitops.canonical import strip_null_fields, strip_nulls
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.live import LiveObject
from engine.gitops.model import Resource, ResourceKind
from engine.portkey.normalize import flag


def _checks(checks: list[Any]) -> list[Any]:
    """Checks with ``is_enabled`` as a boolean (absent: enabled; Portkey's ``0``/``1`` as booleans)."""
    return [
        strip_nulls({**c, "is_enabled": flag(c.get("is_enabled", True)) is not False}) if isinstance(c, dict) else c
        for c in checks
    ]


def _content(source: Mapping[str, Any]) -> dict[str, Any]:
    """Checks and actions; a malformed live value (not a list) is kept as is, so it shows as a change."""
    checks = source.get("checks") or []
    return {"checks": _checks(checks) if isinstance(checks, list) else checks,
            "actions": strip_nulls(source.get("actions") or {})}


class GuardrailKind(Kind):
    kind = ResourceKind.GUARDRAIL
    directory, suffix = "guardrails", ".guardrail.yaml"
    operations = Operations(
        "get_guardrail", "create_guardrail", "update_guardrail", "delete_guardrail", "guardrail_id")
    listing = "list_guardrails"
    live_at_once = True
    secret_bearing = True
    referenced_by_slug = True

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        return _content(resource.spec)

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        return _content(obj.raw)

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        return strip_null_fields({"name": name, "checks": spec.get("checks") or [],
                                  "actions": spec.get("actions") or {},
                                  **({"workspace_id": workspace} if workspace else {})})

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        return strip_null_fields({"name": name, "checks": spec.get("checks") or [],
                                  "actions": spec.get("actions") or {}})
