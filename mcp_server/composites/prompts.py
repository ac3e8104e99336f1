"""``migrate_prompt`` and ``promote_prompt``: prompt-as-code create-or-update and environment promotion.

Fixes over the existing servers (``seed-servers.md`` §4): the name lookup pages through every
search result; every supplied version field (template, parameters, model, virtual key, functions,
tools, tool_choice, the caller's own template_metadata keys) is compared canonically against the newest
version, as the GitOps engine compares versions: key order does not matter, nor what Portkey adds on
its own (template variables as ``""`` and a copy of ``model`` in ``parameters``, text parts);
``app``/``env`` are free strings; a dry run writes nothing and says what it would do, publishing
included; publishing happens only with ``publish=true``. ``promote_prompt`` applies every override
(``target_name``, ``virtual_key``, ``model``) on both the create and the update path, copies the
source's parameters without Portkey's additions (its copy of the source model would contradict a
``model`` override), has ``dry_run`` and ``publish``, and refuses a target that is the source.

``version_description`` is deliberately not compared: CI passes a new one (a commit id) on every
run, and a description alone must not make a new version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from engine.portkey import PortkeyClient, PortkeyError
from mcp_server import results
from mcp_server.errors import to_tool_error
from mcp_server.mappers import MapContext, template_fields
from mcp_server.prompt_versions import (
    VERSION_FIELDS,
    canonical,
    content_fields,
    latest_version,
    prompts_named,
    version_number,
)
from mcp_server.prompt_versions import changed_fields as changed_version_fields
from mcp_server.schema import id_field, opt_object, opt_objects, opt_str
from mcp_server.state import app_state

FINDERS = ("list_prompts", "list_collections")
# template_metadata keys the tools stamp themselves (never compared)
STAMPS = ("app", "env", "migrated_at", "promoted_from", "promoted_from_version", "promoted_at")
ENV_SUFFIXES = ("-dev", "-staging", "-prod")

MaybeStr = str | None
MaybeObject = dict[str, Any] | None
MaybeObjects = list[dict[str, Any]] | None
Template = Annotated[MaybeStr, opt_str("Prompt template text (mustache variables {{name}}); give this or messages.")]
Messages = Annotated[
    MaybeObjects, opt_objects("Chat messages [{role, content}] instead of string; stored as the JSON template.")
]
Model = Annotated[MaybeStr, opt_str("Model name, e.g. gpt-4o-mini.")]
VersionDescription = Annotated[
    MaybeStr, opt_str("Note stored with a new version (not compared: a new note alone writes nothing).")
]
TemplateMetadata = Annotated[MaybeObject, opt_object("Your metadata for the version; its keys are compared. app, env "
                                                   "and migrated_at are stamped by the tool.")]
Functions = Annotated[MaybeObjects, opt_objects("Function definitions [{name, description, parameters}].")]
Tools = Annotated[
    MaybeObjects, opt_objects("Tool definitions [{type: function, function: {name, description, parameters}}].")
]
ToolChoice = Annotated[
    MaybeObject, opt_object("Tool choice: {mode: auto|none|function, function_name} or the spec's object.")
]
TargetName = Annotated[MaybeStr, opt_str("Target prompt name (default: the source name with -dev/-staging/-prod "
                                       "replaced by -<target_env>).")]
TargetVirtualKey = Annotated[
    MaybeStr, opt_str("Virtual key (or provider) slug for the target (default: the source version's).")
]
TargetModel = Annotated[MaybeStr, opt_str("Model for the target (default: the source version's).")]
DryRun = Annotated[bool, Field(description="Report what would happen (publishing included); write nothing.")]
Publish = Annotated[bool, Field(description="Also make the written version the published default callers get.")]


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


def _version_fields(supplied: dict[str, Any]) -> dict[str, Any]:
    """The given version fields as Portkey stores them (messages → the JSON template string)."""
    fields = {name: value for name, value in supplied.items() if value is not None}
    template_fields(fields, MapContext("migrate_prompt"), required=True)
    return fields


def changed_fields(current: dict[str, Any], desired: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    """The supplied fields that differ from ``current`` (a prompt version), compared as the GitOps engine
    compares versions (:func:`mcp_server.prompt_versions.changed_fields`), then the caller's own metadata keys."""
    changed = changed_version_fields(current, {k: v for k, v in desired.items() if k in VERSION_FIELDS})
    held = current.get("template_metadata") or current.get("prompt_metadata") or {}
    if any(canonical(held.get(key)) != canonical(value) for key, value in metadata.items() if key not in STAMPS):
        changed.append("template_metadata")
    return changed


def _publish_note(answer: dict[str, Any]) -> str:
    if answer.get("would_publish"):
        return "; would publish it."
    return "; published." if answer["published"] else "; not published (publish=false)."


