"""Request-body models for the admin groups: users and invites, workspaces and members, SCIM,
API keys, virtual keys, providers, integrations and secret references.

Same rules as :mod:`engine.portkey.bodies`: Portkey's wire names, known fields checked,
unknown fields let through.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from engine.portkey.bodies import Body, Json, RateUnit, Reset

OrgRole = Literal["admin", "member"]
WorkspaceRole = Literal["admin", "member", "manager"]


def _slug() -> Any:
    """An optional slug field as the spec constrains it."""
    return Field(default=None, pattern=r"^[a-zA-Z0-9_-]+$", max_length=255)


# -- inline limits (portkey-api.md §8 "Inline limits") ------------------------------------


class UsageLimits(Body):
    credit_limit: float | None = Field(default=None, ge=0)
    type: Literal["cost", "tokens"] | None = None
    alert_threshold: float | None = Field(default=None, ge=0)
    periodic_reset: Reset | None = None
    periodic_reset_days: int | None = Field(default=None, ge=1, le=365)


class RateLimits(Body):
    type: Literal["requests", "tokens"] | None = None
    unit: RateUnit | Literal["rps", "rpw"] | None = None
    value: float | None = Field(default=None, ge=0)


# Provider and virtual-key writes take one object (spec); the seed MCP server sends a list.
RateLimitsOneOrMany = RateLimits | list[RateLimits]


class SecretMapping(Body):
    target_field: str
    secret_reference_id: str
    secret_key: str | None = None
    value_format: Literal["json", "string"] | None = None


# -- users and invites --------------------------------------------------------------------


class InviteWorkspace(Body):
    id: str = Field(min_length=1)  # workspace slug or UUID
    role: WorkspaceRole


class InviteApiKeyDetails(Body):
    scopes: list[str]
    name: str | None = None
    expiry: str | None = None
    metadata: dict[str, str] | None = None


class InviteCreate(Body):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    role: OrgRole
    workspaces: list[InviteWorkspace]
    workspace_api_key_details: InviteApiKeyDetails | None = None
    first_name: str | None = None
    last_name: str | None = None


class UserUpdate(Body):
    role: OrgRole | None = None
    first_name: str | None = None
    last_name: str | None = None


# -- workspaces and members ---------------------------------------------------------------


class WorkspaceDefaults(Body):
    metadata: dict[str, str] | None = None
    is_default: int | None = None
    input_guardrails: list[str] | None = None
    output_guardrails: list[str] | None = None
    user_api_key_config: str | None = None


class WorkspaceCreate(Body):
    name: str = Field(min_length=1)
    slug: str | None = None
    description: str | None = None
    defaults: WorkspaceDefaults | None = None
    users: list[str] | None = None
    usage_limits: list[UsageLimits] | None = None
    rate_limits: list[RateLimits] | None = None


class WorkspaceUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    slug: str | None = None
    description: str | None = None
    defaults: WorkspaceDefaults | None = None
    usage_limits: list[UsageLimits] | None = None
    rate_limits: list[RateLimits] | None = None


class WorkspaceDelete(Body):
    """Undocumented delete body ([tf], portkey-api.md §3): ``force_delete`` cascades."""

    name: str | None = None
    force_delete: bool | None = None


class MemberRef(Body):
    id: str
    role: WorkspaceRole


class MembersAdd(Body):
    """``{users: [{id, role}]}`` (spec) or ``{user_id, role}`` (both MCP servers, §10 row 29)."""

    users: list[MemberRef] | None = None
    user_id: str | None = None
    role: WorkspaceRole | None = None

    @model_validator(mode="after")
    def _one_form(self) -> MembersAdd:
        if self.users is None and (self.user_id is None or self.role is None):
            raise ValueError("give users[{id, role}] or user_id with role")
        return self


class MemberUpdate(Body):
    role: WorkspaceRole


# -- SCIM ---------------------------------------------------------------------------------


class ScimMappingCreate(Body):
    workspace_id: str = Field(min_length=1)
    role: WorkspaceRole
    scim_group_id: str | None = None
    scim_group_name: str | None = None

    @model_validator(mode="after")
    def _exactly_one_group(self) -> ScimMappingCreate:
        if (self.scim_group_id is None) == (self.scim_group_name is None):
            raise ValueError("give exactly one of scim_group_id and scim_group_name")
        return self


# -- API keys -----------------------------------------------------------------------------


class ApiKeyDefaults(Body):
    metadata: Json | None = None
    config_id: str | None = None  # null unpins the config ([tf])
    allow_config_override: bool | None = None


class RotationPolicy(Body):
    rotation_period: Literal["weekly", "monthly"] | None = None
    next_rotation_at: str | None = None
    key_transition_period_ms: int | None = Field(default=None, ge=1_800_000)


class ApiKeyUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    scopes: list[str] | None = None
    rate_limits: list[RateLimits] | None = None
    usage_limits: UsageLimits | None = None
    reset_usage: bool | None = None
    defaults: ApiKeyDefaults | None = None
    alert_emails: list[str] | None = None
    expires_at: str | None = None
    rotation_policy: RotationPolicy | None = None


class ApiKeyCreate(ApiKeyUpdate):
    name: str = Field(min_length=1)
    scopes: list[str]
    organisation_id: str | None = None
    workspace_id: str | None = None
    user_id: str | None = None


class ApiKeyRotate(Body):
    key_transition_period_ms: int | None = Field(default=None, ge=1_800_000)


# -- virtual keys and providers -----------------------------------------------------------


class VirtualKeyUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    key: str | None = None
    note: str | None = None
    deploymentConfig: list[Json] | None = None  # Portkey spells these in camelCase
    usage_limits: UsageLimits | None = None
    rate_limits: RateLimitsOneOrMany | None = None
    expires_at: str | None = None
    secret_mappings: list[SecretMapping] | None = None


class VirtualKeyCreate(VirtualKeyUpdate):
    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    apiVersion: str | None = None
    resourceName: str | None = None
    deploymentName: str | None = None
    workspace_id: str | None = None


class ProviderUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    note: str | None = None
    usage_limits: UsageLimits | None = None
    rate_limits: RateLimitsOneOrMany | None = None
    expires_at: str | None = None
    reset_usage: bool | None = None


class ProviderCreate(ProviderUpdate):
    name: str = Field(min_length=1)
    integration_id: str = Field(min_length=1)
    workspace_id: str | None = None
    slug: str | None = None


# -- integrations -------------------------------------------------------------------------


class IntegrationUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    key: str | None = None
    description: str | None = None
    configurations: Json | None = None
    secret_mappings: list[SecretMapping] | None = None
    pricing_adjustments: Json | None = None


class IntegrationCreate(IntegrationUpdate):
    name: str = Field(min_length=1)
    ai_provider_id: str = Field(min_length=1)
    slug: str | None = _slug()
    workspace_id: str | None = None
    create_default_provider: bool | None = None
    default_provider_slug: str | None = _slug()


class IntegrationModel(Body):
    slug: str = Field(min_length=1)
    enabled: bool
    model_name: str | None = None
    is_custom: bool | None = None
    is_finetune: bool | None = None
    base_model_slug: str | None = None
    configurations: Json | None = None
    pricing_config: Json | None = None


class IntegrationModelsUpdate(Body):
    models: list[IntegrationModel]
    allow_all_models: bool | None = None


class IntegrationWorkspaceAccess(Body):
    id: str = Field(min_length=1)
    enabled: bool
    usage_limits: list[UsageLimits] | None = None
    rate_limits: list[RateLimits] | None = None
    reset_usage: bool | None = None
    create_default_provider: bool | None = None
    default_provider_slug: str | None = None


class GlobalWorkspaceAccess(Body):
    enabled: bool
    usage_limits: list[UsageLimits] | None = None
    rate_limits: list[RateLimits] | None = None


class IntegrationWorkspacesUpdate(Body):
    workspaces: list[IntegrationWorkspaceAccess] | None = None
    global_workspace_access: GlobalWorkspaceAccess | None = None
    override_existing_workspace_access: bool | None = None
    create_default_provider: bool | None = None
    default_provider_slug: str | None = None


# -- secret references --------------------------------------------------------------------


ManagerType = Literal["aws_sm", "azure_kv", "hashicorp_vault"]


class SecretReferenceUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    auth_config: Json | None = None
    secret_path: str | None = Field(default=None, max_length=1024)
    secret_key: str | None = Field(default=None, max_length=255)
    allow_all_workspaces: bool | None = None
    allowed_workspaces: list[str] | None = Field(default=None, min_length=1)
    tags: dict[str, str] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> SecretReferenceUpdate:
        if not self.model_fields_set and not self.model_extra:
            raise ValueError("give at least one field to change")
        return self


class SecretReferenceCreate(SecretReferenceUpdate):
    name: str = Field(min_length=1, max_length=255)
    manager_type: ManagerType
    auth_config: Json
    secret_path: str = Field(min_length=1, max_length=1024)
    organisation_id: str | None = None
    slug: str | None = _slug()
