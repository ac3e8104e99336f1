"""Declarations for MCP integrations and servers, logs, log exports, feedback, audit logs, analytics and
model pricing."""

from __future__ import annotations

from engine.portkey.operation import Operation

OPERATIONS: tuple[Operation, ...] = ()
