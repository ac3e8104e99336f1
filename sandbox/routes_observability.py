"""Route rows for MCP integrations and servers, logs, log exports, feedback, audit logs, analytics,
model pricing.

Catalogue tools that share one endpoint have one row with aliases: `get_log` also serves
`get_trace` (`GET /logs/{id}`), `get_analytics_group_users` also serves `get_user_stats`.
`GET /logs` (`list_traces`) has no row: the live API answers it with 405 (portkey-api.md §10,
last paragraph), and so does the router. `PUBLIC` rows live at the host root, outside `/v1`,
and need no key (see app.py).
"""

from __future__ import annotations

from sandbox.handlers import (
    analytics,
    analytics_groups,
    audit,
    feedback,
    log_exports,
    logs,
    mcp_integrations,
    mcp_servers,
    pricing,
)
from sandbox.routing import Operation

_INTEGRATION = "/mcp-integrations/{integration_id}"
_SERVER = "/mcp-servers/{server_id}"
_EXPORT = "/logs/exports/{export_id}"

MCP: tuple[Operation, ...] = (
    Operation("list_mcp_integrations", "GET", "/mcp-integrations", mcp_integrations.list_mcp_integrations),
    Operation("create_mcp_integration", "POST", "/mcp-integrations", mcp_integrations.create_mcp_integration),
    Operation("get_mcp_integration", "GET", _INTEGRATION, mcp_integrations.get_mcp_integration),
    Operation("update_mcp_integration", "PUT", _INTEGRATION, mcp_integrations.update_mcp_integration),
    Operation("delete_mcp_integration", "DELETE", _INTEGRATION, mcp_integrations.delete_mcp_integration),
    Operation("get_mcp_integration_metadata", "GET", f"{_INTEGRATION}/metadata",
              mcp_integrations.get_mcp_integration_metadata),
    Operation("list_mcp_integration_capabilities", "GET", f"{_INTEGRATION}/capabilities",
              mcp_integrations.list_mcp_integration_capabilities),
    Operation("update_mcp_integration_capabilities", "PUT", f"{_INTEGRATION}/capabilities",
              mcp_integrations.update_mcp_integration_capabilities),
    Operation("list_mcp_integration_workspaces", "GET", f"{_INTEGRATION}/workspaces",
              mcp_integrations.list_mcp_integration_workspaces),
    Operation("update_mcp_integration_workspaces", "PUT", f"{_INTEGRATION}/workspaces",
              mcp_integrations.update_mcp_integration_workspaces),
    Operation("list_mcp_servers", "GET", "/mcp-servers", mcp_servers.list_mcp_servers),
    Operation("create_mcp_server", "POST", "/mcp-servers", mcp_servers.create_mcp_server),
    Operation("get_mcp_server", "GET", _SERVER, mcp_servers.get_mcp_server),
    Operation("update_mcp_server", "PUT", _SERVER, mcp_servers.update_mcp_server),
    Operation("delete_mcp_server", "DELETE", _SERVER, mcp_servers.delete_mcp_server),
    Operation("test_mcp_server", "POST", f"{_SERVER}/test", mcp_servers.test_mcp_server),
    Operation("list_mcp_server_capabilities", "GET", f"{_SERVER}/capabilities",
              mcp_servers.list_mcp_server_capabilities),
    Operation("update_mcp_server_capabilities", "PUT", f"{_SERVER}/capabilities",
              mcp_servers.update_mcp_server_capabilities),
    Operation("list_mcp_server_user_access", "GET", f"{_SERVER}/user-access",
              mcp_servers.list_mcp_server_user_access),
    Operation("update_mcp_server_user_access", "PUT", f"{_SERVER}/user-access",
              mcp_servers.update_mcp_server_user_access),
    Operation("list_mcp_server_connections", "GET", f"{_SERVER}/connections",
              mcp_servers.list_mcp_server_connections),
    Operation("disconnect_mcp_server_connection", "DELETE", f"{_SERVER}/connections",
              mcp_servers.disconnect_mcp_server_connection),
)

LOGS: tuple[Operation, ...] = (
    Operation("insert_log", "POST", "/logs", logs.insert_log),
    Operation("get_log", "GET", "/logs/{log_id}", logs.get_log, aliases=("get_trace",)),
    Operation("create_feedback", "POST", "/feedback", feedback.create_feedback),
    Operation("update_feedback", "PUT", "/feedback/{feedback_id}", feedback.update_feedback),
    Operation("create_log_export", "POST", "/logs/exports", log_exports.create_log_export),
    Operation("list_log_exports", "GET", "/logs/exports", log_exports.list_log_exports),
    Operation("get_log_export_field_restrictions", "GET", "/logs/exports/field-restrictions",
              log_exports.get_log_export_field_restrictions),
    Operation("get_log_export", "GET", _EXPORT, log_exports.get_log_export),
    Operation("update_log_export", "PUT", _EXPORT, log_exports.update_log_export),
    Operation("start_log_export", "POST", f"{_EXPORT}/start", log_exports.start_log_export),
    Operation("cancel_log_export", "POST", f"{_EXPORT}/cancel", log_exports.cancel_log_export),
    Operation("download_log_export", "GET", f"{_EXPORT}/download", log_exports.download_log_export),
    Operation("list_audit_logs", "GET", "/audit-logs", audit.list_audit_logs),
)

_GRAPHS = {
    "requests": analytics.get_request_analytics,
    "cost": analytics.get_cost_analytics,
    "latency": analytics.get_latency_analytics,
    "tokens": analytics.get_token_analytics,
    "users": analytics.get_users_analytics,
    "users/requests": analytics.get_user_requests_analytics,
    "errors": analytics.get_error_analytics,
    "errors/rate": analytics.get_error_rate_analytics,
    "errors/stacks": analytics.get_error_stacks_analytics,
    "errors/status-codes": analytics.get_error_status_codes_analytics,
    "requests/rescued": analytics.get_rescued_requests_analytics,
    "cache/hit-rate": analytics.get_cache_hit_rate,
    "cache/latency": analytics.get_cache_hit_latency,
    "feedbacks": analytics.get_feedback_analytics,
    "feedbacks/scores": analytics.get_feedback_scores_analytics,
    "feedbacks/weighted": analytics.get_feedback_weighted_analytics,
    "feedbacks/ai-models": analytics.get_feedback_models_analytics,
}

ANALYTICS: tuple[Operation, ...] = (
    *(Operation(handler.__name__, "GET", f"/analytics/graphs/{path}", handler) for path, handler in _GRAPHS.items()),
    Operation("get_cache_summary_analytics", "GET", "/analytics/summary/cache", analytics.get_cache_summary_analytics),
    Operation("get_analytics_group_users", "GET", "/analytics/groups/users",
              analytics_groups.get_analytics_group_users, aliases=("get_user_stats",)),
    Operation("get_analytics_group_models", "GET", "/analytics/groups/ai-models",
              analytics_groups.get_analytics_group_models),
    Operation("get_analytics_group_metadata", "GET", "/analytics/groups/metadata/{metadata_key}",
              analytics_groups.get_analytics_group_metadata),
)

ROUTES: tuple[Operation, ...] = MCP + LOGS + ANALYTICS

PUBLIC: tuple[Operation, ...] = (
    Operation("get_model_pricing", "GET", "/model-configs/pricing/{provider}/{model}", pricing.get_model_pricing),
)
