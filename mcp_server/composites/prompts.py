"""``migrate_prompt`` and ``promote_prompt``: prompt-as-code create-or-update and environment promotion.

Fixes over the existing servers (``seed-servers.md`` §4): the name lookup pages through every
search result; every supplied version field is compared canonically (key order does not
matter) against the newest version; publishing happens only when asked; ``promote_prompt``
honours every override (``virtual_key`` included) on both paths, has ``dry_run`` and refuses a
target that is the source.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from engine.portkey import PortkeyClient, PortkeyError
from mcp_server import results
from mcp_server.composites.common import (
    ENV_SUFFIXES,
    OptObject,
    OptObjects,
    OptStr,
    canonical,
    latest_version,
    prompts_named,
    version_number,
)
from mcp_server.errors import to_tool_error
from mcp_server.mappers import tool_choice as normal_tool_choice
from mcp_server.state import app_state

FINDERS = ("list_prompts", "list_collections")
# fields of a prompt version compared by migrate_prompt (when the caller supplies them)
COMPARED = ("string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _single(matches: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    if len(matches) > 1:
        ids = ", ".join(str(m.get("id")) for m in matches)
        raise ToolError(f"{len(matches)} prompts are named {name!r} in this collection ({ids}); delete the "
                        "duplicates with delete_prompt (or rename them) and call again.")
    return matches[0] if matches else None


async def _publish(client: PortkeyClient, prompt_id: str, number: int | None) -> bool:
    if number is None:
        raise ToolError("The new version was written, but its number could not be found to publish it; "
                        "publish it with list_prompt_versions and publish_prompt.")
    await client.call("publish_prompt", prompt_id=prompt_id, body={"version": number})
    return True


def _desired(string: str | None, messages: list[dict[str, Any]] | None, parameters: dict[str, Any],
             virtual_key: str, model: str | None, functions: Any, tools: Any, tool_choice: Any) -> dict[str, Any]:
    if string is not None and messages is not None:
        raise ToolError("Invalid argument 'messages': give string or messages, not both.")
    if string is None and messages is None:
        raise ToolError("Invalid argument 'string': give the template as string or as messages.")
    fields: dict[str, Any] = {
        "string": string if string is not None else json.dumps(messages, ensure_ascii=False),
        "parameters": parameters,
        "virtual_key": virtual_key,
    }
    for name, value in (("model", model), ("functions", functions), ("tools", tools),
                        ("tool_choice", normal_tool_choice(tool_choice))):
        if value is not None:
            fields[name] = value
    return fields


async def migrate_prompt(
    name: Annotated[str, Field(description="Prompt name; matched exactly (ignoring case) in the collection.")],
    app: Annotated[str, Field(description="Application name, stamped into template_metadata.app.")],
    env: Annotated[str, Field(description="Environment name, stamped into template_metadata.env.")],
    collection_id: Annotated[str, Field(description="Collection id or slug the prompt lives in.")],
    parameters: Annotated[dict[str, Any], Field(description="Model parameters, e.g. {\"temperature\": 0.2}.")],
    virtual_key: Annotated[str, Field(description="Virtual key (or provider) slug the prompt calls.")],
    ctx: Context,
    string: OptStr = None,
    messages: OptObjects = None,
    model: OptStr = None,
    version_description: OptStr = None,
    template_metadata: OptObject = None,
    functions: OptObjects = None,
    tools: OptObjects = None,
    tool_choice: OptObject = None,
    dry_run: Annotated[bool, Field(description="Report what would happen; write nothing.")] = False,
    publish: Annotated[bool, Field(description="Make the new version the published default.")] = False,
) -> CallToolResult:
    """Create or update a prompt by name; writes only when a supplied field differs."""
    state = app_state(ctx)
    client = state.client
    desired = _desired(string, messages, parameters, virtual_key, model, functions, tools, tool_choice)
    metadata = {**(template_metadata or {}), "app": app, "env": env, "migrated_at": _now()}
    try:
        found = _single(await prompts_named(client, name, collection_id), name)
        if found is None:
            return await _create(client, name, collection_id, desired, version_description, metadata,
                                 dry_run=dry_run, publish=publish)
        prompt_id = str(found["id"])
        current, published = await latest_version(client, prompt_id)
        changed = [f for f in COMPARED if f in desired and canonical(current.get(f)) != canonical(desired[f])]
        base = {"prompt_id": prompt_id, "slug": current.get("slug", found.get("slug")), "dry_run": dry_run}
        newest = current.get("prompt_version")
        if not changed:
            answer = {**base, "action": "unchanged", "version": newest, "published": False}
            if publish and newest is not None and newest != published:
                answer["published"] = dry_run or await _publish(client, prompt_id, newest)
            answer["message"] = f"Prompt {name!r} is up to date (version {newest})."
            return results.ok("migrate_prompt", answer)
        answer = {**base, "action": "updated", "changed_fields": changed, "published": False}
        if dry_run:
            answer["message"] = f"Would write a new version of {name!r}: {', '.join(changed)} changed."
            return results.ok("migrate_prompt", answer)
        body = {**desired, "prompt_metadata": metadata, "patch": True}
        if version_description is not None:
            body["version_description"] = version_description
        written = await client.call("update_prompt", prompt_id=prompt_id, body=body)
        version_id = written.get("prompt_version_id")
        answer["version_id"] = version_id
        if publish:
            answer["published"] = await _publish(client, prompt_id,
                                                 await version_number(client, prompt_id, version_id))
        answer["message"] = (f"Wrote a new version of {name!r} ({', '.join(changed)} changed)"
                             + ("; published." if answer["published"] else "; not published (publish=false)."))
        return results.ok("migrate_prompt", answer)
    except PortkeyError as exc:
        raise to_tool_error(exc, "migrate_prompt", FINDERS) from None


async def _create(client: PortkeyClient, name: str, collection_id: str, desired: dict[str, Any],
                  version_description: str | None, metadata: dict[str, Any], *, dry_run: bool,
                  publish: bool) -> CallToolResult:
    answer: dict[str, Any] = {"action": "created", "prompt_id": "", "slug": "", "dry_run": dry_run,
                              "published": False}
    if dry_run:
        answer["message"] = f"Would create prompt {name!r}."
        return results.ok("migrate_prompt", answer)
    body = {"name": name, "collection_id": collection_id, **desired, "template_metadata": metadata}
    if version_description is not None:
        body["version_description"] = version_description
    created = await client.call("create_prompt", body=body)
    answer.update(prompt_id=created.get("id"), slug=created.get("slug"), version_id=created.get("version_id"))
    if publish:
        answer["published"] = await _publish(client, str(created["id"]), 1)
    answer["message"] = f"Created prompt {name!r}."
    return results.ok("migrate_prompt", answer)


def target_name_for(source_name: str, target_env: str) -> str:
    """``support-staging`` → ``support-prod`` for ``target_env="prod"``."""
    base = source_name
    for suffix in ENV_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}-{target_env}"


async def promote_prompt(
    source_prompt_id: Annotated[str, Field(description="Prompt id or slug to copy from (its published version).")],
    target_collection_id: Annotated[str, Field(description="Collection id or slug of the target environment.")],
    target_env: Annotated[str, Field(description="Target environment name (dev, staging, prod, ...).")],
    ctx: Context,
    target_name: OptStr = None,
    virtual_key: OptStr = None,
    dry_run: Annotated[bool, Field(description="Report what would happen; write nothing.")] = False,
    publish: Annotated[bool, Field(description="Make the promoted version the target's published default.")] = False,
) -> CallToolResult:
    """Copy the source prompt's published version into the target environment's prompt."""
    client = app_state(ctx).client
    try:
        source = await client.call("get_prompt", prompt_id=source_prompt_id)
        source_id, source_slug = str(source.get("id", source_prompt_id)), source.get("slug", source_prompt_id)
        number = source.get("prompt_version")
        name = target_name or target_name_for(str(source.get("name", "")), target_env)
        found = _single(await prompts_named(client, name, target_collection_id), name)
        if found is not None and str(found.get("id")) == source_id:
            raise ToolError(f"The target {name!r} is the source prompt itself: choose another target_name or "
                            "target_collection_id. Nothing was changed.")
        fields = {k: source[k] for k in COMPARED if source.get(k) is not None}
        if virtual_key is not None:
            fields["virtual_key"] = virtual_key
        promoted_at = _now()
        metadata = {**(source.get("template_metadata") or {}), "env": target_env, "promoted_from": source_slug,
                    "promoted_from_version": str(number), "promoted_at": promoted_at}
        description = f"Promoted from {source_slug} v{number}"
        answer: dict[str, Any] = {
            "action": "updated" if found else "created", "source_prompt_id": source_id, "source_version": number,
            "target_name": name, "target_prompt_id": found.get("id") if found else "",
            "virtual_key": fields.get("virtual_key"), "promoted_at": promoted_at, "dry_run": dry_run,
            "published": False,
        }
        if not fields.get("virtual_key"):
            raise ToolError("Cannot promote: the source version has no virtual_key and none was given; pass "
                            "virtual_key.")
        if dry_run:
            answer["message"] = f"Would {'update' if found else 'create'} {name!r} from {source_slug} v{number}."
            return results.ok("promote_prompt", answer)
        if found:
            target_id = str(found["id"])
            body = {**fields, "version_description": description, "prompt_metadata": metadata, "patch": True}
            written = await client.call("update_prompt", prompt_id=target_id, body=body)
            version_id = written.get("prompt_version_id")
            target_number = await version_number(client, target_id, version_id) if publish else None
        else:
            body = {"name": name, "collection_id": target_collection_id, **fields,
                    "version_description": description, "template_metadata": metadata}
            written = await client.call("create_prompt", body=body)
            target_id, version_id, target_number = str(written["id"]), written.get("version_id"), 1
        answer.update(target_prompt_id=target_id, target_slug=written.get("slug"), target_version_id=version_id)
        if publish:
            answer["published"] = await _publish(client, target_id, target_number)
        answer["message"] = f"Promoted {source_slug} v{number} to {name!r}" + (
            "; published." if answer["published"] else "; not published (publish=false).")
        return results.ok("promote_prompt", answer)
    except PortkeyError as exc:
        raise to_tool_error(exc, "promote_prompt", FINDERS) from None
