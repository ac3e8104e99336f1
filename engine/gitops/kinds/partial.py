"""Prompt partials: ``partials/<key>.partial.md``; versioned, referenced by slug from ``{{>key}}`` tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.gitops.answers import as_int, only_active, rows, unexpected
from engine.gitops.canonical import strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs, Versions
from engine.gitops.kinds.text import resolve_partials, stamp_provenance
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.schema import PartialFrontMatter

if TYPE_CHECKING:
    from pathlib import Path

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.project import Settings
    from engine.gitops.loading.records import Loaded


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
    file_model = PartialFrontMatter
    front_matter = True

    def load(self, ctx: Context, settings: Settings, key: str, path: Path) -> Loaded | None:
        """Optional YAML front matter, then the body (engine.gitops.kinds.prompt_files)."""
        from engine.gitops.kinds.prompt_files import load_partial

        return load_partial(ctx, settings, key, path)
    text_label = "body"
    versions = Versions("update_prompt_partial", "prompt_partial_version_id", "list_partial_versions",
                        ("prompt_partial_version_id", "id"), "version", "publish_partial")

    detailed = True

    async def detail(self, reader: Reader, obj: LiveObject) -> None:
        """The latest version's text and number, and the published version's number."""
        listed = rows(await reader.call("list_partial_versions", prompt_partial_id=obj.id))
        latest_row: dict[str, Any] | None = None
        for row in listed:
            number = as_int(row.get("version"))
            if number is None:
                continue
            obj.version_ids[number] = str(row.get("prompt_partial_version_id") or "")
            if latest_row is None or number > (obj.version or 0):
                latest_row, obj.version = row, number
        if reader.published_from_list():
            obj.published_version = only_active(listed, "prompt_version_status", "version")
        if latest_row is not None and obj.published_version is not None and "string" in latest_row:
            obj.latest = {"string": latest_row.get("string")}
            return
        published = await reader.get("get_prompt_partial", prompt_partial_id=obj.id)  # the published version
        obj.raw = {**obj.raw, **published}
        obj.published_version = as_int(published.get("version"))
        if latest_row is None or obj.version == obj.published_version:
            obj.version = max(obj.version or 0, obj.published_version or 0) or obj.published_version
            obj.latest = {"string": published.get("string")}
        elif "string" in latest_row:
            obj.latest = {"string": latest_row.get("string")}
        else:
            raise unexpected("list_partial_versions", f"a list whose latest version v{obj.version} carries no "
                             "string (the partial's text), and no request reads one partial version")

    def exported_reference(self, key: str) -> str | None:
        return key  # ``{{>key}}``

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        from engine.gitops.export import dump_yaml

        body = exporter.unresolve(str(obj.latest.get("string") or ""))
        meta = {**exporter.display(self.kind, obj, key)}
        if obj.published_version != obj.version:
            meta["publish"] = False
        front = f"---\n{dump_yaml(meta)}---\n" if meta else ""
        exporter.file(exporter.path(self.kind, key), front + body + "\n")

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
