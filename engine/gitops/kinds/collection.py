"""Prompt collections: ``collections/<key>.collection.yaml``; the parent cannot change in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs, ScratchRole
from engine.gitops.loading.records import Loaded, RefSite
from engine.gitops.model import Location, Resource, ResourceKind, address
from engine.gitops.schema import CollectionFile
from engine.portkey.normalize import flag

if TYPE_CHECKING:

    from pydantic import BaseModel

    from engine.gitops.live import LiveObject, LiveState, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc


class CollectionKind(Kind):
    kind = ResourceKind.COLLECTION
    directory, suffix = "collections", ".collection.yaml"
    operations = Operations(
        "get_collection", "create_collection", "update_collection", "delete_collection", "collection_id")
    listing = "list_collections"
    scratch_role = ScratchRole.HOLDER
    holds_released = True
    searchable = True
    immutable = ("parent",)
    replace_refused = "Portkey cannot move a collection under another parent; create a new collection file instead"

    always_read = True

    def default_display(self, key: str) -> str:
        return key.rpartition("/")[2]

    async def read(self, reader: Reader, state: LiveState) -> tuple[list[LiveObject], bool]:
        """Every collection; the workspace's default one is remembered in ``state.default_collection``."""
        items, complete = await reader.listing(self.listing, **reader.ws())
        objects = []
        for item in items:
            if flag(item.get("is_default")) is True:
                state.default_collection = str(item.get("id"))
            objects.append(reader.live_object(self.kind, item))
        return objects, complete

    file_model = CollectionFile
    nested = True

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        """A collection's parent is the folder its file is in (which must be declared too)."""
        assert isinstance(parsed, CollectionFile)
        parent = key.rpartition("/")[0] or None
        spec = {"name": parsed.name or key.rpartition("/")[2], "parent": parent}
        loaded = Loaded(Resource(self.kind, key, spec, doc.location()), doc)
        if parent is not None:
            parent_address = address(self.kind, parent)
            loaded.resource.refs.add(parent_address)
            loaded.sites.append(
                RefSite(
                    parent_address,
                    Location(doc.file),
                    f"collection {key} is inside {parent}/, which is not declared: "
                    f"create collections/{parent}.collection.yaml",
                )
            )
        return loaded

    def exported(self, obj: LiveObject) -> bool:
        """The workspace's default collection is Portkey's, not a file's."""
        return not obj.raw.get("is_default")

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
            "name": name, "parent_collection_id": refs.get(self.address_of(parent)) if parent else None,
            **({"workspace_id": workspace} if workspace else {}),
        })
