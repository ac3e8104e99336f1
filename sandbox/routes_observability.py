"""Route rows for MCP integrations and servers, logs, log exports, feedback, audit logs, analytics,
model pricing."""

from __future__ import annotations

from sandbox.routing import Operation

ROUTES: tuple[Operation, ...] = ()
