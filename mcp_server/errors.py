"""Portkey failures → ``ToolError`` texts that say what happened and what to do next.

    PortkeyAPIError      "HTTP <status> <errorCode>: <message>. <next step>"
    PortkeyRequestError  "Portkey is unreachable ...; check the network and PORTKEY_BASE_URL"
    PortkeyDeadlineError "Stopped after N attempt(s): ..." (code deadline_exceeded, not retryable: PORTKEY_DEADLINE)
    PortkeyUsageError    "Invalid argument '<name>': <message>"
    PortkeyConfigError   the setting to fix
    GitOpsError          its message and next step; the code by its class (engine.errors), never that of a
                         failure of Portkey: lease_held (retryable), lease_failed, plan_blocked, stale_plan,
                         invalid_project, apply_stopped, else failed

Only :class:`ToolError` keeps its text on the way to the client (mcp 2.3); everything else is
reported as a bare "Error executing tool", so every expected failure is translated here. The
text is scrubbed of registered secret values (an upstream message may echo the API key).

Every error result also carries a structured part (:func:`detail`): ``{status, code, message,
retryable, next_step}``, sent as ``structuredContent`` and as a JSON text block after the first
line (:func:`error_result`). Argument validation errors become ``field: problem`` lines
(:func:`validation_lines`), without pydantic's links.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from engine import redaction
from engine.errors import (
    ApplyFailure,
    EngineError,
    LeaseError,
    LoadError,
    PlanBlockedError,
    PlanningError,
)
from engine.portkey import (
    PortkeyAPIError,
    PortkeyConfigError,
    PortkeyDeadlineError,
    PortkeyError,
    PortkeyRequestError,
    PortkeyUsageError,
)


def _find_hint(finders: Sequence[str]) -> str:
    if not finders:
        return "check the id you passed"
    names = " or ".join(finders)
    return f"call {names} to find a valid id"


def api_error_text(exc: PortkeyAPIError, tool: str, finders: Sequence[str] = (), not_found: str | None = None) -> str:
    """The message for a non-2xx Portkey answer; ``not_found`` replaces the 404 hint (an id the caller did not pass)."""
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
        step = f"Not found: {not_found or _find_hint(finders)}."
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


class DetailedToolError(ToolError):
    """A ``ToolError`` that knows its structured part (see :func:`detail`)."""

    def __init__(self, message: str, detail: dict[str, Any]) -> None:
        super().__init__(message)
        self.detail = detail


def detail(message: str, *, status: int | None = None, code: str | None = None, retryable: bool = False,
           next_step: str | None = None) -> dict[str, Any]:
    """The structured part of an error result."""
    return {"status": status, "code": code, "message": message, "retryable": retryable, "next_step": next_step}


def _retryable(exc: EngineError) -> bool:
    if isinstance(exc, PortkeyAPIError):
        return exc.status == 429 or exc.status >= 500
    if isinstance(exc, PortkeyDeadlineError):  # the same call would run out of time again
        return False
    return isinstance(exc, PortkeyRequestError) or _lease_held(exc)


# The next step of the client's own failures (not answers of Portkey), by class, most specific first.
_CLIENT_STEPS: tuple[tuple[type[PortkeyError], str], ...] = (
    (PortkeyDeadlineError, "Call again with less to do (fewer objects, a narrower filter) or ask the operator to "
     "raise PORTKEY_DEADLINE; check with a get or list call before repeating a write."),
    (PortkeyRequestError, "Check the network and PORTKEY_BASE_URL, then call again."),
    (PortkeyUsageError, "Fix the argument named in the message and call again."),
    (PortkeyConfigError, "The operator must fix the setting and restart the server; retrying will not help."),
)


def _client_step(exc: PortkeyError) -> str | None:
    return next((step for base, step in _CLIENT_STEPS if isinstance(exc, base)), None)


def _lease_held(exc: EngineError) -> bool:
    """Another apply holds the apply lease (engine.gitops.lease, imported only once a LeaseError exists: the
    GitOps engine loads at the first gitops call, not at start)."""
    if not isinstance(exc, LeaseError):
        return False
    from engine.gitops.lease import LeaseHeldError

    return isinstance(exc, LeaseHeldError)


_LEASE_HELD = ("lease_held", "Another apply holds the workspace's apply lease: wait until it finishes, then call "
               "gitops_plan and gitops_apply again.")
# The GitOps engine's own refusals by base class, most specific first: (class, code, next step).
_GITOPS: tuple[tuple[type[EngineError], str, str], ...] = (
    (LeaseError, "lease_failed", "Nothing was written; fix what the message names, then call gitops_plan and "
     "gitops_apply again."),
    (PlanBlockedError, "plan_blocked", "Call gitops_plan to see the rule, change the project, and plan again."),
    (PlanningError, "stale_plan", "Call gitops_plan again, review it, and apply with its plan_hash."),
    (LoadError, "invalid_project", "Fix the file or setting the message names (gitops_validate shows the files' "
     "errors), then call again."),
    (ApplyFailure, "apply_stopped", "Call gitops_plan again to see what remains."),
)


def _gitops(exc: EngineError) -> tuple[str, str | None]:
    """The code and next step of an engine error that is not the client's (a GitOps refusal), else ``failed``."""
    if _lease_held(exc):
        return _LEASE_HELD
    for base, code, step in _GITOPS:
        if isinstance(exc, base):
            return code, step
    return "failed", None


