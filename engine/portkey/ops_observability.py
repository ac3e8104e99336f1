"""Declarations for MCP integrations and servers, logs, log exports, feedback, audit logs, analytics and
model pricing."""

from __future__ import annotations

from collections.abc import Mapping

from engine.portkey import bodies_observability as b
from engine.portkey import normalize as n
from engine.portkey.operation import PAGE_QUERY, WS_QUERY, D, Operation, Paging, R, W, q

# The optional analytics filters of the spec (portkey-api.md §12 preamble); list-valued ones
# are comma-separated strings on the wire.
ANALYTICS_FILTERS: Mapping[str, type] = q(
    total_units_min=int, total_units_max=int, cost_min=float, cost_max=float,
    prompt_token_min=int, prompt_token_max=int, completion_token_min=int, completion_token_max=int,
    status_code=str, weighted_feedback_min=float, weighted_feedback_max=float,
    virtual_keys=str, configs=str, api_key_ids=str, metadata=str, ai_org_model=str,
    trace_id=str, span_id=str, prompt_slug=str,
)
ANALYTICS_QUERY = q(
    dict(workspace_slug=str, time_of_generation_min=str, time_of_generation_max=str), ANALYTICS_FILTERS
)
ANALYTICS_REQUIRED = ("workspace_slug", "time_of_generation_min", "time_of_generation_max")
AUDIT_QUERY = q(
    PAGE_QUERY, start_time=str, end_time=str, organisation_id=str, method=str, uri=str,
    request_id=str, user_id=str, user_type=str, workspace_id=str, response_status_code=int,
    resource_type=str, action=str, client_ip=str, country=str,
)
ONE_BASED = q(page=int, page_size=int)


def _graph(name: str, path: str) -> Operation:
    return Operation(name, "analytics", R, "GET", path, query=ANALYTICS_QUERY,
                     required_query=ANALYTICS_REQUIRED, enterprise=True)


def _group(name: str, path: str) -> Operation:
    return Operation(name, "analytics", R, "GET", path, query=q(ANALYTICS_QUERY, PAGE_QUERY),
                     required_query=ANALYTICS_REQUIRED, paging=Paging.OFFSET, enterprise=True)


MCP: tuple[Operation, ...] = (
    # integrations
    Operation("list_mcp_integrations", "mcp", R, "GET", "/mcp-integrations",
              query=q(PAGE_QUERY, WS_QUERY, organisation_id=str, type=str, search=str),
              paging=Paging.OFFSET),
    Operation("create_mcp_integration", "mcp", W, "POST", "/mcp-integrations",
              body=b.McpIntegrationCreate, body_required=True),
    Operation("get_mcp_integration", "mcp", R, "GET", "/mcp-integrations/{id}"),
    Operation("update_mcp_integration", "mcp", W, "PUT", "/mcp-integrations/{id}",
              body=b.McpIntegrationUpdate, body_required=True),
    Operation("delete_mcp_integration", "mcp", D, "DELETE", "/mcp-integrations/{id}"),
    Operation("get_mcp_integration_metadata", "mcp", R, "GET", "/mcp-integrations/{id}/metadata"),
    Operation("list_mcp_integration_capabilities", "mcp", R, "GET",
              "/mcp-integrations/{id}/capabilities", query=q(ONE_BASED, type=str), paging=Paging.PAGE),
    Operation("update_mcp_integration_capabilities", "mcp", W, "PUT",
              "/mcp-integrations/{id}/capabilities", body=b.CapabilitiesUpdate, body_required=True),
    Operation("list_mcp_integration_workspaces", "mcp", R, "GET", "/mcp-integrations/{id}/workspaces",
              query=q(version=str), normalize=n.mcp_integration_workspaces),
    Operation("update_mcp_integration_workspaces", "mcp", W, "PUT", "/mcp-integrations/{id}/workspaces",
              body=b.McpIntegrationWorkspacesUpdate, body_required=True),
    # servers
    Operation("list_mcp_servers", "mcp", R, "GET", "/mcp-servers",
              query=q(PAGE_QUERY, WS_QUERY, id=str, search=str), paging=Paging.OFFSET),
    Operation("create_mcp_server", "mcp", W, "POST", "/mcp-servers", body=b.McpServerCreate,
              body_required=True),
    Operation("get_mcp_server", "mcp", R, "GET", "/mcp-servers/{id}"),
    Operation("update_mcp_server", "mcp", W, "PUT", "/mcp-servers/{id}", body=b.McpServerUpdate,
              body_required=True),
    Operation("delete_mcp_server", "mcp", D, "DELETE", "/mcp-servers/{id}"),
    Operation("test_mcp_server", "mcp", W, "POST", "/mcp-servers/{id}/test"),
    Operation("list_mcp_server_capabilities", "mcp", R, "GET", "/mcp-servers/{id}/capabilities",
              query=q(ONE_BASED, type=str), paging=Paging.PAGE),
    Operation("update_mcp_server_capabilities", "mcp", W, "PUT", "/mcp-servers/{id}/capabilities",
              body=b.CapabilitiesUpdate, body_required=True),
    Operation("list_mcp_server_user_access", "mcp", R, "GET", "/mcp-servers/{id}/user-access",
              query=q(ONE_BASED, search=str), paging=Paging.PAGE),
    Operation("update_mcp_server_user_access", "mcp", W, "PUT", "/mcp-servers/{id}/user-access",
              body=b.UserAccessUpdate, body_required=True),
    Operation("list_mcp_server_connections", "mcp", R, "GET", "/mcp-servers/{id}/connections",
              query=q(PAGE_QUERY, WS_QUERY, user_id=str), paging=Paging.OFFSET),
    Operation("disconnect_mcp_server_connection", "mcp", D, "DELETE", "/mcp-servers/{id}/connections",
              query=q(WS_QUERY, user_id=str)),
)

