"""The one table of resource kinds: ``KINDS[ResourceKind.X]`` is that kind's :class:`Kind` object."""

from __future__ import annotations

from engine.gitops.kinds.base import Kind
from engine.gitops.kinds.collection import CollectionKind
from engine.gitops.kinds.config import ConfigKind
from engine.gitops.kinds.guardrail import GuardrailKind
from engine.gitops.kinds.label import LabelKind
from engine.gitops.kinds.partial import PartialKind
from engine.gitops.kinds.prompt import PROMPT
from engine.gitops.kinds.rate_limit import RateLimitKind
from engine.gitops.kinds.usage_limit import UsageLimitKind
from engine.gitops.model import ResourceKind

KINDS: dict[ResourceKind, Kind] = {
    k.kind: k for k in (
        LabelKind(), CollectionKind(), PartialKind(), PROMPT, GuardrailKind(), ConfigKind(), RateLimitKind(),
        UsageLimitKind(),
    )
}
if list(KINDS) != list(ResourceKind):  # pragma: no cover - a kind added to the enum without a module
    raise RuntimeError("one kind object per ResourceKind, in dependency order")


def kind_of(kind: ResourceKind | str) -> Kind:
    """The kind object for a kind or its name (``"prompt"``)."""
    return KINDS[ResourceKind(kind)]
