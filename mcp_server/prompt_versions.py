"""Reading prompts for the tools that compare or publish versions.

``prompts_named`` finds a prompt by exact name over every search page; ``latest_version`` reads the
newest version (published or not), which is what an update patches and what a comparison must use;
``version_number`` turns the version id an update answers with into the number publishing needs;
``canonical`` is the comparison text of a field (key order and JSON whitespace do not matter).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from engine.portkey import PortkeyClient

SEARCH_PAGE_SIZE = 100


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


async def _versions(client: PortkeyClient, prompt_id: str) -> list[dict[str, Any]]:
    answer = await client.call("list_prompt_versions", prompt_id=prompt_id)
    items = answer.get("data", []) if isinstance(answer, dict) else answer
    return [item for item in items if isinstance(item, dict)]


async def latest_version(client: PortkeyClient, prompt_id: str) -> tuple[dict[str, Any], int | None]:
    """The prompt at its newest version (published or not) and the published version number."""
    published = await client.call("get_prompt", prompt_id=prompt_id)
    published_number = _number(published.get("prompt_version"))
    numbers = [n for n in (_number(v.get("prompt_version", v.get("version")))
                           for v in await _versions(client, prompt_id)) if n is not None]
    newest = max(numbers, default=published_number)
    if newest is None or newest == published_number:
        return published, published_number
    return await client.call("get_prompt", prompt_id=prompt_id, version=newest), published_number


async def version_number(client: PortkeyClient, prompt_id: str, version_id: str | None) -> int | None:
    """The number of version ``version_id`` (updates answer with the id; publishing needs the number)."""
    if not version_id:
        return None
    for item in await _versions(client, prompt_id):
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
