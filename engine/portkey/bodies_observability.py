"""Request-body models for MCP integrations and servers, logs, log exports and feedback.

Same rules as :mod:`engine.portkey.bodies`: known fields are type-checked, enums and
required fields enforced, unknown fields let through. Numeric ranges that only Portkey can
judge against stored state (or that Portkey enforces itself, such as feedback values) are
left to the server.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.portkey.bodies import Body

Json = dict[str, Any]
AuthType = Literal["oauth_auto", "headers", "none"]
Transport = Literal["http", "sse"]
CapabilityType = Literal["tool", "prompt", "resource"]
SLUG = r"^[a-zA-Z0-9_-]+$"
EXPORT_FIELDS = Literal[
    "id", "trace_id", "created_at", "request", "response", "is_success", "ai_org", "ai_model",
    "req_units", "res_units", "total_units", "request_url", "cost", "cost_currency",
    "response_time", "response_status_code", "mode", "config", "prompt_slug", "metadata",
]


# -- MCP integrations ------------------------------------------------------------------------


class SecretMapping(Body):
    target_field: str
    secret_reference_id: str
    secret_key: str | None = None
    value_format: Literal["json", "string"] | None = None


class McpIntegrationCreate(Body):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    auth_type: AuthType
    transport: Transport
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = None
    configurations: Json | None = None
    secret_mappings: list[SecretMapping] | None = None
    workspace_id: str | None = None
    organisation_id: str | None = None


class McpIntegrationUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    url: str | None = Field(default=None, min_length=1)
    auth_type: AuthType | None = None
    transport: Transport | None = None
    configurations: Json | None = None
    secret_mappings: list[SecretMapping] | None = None


class CapabilityToggle(Body):
    name: str = Field(min_length=1)
    type: CapabilityType
    enabled: bool


class CapabilitiesUpdate(Body):
    capabilities: list[CapabilityToggle] = Field(min_length=1)


class WorkspaceToggle(Body):
    id: str = Field(min_length=1)
    enabled: bool


class GlobalWorkspaceAccess(Body):
    enabled: bool | None = None


class McpIntegrationWorkspacesUpdate(Body):
    workspaces: list[WorkspaceToggle]
    global_workspace_access: GlobalWorkspaceAccess | None = None
    override_existing_workspace_access: bool | None = None


# -- MCP servers ------------------------------------------------------------------------------


class McpServerCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    mcp_integration_id: str = Field(min_length=1)
    slug: str | None = Field(default=None, pattern=SLUG, min_length=3, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    workspace_id: str | None = None


class McpServerUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=500)


class UserToggle(Body):
    user_id: str = Field(min_length=1)
    enabled: bool


class UserAccessUpdate(Body):
    user_access: list[UserToggle] | None = None
    default_user_access: Literal["allow", "deny"] | None = None


# -- logs, exports, feedback ------------------------------------------------------------------


class LogRequest(Body):
    url: str = Field(min_length=1)
    body: Json
    method: str | None = None
    headers: dict[str, str] | None = None
    provider: str | None = None


class LogResponse(Body):
    body: Json
    status: int | None = None
    headers: dict[str, str] | None = None
    response_time: int | None = None
    streamingMode: bool | None = None


class LogInsert(Body):
    """One custom log (``POST /logs``); ``metadata`` keys are free (trace_id, span_id, _user…)."""

    request: LogRequest
    response: LogResponse
    metadata: Json | None = None


class ExportFilters(Body):
    time_of_generation_min: str | None = None
    time_of_generation_max: str | None = None
    total_units_min: int | None = None
    total_units_max: int | None = None
    cost_min: float | None = None
    cost_max: float | None = None
    ai_model: str | None = None
    prompt_token_min: int | None = None
    prompt_token_max: int | None = None
    completion_token_min: int | None = None
    completion_token_max: int | None = None
    status_code: str | None = None
    metadata: Json | None = None
    ai_org_model: str | None = None
    weighted_feedback_min: float | None = None
    weighted_feedback_max: float | None = None
    virtual_keys: str | None = None
    trace_id: str | None = None
    configs: str | None = None
    workspace_slug: str | None = None
    prompt_slug: str | None = None


class LogExportCreate(Body):
    filters: ExportFilters
    requested_data: list[EXPORT_FIELDS] = Field(min_length=1)
    workspace_id: str | None = None
    description: str | None = None


class LogExportUpdate(Body):
    filters: ExportFilters
    requested_data: list[EXPORT_FIELDS] | None = None
    workspace_id: str | None = None


class FeedbackCreate(Body):
    trace_id: str = Field(min_length=1)
    value: int
    weight: float | None = None
    metadata: Json | None = None


class FeedbackUpdate(Body):
    value: int
    weight: float | None = None
    metadata: Json | None = None
