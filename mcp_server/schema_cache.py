"""Input schemas of the hand-written tools, built once when the code changes rather than at every start.

Building a hand-written tool's schema means importing its module (the ``gitops_*`` tools import the
whole GitOps engine) and building a pydantic model. ``schemas.json`` keeps each such tool's
advertised input schema with a fingerprint of the sources it came from (the tool's module,
:mod:`mcp_server.schema` and :mod:`mcp_server.tool_spec`). At start a tool whose fingerprint still
matches is advertised from the file and its module is imported at its first call; any mismatch
(the code changed and the file was not rewritten) falls back to building the tool at start, so a
stale file costs start-up time, never a wrong schema. Rewrite it with::

    python -m mcp_server.schema_cache
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("schemas.json")
SHARED = ("mcp_server.schema", "mcp_server.tool_spec")
_bypass = False  # True while build_entries builds schemas from the code


@cache
def _source_hash(module: str) -> str:
    spec = importlib.util.find_spec(module)
    origin = spec.origin if spec is not None else None
    if not origin:
        return ""
    return hashlib.sha256(Path(origin).read_bytes()).hexdigest()


def fingerprint(module: str) -> str:
    """The fingerprint of the sources a tool's schema in ``module`` is built from."""
    digest = hashlib.sha256()
    for name in (module, *SHARED):
        digest.update(f"{name}:{_source_hash(name)};".encode())
    return digest.hexdigest()[:32]


@cache
def _entries() -> dict[str, Any]:
    try:
        data = json.loads(FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def lookup(tool: str, module: str) -> dict[str, Any] | None:
    """The cached input schema of ``tool`` if it was built from ``module``'s current source."""
    if _bypass:
        return None
    entry = _entries().get(tool)
    if isinstance(entry, dict) and entry.get("fingerprint") == fingerprint(module):
        schema = entry.get("input_schema")
        return schema if isinstance(schema, dict) else None
    return None


def build_entries() -> dict[str, Any]:
    """Every hand-written tool's schema, built from the code now (imports every module)."""
    global _bypass
    from mcp_server.registry import build_registry
    from mcp_server.state import ToolOptions

    entries: dict[str, Any] = {}
    options = ToolOptions()
    _bypass = True
    try:
        for spec in build_registry().specs.values():
            module = getattr(spec.build, "module", None)
            if module is not None:
                tool = spec.tool(options)
                entries[spec.name] = {"fingerprint": fingerprint(module), "input_schema": tool.parameters}
    finally:
        _bypass = False
    return entries


def write() -> Path:
    """Rewrite ``schemas.json`` from the code."""
    FILE.write_text(json.dumps(build_entries(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _entries.cache_clear()
    return FILE


if __name__ == "__main__":
    print(f"wrote {write()}")
