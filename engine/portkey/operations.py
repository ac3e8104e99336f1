"""The Portkey Admin API as data: one declaration per operation.

Each :class:`Operation` names the catalogue tool (``contracts/catalogue.tsv``),
its HTTP method and path, its query parameters, its body model, its kind and
how its list answers page. The client binds one method per declaration; the
MCP server builds one tool per declaration. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.portkey import bodies as b
from engine.portkey import normalize as n
from engine.portkey import ops_admin, ops_observability
from engine.portkey.operation import (
    PAGE_QUERY,
    WS_QUERY,
    D,
    Kind,
    Operation,
    Paging,
    R,
    S,
    W,
    q,
)

__all__ = ["BY_NAME", "OPERATIONS", "Kind", "Operation", "Paging", "get"]


CORE: tuple[Operation, ...] = (
    # prompts
    Operation("create_prompt", "prompts", W, "POST", "/prompts", body=b.PromptCreate,
              body_required=True),
    Operation("list_prompts", "prompts", R, "GET", "/prompts",
              query=q(PAGE_QUERY, WS_QUERY, collection_id=str, search=str),
              paging=Paging.OFFSET),
    Operation("get_prompt", "prompts", R, "GET", "/prompts/{prompt_id}",
              query=q(version=int), normalize=n.prompt),
    Operation("update_prompt", "prompts", W, "PUT", "/prompts/{prompt_id}", body=b.PromptUpdate,
              body_required=True, creates_version=True),
    Operation("delete_prompt", "prompts", D, "DELETE", "/prompts/{prompt_id}"),
    Operation("publish_prompt", "prompts", W, "PUT", "/prompts/{prompt_id}/makeDefault",
              body=b.PublishVersion, body_required=True),
    Operation("list_prompt_versions", "prompts", R, "GET", "/prompts/{prompt_id}/versions"),
    Operation("get_prompt_version", "prompts", R, "GET",
              "/prompts/{prompt_id}/versions/{version_id}", normalize=n.prompt),
    Operation("update_prompt_version", "prompts", W, "PUT",
              "/prompts/{prompt_id}/versions/{version_id}", body=b.PromptVersionUpdate,
              body_required=True),
    Operation("render_prompt", "prompts", R, "POST", "/prompts/{prompt_id}/render",
              body=b.PromptRun, body_required=True),
    Operation("run_prompt_completion", "prompts", S, "POST", "/prompts/{prompt_id}/completions",
              body=b.PromptRun, body_required=True),
    # partials
    Operation("create_prompt_partial", "partials", W, "POST", "/prompts/partials",
              body=b.PartialCreate, body_required=True),
    Operation("list_prompt_partials", "partials", R, "GET", "/prompts/partials",
              query=q(WS_QUERY, collection_id=str)),
    Operation("get_prompt_partial", "partials", R, "GET", "/prompts/partials/{prompt_partial_id}"),
    Operation("update_prompt_partial", "partials", W, "PUT",
              "/prompts/partials/{prompt_partial_id}", body=b.PartialUpdate, body_required=True,
              creates_version=True),
    Operation("delete_prompt_partial", "partials", D, "DELETE",
              "/prompts/partials/{prompt_partial_id}"),
    Operation("list_partial_versions", "partials", R, "GET",
              "/prompts/partials/{prompt_partial_id}/versions", normalize=n.partial_versions),
    Operation("publish_partial", "partials", W, "PUT",
              "/prompts/partials/{prompt_partial_id}/makeDefault", body=b.PublishVersion,
              body_required=True),
    # labels
    Operation("create_prompt_label", "labels", W, "POST", "/labels", body=b.LabelCreate,
              body_required=True),
    Operation("list_prompt_labels", "labels", R, "GET", "/labels",
              query=q(PAGE_QUERY, WS_QUERY, organisation_id=str, search=str),
              paging=Paging.OFFSET),
    Operation("get_prompt_label", "labels", R, "GET", "/labels/{label_id}",
              query=q(WS_QUERY, organisation_id=str)),
    Operation("update_prompt_label", "labels", W, "PUT", "/labels/{label_id}",
              body=b.LabelUpdate, body_required=True),
    Operation("delete_prompt_label", "labels", D, "DELETE", "/labels/{label_id}"),
    # collections
    Operation("list_collections", "collections", R, "GET", "/collections",
              query=q(PAGE_QUERY, WS_QUERY, search=str), paging=Paging.OFFSET),
    Operation("create_collection", "collections", W, "POST", "/collections",
              body=b.CollectionCreate, body_required=True),
    Operation("get_collection", "collections", R, "GET", "/collections/{collection_id}"),
    Operation("update_collection", "collections", W, "PUT", "/collections/{collection_id}",
              body=b.CollectionUpdate, body_required=True),
    Operation("delete_collection", "collections", D, "DELETE", "/collections/{collection_id}"),
    # configs
    Operation("list_configs", "configs", R, "GET", "/configs", query=q(WS_QUERY),
              normalize=n.config_list),
    Operation("get_config", "configs", R, "GET", "/configs/{slug}", normalize=n.config),
    Operation("create_config", "configs", W, "POST", "/configs", body=b.ConfigCreate,
              body_required=True, normalize=n.unwrap_data),
    Operation("update_config", "configs", W, "PUT", "/configs/{slug}", body=b.ConfigUpdate,
              body_required=True, creates_version=True, normalize=n.unwrap_data),
    Operation("delete_config", "configs", D, "DELETE", "/configs/{slug}"),
    Operation("list_config_versions", "configs", R, "GET", "/configs/{slug}/versions",
              normalize=n.config_list),
    # guardrails
    Operation("list_guardrails", "guardrails", R, "GET", "/guardrails",
              query=q(PAGE_QUERY, WS_QUERY, organisation_id=str), paging=Paging.OFFSET),
    Operation("get_guardrail", "guardrails", R, "GET", "/guardrails/{guardrail_id}",
              normalize=n.guardrail),
    Operation("create_guardrail", "guardrails", W, "POST", "/guardrails", body=b.GuardrailCreate,
              body_required=True),
    Operation("update_guardrail", "guardrails", W, "PUT", "/guardrails/{guardrail_id}",
              body=b.GuardrailUpdate, body_required=True, creates_version=True),
    Operation("delete_guardrail", "guardrails", D, "DELETE", "/guardrails/{guardrail_id}"),
    Operation("get_organisation_defaults", "guardrails", R, "GET", "/admin/organisation/defaults",
              enterprise=True, in_spec=False),
    Operation("update_organisation_defaults", "guardrails", W, "PUT",
              "/admin/organisation/defaults", body=b.GuardrailDefaults, body_required=True,
              enterprise=True, in_spec=False),
    Operation("list_input_guardrail_workspace_exclusions", "guardrails", R, "GET",
              "/workspace-exclusions/input-guardrails", query=q(organisation_id=str),
              required_query=("organisation_id",), enterprise=True, in_spec=False),
    Operation("update_input_guardrail_workspace_exclusions", "guardrails", W, "PUT",
              "/workspace-exclusions/input-guardrails", body=b.GuardrailExclusions,
              body_required=True, enterprise=True, in_spec=False),
    Operation("list_output_guardrail_workspace_exclusions", "guardrails", R, "GET",
              "/workspace-exclusions/output-guardrails", query=q(organisation_id=str),
              required_query=("organisation_id",), enterprise=True, in_spec=False),
    Operation("update_output_guardrail_workspace_exclusions", "guardrails", W, "PUT",
              "/workspace-exclusions/output-guardrails", body=b.GuardrailExclusions,
              body_required=True, enterprise=True, in_spec=False),
    # limits
    Operation("list_usage_limits", "limits", R, "GET", "/policies/usage-limits",
              query=q(PAGE_QUERY, WS_QUERY, status=str, type=str), paging=Paging.OFFSET),
    Operation("get_usage_limit", "limits", R, "GET", "/policies/usage-limits/{id}",
              query=q(status=str, include_usage=bool)),
    Operation("create_usage_limit", "limits", W, "POST", "/policies/usage-limits",
              body=b.UsageLimitCreate, body_required=True),
    Operation("update_usage_limit", "limits", W, "PUT", "/policies/usage-limits/{id}",
              body=b.UsageLimitUpdate, body_required=True),
    Operation("delete_usage_limit", "limits", D, "DELETE", "/policies/usage-limits/{id}"),
    Operation("list_rate_limits", "limits", R, "GET", "/policies/rate-limits",
              query=q(PAGE_QUERY, WS_QUERY, status=str, type=str, unit=str),
              paging=Paging.OFFSET),
    Operation("get_rate_limit", "limits", R, "GET", "/policies/rate-limits/{id}",
              query=q(status=str)),
    Operation("create_rate_limit", "limits", W, "POST", "/policies/rate-limits",
              body=b.RateLimitCreate, body_required=True),
    Operation("update_rate_limit", "limits", W, "PUT", "/policies/rate-limits/{id}",
              body=b.RateLimitUpdate, body_required=True),
    Operation("delete_rate_limit", "limits", D, "DELETE", "/policies/rate-limits/{id}"),
    Operation("list_usage_limit_entities", "limits", R, "GET",
              "/policies/usage-limits/{limit_id}/entities",
              query=q(PAGE_QUERY, status=str, search=str), paging=Paging.OFFSET),
    Operation("reset_usage_limit_entity", "limits", W, "PUT",
              "/policies/usage-limits/{limit_id}/entities/{entity_id}/reset"),
    # workspaces (read side; the rest arrives with the MCP catalogue)
    Operation("list_workspaces", "workspaces", R, "GET", "/admin/workspaces",
              query=q(PAGE_QUERY, name=str, exact_name=str, status=str), paging=Paging.OFFSET),
    Operation("get_workspace", "workspaces", R, "GET", "/admin/workspaces/{workspace_id}"),
)

OPERATIONS: tuple[Operation, ...] = CORE + ops_admin.OPERATIONS + ops_observability.OPERATIONS

BY_NAME: Mapping[str, Operation] = MappingProxyType({op.name: op for op in OPERATIONS})


def get(name: str) -> Operation:
    """Return the operation called ``name``; raise KeyError naming close matches."""
    try:
        return BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, BY_NAME, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown Portkey operation {name!r}{hint}") from None
