"""Tool results: Portkey's answer as structured content plus the same JSON as text.

Answers pass through unchanged (a non-object answer is wrapped as ``{"result": ...}``). Only
list tools have an output schema (:class:`ListPage`); writes have none, so a successful write
can never be lost to output validation. One-time secrets (a new or rotated API key) are listed
in ``secret_fields`` and followed by a warning; their values are registered with the log
redactor so they never reach a log line.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from engine.portkey.operations import OPERATIONS
from mcp_server.logs import remember_secret

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


def ok(tool: str, answer: Any, *, extra_text: str | None = None) -> CallToolResult:
    """A success result; marks one-time secrets for the tools listed in :data:`SECRET_FIELDS`."""
    content = structured(answer)
    found: list[str] = []
    for field in SECRET_FIELDS.get(tool, ()):
        for prefix, holder in _secret_holders(content):
            value = holder.get(field)
            if isinstance(value, str) and value:
                remember_secret(value)
                found.append(prefix + field)
    texts = []
    if found:
        content = {**content, "secret_fields": found}
    texts.append(TextContent(type="text", text=to_json_text(content)))
    if found:
        texts.append(TextContent(type="text", text=SECRET_WARNING.format(fields=", ".join(found))))
    if extra_text:
        texts.append(TextContent(type="text", text=extra_text))
    return CallToolResult(content=texts, structured_content=content)


def page_result(page: ListPage) -> CallToolResult:
    data = page.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=to_json_text(data))], structured_content=data)
