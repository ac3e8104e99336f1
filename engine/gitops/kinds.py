"""Per-kind knowledge: comparable content, request bodies, immutable fields.

``desired(resource, refs)`` and ``live(obj)`` return the same shape for a kind,
so comparing them is comparing canonical JSON. ``refs`` maps logical addresses
to live identifiers (partial slugs, guardrail ids, collection ids) and is filled
as apply creates objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from engine.gitops.canonical import content_hash, strip_nulls
from engine.gitops.live import META_KEY, LiveObject, label_description, strip_label_mark
from engine.gitops.model import Resource, ResourceKind

Refs = Mapping[str, str]

_PARTIAL_TAG = re.compile(r"\{\{>\s*([A-Za-z0-9_\-/.]+?)(@\d+)?\s*\}\}")
_GUARDRAIL_REF = re.compile(r"^guardrail:(.+)$")

VERSIONED = frozenset({ResourceKind.PROMPT, ResourceKind.PARTIAL})
IMMUTABLE: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.RATE_LIMIT: ("conditions", "group_by", "type"),
    ResourceKind.USAGE_LIMIT: ("conditions", "group_by", "type"),
    ResourceKind.COLLECTION: ("parent",),
}


def unresolved(address: str) -> str:
    """Placeholder for an object that does not exist yet."""
    return f"<{address}>"


def resolve_partials(text: str, refs: Refs) -> str:
    """``{{>tone}}`` → ``{{>pp-tone-1a2b3c}}`` using live partial slugs."""

    def swap(match: re.Match[str]) -> str:
        address = f"partial:{match.group(1)}"
        slug = refs.get(address, unresolved(address))
        return "{{>" + slug + (match.group(2) or "") + "}}"

    return _PARTIAL_TAG.sub(swap, text)


def _resolve_guardrails(value: Any, refs: Refs) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_guardrails(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_guardrails(v, refs) for v in value]
    if isinstance(value, str) and _GUARDRAIL_REF.match(value):
        return refs.get(value, unresolved(value))
    return value


def prompt_string(spec: Mapping[str, Any], refs: Refs) -> str:
    """The ``string`` Portkey stores: the template, or the chat messages as one JSON string."""
    if spec.get("messages") is not None:
        messages = [
            {"role": m["role"], "content": resolve_partials(m["content"], refs)} for m in spec["messages"]
        ]
        return json.dumps(messages, ensure_ascii=False)
    return resolve_partials(spec.get("template") or "", refs)


def _decode_string(text: Any) -> Any:
    """A chat template compares as its message list, so JSON spacing does not matter."""
    if isinstance(text, str) and text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def desired(resource: Resource, refs: Refs) -> dict[str, Any]:
    """Comparable content of a desired resource."""
    spec = resource.spec
    kind = resource.kind
    if kind is ResourceKind.PROMPT:
        return _prompt_content(spec, prompt_string(spec, refs), spec.get("metadata") or {})
    if kind is ResourceKind.PARTIAL:
        return {"string": resolve_partials(spec.get("string") or "", refs)}
    if kind is ResourceKind.LABEL:
        return strip_nulls({"description": spec.get("description"), "color_code": spec.get("color_code")})
    if kind is ResourceKind.COLLECTION:
        return {"parent": spec.get("parent")}
    if kind is ResourceKind.CONFIG:
        return {"config": _resolve_guardrails(spec.get("config") or {}, refs)}
    if kind is ResourceKind.GUARDRAIL:
        return {"checks": _checks(spec.get("checks") or []), "actions": spec.get("actions") or {}}
    return _limit_fields(kind, spec)


RATE_FIELDS = ("conditions", "group_by", "type", "unit", "value")
USAGE_FIELDS = ("conditions", "group_by", "type", "credit_limit", "alert_threshold", "periodic_reset")


def _limit_fields(kind: ResourceKind, source: Mapping[str, Any]) -> dict[str, Any]:
    """A rate or usage limit's comparable fields (absent usage fields and null compare equal)."""
    if kind is ResourceKind.RATE_LIMIT:
        return {k: source.get(k) for k in RATE_FIELDS}
    return strip_nulls({k: source.get(k) for k in USAGE_FIELDS})