LOGS: tuple[Operation, ...] = (
    # data plane: custom logs and their reads
    Operation("insert_log", "logging", W, "POST", "/logs", body=b.LogInsert, body_required=True),
    Operation("get_log", "logging", R, "GET", "/logs/{log_id}",
              query=q(path_format=str, created_at=str, type=str), in_spec=False),
    Operation("list_traces", "tracing", R, "GET", "/logs",
              query=q(PAGE_QUERY, WS_QUERY, search=str), in_spec=False),
    Operation("get_trace", "tracing", R, "GET", "/logs/{id}"),
    # feedback
    Operation("create_feedback", "tracing", W, "POST", "/feedback", body=b.FeedbackCreate,
              body_required=True),
    Operation("update_feedback", "tracing", W, "PUT", "/feedback/{id}", body=b.FeedbackUpdate,
              body_required=True),
    # log exports
    Operation("create_log_export", "logging", W, "POST", "/logs/exports", body=b.LogExportCreate,
              body_required=True, enterprise=True),
    Operation("list_log_exports", "logging", R, "GET", "/logs/exports", query=q(WS_QUERY),
              enterprise=True),
    Operation("get_log_export", "logging", R, "GET", "/logs/exports/{export_id}", enterprise=True),
    Operation("update_log_export", "logging", W, "PUT", "/logs/exports/{export_id}",
              body=b.LogExportUpdate, body_required=True, enterprise=True),
    Operation("start_log_export", "logging", W, "POST", "/logs/exports/{export_id}/start",
              enterprise=True),
    Operation("cancel_log_export", "logging", D, "POST", "/logs/exports/{export_id}/cancel",
              enterprise=True),
    Operation("download_log_export", "logging", R, "GET", "/logs/exports/{export_id}/download",
              enterprise=True),
    Operation("get_log_export_field_restrictions", "logging", R, "GET",
              "/logs/exports/field-restrictions", query=q(WS_QUERY), required_query=("workspace_id",),
              enterprise=True, in_spec=False),
    # audit logs
    Operation("list_audit_logs", "audit", R, "GET", "/audit-logs", query=AUDIT_QUERY,
              required_query=("start_time", "end_time", "organisation_id"), paging=Paging.OFFSET,
              enterprise=True),
    # public model pricing: served at the host root (no /v1) without the key
    Operation("get_model_pricing", "pricing", R, "GET", "/model-configs/pricing/{provider}/{model}", public=True),
)

ANALYTICS: tuple[Operation, ...] = (
    _graph("get_request_analytics", "/analytics/graphs/requests"),
    _graph("get_cost_analytics", "/analytics/graphs/cost"),
    _graph("get_latency_analytics", "/analytics/graphs/latency"),
    _graph("get_token_analytics", "/analytics/graphs/tokens"),
    _graph("get_users_analytics", "/analytics/graphs/users"),
    _graph("get_user_requests_analytics", "/analytics/graphs/users/requests"),
    _graph("get_error_analytics", "/analytics/graphs/errors"),
    _graph("get_error_rate_analytics", "/analytics/graphs/errors/rate"),
    _graph("get_error_stacks_analytics", "/analytics/graphs/errors/stacks"),
    _graph("get_error_status_codes_analytics", "/analytics/graphs/errors/status-codes"),
    _graph("get_rescued_requests_analytics", "/analytics/graphs/requests/rescued"),
    _graph("get_cache_hit_rate", "/analytics/graphs/cache/hit-rate"),
    _graph("get_cache_hit_latency", "/analytics/graphs/cache/latency"),
    _graph("get_feedback_analytics", "/analytics/graphs/feedbacks"),
    _graph("get_feedback_scores_analytics", "/analytics/graphs/feedbacks/scores"),
    _graph("get_feedback_weighted_analytics", "/analytics/graphs/feedbacks/weighted"),
    _graph("get_feedback_models_analytics", "/analytics/graphs/feedbacks/ai-models"),
    _graph("get_cache_summary_analytics", "/analytics/summary/cache"),
    _group("get_user_stats", "/analytics/groups/users"),
    _group("get_analytics_group_users", "/analytics/groups/users"),
    _group("get_analytics_group_models", "/analytics/groups/ai-models"),
    _group("get_analytics_group_metadata", "/analytics/groups/metadata/{metadata_key}"),
)

OPERATIONS: tuple[Operation, ...] = MCP + LOGS + ANALYTICS
