"""Titles, tool descriptions and parameter descriptions.

A description is one or two sentences: what the tool does, then which neighbour to use for the
step before or after (find the id, read before changing). The common shapes (list, get, create,
update, delete) come from templates over the tool's name and its sibling tools; the rest, and
the behaviour worth knowing, come from :data:`SUMMARIES` and :data:`EXTRAS`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

ACRONYMS = {"api": "API", "mcp": "MCP", "scim": "SCIM", "ai": "AI", "id": "ID", "ids": "IDs"}
ENTERPRISE = "Enterprise plans only."

# Tools whose purpose a template cannot say.
SUMMARIES: dict[str, str] = {
    "invite_user": "Invite a person to the organisation by email, with a role and workspace access; Portkey "
                   "sends the invite email.",
    "get_user_stats": "Per-user usage (requests, tokens, cost) over a time window; get_analytics_group_users "
                      "takes the full filter set.",
    "resend_user_invite": "Send a pending invite's email again; find the invite with list_user_invites.",
    "add_workspace_member": "Give an existing organisation user access to a workspace with a role; find user ids "
                            "with list_all_users.",
    "remove_workspace_member": "Remove a user's access to one workspace (the user stays in the organisation).",
    "publish_prompt": "Make a prompt version the published default that callers get; the version is the number "
                      "from list_prompt_versions, not its id.",
    "render_prompt": "Render a prompt template with variables without calling a model (no tokens spent).",
    "run_prompt_completion": "Run a prompt against its model and return the completion; spends tokens. Needs "
                             "billing metadata (check it with validate_completion_metadata).",
    "publish_partial": "Make a partial version the published default; every prompt that uses the partial "
                       "without a version pin changes at once.",
    "rotate_api_key": "Rotate an API key: Portkey issues a new secret, shown only once in the result; the old "
                      "one keeps working for the transition period.",
    "reset_usage_limit_entity": "Reset the usage counted for one entity of a usage-limit policy to zero "
                                "(cannot be undone); find entities with list_usage_limit_entities.",
    "get_organisation_defaults": "Read the organisation-wide default input and output guardrails.",
    "update_organisation_defaults": "Replace the organisation-wide default input and output guardrails.",
    "insert_log": "Write a request/response log entry into Portkey's logs (for calls made outside the "
                  "gateway).",
    "start_log_export": "Start a created log export job; poll it with get_log_export, then download_log_export.",
    "cancel_log_export": "Stop a running log export job.",
    "download_log_export": "Get a signed URL to download a finished log export.",
    "get_log": "Get one request log (a trace) by id, optionally with its guardrail hook results.",
    "get_log_export_field_restrictions": "List which log fields a workspace is allowed to export.",
    "create_feedback": "Attach feedback (a score from -10 to 10, optional weight and metadata) to a trace.",
    "update_feedback": "Change the value, weight or metadata of a feedback entry.",
    "list_traces": "List request logs (traces); kept for compatibility, get_log reads one log.",
    "get_trace": "Get one request log by id; kept for compatibility, prefer get_log.",
    "test_mcp_server": "Make Portkey connect to a registered MCP server and report whether it answers.",
    "disconnect_mcp_server_connection": "Disconnect a user's (or workspace's) connection to an MCP server; they "
                                        "must authenticate again.",
    "get_mcp_integration_metadata": "Read what Portkey learnt from an MCP integration's server (name, version, "
                                    "capabilities, last sync).",
    "get_model_pricing": "Get Portkey's public price sheet for one provider model.",
    "delete_integration_model": "Remove one model from an integration's model list.",
    "update_integration_models": "Enable, disable or add models on an integration.",
    "update_integration_workspaces": "Set which workspaces may use an integration, with optional per-workspace "
                                     "limits; can switch access off.",
    "validate_completion_metadata": "Check billing metadata locally (no Portkey call) before "
                                    "run_prompt_completion: reports missing required fields and warnings.",
    "migrate_prompt": "Create or update a prompt by exact name within a collection (prompt-as-code): compares "
                      "every version field and writes only on a change; stamps app/env metadata.",
    "promote_prompt": "Copy a prompt's current version to another environment's prompt (e.g. -staging to "
                      "-prod), creating the target when missing.",
    "get_cache_summary_analytics": "Cache summary (hits, latency, speed-up) over a time window.",
    "update_mcp_integration_capabilities": "Switch tools, prompts or resources of an MCP integration on or off; "
                                           "list them first with list_mcp_integration_capabilities.",
    "update_mcp_server_capabilities": "Switch tools, prompts or resources of an MCP server on or off; list them "
                                      "first with list_mcp_server_capabilities.",
    "update_mcp_integration_workspaces": "Set which workspaces may use an MCP integration; can revoke access.",
    "update_mcp_server_user_access": "Allow or deny users access to an MCP server; can revoke access.",
    "update_input_guardrail_workspace_exclusions": "Exclude workspaces from (or include them in) the "
                                                   "organisation's default input guardrails.",
    "update_output_guardrail_workspace_exclusions": "Exclude workspaces from (or include them in) the "
                                                    "organisation's default output guardrails.",
    "list_input_guardrail_workspace_exclusions": "Which workspaces skip the organisation's default input "
                                                 "guardrails.",
    "list_output_guardrail_workspace_exclusions": "Which workspaces skip the organisation's default output "
                                                  "guardrails.",
    "list_all_users": "List the organisation's users, one page at a time or every page with all=true. Use "
                      "get_user for one in full.",
}

# Behaviour worth knowing, appended to the templated or summarised sentence.
EXTRAS: dict[str, str] = {
    "delete_workspace": "Fails with 409 while the workspace still holds objects.",
    "update_config": "Every update is a new config version that is live at once.",
    "delete_config": "Callers still using the slug break.",
    "create_config": "Cache, retry, strategy and targets are flat parameters.",
    "create_virtual_key": "The provider key is sent to Portkey and never shown again.",
    "delete_virtual_key": "Prompts and configs that use the slug stop working.",
    "create_api_key": "The new key is returned once: store it immediately.",
    "delete_api_key": "Access stops immediately.",
    "create_prompt": "Creates version 1; dry_run=true previews without calling Portkey.",
    "update_prompt": "A change makes a new unpublished version (publish it with publish_prompt); dry_run=true "
                     "compares with the current version.",
    "delete_prompt": "Deletes every version; callers using the slug break.",
    "update_prompt_version": "Only the label can change (label_id null removes it).",
    "update_prompt_partial": "A new string makes a new unpublished version (publish it with publish_partial).",
    "update_guardrail": "The change is live at once.",
    "create_usage_limit": "conditions take {key, value} (or {field, value}), group_by keys.",
    "create_rate_limit": "conditions take {key, value} (or {field, value}), group_by keys.",
    "delete_usage_limit": "Archives the policy (list archived ones with status=archived).",
    "create_prompt_label": "Give workspace_id or organisation_id.",
    "delete_prompt_label": "Built-in labels cannot be removed.",
    "create_secret_reference": "Points Portkey at a secret in AWS, Azure or Vault.",
}

_CREATE_VERBS = {"create", "add", "invite"}
_DELETE_VERBS = {"delete", "remove", "disconnect", "cancel"}


def words(name: str) -> list[str]:
    return [ACRONYMS.get(w, w) for w in name.split("_")]


def title(name: str) -> str:
    """``create_api_key`` → ``Create API key``."""
    parts = words(name)
    first = parts[0] if parts[0].isupper() else parts[0].capitalize()
    return " ".join([first, *parts[1:]])


def noun(name: str) -> str:
    """The object a tool acts on: ``list_prompt_versions`` → ``prompt versions``."""
    return " ".join(words(name)[1:]) or name


def _sibling(name: str, verb: str, tools: Collection[str]) -> str | None:
    rest = name.split("_", 1)[1] if "_" in name else ""
    for candidate in (f"{verb}_{rest}", f"{verb}_{rest}s", f"{verb}_{rest.removesuffix('s')}"):
        if candidate != name and candidate in tools:
            return candidate
    return None


def _article(text: str) -> str:
    return "an" if text[:1].lower() in "aeio" or text.startswith("MCP") else "a"


def describe(name: str, group: str, *, tools: Collection[str], finders: Sequence[str] = (),
             enterprise: bool = False, list_cap: int = 1000) -> str:
    """One or two sentences for tool ``name``; ``finders`` list the tools that find its ids."""
    verb = name.split("_", 1)[0]
    thing = noun(name)
    find = f" Find the id with {finders[0]}." if finders else ""
    if name in SUMMARIES:
        text = SUMMARIES[name]
    elif name.startswith("get_analytics_group_"):
        by = name.removeprefix("get_analytics_group_").replace("_", " ")
        text = (f"Analytics grouped by {by}: one row per {by.removesuffix('s')} with its totals over a time window "
                "(time_of_generation_min/max), paged.")
    elif group == "analytics":
        text = (f"Analytics graph of {thing.removesuffix(' analytics')} over a time window "
                "(time_of_generation_min/max): a summary plus data points; optional filters narrow it.")
    elif verb == "list":
        getter = _sibling(name, "get", tools)
        more = f" Use {getter} for one in full." if getter else ""
        text = f"List {thing}, one page at a time or every page with all=true (up to {list_cap}).{more}"
    elif verb == "get":
        text = f"Get one {thing} by id.{find}"
    elif verb in _CREATE_VERBS:
        updater = _sibling(name, "update", tools)
        more = f" Change it later with {updater}." if updater else ""
        text = f"{verb.capitalize()} {_article(thing)} {thing}.{more}"
    elif verb == "update":
        getter = _sibling(name, "get", tools)
        more = f" Read the current values with {getter} first." if getter else find
        text = f"Change {_article(thing)} {thing}; only the fields you pass are sent.{more}"
    elif verb in _DELETE_VERBS:
        text = f"{verb.capitalize()} {_article(thing)} {thing}; this cannot be undone.{find}"
    else:
        text = f"{title(name)}.{find}"
    if name in EXTRAS:
        text = f"{text} {EXTRAS[name]}"
    if enterprise:
        text = f"{text} {ENTERPRISE}"
    return text


# -- parameters ----------------------------------------------------------------------------------

PARAMS: dict[str, str] = {
    "workspace_id": "Workspace id (UUID) or slug (ws-...).",
    "organisation_id": "Organisation id (UUID).",
    "collection_id": "Collection id or slug.",
    "prompt_id": "Prompt id or slug (pp-...).",
    "name": "Name.",
    "description": "Free-text description.",
    "virtual_key": "Virtual key (or provider) slug the prompt calls.",
    "search": "Text to search for in names.",
    "string": "Prompt template text (mustache variables {{name}}).",
    "messages": "Chat messages [{role, content}] instead of string; sent as the JSON template.",
    "parameters": "Model parameters, e.g. {\"temperature\": 0.2}.",
    "model": "Model name, e.g. gpt-4o-mini.",
    "variables": "Values for the template's variables.",
    "hyperparameters": "Overrides: max_tokens, temperature, top_p, top_k, presence_penalty, frequency_penalty, "
                       "stop.",
    "metadata": "Metadata object.",
    "template_metadata": "Metadata stored with the version.",
    "version_description": "Note stored with the new version.",
    "version": "Version number (from the versions list), not the version id.",
    "dry_run": "Preview only: nothing is written.",
    "credit_limit": "Usage limit (sent as usage_limits.credit_limit, reset monthly unless said otherwise).",
    "alert_threshold": "Alert when usage reaches this value (usage_limits.alert_threshold).",
    "rate_limit_rpm": "Requests per minute (sent as a requests/rpm rate limit).",
    "cache_mode": "config.cache.mode.",
    "cache_max_age": "config.cache.max_age in seconds (0 allowed).",
    "retry_attempts": "config.retry.attempts, 0-5.",
    "retry_on_status_codes": "config.retry.on_status_codes.",
    "strategy_mode": "config.strategy.mode.",
    "targets": "config.targets: [{provider or virtual_key, ...}].",
    "time_of_generation_min": "Start of the window (ISO 8601 date-time).",
    "time_of_generation_max": "End of the window (ISO 8601 date-time).",
    "expires_at": "Expiry (ISO 8601); null removes it.",
    "label_id": "Label id; null removes the label.",
    "key": "Secret value (sent to Portkey, never shown again).",
    "scopes": "Permission scopes of the key.",
    "app": "Application name stamped into template metadata.",
    "model_slug": "Slug of the model to remove from the integration.",
    "type": "Kind of object (see the allowed values).",
    "role": "Role to give.",
    "email": "Email address.",
    "note": "Free-text note.",
    "scim_group_id": "SCIM group id (give this or scim_group_name).",
    "scim_group_name": "SCIM group name (give this or scim_group_id).",
    "env": "Environment name (dev, staging, prod, ...).",
}


TOOL_PARAMS: dict[tuple[str, str], str] = {
    ("create_api_key", "type"): "An organisation key or a workspace key (needs workspace_id).",
    ("create_api_key", "sub_type"): "A service key or a user key (needs user_id).",
    ("create_usage_limit", "conditions"): "Which requests count: [{key, value}] or [{field, value}].",
    ("create_rate_limit", "conditions"): "Which requests count: [{key, value}] or [{field, value}].",
    ("create_usage_limit", "group_by"): "Keys to count separately, e.g. [\"api_key\"].",
    ("create_rate_limit", "group_by"): "Keys to count separately, e.g. [\"api_key\"].",
    ("create_guardrail", "actions"): "{deny, async, on_success{value, weight, metadata}, on_fail{...}}.",
    ("create_guardrail", "checks"): "[{id, parameters, name, is_enabled}].",
    ("run_prompt_completion", "metadata"): "Billing metadata; the required fields are checked before the call.",
}


def _resource(path: str, name: str) -> str | None:
    """The object a path parameter names: ``/mcp-servers/{id}`` → ``MCP server``."""
    parts = path.split("?")[0].strip("/").split("/")
    marker = "{" + name + "}"
    if marker not in parts or parts.index(marker) == 0:
        return None
    segment = parts[parts.index(marker) - 1]
    if segment.startswith("{"):
        return None
    words = [ACRONYMS.get(w, w) for w in segment.replace("-", "_").split("_")]
    words[-1] = words[-1].removesuffix("s")
    return " ".join(words)


def param_description(tool: str, name: str, path: str = "") -> str:
    """A short description of parameter ``name`` of ``tool`` (``path``: the operation's path)."""
    if (tool, name) in TOOL_PARAMS:
        return TOOL_PARAMS[tool, name]
    if name in PARAMS:
        return PARAMS[name]
    if path and (resource := _resource(path, name)):
        return f"Id or slug of the {resource}." if name in ("id", "slug") else f"Id of the {resource}."
    if name.endswith("_id"):
        return f"Id of the {name.removesuffix('_id').replace('_', ' ')}."
    return ""