def _prompt_content(source: Mapping[str, Any], string: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """A prompt version's comparable fields; empty lists and missing fields compare equal."""
    return strip_nulls({
        "string": _decode_string(string),
        "parameters": source.get("parameters") or {},
        "model": source.get("model"),
        "virtual_key": source.get("virtual_key"),
        "functions": source.get("functions") or None,
        "tools": source.get("tools") or None,
        "tool_choice": source.get("tool_choice") or None,
        "metadata": metadata,
    })


def _checks(checks: list[Any]) -> list[Any]:
    return [
        strip_nulls({**c, "is_enabled": c.get("is_enabled", True) is not False}) if isinstance(c, dict) else c
        for c in checks
    ]


def live(obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Comparable content of a live object (the latest version for versioned kinds)."""
    raw = obj.raw
    kind = obj.kind
    if kind is ResourceKind.PROMPT:
        latest = obj.latest
        metadata = dict(latest.get("template_metadata") or {})
        metadata.pop(META_KEY, None)
        return _prompt_content(latest, latest.get("string"), metadata)
    if kind is ResourceKind.PARTIAL:
        return {"string": obj.latest.get("string") or ""}
    if kind is ResourceKind.LABEL:
        return strip_nulls(
            {"description": strip_label_mark(raw.get("description")), "color_code": raw.get("color_code")}
        )
    if kind is ResourceKind.COLLECTION:
        parent = raw.get("parent_collection_id")
        return {"parent": (collection_keys or {}).get(str(parent), parent) if parent else None}
    if kind is ResourceKind.CONFIG:
        config = raw.get("config")
        return {"config": config if isinstance(config, dict) else {}}
    if kind is ResourceKind.GUARDRAIL:
        return {"checks": _checks(raw.get("checks") or []), "actions": raw.get("actions") or {}}
    return _limit_fields(kind, raw)


def prompt_metadata(resource: Resource, content: dict[str, Any]) -> dict[str, Any]:
    """template_metadata carrying the user's metadata plus our marker and content hash."""
    return {
        **(resource.spec.get("metadata") or {}),
        META_KEY: {"key": resource.key, "hash": content_hash(content)},
    }


def stamped_hash(obj: LiveObject) -> str | None:
    """The content hash our marker recorded in the latest prompt version, if any."""
    meta = (obj.latest.get("template_metadata") or {}).get(META_KEY)
    return meta.get("hash") if isinstance(meta, dict) else None


def create_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
    default_collection: str | None,
) -> dict[str, Any]:
    """Body of the create request; ``spec`` has secrets resolved."""
    kind = resource.kind
    ws = {"workspace_id": workspace} if workspace else {}
    if kind is ResourceKind.PROMPT:
        content = desired(resource, refs)
        collection = spec.get("collection")
        body = {
            "name": name,
            "collection_id": refs.get(f"collection:{collection}") if collection else default_collection,
            **version_body(resource, spec, refs),
            "template_metadata": prompt_metadata(resource, content),
        }
        body.pop("prompt_metadata", None)
        return strip_nulls(body)
    if kind is ResourceKind.PARTIAL:
        return strip_nulls({
            "name": name, "string": resolve_partials(spec["string"], refs),
            "version_description": spec.get("version_description"), **ws,
        })
    if kind is ResourceKind.LABEL:
        return strip_nulls({
            "name": name, "description": label_description(spec.get("description")),
            "color_code": spec.get("color_code"), **ws,
        })
    if kind is ResourceKind.COLLECTION:
        parent = spec.get("parent")
        return strip_nulls({
            "name": name, "parent_collection_id": refs.get(f"collection:{parent}") if parent else None, **ws,
        })
    if kind is ResourceKind.CONFIG:
        return strip_nulls({
            "name": name, "config": _resolve_guardrails(spec.get("config") or {}, refs),
            "isDefault": 1 if spec.get("is_default") else None, **ws,
        })
    if kind is ResourceKind.GUARDRAIL:
        return {"name": name, "checks": spec.get("checks") or [], "actions": spec.get("actions") or {}, **ws}
    fields = desired(resource, refs)
    return strip_nulls({"name": name, **fields, **ws})


def version_body(resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
    """Every version field of a prompt, for a create or a new version."""
    content = desired(resource, refs)
    return strip_nulls({
        "string": prompt_string(spec, refs),
        "parameters": spec.get("parameters") or {},
        "model": spec.get("model"),
        "virtual_key": spec.get("virtual_key"),
        "functions": spec.get("functions") or None,
        "tools": spec.get("tools") or None,
        "tool_choice": spec.get("tool_choice") or None,
        "version_description": spec.get("version_description"),
        "prompt_metadata": prompt_metadata(resource, content),
    })


def update_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs
) -> dict[str, Any]:
    """Body of an in-place update (everything that is not a new version)."""
    kind = resource.kind
    if kind in (ResourceKind.PROMPT, ResourceKind.PARTIAL, ResourceKind.COLLECTION):
        return {"name": name}
    if kind is ResourceKind.LABEL:
        return strip_nulls({"description": label_description(spec.get("description")),
                            "color_code": spec.get("color_code")})
    if kind is ResourceKind.CONFIG:
        return {"name": name, "config": _resolve_guardrails(spec.get("config") or {}, refs)}
    if kind is ResourceKind.GUARDRAIL:
        return {"name": name, "checks": spec.get("checks") or [], "actions": spec.get("actions") or {}}
    if kind is ResourceKind.RATE_LIMIT:
        return {"name": name, "unit": spec.get("unit"), "value": spec.get("value")}
    return strip_nulls({
        "name": name, "credit_limit": spec.get("credit_limit"),
        "alert_threshold": spec.get("alert_threshold"), "periodic_reset": spec.get("periodic_reset"),
    })
