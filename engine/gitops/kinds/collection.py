"""Prompt collections: ``collections/<key>.collection.yaml``; the parent cannot change in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs
from engine.gitops.live import LiveObject
from engine.gitops.model import Resource, ResourceKind


class CollectionKind(Kind):
    kind = ResourceKind.COLLECTION
    directory, suffix = "collections", ".collection.yaml"
    operations = Operations(
        "get_collection", "create_collection", "update_collection", "delete_collection", "collection_id")
    listing = "list_collections"
    searchable = True
    immutable = ("parent",)
    replace_refused = "Portkey cannot move a collection under another parent; create a new collection file instead"

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        return strip_null_fields({"parent": resource.spec.get("parent")})

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        parent = obj.raw.get("parent_collection_id")
        return strip_null_fields({"parent": (collection_keys or {}).get(str(parent), parent) if parent else None})

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        parent = spec.get("parent")
        return strip_null_fields({
            "name": name, "parent_collection_id": refs.get(f"collection:{parent}") if parent else None,
            **({"workspace_id": workspace} if workspace else {}),
        })
