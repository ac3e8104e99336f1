"""Route rows for users, invites, workspaces (writes) and members, SCIM, API keys, virtual keys, providers,
integrations, secret references."""

from __future__ import annotations

from sandbox.routing import Operation

ROUTES: tuple[Operation, ...] = ()