def _code(exc: EngineError) -> str:
    if isinstance(exc, PortkeyAPIError):
        return exc.error_code or f"http_{exc.status}"
    if isinstance(exc, PortkeyDeadlineError):
        return "deadline_exceeded"
    if isinstance(exc, PortkeyRequestError):
        return "unreachable"
    if isinstance(exc, PortkeyUsageError):
        return "invalid_argument"
    if isinstance(exc, PortkeyConfigError):
        return "server_misconfigured"
    return _gitops(exc)[0]


def to_tool_error(exc: EngineError, tool: str, finders: Sequence[str] = (), not_found: str | None = None) -> ToolError:
    """Translate one Portkey error (secrets scrubbed); ``finders`` are the list tools that find the ids of ``tool``,
    ``not_found`` the 404 hint when the ids come from elsewhere (a GitOps project's files)."""
    text = redaction.scrub(_error_text(exc, tool, finders, not_found))
    status = exc.status if isinstance(exc, PortkeyAPIError) else None
    message, step = text, None
    if isinstance(exc, PortkeyAPIError):
        head = f"HTTP {exc.status}{f' {exc.error_code}' if exc.error_code else ''}: {exc.message.rstrip('.')}."
        message, step = redaction.scrub(head), text.removeprefix(redaction.scrub(head)).strip() or None
    elif isinstance(exc, PortkeyError):
        step = _client_step(exc)
    elif (step := _gitops(exc)[1]) is not None:
        text = f"{text} {step}"
    return DetailedToolError(text, detail(message, status=status, code=_code(exc), retryable=_retryable(exc),
                                          next_step=step))


def validation_lines(errors: Sequence[Any]) -> list[str]:
    """pydantic error dicts → ``field: problem`` lines (no input values, no documentation links)."""
    lines = []
    for error in errors:
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "root") or "arguments"
        lines.append(f"{loc}: {str(error.get('msg', 'invalid value')).rstrip('.')}")
    return list(dict.fromkeys(lines))


def invalid_arguments(tool: str, lines: Sequence[str], next_step: str) -> DetailedToolError:
    """The error for arguments that fail the tool's input schema."""
    body = "\n".join(lines)
    message = f"Invalid arguments for {tool}:\n{body}"
    return DetailedToolError(f"{message}\n{next_step}", detail(message, code="invalid_arguments",
                                                                next_step=next_step))


def error_result(message: str, structured: dict[str, Any]) -> CallToolResult:
    """An ``isError`` result: the message for people first, then the structured part as JSON."""
    payload = redaction.scrub_data(structured)
    return CallToolResult(
        content=[TextContent(type="text", text=redaction.scrub(message)),
                 TextContent(type="text", text=json.dumps(payload, ensure_ascii=False))],
        structured_content=payload, is_error=True)


def _error_text(exc: EngineError, tool: str, finders: Sequence[str], not_found: str | None = None) -> str:
    if isinstance(exc, PortkeyAPIError):
        return api_error_text(exc, tool, finders, not_found)
    if isinstance(exc, PortkeyDeadlineError):
        return (f"Stopped after {exc.attempts} attempt(s): {exc.reason}. The server's PORTKEY_DEADLINE bounds each "
                "call; Portkey answered, but not within it.")
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
