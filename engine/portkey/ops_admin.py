"""Declarations for users, invites, workspaces and members, SCIM, API keys, virtual keys, providers,
integrations and secret references."""

from __future__ import annotations

from engine.portkey.operation import Operation

OPERATIONS: tuple[Operation, ...] = ()
