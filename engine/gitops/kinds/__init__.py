"""Per-kind knowledge: one module per resource kind (``label.py``, ``prompt.py`` …), one table (``KINDS``).

``desired(resource, refs)`` and ``live(obj)`` return the same shape for a kind,
so comparing them is comparing canonical JSON: nulls are dropped on both sides
(null and absent are equal), and defaults Portkey fills in are filled in on
both. ``refs`` maps logical addresses to live identifiers (partial slugs,
guardrail slugs, collection ids) and is filled as apply creates objects.

The functions here dispatch to the kind object; new code may ask ``kind_of(kind)`` directly.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.kinds.base import Kind, Operations, Refs, ScratchRole, Versions
from engine.gitops.kinds.config import config_json
from engine.gitops.kinds.prompt import live_parameters, prompt_metadata, stamped_hash, version_body
from engine.gitops.kinds.rate_limit import RATE_FIELDS
from engine.gitops.kinds.registry import KINDS, kind_of
from engine.gitops.kinds.roles import HOLDERS, INCLUDED, VERSION_LABELS
from engine.gitops.kinds.text import (
    floating_partials,
    message_text,
    prompt_string,
    prose,
    resolve_partials,
    template_names,
    unresolved,
)
from engine.gitops.kinds.usage_limit import USAGE_FIELDS
from engine.gitops.model import Resource, ResourceKind

if TYPE_CHECKING:
    from engine.gitops.live import LiveObject

__all__ = [
    "HOLDERS",
    "INCLUDED",
    "KINDS",
    "KIND_FILES",
    "RATE_FIELDS",
    "USAGE_FIELDS",
    "VERSION_LABELS",
    "Kind",
    "Operations",
    "Refs",
    "ScratchRole",
    "Versions",
    "as_sent",
    "config_json",
    "create_body",
    "desired",
    "floating_partials",
    "kind_of",
    "live",
    "live_parameters",
    "message_text",
    "prompt_metadata",
    "prompt_string",
    "prose",
    "resolve_partials",
    "stamped_hash",
    "template_names",
    "unresolved",
    "update_body",
    "version_body",
    "with_provenance",
]

KIND_FILES = {k: (kind.directory, kind.suffix) for k, kind in KINDS.items()}  # directory and file suffix


def desired(resource: Resource, refs: Refs) -> dict[str, Any]:
    """Comparable content of a desired resource."""
    return KINDS[resource.kind].desired(resource, refs)


def live(obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Comparable content of a live object (the latest version for versioned kinds)."""
    return KINDS[obj.kind].live(obj, collection_keys)


def with_provenance(kind: ResourceKind, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
    """A prompt or partial version body that also says which commit (and CI run) it came from."""
    return KINDS[kind].with_provenance(body, provenance)


def as_sent(resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
    """The resource as apply will send it for this account."""
    return KINDS[resource.kind].as_sent(resource, behaviour)


def create_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
    default_collection: str | None,
) -> dict[str, Any]:
    """Body of the create request; ``spec`` has secrets resolved."""
    return KINDS[resource.kind].create_body(resource, spec, name, refs, workspace, default_collection)


def update_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
) -> dict[str, Any]:
    """Body of an in-place update (everything that is not a new version)."""
    return KINDS[resource.kind].update_body(resource, spec, name, refs, changed)
