"""Prompt partials: ``partials/<key>.partial.md``; versioned, referenced by slug from ``{{>key}}`` tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs, Versions
from engine.gitops.kinds.text import resolve_partials, stamp_provenance
from engine.gitops.live import LiveObject
from engine.gitops.model import Resource, ResourceKind


class PartialKind(Kind):
    kind = ResourceKind.PARTIAL
    directory, suffix = "partials", ".partial.md"
    operations = Operations(
        "get_prompt_partial", "create_prompt_partial", "update_prompt_partial", "delete_prompt_partial",
        "prompt_partial_id")
    listing = "list_prompt_partials"
    versioned = True
    referenced_by_slug = True
    included = True
    text_label = "body"
    versions = Versions("update_prompt_partial", "prompt_partial_version_id", "list_partial_versions",
                        ("prompt_partial_version_id", "id"), "version", "publish_partial")

    def version_body(self, resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
        body = {"string": resolve_partials(spec["string"], refs)}
        if note := spec.get("version_description"):
            body.update({"version_description": note, "description": note})
        return body

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        return {"string": resolve_partials(resource.spec.get("string") or "", refs)}

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"string": obj.latest.get("string") or ""}

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        return strip_null_fields({
            "name": name, "string": resolve_partials(spec["string"], refs),
            "version_description": spec.get("version_description"),
            **({"workspace_id": workspace} if workspace else {}),
        })

    def with_provenance(self, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
        """Partials have no metadata: only the description (a partial's version update carries it as
        ``description`` too, as the apply already sends a user's note)."""
        stamped = stamp_provenance(body, provenance)
        if provenance.get("commit") and "name" not in stamped:  # a version update, not the create
            stamped["description"] = stamped["version_description"]
        return stamped
