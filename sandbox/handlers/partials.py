"""Prompt partials: reusable template snippets with numbered versions and a published one."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid
from sandbox.fields import check_name_chars, opt_enum, opt_str
from sandbox.handlers.collections import default_collection
from sandbox.handlers.versions import Versioned, listed_status, versions_answer
from sandbox.store import Doc, Tx

PARTIALS = Versioned("partial", "prompt partial", "prompt_partial_id")


def partial_text(tx: Tx, ref: str) -> str:
    """The text a `{{>ref}}` tag stands for: `slug` (published), `slug@N` or `slug@latest`."""
    slug, _, pin = ref.partition("@")
    partial = tx.find("partial", slug)
    if partial is None:
        raise invalid("string", f"unknown partial '{slug}' in {{{{>{ref}}}}}")
    if pin and pin != "latest" and not pin.isdigit():
        raise invalid("string", f"bad partial version in {{{{>{ref}}}}}")
    version = PARTIALS.at(tx, partial, pin)
    if version is None:
        raise invalid("string", f"partial '{slug}' has no version {pin}")
    return version["string"]


def _new_version(tx: Tx, partial: Doc, string: str, description: str | None) -> Doc:
    return PARTIALS.new_version(tx, partial, {"string": string, "description": description})


def create_prompt_partial(ctx: Ctx) -> Any:
    """POST /prompts/partials {name*, string*, workspace_id, version_description}: version 1,
    published at once → {id, slug, version_id}."""
    name = opt_str(ctx.body, "name", required=True)
    check_name_chars(name, ctx.quirks["name_chars"])
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
    items = PARTIALS.listed(ctx)
    keys = ("id", "slug", "name", "collection_id", "created_at", "last_updated_at", "status")
    return [{**{k: p[k] for k in keys}, "object": "partial"} for p in items]


def get_prompt_partial(ctx: Ctx) -> Any:
    """GET /prompts/partials/{id}: the partial at its published version."""
    partial = PARTIALS.find(ctx.tx, ctx.params["prompt_partial_id"])
    version = PARTIALS.at(ctx.tx, partial, "")
    assert version is not None, "published version missing"
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
    partial = PARTIALS.find(ctx.tx, ctx.params["prompt_partial_id"])
    name = opt_str(ctx.body, "name", nonblank=True)
    check_name_chars(name, ctx.quirks["name_chars"])
    if name is not None:
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
    if not answer or ctx.quirks["listing_stamp"] == "moves":  # quirk listing_stamp: a new version moves it?
        partial["last_updated_at"] = ids.now_iso()
    ctx.tx.put("partial", partial)
    return answer


delete_prompt_partial = PARTIALS.delete  # DELETE /prompts/partials/{id}: the partial and its versions
publish_partial = PARTIALS.publish  # PUT /prompts/partials/{id}/makeDefault {version: N}


def list_partial_versions(ctx: Ctx) -> Any:
    """GET /prompts/partials/{id}/versions: PromptPartialVersion rows, wrapped `{data}` newest first
    by default (quirks `versions_envelope`, `active_version`)."""
    partial = PARTIALS.find(ctx.tx, ctx.params["prompt_partial_id"])
    out = []
    versions = PARTIALS.versions(ctx.tx, partial)
    for v in versions:
        item = {
            "prompt_partial_id": partial["id"],
            "prompt_partial_version_id": v["id"],
            "slug": partial["slug"],
            # The spec types this `version` as a string (PromptPartial.version is a number).
            "version": str(v["version"]),
            "string": v["string"],
            "description": v["description"],
            "created_at": v["created_at"],
            "prompt_version_status": listed_status(
                partial, v, versions[-1]["version"], ctx.quirks["active_version"]
            ),
            "object": "partial",
        }
        out.append({k: x for k, x in item.items() if x is not None})
    return versions_answer(out, ctx.quirks["versions_envelope"])
