"""Prompt partials: reusable template snippets with numbered versions and a published one."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_enum, opt_str
from sandbox.handlers.collections import default_collection
from sandbox.handlers.prompts import version_number
from sandbox.store import Doc, Tx


def find_partial(tx: Tx, ident: str) -> Doc:
    """A partial by UUID or slug; 404 if unknown."""
    found = tx.find("partial", ident)
    if found is None:
        raise not_found("prompt partial", ident)
    return found


def partial_versions(tx: Tx, partial: Doc) -> list[Doc]:
    """All versions of `partial`, oldest first."""
    return sorted(tx.list("partial_version", parent_id=partial["id"]), key=lambda v: v["version"])


def partial_text(tx: Tx, ref: str) -> str:
    """The text a `{{>ref}}` tag stands for: `slug` (published), `slug@N` or `slug@latest`."""
    slug, _, pin = ref.partition("@")
    partial = tx.find("partial", slug)
    if partial is None:
        raise invalid("string", f"unknown partial '{slug}' in {{{{>{ref}}}}}")
    versions = partial_versions(tx, partial)
    if not pin:
        number = partial["published_version"]
    elif pin == "latest":
        number = versions[-1]["version"]
    elif pin.isdigit():
        number = int(pin)
    else:
        raise invalid("string", f"bad partial version in {{{{>{ref}}}}}")
    for version in versions:
        if version["version"] == number:
            return version["string"]
    raise invalid("string", f"partial '{slug}' has no version {number}")


def _new_version(tx: Tx, partial: Doc, string: str, description: str | None) -> Doc:
    partial["last_version"] += 1
    version = {
        "id": ids.new_uuid(),
        "partial_id": partial["id"],
        "version": partial["last_version"],
        "string": string,
        "description": description,
        "status": "active",
        "created_at": ids.now_iso(),
    }
    tx.put("partial_version", version, parent_id=partial["id"])
    return version


def create_prompt_partial(ctx: Ctx) -> Any:
    """POST /prompts/partials {name*, string*, workspace_id, version_description}: version 1,
    published at once → {id, slug, version_id}."""
    name = opt_str(ctx.body, "name", required=True)
    string = opt_str(ctx.body, "string", required=True)
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    now = ids.now_iso()
    partial = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("", name or "", 20, lambda s: ctx.tx.slug_taken("partial", s)),
        "name": name,
        "workspace_id": ws["id"],
        "collection_id": default_collection(ctx.tx, ws["id"])["id"],
        "status": "active",
        "last_version": 0,
        "published_version": 1,
        "created_at": now,
        "last_updated_at": now,
    }
    version = _new_version(ctx.tx, partial, string or "", opt_str(ctx.body, "version_description"))
    ctx.tx.put("partial", partial)
    return {"id": partial["id"], "slug": partial["slug"], "version_id": version["id"]}


def list_prompt_partials(ctx: Ctx) -> Any:
    """GET /prompts/partials?collection_id&workspace_id: a bare array, no paging."""
    collection_ref = ctx.query.get("collection_id")
    if collection_ref:
        collection = ctx.tx.find("collection", collection_ref)
        if collection is None:
            raise invalid("collection_id", f"no collection '{collection_ref}'")
        items = [
            p
            for p in ctx.tx.list("partial", workspace_id=collection["workspace_id"])
            if p["collection_id"] == collection["id"]
        ]
    else:
        items = ctx.tx.list(
            "partial", workspace_id=ctx.workspace(ctx.query.get("workspace_id"))["id"]
        )
    keys = ("id", "slug", "name", "collection_id", "created_at", "last_updated_at", "status")
    return [{**{k: p[k] for k in keys}, "object": "partial"} for p in items]


def get_prompt_partial(ctx: Ctx) -> Any:
    """GET /prompts/partials/{id}: the partial at its published version."""
    partial = find_partial(ctx.tx, ctx.params["partial_id"])
    version = next(
        v for v in partial_versions(ctx.tx, partial) if v["version"] == partial["published_version"]
    )
    view = {
        "id": partial["id"],
        "slug": partial["slug"],
        "name": partial["name"],
        "collection_id": partial["collection_id"],
        "string": version["string"],
        "version": version["version"],
        "version_description": version["description"],
        "prompt_partial_version_id": version["id"],
        "status": partial["status"],
        "created_at": partial["created_at"],
        "last_updated_at": partial["last_updated_at"],
    }
    return {k: v for k, v in view.items() if v is not None}


def update_prompt_partial(ctx: Ctx) -> Any:
    """PUT /prompts/partials/{id} {name, string, description | version_description, status}:
    a new `string` makes a new unpublished version → {prompt_partial_version_id}; else {}."""
    partial = find_partial(ctx.tx, ctx.params["partial_id"])
    name = opt_str(ctx.body, "name")
    if name is not None:
        if not name.strip():
            raise invalid("name", "must not be empty")
        partial["name"] = name
    status = opt_enum(ctx.body, "status", ("active", "archived"))
    if status is not None:
        partial["status"] = status
    answer: dict[str, Any] = {}
    string = opt_str(ctx.body, "string")
    if string is not None:
        # The spec names the note `description`; create and the Terraform provider use
        # `version_description`. Both are accepted.
        note = opt_str(ctx.body, "description") or opt_str(ctx.body, "version_description")
        version = _new_version(ctx.tx, partial, string, note)
        answer = {"prompt_partial_version_id": version["id"]}
    partial["last_updated_at"] = ids.now_iso()
    ctx.tx.put("partial", partial)
    return answer


def delete_prompt_partial(ctx: Ctx) -> Any:
    """DELETE /prompts/partials/{id}: the partial and its versions."""
    partial = find_partial(ctx.tx, ctx.params["partial_id"])
    ctx.tx.delete_children("partial_version", partial["id"])
    ctx.tx.delete("partial", partial["id"])
    return {}


def list_partial_versions(ctx: Ctx) -> Any:
    """GET /prompts/partials/{id}/versions: a bare array of PromptPartialVersion."""
    partial = find_partial(ctx.tx, ctx.params["partial_id"])
    out = []
    for v in partial_versions(ctx.tx, partial):
        item = {
            "prompt_partial_id": partial["id"],
            "prompt_partial_version_id": v["id"],
            "slug": partial["slug"],
            # The spec types this `version` as a string (PromptPartial.version is a number).
            "version": str(v["version"]),
            "string": v["string"],
            "description": v["description"],
            "created_at": v["created_at"],
            "prompt_version_status": v["status"],
            "object": "partial",
        }
        out.append({k: x for k, x in item.items() if x is not None})
    return out


def publish_partial(ctx: Ctx) -> Any:
    """PUT /prompts/partials/{id}/makeDefault {version: N}."""
    partial = find_partial(ctx.tx, ctx.params["partial_id"])
    number = version_number(ctx.body)
    if not any(v["version"] == number for v in partial_versions(ctx.tx, partial)):
        raise not_found("prompt partial version", f"{partial['slug']}@{number}")
    partial["published_version"] = number
    partial["last_updated_at"] = ids.now_iso()
    ctx.tx.put("partial", partial)
    return {}
