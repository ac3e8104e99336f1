"""Portkey failures → ``ToolError`` texts that say what happened and what to do next.

    PortkeyAPIError      "HTTP <status> <errorCode>: <message>. <next step>"
    PortkeyRequestError  "Portkey is unreachable ...; check the network and PORTKEY_BASE_URL"
    PortkeyUsageError    "Invalid argument '<name>': <message>"
    PortkeyConfigError   the setting to fix
    other PortkeyError   its message (e.g. a GitOps apply failure)

Only :class:`ToolError` keeps its text on the way to the client (mcp 2.3); everything else is
reported as a bare "Error executing tool", so every expected failure is translated here. The
text is scrubbed of registered secret values (an upstream message may echo the API key).
"""

from __future__ import annotations

from collections.abc import Sequence

from mcp.server.mcpserver.exceptions import ToolError

from engine import redaction
from engine.portkey import (
    PortkeyAPIError,
    PortkeyConfigError,
    PortkeyError,
    PortkeyRequestError,
    PortkeyUsageError,
)


def _find_hint(finders: Sequence[str]) -> str:
    if not finders:
        return "check the id you passed"
    names = " or ".join(finders)
    return f"call {names} to find a valid id"


def api_error_text(exc: PortkeyAPIError, tool: str, finders: Sequence[str] = ()) -> str:
    """The message for a non-2xx Portkey answer."""
    code = f" {exc.error_code}" if exc.error_code else ""
    head = f"HTTP {exc.status}{code}: {exc.message.rstrip('.')}."
    status = exc.status
    if status == 401:
        step = ("Portkey rejected the API key: check PORTKEY_API_KEY (and PORTKEY_BASE_URL for a self-hosted "
                "control plane).")
    elif status == 403 and exc.enterprise_gated:
        step = f"{tool} is available on Enterprise plans only; this account or key cannot use it."
    elif status == 403:
        step = ("The API key lacks the scope or role for this operation, or the object no longer exists "
                f"(Portkey answers 403 for some missing objects): check the key's scopes, or {_find_hint(finders)}.")
    elif status == 404:
        step = f"Not found: {_find_hint(finders)}."
    elif status == 409:
        step = ("Conflict: other objects depend on this one, or the name or slug is already taken. Remove or "
                "reassign the dependents (or choose another name) and retry.")
    elif status == 429:
        retried = max(exc.attempts - 1, 0)
        step = (f"Portkey rate-limited the request: still refused after {exc.attempts} attempt(s) ({retried} "
                "automatic retries). Wait a minute before calling again.")
    elif status in (400, 422):
        step = "Portkey rejected the arguments: fix the field named in the message and call again."
    elif status >= 500:
        tried = f" after {exc.attempts} attempt(s)" if exc.attempts > 1 else ""
        step = f"Portkey failed{tried}; try again later."
    elif status == 405:
        step = (f"This Portkey deployment does not offer {tool} (method not allowed); retrying will not help. Use "
                "a neighbouring tool named in its description.")
    else:
        step = "Portkey refused the request: read its message, correct the call and retry once."
    return f"{head} {step}"


def to_tool_error(exc: PortkeyError, tool: str, finders: Sequence[str] = ()) -> ToolError:
    """Translate one Portkey error (secrets scrubbed); ``finders`` are the list tools that find the ids of ``tool``."""
    return ToolError(redaction.scrub(_error_text(exc, tool, finders)))


def _error_text(exc: PortkeyError, tool: str, finders: Sequence[str]) -> str:
    if isinstance(exc, PortkeyAPIError):
        return api_error_text(exc, tool, finders)
    if isinstance(exc, PortkeyRequestError):
        maybe = (" The request may have reached Portkey: check with a get or list call before repeating a write."
                 if exc.sent else "")
        return (f"Portkey is unreachable after {exc.attempts} attempt(s) ({exc.reason}): check the network and "
                f"PORTKEY_BASE_URL.{maybe}")
    if isinstance(exc, PortkeyUsageError):
        message = str(exc).removeprefix(f"{exc.operation}: ")
        if exc.argument:
            return f"Invalid argument '{exc.argument}': {message}. Nothing was sent to Portkey."
        return f"Invalid arguments: {message}. Nothing was sent to Portkey."
    if isinstance(exc, PortkeyConfigError):
        return f"The server is misconfigured: {exc}. The operator must fix it and restart the server."
    return str(exc)
