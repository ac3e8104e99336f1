"""Prompt labels: ``labels/<key>.label.yaml``; a description carries our mark, a colour is kept when omitted."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.answers import as_text
from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs, ScratchRole
from engine.gitops.lease import RESERVED_LABELS
from engine.gitops.loading.records import Loaded
from engine.gitops.model import BUILTIN_LABELS, Location, Resource, ResourceKind
from engine.gitops.schema import LabelFile

if TYPE_CHECKING:

    from pydantic import BaseModel

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, LiveState, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.yamldoc import YamlDoc


LABEL_MARK = "[managed by portkey-gitops]"


def label_description(description: str | None) -> str:
    """A label description carrying our marker."""
    text = (description or "").strip()
    return f"{text} {LABEL_MARK}".strip()


def strip_label_mark(description: str | None) -> str | None:
    if not description:
        return description
    text = description.rstrip()
    if text.endswith(LABEL_MARK):
        text = text[: -len(LABEL_MARK)].rstrip()
    return text or None


def _content(description: str | None, color_code: str | None) -> dict[str, Any]:
    """An empty description and none at all compare equal."""
    return strip_null_fields({"description": description or None, "color_code": color_code})


class LabelKind(Kind):
    kind = ResourceKind.LABEL
    directory, suffix = "labels", ".label.yaml"
    operations = Operations(
        "get_prompt_label", "create_prompt_label", "update_prompt_label", "delete_prompt_label", "label_id")
    listing = "list_prompt_labels"
    scratch_role = ScratchRole.VERSION_LABEL
    searchable = True
    kept_when_omitted = ("color_code",)  # a label's colour stays
    names_unique = True
    labels_versions = True
    marked_in_description = True

    def created_refs(self, name: str, remote_id: str) -> dict[str, str]:
        """Prompts name labels by their name (``release.labels``)."""
        return {self.address_of(name): remote_id}

    file_model = LabelFile
    always_read = True

    def from_file(self, ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
        assert isinstance(parsed, LabelFile)
        name = parsed.name or key
        where = doc.location(("name",)) if parsed.name else Location(doc.file)
        if name.lower() in BUILTIN_LABELS:
            ctx.error(f"{name} is a built-in label: built-in labels need no file; delete {doc.file}", where)
            return None
        if name in ("latest", "default") or name.isdigit():
            why = "is all digits (read as a version number)" if name.isdigit() else "is reserved by Portkey"
            ctx.error(f"label name {name!r} {why}: choose another name", where)
            return None
        if name.lower() in RESERVED_LABELS:
            ctx.error(f"label name {name!r} is reserved for the apply lease (portkey-gitops keeps its own label of "
                      "that name in the workspace, and plans never see it): choose another name", where)
            return None
        spec = {"name": name, "description": parsed.description, "color_code": parsed.color_code}
        return Loaded(Resource(self.kind, key, spec, doc.location()), doc)

    async def read(self, reader: Reader, state: LiveState) -> tuple[list[LiveObject], bool]:
        """Every label (and every name's id in ``state.labels_by_name``); the builtin and universal ones and the
        apply lease's are not resources."""
        items, complete = await reader.listing(self.listing, **reader.ws())
        objects = []
        for item in items:
            if as_text(item.get("name")) in RESERVED_LABELS:
                continue  # the apply lease and its generation (engine/gitops/lease.py) are not resources
            state.labels_by_name[as_text(item.get("name"))] = as_text(item.get("id"))
            if item.get("is_universal") or as_text(item.get("name")) in BUILTIN_LABELS:
                continue
            objects.append(reader.live_object(self.kind, item, item.get("description")))
        return objects, complete


    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        from engine.gitops.export import without_nulls

        data = {"description": strip_label_mark(obj.raw.get("description")), "color_code": obj.raw.get("color_code")}
        if obj.name != key:
            data["name"] = obj.name
        exporter.resource(self.kind, key, without_nulls(data))

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
