"""Shared pieces of the hand-written tools: optional-argument aliases, prompt lookups, comparison."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from pydantic import WithJsonSchema

from engine.portkey import PortkeyClient

# Optional arguments that advertise a plain type (no nullable anyOf); None means "not given".
OptStr = Annotated[str | None, WithJsonSchema({"type": "string"})]
OptObject = Annotated[dict[str, Any] | None, WithJsonSchema({"type": "object", "additionalProperties": True})]
OptObjects = Annotated[list[dict[str, Any]] | None, WithJsonSchema(
    {"type": "array", "items": {"type": "object", "additionalProperties": True}})]

SEARCH_PAGE_SIZE = 100
ENV_SUFFIXES = ("-dev", "-staging", "-prod")


def canonical(value: Any) -> str:
    """A stable text for comparing JSON values: key order and whitespace do not matter.

    A string holding JSON (a chat template) is compared by its parsed value.
    """
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def prompts_named(client: PortkeyClient, name: str, collection_id: str) -> list[dict[str, Any]]:
    """Every prompt of the collection whose name equals ``name`` ignoring case, over all result pages."""
    wanted = name.casefold()
    matches = []
    pager = client.paginate("list_prompts", page_size=SEARCH_PAGE_SIZE, collection_id=collection_id, search=name)
    async for item in pager:
        if isinstance(item, dict) and str(item.get("name", "")).casefold() == wanted:
            matches.append(item)
    if matches and any(m.get("collection_id") not in (None, collection_id) for m in matches):
        collection = await client.call("get_collection", collection_id=collection_id)
        same = {collection_id, collection.get("id"), collection.get("slug")}
        matches = [m for m in matches if m.get("collection_id") in same or m.get("collection_id") is None]
    return matches


async def latest_version(client: PortkeyClient, prompt_id: str) -> tuple[dict[str, Any], int | None]:
    """The prompt at its newest version (published or not) and the published version number."""
    published = await client.call("get_prompt", prompt_id=prompt_id)
    published_number = _number(published.get("prompt_version"))
    versions = await client.call("list_prompt_versions", prompt_id=prompt_id)
    items = versions.get("data", []) if isinstance(versions, dict) else versions
    numbers = [n for n in (_number(v.get("prompt_version", v.get("version"))) for v in items) if n is not None]
    newest = max(numbers, default=published_number)
    if newest is None or newest == published_number:
        return published, published_number
    return await client.call("get_prompt", prompt_id=prompt_id, version=newest), published_number


async def version_number(client: PortkeyClient, prompt_id: str, version_id: str | None) -> int | None:
    """The number of version ``version_id`` (updates answer with the id; publishing needs the number)."""
    if not version_id:
        return None
    versions = await client.call("list_prompt_versions", prompt_id=prompt_id)
    items = versions.get("data", []) if isinstance(versions, dict) else versions
    for item in items:
        if item.get("id") == version_id:
            return _number(item.get("prompt_version", item.get("version")))
    return None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
