"""Guardrails: ``guardrails/<key>.guardrail.yaml``; checks may hold secrets; configs point at them by slug."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.canonical import strip_null_fields, strip_nulls
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.loading.records import Loaded
from engine.gitops.loading.values import Rules, everywhere
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.schema import GuardrailFile
from engine.portkey.normalize import flag

if TYPE_CHECKING:

    from pydantic import BaseModel

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc


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
    file_model = GuardrailFile
    live_at_once = True
    secret_bearing = True
    referenced_by_slug = True

    detailed = True

    async def detail(self, reader: Reader, obj: LiveObject) -> None:
        obj.raw = await reader.get("get_guardrail", guardrail_id=obj.id)
        obj.slug = obj.raw.get("slug", obj.slug)

    def secret_rules(self) -> Rules | None:
        """Check parameters, custom headers and actions go to providers and webhooks: a secret-named field
        anywhere in a guardrail holds a secret."""
        return Rules(secret_zone=everywhere)

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        assert isinstance(parsed, GuardrailFile)
        spec = {
            "name": parsed.name or key,
            "checks": [check.model_dump() for check in parsed.checks],
            "actions": parsed.actions,
        }
        return Loaded(Resource(self.kind, key, spec, doc.location()), doc)

    def exported_reference(self, key: str) -> str | None:
        return f"guardrail:{key}"

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        from engine.gitops.export import without_nulls

        checks = [
            without_nulls({k: c.get(k) for k in ("id", "name", "parameters", "is_enabled")})
            for c in obj.raw.get("checks") or []
        ]
        data = {**exporter.display(self.kind, obj, key),
                "checks": exporter.secrets(checks, key, []), "actions": obj.raw.get("actions") or {}}
        exporter.resource(self.kind, key, data)

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
