"""Desired state: what the git repository says the Portkey account should hold.

The loader (:mod:`engine.gitops.load`) turns files into these records; the
planner compares them with live state. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class ResourceKind(StrEnum):
    """Kinds of Portkey objects the engine manages, in dependency order."""

    LABEL = "label"
    COLLECTION = "collection"
    PARTIAL = "partial"
    PROMPT = "prompt"
    GUARDRAIL = "guardrail"
    CONFIG = "config"
    RATE_LIMIT = "rate_limit"
    USAGE_LIMIT = "usage_limit"


# Labels every Portkey workspace has; they need no file.
BUILTIN_LABELS = frozenset({"production", "staging", "development"})

def address(kind: ResourceKind | str, key: str) -> str:
    """``prompt:support/triage``."""
    return f"{ResourceKind(kind).value}:{key}"


def split_address(text: str) -> tuple[ResourceKind, str]:
    """Inverse of :func:`address`; raises ValueError naming the valid kinds."""
    kind, sep, key = text.partition(":")
    if not sep or not key:
        raise ValueError(f"{text!r} is not an address like prompt:support/triage")
    try:
        return ResourceKind(kind), key
    except ValueError:
        valid = ", ".join(k.value for k in ResourceKind)
        raise ValueError(f"unknown kind {kind!r} in {text!r} (kinds: {valid})") from None


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column are 1-based (0 = unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the desired state, with where it is and what to do."""

    severity: Severity
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity.value}: {self.message}"


@dataclass
class Resource:
    """One desired Portkey object.

    ``spec`` is the kind's normalised content (see :mod:`engine.gitops.kinds`)
    with long text already read from its files and environment bindings
    applied. References to other resources stay logical (``partial:tone``)
    and are listed in ``refs``; the planner resolves them to live slugs.
    ``secrets`` holds the dotted paths inside ``spec`` whose values are ``${secret:NAME}`` references;
    ``secret_names`` the variable names the project declares (``secrets:`` in ``portkey.yaml``), the
    only ones :func:`engine.gitops.load.resolve_secrets` will read.
    """

    kind: ResourceKind
    key: str
    spec: dict[str, Any]
    location: Location
    refs: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    secret_names: frozenset[str] = frozenset()

    @property
    def address(self) -> str:
        return address(self.kind, self.key)


@dataclass(frozen=True)
class Moved:
    """A rename recorded in ``portkey.yaml``: the remote object keeps its id and slug."""

    source: str
    target: str


@dataclass
class Project:
    """Settings from ``portkey.yaml`` merged with the chosen environment overlay."""

    root: Path
    environment: str | None = None
    workspace: str | None = None
    moved: list[Moved] = field(default_factory=list)
    protected: set[str] = field(default_factory=set)
    prune: bool = False
    mass_delete_threshold: int = 5
    name_prefix: str = "gitops:"
    bindings: dict[str, Any] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # environment variables ${secret:NAME} may resolve


@dataclass
class DesiredState:
    """Everything loaded from a project directory."""

    project: Project
    resources: dict[str, Resource] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 of its bytes
    sources: dict[str, list[str]] = field(default_factory=dict)  # address -> the files it was read from

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]
