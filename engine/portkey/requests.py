"""Turning ``(operation, arguments)`` into an HTTP request: path, query and body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ValidationError

from engine.portkey.errors import PortkeyUsageError
from engine.portkey.operations import Operation

_FORBIDDEN_IN_ID = ("/", "?", "#", "\\")
# The longest query string sent, encoded: httpx refuses one over 65,536 characters (an InvalidURL, not an
# answer), and servers refuse far shorter URLs with 414.
MAX_QUERY_CHARS = 16_384


def encode_segment(operation: str, name: str, value: object) -> str:
    """Percent-encode one path parameter as exactly one segment, refusing unsafe ids.

    ``..`` would let ``/admin/workspaces/../users/{id}`` address another
    resource, so dot segments, empty ids and ids holding a separator are refused
    before any request is made.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PortkeyUsageError(operation, f"{name} must be a string id", name)
    text = str(value)
    if text.strip() == "":
        raise PortkeyUsageError(operation, f"{name} must not be empty", name)
    if text in (".", ".."):
        raise PortkeyUsageError(operation, f"{name} {text!r} is not a valid id", name)
    bad = [c for c in _FORBIDDEN_IN_ID if c in text]
    if bad or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        shown = ", ".join(repr(c) for c in bad) or "a control character"
        raise PortkeyUsageError(operation, f"{name} must not contain {shown}: {text!r}", name)
    return quote(text, safe="")


@dataclass(frozen=True)
class Prepared:
    """What to send: method, path below the base URL, query and JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes | None


def _query_value(op: Operation, name: str, kind: type, value: Any) -> str:
    if kind is bool:
        if not isinstance(value, bool):
            raise PortkeyUsageError(op.name, f"{name} must be true or false", name)
        return "true" if value else "false"
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PortkeyUsageError(op.name, f"{name} must be a number, got {value!r}", name)
        return str(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PortkeyUsageError(op.name, f"{name} must be an integer, got {value!r}", name)
        if value < 0:
            raise PortkeyUsageError(op.name, f"{name} must not be negative", name)
        return str(value)
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise PortkeyUsageError(op.name, f"{name} must be a string, got {value!r}", name)
    return str(value)


def _body(op: Operation, body: Any) -> bytes | None:
    if op.body is None:
        if body is not None:
            raise PortkeyUsageError(op.name, "takes no request body", "body")
        return None
    if body is None:
        if op.body_required:
            raise PortkeyUsageError(op.name, "needs a request body", "body")
        return None
    data = body.model_dump(mode="json", exclude_unset=True) if isinstance(body, BaseModel) else body
    if not isinstance(data, dict):
        raise PortkeyUsageError(op.name, "body must be a JSON object", "body")
    try:
        op.body.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PortkeyUsageError(op.name, f"body.{field}: {first['msg']}{more}", field) from None
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def prepare(op: Operation, body: Any, params: dict[str, Any]) -> Prepared:
    """Check arguments against the declaration and build the request parts."""
    known = op.arguments
    unknown = sorted(params.keys() - known)
    if unknown:
        valid = ", ".join(sorted(known)) or "none"
        raise PortkeyUsageError(
            op.name, f"unknown argument {unknown[0]!r} (valid: {valid})", unknown[0]
        )
    path = op.path
    for name in op.path_params:
        if params.get(name) is None:
            raise PortkeyUsageError(op.name, f"{name} is required", name)
        path = path.replace("{" + name + "}", encode_segment(op.name, name, params[name]))
    query: dict[str, str] = {}
    for name, kind in op.query.items():
        value = params.get(name)
        if value is None:
            if name in op.required_query:
                raise PortkeyUsageError(op.name, f"{name} is required", name)
            continue
        query[name] = _query_value(op, name, kind, value)
    size = len(urlencode(query))
    if size > MAX_QUERY_CHARS:
        longest = max(query, key=lambda key: len(query[key]))
        raise PortkeyUsageError(op.name, f"the query is too long ({size} characters encoded, at most "
                                f"{MAX_QUERY_CHARS}): shorten {longest}", longest)
    return Prepared(op.method, path, query, _body(op, body))
