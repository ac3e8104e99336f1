"""Configs: ``configs/<key>.config.yaml``; addressed by slug, may hold secrets, point at guardrails."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from engine.gitops.canonical import strip_null_fields, strip_nulls
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.kinds.text import resolve_guardrails
from engine.gitops.live import LiveObject
from engine.gitops.model import Resource, ResourceKind
from engine.portkey.normalize import flag


def config_json(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A live config's body, which Portkey may hand back as a JSON string."""
    config = raw.get("config")
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return {}
    return config if isinstance(config, dict) else {}


def _content(config: Any, is_default: bool) -> dict[str, Any]:
    """``is_default`` only when set: Portkey unsets a default config only by making another the default."""
    content: dict[str, Any] = {"config": strip_nulls(config if isinstance(config, dict) else {})}
    if is_default:
        content["is_default"] = True
    return content


class ConfigKind(Kind):
    kind = ResourceKind.CONFIG
    directory, suffix = "configs", ".config.yaml"
    operations = Operations("get_config", "create_config", "update_config", "delete_config", "slug")
    listing = "list_configs"
    live_at_once = True
    secret_bearing = True
    addressed_by_slug = True
    kept_when_omitted = ("is_default",)  # a default config is unset only by making another config the default

    def settle(self, wanted: dict[str, Any], have: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """An existing config cannot be made the default through the API: nothing shows a PUT honours
        ``is_default`` (only create takes ``isDefault``). Warn, and leave it out of the comparison so the
        plan does not try (and re-plan) forever."""
        if bool(wanted.get("is_default")) == bool(have.get("is_default")):
            return wanted, have, None
        return (
            {k: v for k, v in wanted.items() if k != "is_default"},
            {k: v for k, v in have.items() if k != "is_default"},
            "is_default cannot be changed on an existing config through Portkey's API; "
            "make it the workspace default in the Portkey app (the plan leaves it as it is)",
        )

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        spec = resource.spec
        return _content(resolve_guardrails(spec.get("config") or {}, refs), bool(spec.get("is_default")))

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        return _content(config_json(obj.raw), flag(obj.raw.get("is_default")) is True)

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        return strip_null_fields({
            "name": name, "config": resolve_guardrails(spec.get("config") or {}, refs),
            "isDefault": 1 if spec.get("is_default") else None,
            **({"workspace_id": workspace} if workspace else {}),
        })

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        # No `isDefault`/`is_default`: nothing shows Portkey honours it on PUT (the spec's ConfigUpdate has
        # neither; only create takes `isDefault`). The planner says a default cannot be changed here.
        return strip_null_fields({"name": name, "config": resolve_guardrails(spec.get("config") or {}, refs)})
