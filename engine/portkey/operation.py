"""The shape of one Portkey operation (built from the operation table in :mod:`engine.portkey.operations`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel


class Kind(StrEnum):
    """Effect of an operation, as in the catalogue's ``kind`` column."""

    READ = "R"
    WRITE = "W"
    DESTRUCTIVE = "D"
    SPEND = "W$"


class Paging(StrEnum):
    """How a list operation pages."""

    NONE = "none"  # one answer holds everything
    OFFSET = "offset"  # current_page (0-based) + page_size
    OFFSET_CAMEL = "offset_camel"  # currentPage (0-based) + pageSize
    PAGE = "page"  # page (1-based) + page_size
    PAGE0 = "page0"  # page (0-based) + page_size


_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Operation:
    """One Portkey Admin API operation."""

    name: str
    group: str
    kind: Kind
    method: str
    path: str
    query: Mapping[str, type] = field(default_factory=dict)
    required_query: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = False
    paging: Paging = Paging.NONE
    normalize: Callable[[Any], Any] | None = None
    creates_version: bool = False
    enterprise: bool = False
    in_spec: bool = True
    public: bool = False  # served at the host root (no /v1) without the API key
    secret_fields: tuple[str, ...] = ()  # answer fields that hold (or may hold) a secret shown only this once

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        """Names of the ``{…}`` placeholders of ``path``, in order."""
        return tuple(_PATH_PARAM.findall(self.path))

    @cached_property
    def arguments(self) -> frozenset[str]:
        """Every argument the operation takes besides its body: path parameters and query parameters."""
        return frozenset(self.path_params) | frozenset(self.query)

    @property
    def is_list(self) -> bool:
        """True for operations answering with a list (paged or not)."""
        return self.paging is not Paging.NONE or self.name.startswith("list_")

    @cached_property
    def retry_safe(self) -> bool:
        """True when sending the request twice has the effect of sending it once."""
        if self.method in ("GET", "DELETE"):
            return True
        if self.method == "PUT":
            return not self.creates_version
        return self.name == "render_prompt"
