"""What prompts and partials share: numbered, immutable versions of which one is published
(`makeDefault`), lookup by UUID or slug, listing by collection or workspace, and delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.store import Doc, Listing, Tx


def version_status(doc: Doc, version: Doc) -> str:
    """`active` for the published version, `archived` for every other one.

    The successor MCP server describes Portkey's update as "creates a new archived version …
    publish_prompt is what makes the new version active" (reference/gitops-design.md §0.2), so the
    versions list tells which version callers are served.
    """
    return "active" if version["version"] == doc["published_version"] else "archived"


def version_number(body: dict[str, Any]) -> int:
    """The `version` of a makeDefault body: a whole number."""
    value = body.get("version")
    if value is None:
        raise invalid("version", "field required")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise invalid("version", "must be a version number (integer)")
    return int(value)


@dataclass(frozen=True)
class Versioned:
    """A kind of document (`prompt`, `partial`) whose content lives in `<kind>_version` documents.

    The document keeps `last_version` (the highest number given out) and `published_version`
    (the number served when a caller names no version); `param` is the route's path parameter.
    """

    kind: str
    title: str
    param: str

    @property
    def version_kind(self) -> str:
        return f"{self.kind}_version"

    def find(self, tx: Tx, ident: str) -> Doc:
        """The document by UUID or slug; 404 if unknown."""
        found = tx.find(self.kind, ident)
        if found is None:
            raise not_found(self.title, ident)
        return found

    def versions(self, tx: Tx, doc: Doc) -> list[Doc]:
        """All versions of `doc`, oldest first."""
        return sorted(tx.list(self.version_kind, parent_id=doc["id"]), key=lambda v: v["version"])

    def at(self, tx: Tx, doc: Doc, pin: str) -> Doc | None:
        """The version `pin` names: "" the published one, "latest", or a number; else None."""
        versions = self.versions(tx, doc)
        if pin == "latest":
            return versions[-1]
        if pin and not pin.isdigit():
            return None
        number = int(pin) if pin else doc["published_version"]
        return next((v for v in versions if v["version"] == number), None)

    def new_version(self, tx: Tx, doc: Doc, values: dict[str, Any]) -> Doc:
        """Store the next version of `doc` holding `values`; the caller stores `doc` itself."""
        doc["last_version"] += 1
        version = {
            "id": ids.new_uuid(),
            f"{self.kind}_id": doc["id"],
            "version": doc["last_version"],
            **values,
            "status": "active",
            "created_at": ids.now_iso(),
        }
        tx.put(self.version_kind, version, parent_id=doc["id"])
        return version

    def listed(self, ctx: Ctx, fields: tuple[str, ...] = ()) -> Listing:
        """The documents of `?collection_id`, else of `?workspace_id` (default: the default workspace),
        decoded only when read (see `Listing`; `fields` are read for filtering)."""
        ref = ctx.query.get("collection_id")
        if not ref:
            ws = ctx.workspace(ctx.query.get("workspace_id"))
            return ctx.tx.listing(self.kind, workspace_id=ws["id"], fields=fields)
        collection = ctx.tx.find("collection", ref)
        if collection is None:
            raise invalid("collection_id", f"no collection '{ref}'")
        docs = ctx.tx.listing(self.kind, workspace_id=collection["workspace_id"], fields=("collection_id", *fields))
        return docs.where("collection_id", lambda value: value == collection["id"])

    def publish(self, ctx: Ctx) -> Any:
        """PUT …/makeDefault {version: N}: make version N the published one."""
        doc = self.find(ctx.tx, ctx.params[self.param])
        number = version_number(ctx.body)
        if self.at(ctx.tx, doc, str(number)) is None:
            raise not_found(f"{self.title} version", f"{doc['slug']}@{number}")
        doc["published_version"] = number
        doc["published_at"] = ids.now_iso()  # kept, never served: when the publish happened
        if ctx.quirks["listing_stamp"] == "moves":  # quirk listing_stamp: a publish moves the listed stamp?
            doc["last_updated_at"] = doc["published_at"]
        ctx.tx.put(self.kind, doc)
        return {}

    def delete(self, ctx: Ctx) -> Any:
        """DELETE: the document and all its versions."""
        doc = self.find(ctx.tx, ctx.params[self.param])
        ctx.tx.delete_children(self.version_kind, doc["id"])
        ctx.tx.delete(self.kind, doc["id"])
        return {}


def listed_status(doc: Doc, version: Doc, newest: int, mode: str) -> str | None:
    """A versions-list row's status under the `active_version` quirk: `published` marks the
    published version active, `latest` the newest one, `absent` gives no status (None)."""
    if mode == "absent":
        return None
    if mode == "latest":
        return "active" if version["version"] == newest else "archived"
    return version_status(doc, version)


def versions_answer(rows: list[dict[str, Any]], envelope: str) -> Any:
    """A versions list (`rows` oldest first) under the `versions_envelope` quirk: `wrapped` is
    `{object, total, data}` newest first, as the Terraform provider's ListPromptVersions ("sorted
    newest-first", reads `data`) and the Python SDK read it; `bare` is the spec's array, oldest first."""
    if envelope == "bare":
        return rows
    return {"object": "list", "total": len(rows), "data": rows[::-1]}
