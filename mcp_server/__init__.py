"""portkey-admin-mcp: the Portkey Admin API as MCP tools, plus GitOps plan/apply."""
