"""The kinds that play a part for the released kind, found by what each declares rather than by its name.

A prompt's ``release.labels`` name labels, its ``collection`` names a collection, and a template's ``{{>key}}``
names a partial. Code outside this package that must write or read such an address (``refs`` are keyed by
addresses) asks the kind here: ``VERSION_LABELS.address_of(name)``, ``INCLUDED.key_in(target)``.
"""

from __future__ import annotations

from engine.gitops.kinds.base import Kind
from engine.gitops.kinds.registry import KINDS


def the_kind(part: str) -> Kind:
    """The one kind whose class attribute ``part`` is true."""
    found = [kind for kind in KINDS.values() if getattr(kind, part)]
    if len(found) != 1:  # pragma: no cover - a kind module declares a part another one declares already
        raise RuntimeError(f"exactly one kind must declare {part}; found {found}")
    return found[0]


VERSION_LABELS = the_kind("labels_versions")  # what a release's labels are
HOLDERS = the_kind("holds_released")  # what a released object's collection is
INCLUDED = the_kind("included")  # what templates include
