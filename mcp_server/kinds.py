"""Tool annotations from the catalogue ``kind`` (never from the tool's name).

    R   read            readOnly, not destructive, idempotent, open world
    W   write (POST)    not read-only, not destructive, not idempotent
    W   write (PUT)     not read-only, destructive (it overwrites), idempotent
    D   delete/revoke   destructive, idempotent
    W$  spends tokens   not read-only, not destructive, not idempotent
    L   local, no HTTP  read-only, not destructive, idempotent, closed world
"""

from __future__ import annotations

from mcp.types import ToolAnnotations

KINDS = ("R", "W", "D", "W$", "L")

# Reasoned exceptions to the table, by tool.
OVERRIDES: dict[str, dict[str, bool]] = {
    # Each call issues a new secret and invalidates the previous one: repeating it is not a no-op.
    "rotate_api_key": {"idempotent_hint": False},
}


def annotations_for(tool: str, kind: str, method: str, title: str) -> ToolAnnotations:
    """All four hints, set explicitly."""
    if kind == "R":
        hints = {"read_only_hint": True, "destructive_hint": False, "idempotent_hint": True, "open_world_hint": True}
    elif kind == "L":
        hints = {"read_only_hint": True, "destructive_hint": False, "idempotent_hint": True,
                 "open_world_hint": False}
    elif kind == "D":
        hints = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": True, "open_world_hint": True}
    elif kind == "W$":
        hints = {"read_only_hint": False, "destructive_hint": False, "idempotent_hint": False,
                 "open_world_hint": True}
    elif kind == "W":
        put = method.strip().upper() == "PUT"
        hints = {"read_only_hint": False, "destructive_hint": put, "idempotent_hint": put, "open_world_hint": True}
    else:
        raise ValueError(f"{tool}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    hints.update(OVERRIDES.get(tool, {}))
    return ToolAnnotations(title=title, **hints)
