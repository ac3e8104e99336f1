"""Collections: nestable folders of prompts inside a workspace."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import check_name_chars, opt_str
from sandbox.paging import page
from sandbox.store import Doc, Tx


def find_collection(tx: Tx, ident: str) -> Doc:
    """A collection by UUID or slug; 404 if unknown."""
    found = tx.find("collection", ident)
    if found is None:
        raise not_found("collection", ident)
    return found


def default_collection(tx: Tx, workspace_id: str) -> Doc:
    """The workspace's default collection."""
    for col in tx.list("collection", workspace_id=workspace_id):
        if col["is_default"]:
            return col
    raise AssertionError(f"workspace {workspace_id} has no default collection")


def _details(tx: Tx, col: Doc) -> dict[str, Any]:
    """Counts and newest stamps of the collection's children and prompts (read without decoding them)."""
    stamp = "last_updated_at"
    children = tx.listing("collection", workspace_id=col["workspace_id"], fields=("parent_collection_id", stamp))
    children = children.where("parent_collection_id", lambda parent: parent == col["id"])
    prompts = tx.listing("prompt", workspace_id=col["workspace_id"], fields=("collection_id", stamp))
    prompts = prompts.where("collection_id", lambda owner: owner == col["id"])
    return {
        "child_collections_count": len(children),
        "prompts_count": len(prompts),
        "child_collections_last_updated_at": max(children.values(stamp), default=None),
        "prompts_last_updated_at": max(prompts.values(stamp), default=None),
    }


def _view(col: Doc) -> dict[str, Any]:
    keys = (
        "id",
        "name",
        "slug",
        "workspace_id",
        "parent_collection_id",
        "is_default",
        "status",
        "created_at",
        "last_updated_at",
    )
    return {k: col[k] for k in keys}


def create_collection(ctx: Ctx) -> Any:
    """POST /collections {name*, workspace_id, parent_collection_id} → {id, slug}."""
    name = opt_str(ctx.body, "name", required=True)
    assert name is not None
    check_name_chars(name, ctx.quirks["name_chars"])
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    parent_ref = opt_str(ctx.body, "parent_collection_id")
    parent_id = None
    if parent_ref:
        parent = ctx.tx.find("collection", parent_ref)
        if parent is None or parent["workspace_id"] != ws["id"]:
            raise invalid("parent_collection_id", f"no collection '{parent_ref}' in this workspace")
        parent_id = parent["id"]
    now = ids.now_iso()
    col = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("", name, 20, lambda s: ctx.tx.slug_taken("collection", s)),
        "name": name,
        "workspace_id": ws["id"],
        "parent_collection_id": parent_id,
        "is_default": False,
        "status": "active",
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put("collection", col)
    return {"id": col["id"], "slug": col["slug"]}


def list_collections(ctx: Ctx) -> Any:
    """GET /collections?workspace_id&search&current_page&page_size → {total, data}.

    The spec marks `workspace_id` required; as with a workspace-scoped key, the sandbox
    falls back to the default workspace.
    """
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    items = ctx.tx.listing("collection", workspace_id=ws["id"], fields=("name",))
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = items.where("name", lambda name: search in str(name).lower())
    data = [{**_view(c), "collection_details": _details(ctx.tx, c)} for c in page(items, ctx.query)]
    return {"total": len(items), "data": data}


def get_collection(ctx: Ctx) -> Any:
    """GET /collections/{id}: the collection with its direct children."""
    col = find_collection(ctx.tx, ctx.params["collection_id"])
    children = [
        {
            "id": c["id"],
            "name": c["name"],
            "last_updated_at": c["last_updated_at"],
            "collection_details": _details(ctx.tx, c),
        }
        for c in ctx.tx.list("collection", workspace_id=col["workspace_id"])
        if c["parent_collection_id"] == col["id"]
    ]
    return {**_view(col), "child_collections": children}


def update_collection(ctx: Ctx) -> Any:
    """PUT /collections/{id} {name*}: the name is the only mutable field."""
    col = find_collection(ctx.tx, ctx.params["collection_id"])
    name = opt_str(ctx.body, "name", required=True)
    check_name_chars(name, ctx.quirks["name_chars"])
    col.update(name=name, last_updated_at=ids.now_iso())
    ctx.tx.put("collection", col)
    return {}


def delete_collection(ctx: Ctx) -> Any:
    """DELETE /collections/{id}; the default collection answers 404, as the live API does."""
    col = find_collection(ctx.tx, ctx.params["collection_id"])
    if col["is_default"]:
        # Live API: deleting the workspace's default collection is a 404 (portkey-api.md §8).
        raise not_found("collection", ctx.params["collection_id"])
    details = _details(ctx.tx, col)
    if details["prompts_count"]:
        raise conflict(f"collection {col['slug']} still holds {details['prompts_count']} prompt(s)")
    if details["child_collections_count"]:
        raise conflict(f"collection {col['slug']} still has child collections")
    ctx.tx.delete("collection", col["id"])
    return {}
