"""One route row: a catalogue operation name, its method and path under /v1, and its handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.context import Ctx

Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Operation:
    """One row: `name` is the catalogue's tool name (contracts/catalogue.tsv); `aliases` are
    other catalogue tools served by the same route (e.g. `get_trace` by `get_log`)."""

    name: str
    method: str
    path: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(init=False, repr=False)
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        segments = tuple(self.path.strip("/").split("/"))
        regex = "/".join(
            f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments
        )
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "pattern", re.compile(f"^/{regex}$"))

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: literal segments (0) before parameters (1), position by position."""
        return tuple(1 if s.startswith("{") else 0 for s in self.segments)

    @property
    def names(self) -> tuple[str, ...]:
        """Every catalogue name this row answers to."""
        return (self.name, *self.aliases)

    def called_as(self, claimed: str | None) -> str:
        """The operation a request used: `claimed` (the caller's own name for it) when this row
        serves it, else the row's name."""
        return claimed if claimed in self.aliases else self.name
