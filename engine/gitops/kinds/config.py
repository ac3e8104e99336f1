"""Configs: ``configs/<key>.config.yaml``; addressed by slug, may hold secrets, point at guardrails."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.canonical import strip_null_fields, strip_nulls
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.kinds.text import resolve_guardrails
from engine.gitops.loading.records import Loaded, RefSite
from engine.gitops.loading.values import Rules, everywhere
from engine.gitops.model import Resource, ResourceKind, address
from engine.gitops.schema import ConfigFile
from engine.portkey.normalize import flag

if TYPE_CHECKING:

    from pydantic import BaseModel

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import DataPath, YamlDoc


_GUARDRAIL_REF = re.compile(r"guardrail:(\S+)")


def _guardrail_refs(node: Any, path: DataPath) -> list[tuple[DataPath, str]]:
    """Every string of the exact form ``guardrail:<key>`` under ``node``."""
    if isinstance(node, dict):
        return [ref for k, v in node.items() for ref in _guardrail_refs(v, (*path, k))]
    if isinstance(node, list):
        return [ref for i, v in enumerate(node) for ref in _guardrail_refs(v, (*path, i))]
    if isinstance(node, str) and (match := _GUARDRAIL_REF.fullmatch(node)):
        return [(path, match.group(1))]
    return []


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
    file_model = ConfigFile
    live_at_once = True
    secret_bearing = True
    addressed_by_slug = True
    kept_when_omitted = ("is_default",)  # a default config is unset only by making another config the default

    detailed = True

    def secret_rules(self) -> Rules | None:
        """Targets and custom headers go to providers: a secret-named field anywhere in a config holds a secret."""
        return Rules(secret_zone=everywhere)

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        """A config and the guardrails it names (``guardrail:<key>``)."""
        assert isinstance(parsed, ConfigFile)
        spec = {"name": parsed.name or key, "config": parsed.config, "is_default": parsed.is_default}
        loaded = Loaded(Resource(self.kind, key, spec, doc.location()), doc)
        for path, guardrail in _guardrail_refs(parsed.config, ("config",)):
            target = address(ResourceKind.GUARDRAIL, guardrail)
            loaded.resource.refs.add(target)
            message = f"unknown guardrail {guardrail}; declare guardrails/{guardrail}.guardrail.yaml"
            loaded.sites.append(RefSite(target, doc.location(path), message))
        return loaded

    async def detail(self, reader: Reader, obj: LiveObject) -> None:
        obj.raw = await reader.get("get_config", slug=obj.slug or obj.id)

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        config = exporter.guardrail_refs(config_json(obj.raw))
        data: dict[str, Any] = {**exporter.display(self.kind, obj, key),
                                "config": exporter.secrets(config, key, [])}
        if obj.raw.get("is_default"):
            data["is_default"] = True
        exporter.resource(self.kind, key, data)

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
