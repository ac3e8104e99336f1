"""Adopting an unmanaged Portkey object: give it our marker so plans manage it (``import``).

Labels get the marker at the end of their description; every other kind is
renamed to ``<prefix><key>``, which Portkey does in place (ids and slugs stay).
Prompts are renamed only: no new version is made.
"""

from __future__ import annotations

from typing import Any

from engine.gitops.live import label_description
from engine.gitops.model import ResourceKind, split_address
from engine.portkey import PortkeyClient, PortkeyError

# kind -> (get operation, update operation, id argument)
_OPS: dict[ResourceKind, tuple[str, str, str]] = {
    ResourceKind.LABEL: ("get_prompt_label", "update_prompt_label", "label_id"),
    ResourceKind.COLLECTION: ("get_collection", "update_collection", "collection_id"),
    ResourceKind.PARTIAL: ("get_prompt_partial", "update_prompt_partial", "prompt_partial_id"),
    ResourceKind.PROMPT: ("get_prompt", "update_prompt", "prompt_id"),
    ResourceKind.GUARDRAIL: ("get_guardrail", "update_guardrail", "guardrail_id"),
    ResourceKind.CONFIG: ("get_config", "update_config", "slug"),
    ResourceKind.RATE_LIMIT: ("get_rate_limit", "update_rate_limit", "id"),
    ResourceKind.USAGE_LIMIT: ("get_usage_limit", "update_usage_limit", "id"),
}


async def adopt(client: PortkeyClient, target: str, remote_id: str, prefix: str) -> dict[str, Any]:
    """Mark object ``remote_id`` as the managed object for address ``target``."""
    kind, key = split_address(target)
    get_op, update_op, id_arg = _OPS[kind]
    current = await client.call(get_op, **{id_arg: remote_id})
    if kind is ResourceKind.LABEL:
        if current.get("name") != key:
            raise PortkeyError(
                f"label {remote_id} is named {current.get('name')!r}; a label's key must equal its name ({key!r})"
            )
        body: dict[str, Any] = {"description": label_description(current.get("description"))}
        new_name = current.get("name")
    else:
        new_name = f"{prefix}{key}"
        body = {"name": new_name}
    await client.call(update_op, body=body, **{id_arg: str(current.get("slug") or remote_id)
                                               if kind is ResourceKind.CONFIG else remote_id})
    return {"address": target, "id": current.get("id", remote_id), "slug": current.get("slug"), "name": new_name}
