"""``python -m mcp_server``: the same as the ``portkey-admin-mcp`` command."""

from mcp_server.main import run

run()
