"""THE route table: one row per operation (catalogue name, method, path under /v1, handler),
and the router that matches a request against it.

To add a resource group, write `handlers/<group>.py` and add its rows here. Where two
templates match one path, the one with literal segments earlier wins, so
`/prompts/partials/{id}` beats `/prompts/{prompt_id}/…` whatever the row order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import routes_admin, routes_observability
from sandbox.handlers import (
    collections,
    configs,
    guardrails,
    labels,
    org_guardrails,
    partials,
    prompt_runtime,
    prompts,
    rate_limits,
    usage_limits,
    workspaces,
)
from sandbox.routing import Operation

CORE: tuple[Operation, ...] = (
    # prompt partials (before prompts: `partials` is a literal segment)
    Operation("create_prompt_partial", "POST", "/prompts/partials", partials.create_prompt_partial),
    Operation("list_prompt_partials", "GET", "/prompts/partials", partials.list_prompt_partials),
    Operation(
        "get_prompt_partial", "GET", "/prompts/partials/{partial_id}", partials.get_prompt_partial
    ),
    Operation(
        "update_prompt_partial",
        "PUT",
        "/prompts/partials/{partial_id}",
        partials.update_prompt_partial,
    ),
    Operation(
        "delete_prompt_partial",
        "DELETE",
        "/prompts/partials/{partial_id}",
        partials.delete_prompt_partial,
    ),
    Operation(
        "list_partial_versions",
        "GET",
        "/prompts/partials/{partial_id}/versions",
        partials.list_partial_versions,
    ),
    Operation(
        "publish_partial",
        "PUT",
        "/prompts/partials/{partial_id}/makeDefault",
        partials.publish_partial,
    ),
    # prompts
    Operation("create_prompt", "POST", "/prompts", prompts.create_prompt),
    Operation("list_prompts", "GET", "/prompts", prompts.list_prompts),
    Operation("get_prompt", "GET", "/prompts/{prompt_id}", prompts.get_prompt),
    Operation("update_prompt", "PUT", "/prompts/{prompt_id}", prompts.update_prompt),
    Operation("delete_prompt", "DELETE", "/prompts/{prompt_id}", prompts.delete_prompt),
    Operation("publish_prompt", "PUT", "/prompts/{prompt_id}/makeDefault", prompts.publish_prompt),
    Operation(
        "list_prompt_versions", "GET", "/prompts/{prompt_id}/versions", prompts.list_prompt_versions
    ),
    Operation(
        "get_prompt_version",
        "GET",
        "/prompts/{prompt_id}/versions/{version_id}",
        prompts.get_prompt_version,
    ),
    Operation(
        "update_prompt_version",
        "PUT",
        "/prompts/{prompt_id}/versions/{version_id}",
        prompts.update_prompt_version,
    ),
    Operation("render_prompt", "POST", "/prompts/{prompt_id}/render", prompt_runtime.render_prompt),
    Operation(
        "run_prompt_completion",
        "POST",
        "/prompts/{prompt_id}/completions",
        prompt_runtime.run_prompt_completion,
    ),
    # labels
    Operation("create_prompt_label", "POST", "/labels", labels.create_prompt_label),
    Operation("list_prompt_labels", "GET", "/labels", labels.list_prompt_labels),
    Operation("get_prompt_label", "GET", "/labels/{label_id}", labels.get_prompt_label),
    Operation("update_prompt_label", "PUT", "/labels/{label_id}", labels.update_prompt_label),
    Operation("delete_prompt_label", "DELETE", "/labels/{label_id}", labels.delete_prompt_label),
    # collections
    Operation("create_collection", "POST", "/collections", collections.create_collection),
    Operation("list_collections", "GET", "/collections", collections.list_collections),
    Operation("get_collection", "GET", "/collections/{collection_id}", collections.get_collection),
    Operation(
        "update_collection", "PUT", "/collections/{collection_id}", collections.update_collection
    ),
    Operation(
        "delete_collection", "DELETE", "/collections/{collection_id}", collections.delete_collection
    ),
    # configs
    Operation("list_configs", "GET", "/configs", configs.list_configs),
    Operation("create_config", "POST", "/configs", configs.create_config),
    Operation("get_config", "GET", "/configs/{slug}", configs.get_config),
    Operation("update_config", "PUT", "/configs/{slug}", configs.update_config),
    Operation("delete_config", "DELETE", "/configs/{slug}", configs.delete_config),
    Operation(
        "list_config_versions", "GET", "/configs/{slug}/versions", configs.list_config_versions
    ),
    # guardrails
    Operation("list_guardrails", "GET", "/guardrails", guardrails.list_guardrails),
    Operation("create_guardrail", "POST", "/guardrails", guardrails.create_guardrail),
    Operation("get_guardrail", "GET", "/guardrails/{guardrail_id}", guardrails.get_guardrail),
    Operation("update_guardrail", "PUT", "/guardrails/{guardrail_id}", guardrails.update_guardrail),
    Operation(
        "delete_guardrail", "DELETE", "/guardrails/{guardrail_id}", guardrails.delete_guardrail
    ),
    Operation(
        "get_organisation_defaults",
        "GET",
        "/admin/organisation/defaults",
        org_guardrails.get_organisation_defaults,
    ),
    Operation(
        "update_organisation_defaults",
        "PUT",
        "/admin/organisation/defaults",
        org_guardrails.update_organisation_defaults,
    ),
    Operation(
        "list_input_guardrail_workspace_exclusions",
        "GET",
        "/workspace-exclusions/input-guardrails",
        org_guardrails.list_input_guardrail_workspace_exclusions,
    ),
    Operation(
        "update_input_guardrail_workspace_exclusions",
        "PUT",
        "/workspace-exclusions/input-guardrails",
        org_guardrails.update_input_guardrail_workspace_exclusions,
    ),
    Operation(
        "list_output_guardrail_workspace_exclusions",
        "GET",
        "/workspace-exclusions/output-guardrails",
        org_guardrails.list_output_guardrail_workspace_exclusions,
    ),
    Operation(
        "update_output_guardrail_workspace_exclusions",
        "PUT",
        "/workspace-exclusions/output-guardrails",
        org_guardrails.update_output_guardrail_workspace_exclusions,
    ),
    # rate-limit policies
    Operation("list_rate_limits", "GET", "/policies/rate-limits", rate_limits.list_rate_limits),
    Operation("create_rate_limit", "POST", "/policies/rate-limits", rate_limits.create_rate_limit),
    Operation(
        "get_rate_limit", "GET", "/policies/rate-limits/{policy_id}", rate_limits.get_rate_limit
    ),
    Operation(
        "update_rate_limit",
        "PUT",
        "/policies/rate-limits/{policy_id}",
        rate_limits.update_rate_limit,
    ),
    Operation(
        "delete_rate_limit",
        "DELETE",
        "/policies/rate-limits/{policy_id}",
        rate_limits.delete_rate_limit,
    ),
    # usage-limit policies
    Operation("list_usage_limits", "GET", "/policies/usage-limits", usage_limits.list_usage_limits),
    Operation(
        "create_usage_limit", "POST", "/policies/usage-limits", usage_limits.create_usage_limit
    ),
    Operation(
        "get_usage_limit", "GET", "/policies/usage-limits/{policy_id}", usage_limits.get_usage_limit
    ),
    Operation(
        "update_usage_limit",
        "PUT",
        "/policies/usage-limits/{policy_id}",
        usage_limits.update_usage_limit,
    ),
    Operation(
        "delete_usage_limit",
        "DELETE",
        "/policies/usage-limits/{policy_id}",
        usage_limits.delete_usage_limit,
    ),
    Operation(
        "list_usage_limit_entities",
        "GET",
        "/policies/usage-limits/{policy_id}/entities",
        usage_limits.list_usage_limit_entities,
    ),
    Operation(
        "reset_usage_limit_entity",
        "PUT",
        "/policies/usage-limits/{policy_id}/entities/{entity_id}/reset",
        usage_limits.reset_usage_limit_entity,
    ),
    # the successor MCP server's form of the same operation (not in the spec)
    Operation(
        "reset_usage_limit_entity",
        "POST",
        "/policies/usage-limits/{policy_id}/entities/reset",
        usage_limits.reset_usage_limit_entity,
    ),
    # workspaces
    Operation("list_workspaces", "GET", "/admin/workspaces", workspaces.list_workspaces),
    Operation("get_workspace", "GET", "/admin/workspaces/{workspace_id}", workspaces.get_workspace),
)

# Groups added beside the core, each in its own module.
OPERATIONS: tuple[Operation, ...] = CORE + routes_admin.ROUTES + routes_observability.ROUTES
# Served at the host root without a key.
PUBLIC_OPERATIONS: tuple[Operation, ...] = routes_observability.PUBLIC


@dataclass(frozen=True)
class Match:
    """The outcome of routing: an operation with its path parameters, or the allowed methods
    of a path that exists under other methods (405), or neither (404)."""

    operation: Operation | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


class Router:
    """Matches `(method, path)` against a table of operations."""

    def __init__(self, operations: tuple[Operation, ...] = OPERATIONS):
        self._operations = sorted(operations, key=lambda op: op.specificity)

    def match(self, method: str, path: str) -> Match:
        """Route `path` (relative to /v1, already percent-decoded, e.g. `/prompts/pp-x`)."""
        path = "/" + path.strip("/")
        best: tuple[int, ...] | None = None
        allowed: list[str] = []
        for op in self._operations:
            found = op.pattern.match(path)
            if found is None or (best is not None and op.specificity != best):
                continue
            best = op.specificity
            if op.method == method:
                return Match(op, found.groupdict())
            allowed.append(op.method)
        return Match(None, {}, tuple(sorted(set(allowed))))
