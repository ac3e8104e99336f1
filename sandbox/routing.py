"""One route row: the operation it serves (a tool name of the operation table), its method and path under /v1,
and its handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.context import Ctx

Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Operation:
    """One row: `name` is the table's tool name (`portkey_catalogue/operations.tsv`) and the name the request log
    and fault rules use; `aliases` are other tools of the table that send the same request (e.g. `get_trace`, served
    by `get_log`): the sandbox cannot tell them apart, so it logs the row's name and lets a fault rule of any of them
    apply."""

    name: str
    method: str
    path: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(init=False, repr=False)
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        segments = tuple(self.path.strip("/").split("/"))
        regex = "/".join(f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments)
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "pattern", re.compile(f"^/{regex}$"))

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: literal segments (0) before parameters (1), position by position."""
        return tuple(1 if s.startswith("{") else 0 for s in self.segments)

    @property
    def names(self) -> tuple[str, ...]:
        """Every tool name this row answers to."""
        return (self.name, *self.aliases)
