"""What MCP integrations and servers share: paging with `has_more`, the 1-based `page`
dialect, and capabilities (tools, prompts, resources, resource templates).

No network is used: an integration's capabilities and metadata are synthesised from its URL,
deterministically, as if Portkey had synced them from the remote MCP server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sandbox.errors import invalid
from sandbox.paging import page
from sandbox.store import Doc

T = TypeVar("T")
CAPABILITY_TYPES = ("tool", "prompt", "resource", "resource_template")
_COUNT_KEYS = {"tool": "tools", "prompt": "prompts", "resource": "resources",
               "resource_template": "resource_templates"}
PROTOCOL_VERSION = "2025-06-18"

# (type, name, title, description)
_CATALOGUE = (
    ("tool", "search", "Search", "Full-text search over the server's items"),
    ("tool", "fetch", "Fetch", "Fetch one item by id"),
    ("tool", "create_item", "Create item", "Create an item"),
    ("tool", "update_item", "Update item", "Change an item"),
    ("tool", "delete_item", "Delete item", "Delete an item"),
    ("prompt", "summarize", "Summarize", "Summarise a set of items"),
    ("prompt", "triage", "Triage", "Sort new items by urgency"),
    ("resource", "readme", "README", "What this server offers"),
    ("resource", "changelog", "Changelog", "Recent changes"),
    ("resource_template", "item", "Item", "One item by id"),
)


def host(url: str) -> str:
    """The host of an integration URL."""
    return urlsplit(url).hostname or url


def server_name(url: str) -> str:
    """The name the remote server reports (deterministic from its host)."""
    return f"{host(url)} MCP"


def synced_capabilities(url: str, now: str) -> list[dict[str, Any]]:
    """The capabilities a sync of the server at `url` finds; all enabled."""
    out = []
    for kind, name, title, description in _CATALOGUE:
        item: dict[str, Any] = {
            "name": name, "type": kind, "title": title, "description": description,
            "enabled": True, "created_at": now, "last_updated_at": now,
        }
        if kind == "tool":
            item["input_schema"] = {"type": "object", "properties": {"query": {"type": "string"}}}
            item["annotations"] = {"destructiveHint": name == "delete_item"}
        elif kind == "prompt":
            item["arguments"] = [{"name": "items", "required": False}]
        elif kind == "resource":
            item["uri"] = f"mcp://{host(url)}/{name}"
            item["mime_type"] = "text/markdown"
        else:
            item["uri_template"] = f"mcp://{host(url)}/items/{{id}}"
        out.append(item)
    return out


def metadata(url: str, synced_at: str) -> dict[str, Any]:
    """`GET /mcp-integrations/{id}/metadata` for a server synced at `synced_at`."""
    return {
        "server_name": server_name(url),
        "server_version": "1.0.0",
        "protocol_version": PROTOCOL_VERSION,
        "capability_flags": {"tools": {"listChanged": True}, "prompts": {}, "resources": {"subscribe": False}},
        "sync_status": "synced",
        "last_synced_at": synced_at,
        "sync_error": None,
    }


def counts(items: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """`{tools: {total, enabled}, prompts: …, resources: …, resource_templates: …}`."""
    out = {key: {"total": 0, "enabled": 0} for key in _COUNT_KEYS.values()}
    for item in items:
        bucket = out[_COUNT_KEYS[item["type"]]]
        bucket["total"] += 1
        bucket["enabled"] += int(bool(item["enabled"]))
    return out


def type_filter(query: Mapping[str, str]) -> str | None:
    """The `type` query (tool, prompt, resource, resource_template); 400 otherwise."""
    kind = query.get("type")
    if kind in (None, ""):
        return None
    if kind not in CAPABILITY_TYPES:
        raise invalid("type", f"must be one of {', '.join(CAPABILITY_TYPES)}")
    return kind


def toggles(body: Mapping[str, Any], known: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, bool]]:
    """The `capabilities[{name, type, enabled}]` of a bulk update, each naming a known capability."""
    items = body.get("capabilities")
    if not isinstance(items, list) or not items:
        raise invalid("capabilities", "must be a non-empty array")
    names = {(c["type"], c["name"]) for c in known}
    out = []
    for i, item in enumerate(items):
        where = f"capabilities[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "must be an object")
        kind, name, enabled = item.get("type"), item.get("name"), item.get("enabled")
        if kind not in CAPABILITY_TYPES:
            raise invalid(f"{where}.type", f"must be one of {', '.join(CAPABILITY_TYPES)}")
        if not isinstance(name, str) or not name:
            raise invalid(f"{where}.name", "field required")
        if not isinstance(enabled, bool):
            raise invalid(f"{where}.enabled", "must be true or false")
        if (kind, name) not in names:
            raise invalid(f"{where}.name", f"no {kind} '{name}' on this server")
        out.append((kind, name, enabled))
    return out


def _positive(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(name, "must be an integer >= 1")
    return int(raw)


def one_based_page(items: Sequence[T], query: Mapping[str, str], default_size: int = 100) -> tuple[list[T], bool]:
    """The `page` (1-based) of `page_size` items, and whether more pages follow."""
    number = _positive(query, "page", 1)
    size = _positive(query, "page_size", default_size)
    start = (number - 1) * size
    return list(items[start : start + size]), start + size < len(items)


def offset_page(items: Sequence[Doc], query: Mapping[str, str]) -> tuple[list[Doc], bool]:
    """The `current_page` (0-based) of `page_size` items, and whether more pages follow."""
    chosen = page(items, query)
    if not chosen:
        return chosen, False
    last = next(i for i, item in enumerate(items) if item is chosen[-1] or item == chosen[-1])
    return chosen, last + 1 < len(items)
