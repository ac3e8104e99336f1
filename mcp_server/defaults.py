"""Defaults for parameters the seed servers never required (seed compatibility, issue 11).

Portkey's spec requires ``workspace_slug`` on every analytics endpoint and ``start_time``,
``end_time``, ``organisation_id`` on ``GET /audit-logs``; the seed tools did not ask for them.
The tools keep them optional and fill them here when the caller leaves them out:

- ``workspace_slug``: the API key's workspace. ``GET /admin/workspaces`` answers a workspace key
  with its one workspace (``/work/shared/portkey-live/responses/workspaces-list.json``: a
  workspace-service key sees exactly one, ``is_default: 1``); with several, the default one.
- ``organisation_id``: that workspace's ``organisation_id`` (``GET /admin/workspaces/{id}``,
  ``workspaces-get.json`` carries it; so does every API key, ``api-keys-get.json``).
- ``start_time``/``end_time``: the last :data:`AUDIT_WINDOW_DAYS` days, ending now.

What was learnt about the key is cached per client, so a session asks Portkey once.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.portkey import PortkeyClient, PortkeyUsageError
from engine.portkey.normalize import list_items

AUDIT_WINDOW_DAYS = 30
WORKSPACE_TEXT = "default: the API key's workspace (its only one, else the default workspace)"
ORGANISATION_TEXT = "default: the organisation of the API key's workspace"

# tool → parameters this module fills when they are missing
ANALYTICS_DEFAULTS = ("workspace_slug",)
AUDIT_DEFAULTS = ("start_time", "end_time", "organisation_id")
DESCRIPTIONS: Mapping[str, str] = {
    "workspace_slug": f"Workspace slug; {WORKSPACE_TEXT}.",
    "organisation_id": f"Organisation id (UUID); {ORGANISATION_TEXT}.",
    "start_time": f"Start of the window (ISO 8601 date-time); default: {AUDIT_WINDOW_DAYS} days before end_time.",
    "end_time": "End of the window (ISO 8601 date-time); default: now.",
}

_scopes: weakref.WeakKeyDictionary[PortkeyClient, dict[str, str]] = weakref.WeakKeyDictionary()


def defaulted(tool: str, group: str) -> tuple[str, ...]:
    """The parameters of ``tool`` that are optional here although Portkey requires them."""
    if group == "analytics":
        return ANALYTICS_DEFAULTS
    if tool == "list_audit_logs":
        return AUDIT_DEFAULTS
    return ()


async def key_workspace(client: PortkeyClient) -> dict[str, str]:
    """``{slug, id, organisation_id}`` of the API key's workspace (asked once per client)."""
    cached = _scopes.get(client)
    if cached is not None:
        return cached
    items, _, _ = list_items(await client.call("list_workspaces", current_page=0, page_size=50))
    workspaces = [w for w in items if isinstance(w, dict)]
    chosen = workspaces[0] if len(workspaces) == 1 else next((w for w in workspaces if _is_default(w)), None)
    if chosen is None:
        raise PortkeyUsageError("workspace", "this API key sees several workspaces and none is the default; give "
                                "workspace_slug (list_workspaces shows them)", "workspace_slug")
    scope = {"slug": str(chosen.get("slug") or chosen.get("id")), "id": str(chosen.get("id") or "")}
    organisation = chosen.get("organisation_id")
    if not organisation and scope["id"]:
        organisation = (await client.call("get_workspace", workspace_id=scope["id"])).get("organisation_id")
    if not organisation:  # every API key names its organisation (api-keys-get.json)
        keys, _, _ = list_items(await client.call("list_api_keys", current_page=0, page_size=1))
        organisation = next((k.get("organisation_id") for k in keys if isinstance(k, dict)), None)
    scope["organisation_id"] = str(organisation or "")
    _scopes[client] = scope
    return scope


def _is_default(workspace: dict[str, Any]) -> bool:
    """Live answers carry ``is_default`` at the top (workspaces-list.json); the spec nests it in ``defaults``."""
    nested = workspace.get("defaults")
    return bool(workspace.get("is_default") or (isinstance(nested, dict) and nested.get("is_default")))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def fill(tool: str, group: str, client: PortkeyClient, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with the missing defaulted parameters filled in."""
    missing = [name for name in defaulted(tool, group) if args.get(name) in (None, "")]
    if not missing:
        return args
    filled = dict(args)
    if "end_time" in missing:
        filled["end_time"] = _iso(datetime.now(UTC))
    if "start_time" in missing:
        try:
            end = datetime.fromisoformat(str(filled["end_time"]).replace("Z", "+00:00"))
        except ValueError:
            raise PortkeyUsageError(tool, "end_time must be an ISO 8601 date-time", "end_time") from None
        filled["start_time"] = _iso(end - timedelta(days=AUDIT_WINDOW_DAYS))
    if "workspace_slug" in missing or "organisation_id" in missing:
        scope = await key_workspace(client)
        if "workspace_slug" in missing:
            filled["workspace_slug"] = scope["slug"]
        if "organisation_id" in missing:
            if not scope["organisation_id"]:
                raise PortkeyUsageError(tool, "the organisation of this API key could not be found; give "
                                        "organisation_id", "organisation_id")
            filled["organisation_id"] = scope["organisation_id"]
    return filled
