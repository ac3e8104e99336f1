"""Request-body models for the Portkey Admin API, one per write operation.

They check the fields we know (types, required fields, enums) and let unknown
fields through (``extra="allow"``): Portkey accepts undocumented fields that
real clients rely on (``is_default``, ``force_delete``), and a client must not
block them. Field names are Portkey's wire names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Base of all request bodies."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


Json = dict[str, Any]
RateUnit = Literal["rpm", "rph", "rpd", "rpw"]  # rpw: docs-core changelog/backend.mdx "Rate Limits Enhancements"
Reset = Literal["monthly", "weekly"]


class PromptCreate(Body):
    name: str = Field(min_length=1)
    collection_id: str = Field(min_length=1)
    string: str
    parameters: Json
    virtual_key: str | None = None
    model: str | None = None
    functions: list[Json] | None = None
    tools: list[Json] | None = None
    tool_choice: Json | str | None = None
    version_description: str | None = None
    template_metadata: Json | None = None


class PromptUpdate(Body):
    patch: bool | None = None
    name: str | None = None
    collection_id: str | None = None
    string: str | None = None
    parameters: Json | None = None
    model: str | None = None
    virtual_key: str | None = None
    version_description: str | None = None
    functions: list[Json] | None = None
    tools: list[Json] | None = None
    tool_choice: Json | str | None = None
    is_raw_template: int | bool | None = None
    prompt_metadata: Json | None = None


class PublishVersion(Body):
    version: int = Field(ge=1)


class PromptVersionUpdate(Body):
    label_id: str | None = None


class PromptRun(Body):
    variables: Json
    hyperparameters: Json | None = None
    stream: bool | None = None


class PartialCreate(Body):
    name: str = Field(min_length=1)
    string: str
    workspace_id: str | None = None
    version_description: str | None = None


class PartialUpdate(Body):
    name: str | None = None
    string: str | None = None
    description: str | None = None
    version_description: str | None = None
    status: str | None = None


class LabelCreate(Body):
    name: str = Field(min_length=1)
    description: str | None = None
    color_code: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    workspace_id: str | None = None
    organisation_id: str | None = None


class LabelUpdate(Body):
    name: str | None = None
    description: str | None = None
    color_code: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")


class CollectionCreate(Body):
    name: str = Field(min_length=1)
    workspace_id: str | None = None
    parent_collection_id: str | None = None


class CollectionUpdate(Body):
    name: str = Field(min_length=1)


class ConfigCreate(Body):
    name: str | None = None
    config: Json | None = None
    isDefault: int | None = None  # Portkey spells it in camelCase
    workspace_id: str | None = None


class ConfigUpdate(Body):
    name: str | None = None
    config: Json | None = None
    status: str | None = None


class GuardrailCheck(Body):
    id: str = Field(min_length=1)
    parameters: Json | None = None
    name: str | None = None
    is_enabled: bool | None = None


class GuardrailCreate(Body):
    name: str = Field(min_length=1)
    checks: list[GuardrailCheck]
    actions: Json
    workspace_id: str | None = None
    organisation_id: str | None = None


class GuardrailUpdate(Body):
    name: str | None = None
    checks: list[GuardrailCheck] | None = None
    actions: Json | None = None


class GuardrailDefaults(Body):
    input_guardrails: list[str] | None = None
    output_guardrails: list[str] | None = None


class WorkspaceExclusion(Body):
    workspace_id: str
    excluded: bool


class GuardrailExclusions(Body):
    organisation_id: str
    workspaces: list[WorkspaceExclusion]
    override_existing: bool | None = None


class Condition(Body):
    key: str
    value: str


class GroupBy(Body):
    key: str


class RateLimitCreate(Body):
    conditions: list[Condition]
    group_by: list[GroupBy]
    type: Literal["requests", "tokens"]
    unit: RateUnit
    value: float
    name: str | None = None
    workspace_id: str | None = None
    organisation_id: str | None = None


class RateLimitUpdate(Body):
    name: str | None = None
    unit: RateUnit | None = None
    value: float | None = None
    conditions: list[Condition] | None = None  # backend v1.16.0+ (changelog "Policy Conditions — Updatable")


class UsageLimitCreate(Body):
    conditions: list[Condition]
    group_by: list[GroupBy]
    type: Literal["cost", "tokens"]
    credit_limit: float = Field(ge=0)
    alert_threshold: float | None = None
    periodic_reset: Reset | None = None
    periodic_reset_days: int | None = Field(default=None, ge=1, le=365)  # exclusive with periodic_reset
    name: str | None = Field(default=None, max_length=255)
    workspace_id: str | None = None
    organisation_id: str | None = None


class UsageLimitUpdate(Body):
    name: str | None = Field(default=None, max_length=255)
    credit_limit: float | None = Field(default=None, ge=0)
    alert_threshold: float | None = None
    periodic_reset: Reset | None = None
    periodic_reset_days: int | None = Field(default=None, ge=1, le=365)
    conditions: list[Condition] | None = None  # backend v1.16.0+
    reset_usage_for_value: str | None = None
