"""What a per-kind loader hands back: the resource plus what cross-file checks need."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.gitops.loading.yamldoc import YamlDoc
from engine.gitops.model import BUILTIN_LABELS, Location, Resource
from engine.gitops.templates import TemplateScan

__all__ = ["BUILTIN_LABELS", "Loaded", "RefSite"]


@dataclass(frozen=True)
class RefSite:
    """A reference to another resource, where it is written, and the error if it is not declared."""

    address: str
    location: Location
    message: str


@dataclass
class Loaded:
    """One loaded resource file."""

    resource: Resource
    doc: YamlDoc | None = None
    sites: list[RefSite] = field(default_factory=list)
    scan: TemplateScan | None = None  # prompts and partials: what their own text uses
