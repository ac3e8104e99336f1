"""Tool results: Portkey's answer as structured content plus the same JSON as text.

Answers keep their shape (a non-object answer is wrapped as ``{"result": ...}``). Only list
tools have an output schema (:class:`ListPage`); writes have none, so a successful write can
never be lost to output validation.

Secrets: fields named like secrets (``api_key``, an ``Authorization`` header, ``*_secret`` ...)
are masked as ``(secret)`` and registered secret values are scrubbed (:mod:`engine.redaction`).
One-time secrets (a new or rotated API key) are the exception: listed in ``secret_fields``,
followed by a warning, shown in that one result, then registered so that they never reach a log
line or a later result.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, ContentBlock, TextContent
from pydantic import BaseModel, Field

from engine import redaction
from engine.portkey.operations import OPERATIONS
from mcp_server.scrubbing import show_once

# tool → fields of its answer that hold a secret shown only once
# One-time secrets per tool, from the operation declarations (Operation.secret_fields).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {op.name: op.secret_fields for op in OPERATIONS if op.secret_fields}

SECRET_WARNING = (
    "SECRET: {fields} in this result is shown only once and cannot be read back from Portkey. Store it in a "
    "secret manager now; do not repeat it in chat, files or commits."
)


class ListPage(BaseModel):
    """One page (or, with ``all``, every item up to the cap) of a Portkey list."""

    data: list[Any] = Field(description="The items, exactly as Portkey returned them.")
    returned: int = Field(description="Number of items in data.")
    total: int | None = Field(description="Portkey's total count, when it gives one.")
    has_more: bool = Field(description="True when more items exist beyond this result.")
    complete: bool = Field(description="True when data holds every item of the listing.")
    current_page: int | None = Field(description="The page returned; null when all=true.")
    page_size: int = Field(description="Page size used.")
    envelope: dict[str, Any] = Field(default_factory=dict,
                                     description="Other top-level fields of Portkey's answer.")
    note: str | None = Field(default=None, description="How to get the rest, when has_more is true.")


def to_json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def structured(answer: Any) -> dict[str, Any]:
    return answer if isinstance(answer, dict) else {"result": answer}


def _secret_holders(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    holders = [("", data)]
    if isinstance(data.get("data"), dict):
        holders.append(("data.", data["data"]))
    return holders


def _one_time_secrets(tool: str, content: dict[str, Any]) -> dict[str, str]:
    """Path → value of each fresh one-time secret in ``content`` (a value already known is no new secret)."""
    known = set(redaction.REGISTRY.values())
    found: dict[str, str] = {}
    for field in SECRET_FIELDS.get(tool, ()):
        for prefix, holder in _secret_holders(content):
            value = holder.get(field)
            if isinstance(value, str) and value and value not in known:
                found[prefix + field] = value
    return found


def _put(content: dict[str, Any], path: str, value: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        content = content[part]
    content[last] = value


def clean(data: Any) -> Any:
    """``data`` with secret-named fields masked and registered secret values scrubbed."""
    return redaction.scrub_data(redaction.mask_fields(data))


def ok(tool: str, answer: Any, *, extra_text: str | None = None) -> CallToolResult:
    """A success result, secrets masked; shows the one-time secrets of the tools in :data:`SECRET_FIELDS` once."""
    content = structured(answer)
    fresh = _one_time_secrets(tool, content)
    content = clean(content)
    for path, value in fresh.items():
        _put(content, path, value)
        redaction.register(value)
        show_once(value)
    found = list(fresh)
    texts: list[ContentBlock] = []
    if found:
        content = {**content, "secret_fields": found}
    texts.append(TextContent(type="text", text=to_json_text(content)))
    if found:
        texts.append(TextContent(type="text", text=SECRET_WARNING.format(fields=", ".join(found))))
    if extra_text:
        texts.append(TextContent(type="text", text=redaction.scrub(extra_text)))
    return CallToolResult(content=texts, structured_content=content)


def page_result(page: ListPage) -> CallToolResult:
    data = clean(page.model_dump(mode="json"))
    return CallToolResult(content=[TextContent(type="text", text=to_json_text(data))], structured_content=data)
