"""Reading prompts for the tools that compare or publish versions.

``prompts_named`` finds a prompt by exact name over every search page; ``latest_version`` reads the
newest version (published or not), which is what an update patches and what a comparison must use;
``version_number`` turns the version id an update answers with into the number publishing needs;
``changed_fields`` compares version fields as the GitOps engine does (:func:`engine.gitops.kinds.live`),
so Portkey's own additions do not count as changes; ``canonical`` is the comparison text of any other
field (key order and JSON whitespace do not matter).

Portkey's answers (``shared/portkey-live/responses/prompts-get.json``) differ from what was sent:
``parameters`` also holds each template variable as ``""`` and a copy of ``model``; a chat template's
message content may come back as text parts; versions lists are ``{data: [...]}``, newest first.
The engine's comparison, imported at the first call (it is part of the GitOps engine, which the
server does not load at start), leaves those differences out.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from engine.portkey import PortkeyClient

SEARCH_PAGE_SIZE = 100
# the fields of a prompt version that make up its content (compared, and copied by promote_prompt)
VERSION_FIELDS = ("string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice")


def canonical(value: Any) -> str:
    """A stable text for comparing JSON values: key order and whitespace do not matter.

    A string holding JSON (a chat template) is compared by its parsed value.
    """
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def comparable(version: Mapping[str, Any]) -> dict[str, Any]:
    """A version's content fields as the GitOps engine compares them: a chat template as its message list
    (text parts as text), parameters without the template variables Portkey adds as ``""`` or its copy of
    ``model``, empty lists and nulls as absent."""
    from engine.gitops.kinds.prompt import PROMPT
    from engine.gitops.live import LiveObject

    latest = {name: version.get(name) for name in (*VERSION_FIELDS, "variable_components")}
    content = PROMPT.live(LiveObject(PROMPT.kind, id="", name="", latest=latest))
    content.pop("metadata", None)
    return content


def changed_fields(current: Mapping[str, Any], given: Mapping[str, Any]) -> list[str]:
    """The fields of ``given`` (an update's fields, the rest kept from ``current`` as ``patch`` does) whose
    value differs from the version ``current``; version content through :func:`comparable`."""
    stale = {"variable_components": None} if "string" in given else {}  # Portkey's list is of the old template
    before, after = comparable(current), comparable({**current, **given, **stale})
    changed = []
    for name, value in given.items():
        if name in VERSION_FIELDS:
            differs = canonical(before.get(name)) != canonical(after.get(name))
        else:
            differs = canonical(current.get(name)) != canonical(value)
        if differs:
            changed.append(name)
    return changed


def content_fields(version: Mapping[str, Any]) -> dict[str, Any]:
    """A version's content fields to copy into another prompt: as given, except ``parameters`` without what
    Portkey added on its own (:func:`comparable`), so a copy with another ``model`` carries no stale copy."""
    fields = {name: version[name] for name in VERSION_FIELDS if version.get(name) is not None}
    if "parameters" in fields:
        fields["parameters"] = comparable(version).get("parameters") or {}
    return fields


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
