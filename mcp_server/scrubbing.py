"""The last net before a tool result leaves: registered secret values become ``[redacted]``.

A server middleware scrubs every ``tools/call`` answer (result text, structured content, error
text, a protocol error's message) against the process-wide registry of :mod:`engine.redaction`:
the Portkey API key, the MCP token, resolved ``${secret:NAME}`` values, one-time secrets.

One exception: a one-time secret a create/rotate call returns on purpose (``results.ok`` marks
it with :func:`show_once`) stays readable in that one result; the exemption is used up there,
so the value is scrubbed from every later result and from every log line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from engine import redaction

_lock = threading.Lock()
_shown_once: set[str] = set()


def show_once(value: str) -> None:
    """Let ``value`` through the next result that lists it in ``secret_fields``; scrub it everywhere else."""
    with _lock:
        _shown_once.add(value)


def _claim(values: Iterable[str]) -> set[str]:
    """The values still allowed through once; each is allowed only this time."""
    with _lock:
        claimed = {v for v in values if v in _shown_once}
        _shown_once.difference_update(claimed)
    return claimed


def _forms(values: Iterable[str]) -> set[str]:
    """``values`` as the registry holds them (plain, stripped, JSON-escaped)."""
    forms: set[str] = set()
    for value in values:
        for form in (value, value.strip()):
            forms |= {form, json.dumps(form, ensure_ascii=False)[1:-1]}
    return forms


def scrub_text(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every registered secret value except those in ``keep`` replaced."""
    for value in redaction.REGISTRY.values():
        if value not in keep and value in text:
            text = text.replace(value, redaction.SCRUBBED)
    return text


def scrub_value(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """A copy of JSON-like data with registered secrets scrubbed from every string, keys included."""
    if isinstance(value, str):
        return scrub_text(value, keep)
    if isinstance(value, dict):
        return _scrub_dict(value, keep)
    if isinstance(value, list | tuple):
        return [scrub_value(v, keep) for v in value]
    return value


def _scrub_dict(value: dict[Any, Any], keep: frozenset[str]) -> dict[Any, Any]:
    return {scrub_value(k, keep): scrub_value(v, keep) for k, v in value.items()}


def _marked_secrets(result: dict[str, Any]) -> list[str]:
    """The values at the ``secret_fields`` paths of a wire ``CallToolResult``."""
    content = result.get("structuredContent")
    if not isinstance(content, dict) or not isinstance(content.get("secret_fields"), list):
        return []
    values = []
    for path in content["secret_fields"]:
        holder: Any = content
        for part in str(path).split("."):
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, str):
            values.append(holder)
    return values


def scrub_result(result: dict[str, Any]) -> dict[str, Any]:
    """A wire ``CallToolResult`` scrubbed, one-time secrets marked by ``results.ok`` kept this once."""
    keep = frozenset(_forms(_claim(_marked_secrets(result))))
    return _scrub_dict(result, keep)


class ScrubToolResults:
    """Server middleware: scrubs every ``tools/call`` answer and protocol error message."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            message = redaction.scrub(exc.error.message)
            if message == exc.error.message and exc.error.data is None:
                raise
            raise MCPError(exc.error.code, message, redaction.scrub_data(exc.error.data)) from None
        if ctx.method == "tools/call" and isinstance(result, dict):
            return scrub_result(result)
        return result
