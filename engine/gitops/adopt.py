"""Adopting an unmanaged Portkey object: give it our marker so plans manage it (``import``).

Labels get the marker at the end of their description; every other kind is
renamed to ``<prefix><key>`` (in the account's name style), which Portkey does in place (ids and slugs stay).
Prompts are renamed only: no new version is made.
"""

from __future__ import annotations

from typing import Any

from engine.gitops.kinds import OPERATIONS, target_id
from engine.gitops.live import label_description, remote_name
from engine.gitops.model import ResourceKind, split_address
from engine.portkey import PortkeyClient, PortkeyError


async def adopt(
    client: PortkeyClient, target: str, remote_id: str, prefix: str, name_style: str = "any"
) -> dict[str, Any]:
    """Mark object ``remote_id`` as the managed object for address ``target``.

    ``name_style`` is the ``name_chars`` switch (engine.gitops.behaviour): the marked name is built by
    :func:`engine.gitops.live.remote_name`, so an ``ascii`` account gets ``gitops-support.triage``."""
    kind, key = split_address(target)
    operations = OPERATIONS[kind]
    current = await client.call(operations.get, **{operations.id_arg: remote_id})
    if kind is ResourceKind.LABEL:
        if current.get("name") != key:
            raise PortkeyError(
                f"label {remote_id} is named {current.get('name')!r}; a label's key must equal its name ({key!r})"
            )
        body: dict[str, Any] = {"description": label_description(current.get("description"))}
        new_name = current.get("name")
    else:
        new_name = remote_name(kind, key, prefix, {}, name_style)
        body = {"name": new_name}
    await client.call(operations.update, body=body,
                      **{operations.id_arg: target_id(kind, remote_id, current.get("slug"))})
    return {"address": target, "id": current.get("id", remote_id), "slug": current.get("slug"), "name": new_name}
