"""Prompt labels: ``labels/<key>.label.yaml``; a description carries our mark, a colour is kept when omitted."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.live import LiveObject, label_description, strip_label_mark
from engine.gitops.model import Resource, ResourceKind


def _content(description: str | None, color_code: str | None) -> dict[str, Any]:
    """An empty description and none at all compare equal."""
    return strip_null_fields({"description": description or None, "color_code": color_code})


class LabelKind(Kind):
    kind = ResourceKind.LABEL
    directory, suffix = "labels", ".label.yaml"
    operations = Operations(
        "get_prompt_label", "create_prompt_label", "update_prompt_label", "delete_prompt_label", "label_id")
    listing = "list_prompt_labels"
    searchable = True
    kept_when_omitted = ("color_code",)  # a label's colour stays
    names_unique = True
    marked_in_description = True

    def created_refs(self, name: str, remote_id: str) -> dict[str, str]:
        """Prompts name labels by their name (``release.labels``)."""
        return {f"label:{name}": remote_id}

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        return _content(resource.spec.get("description"), resource.spec.get("color_code"))

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        return _content(strip_label_mark(obj.raw.get("description")), obj.raw.get("color_code"))

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        return strip_null_fields({
            "name": name, "description": label_description(spec.get("description")),
            "color_code": spec.get("color_code"), **({"workspace_id": workspace} if workspace else {}),
        })

    def update_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
    ) -> dict[str, Any]:
        return strip_null_fields({"description": label_description(spec.get("description")),
                                  "color_code": spec.get("color_code")})