async def migrate_prompt(
    name: Annotated[str, Field(description="Prompt name; matched exactly (ignoring case) in the collection.")],
    app: Annotated[str, Field(description="Application name, stamped into template_metadata.app.")],
    env: Annotated[str, Field(description="Environment name, stamped into template_metadata.env.")],
    collection_id: Annotated[str, id_field("Collection id or slug the prompt lives in.")],
    parameters: Annotated[dict[str, Any], Field(description="Model parameters, e.g. {\"temperature\": 0.2}.")],
    virtual_key: Annotated[str, id_field("Virtual key (or provider) slug the prompt calls.")],
    ctx: Context,
    string: Template = None,
    messages: Messages = None,
    model: Model = None,
    version_description: VersionDescription = None,
    template_metadata: TemplateMetadata = None,
    functions: Functions = None,
    tools: Tools = None,
    tool_choice: ToolChoice = None,
    dry_run: DryRun = False,
    publish: Publish = False,
) -> CallToolResult:
    """Create or update a prompt by name; writes only when a supplied field differs."""
    client = app_state(ctx).client
    with client.command_deadline():  # PORTKEY_DEADLINE bounds the whole call, as in the CLI
        own_metadata = template_metadata or {}
        try:
            desired = _version_fields({"string": string, "messages": messages, "parameters": parameters,
                                       "virtual_key": virtual_key, "model": model, "functions": functions,
                                       "tools": tools, "tool_choice": tool_choice})
            metadata = {**own_metadata, "app": app, "env": env, "migrated_at": _now()}
            found = _single(await prompts_named(client, name, collection_id), name)
            if found is None:
                return await _create(client, name, collection_id, desired, version_description, metadata,
                                     dry_run=dry_run, publish=publish)
            prompt_id = str(found["id"])
            current, published = await latest_version(client, prompt_id)
            changed = changed_fields(current, desired, own_metadata)
            base = {"prompt_id": prompt_id, "slug": current.get("slug", found.get("slug")), "dry_run": dry_run,
                    "published": False}
            newest = current.get("prompt_version")
            if not changed:
                answer = {**base, "action": "unchanged", "version": newest}
                note = "."
                if publish and newest is not None and newest == published:
                    note = "; it is already the published version."
                elif publish:
                    if dry_run:
                        answer["would_publish"] = True
                    else:
                        answer["published"] = await _publish(client, prompt_id, newest)
                    note = _publish_note(answer)
                answer["message"] = f"Prompt {name!r} is up to date (version {newest}){note}"
                return results.ok("migrate_prompt", answer)
            answer = {**base, "action": "updated", "changed_fields": changed}
            if dry_run:
                answer["would_publish"] = publish
                answer["message"] = (f"Would write a new version of {name!r} ({', '.join(changed)} changed)"
                                     + _publish_note(answer))
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
                                 + _publish_note(answer))
            return results.ok("migrate_prompt", answer)
        except PortkeyError as exc:
            raise to_tool_error(exc, "migrate_prompt", FINDERS) from None


async def _create(client: PortkeyClient, name: str, collection_id: str, desired: dict[str, Any],
                  version_description: str | None, metadata: dict[str, Any], *, dry_run: bool,
                  publish: bool) -> CallToolResult:
    answer: dict[str, Any] = {"action": "created", "prompt_id": "", "slug": "", "dry_run": dry_run,
                              "published": False}
    if dry_run:
        answer["would_publish"] = publish
        answer["message"] = f"Would create prompt {name!r}" + _publish_note(answer)
        return results.ok("migrate_prompt", answer)
    body = {"name": name, "collection_id": collection_id, **desired, "template_metadata": metadata}
    if version_description is not None:
        body["version_description"] = version_description
    created = await client.call("create_prompt", body=body)
    answer.update(prompt_id=created.get("id"), slug=created.get("slug"), version_id=created.get("version_id"))
    if publish:
        answer["published"] = await _publish(client, str(created["id"]), 1)
    answer["message"] = f"Created prompt {name!r}" + _publish_note(answer)
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
    source_prompt_id: Annotated[str, id_field("Prompt id or slug to copy from (its published version).")],
    target_collection_id: Annotated[str, id_field("Collection id or slug of the target environment.")],
    target_env: Annotated[str, Field(description="Target environment name (dev, staging, prod, ...).")],
    ctx: Context,
    target_name: TargetName = None,
    virtual_key: TargetVirtualKey = None,
    model: TargetModel = None,
    dry_run: DryRun = False,
    publish: Publish = False,
) -> CallToolResult:
    """Copy the source prompt's published version into the target environment's prompt."""
    client = app_state(ctx).client
    with client.command_deadline():  # PORTKEY_DEADLINE bounds the whole call, as in the CLI
        try:
            source = await client.call("get_prompt", prompt_id=source_prompt_id)
            source_id, source_slug = str(source.get("id", source_prompt_id)), source.get("slug", source_prompt_id)
            number = source.get("prompt_version")
            name = target_name or target_name_for(str(source.get("name", "")), target_env)
            found = _single(await prompts_named(client, name, target_collection_id), name)
            if found is not None and str(found.get("id")) == source_id:
                raise ToolError(f"The target {name!r} is the source prompt itself: choose another target_name or "
                                "target_collection_id. Nothing was changed.")
            fields = content_fields(source)  # parameters without Portkey's additions (its copy of the source model)
            fields.update({k: v for k, v in (("virtual_key", virtual_key), ("model", model)) if v is not None})
            if not fields.get("virtual_key"):
                raise ToolError("Invalid argument 'virtual_key': the source version has none, so give the target's "
                                "virtual_key. Nothing was changed.")
            promoted_at = _now()
            metadata = {**(source.get("template_metadata") or {}), "env": target_env, "promoted_from": source_slug,
                        "promoted_from_version": str(number), "promoted_at": promoted_at}
            description = f"Promoted from {source_slug} v{number}"
            answer: dict[str, Any] = {
                "action": "updated" if found else "created", "source_prompt_id": source_id, "source_version": number,
                "target_name": name, "target_prompt_id": found.get("id") if found else "",
                "virtual_key": fields["virtual_key"], "model": fields.get("model"), "promoted_at": promoted_at,
                "dry_run": dry_run, "published": False,
            }
            if dry_run:
                answer["would_publish"] = publish
                answer["message"] = (f"Would {'update' if found else 'create'} {name!r} from {source_slug} v{number}"
                                     + _publish_note(answer))
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
            answer["message"] = f"Promoted {source_slug} v{number} to {name!r}" + _publish_note(answer)
            return results.ok("promote_prompt", answer)
        except PortkeyError as exc:
            raise to_tool_error(exc, "promote_prompt", FINDERS) from None
