"""portkey-admin-mcp: the Portkey Admin API as MCP tools, plus the GitOps workflow (gitops_validate,
gitops_plan, gitops_apply, gitops_drift, gitops_export)."""
