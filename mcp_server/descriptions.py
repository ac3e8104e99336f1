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
    "get_user_stats": "Per-user usage (requests, tokens, cost) over a time window; get_analytics_group_users "
                      "takes the full filter set.",
    "resend_user_invite": "Send a pending invite's email again; find the invite with list_user_invites.",
    "add_workspace_member": "Give an existing organisation user access to a workspace with a role; find user ids "
                            "with list_all_users.",
    "publish_prompt": "Make a prompt version the published default that callers get; the version is the number "
                      "from list_prompt_versions, not its id.",
    "run_prompt_completion": "Run a prompt against its model and return the completion; spends tokens. Needs "
                             "billing metadata (check it with validate_completion_metadata).",
    "publish_partial": "Make a partial version (a number from list_partial_versions) the published default; "
                       "every prompt that uses the partial without a version pin changes at once.",
    "rotate_api_key": "Rotate an API key: Portkey issues a new secret, shown only once in the result; the old "
                      "one keeps working for the transition period. delete_api_key revokes at once.",
    "reset_usage_limit_entity": "Reset the usage counted for one entity of a usage-limit policy to zero "
                                "(cannot be undone); find entities with list_usage_limit_entities.",
    "get_organisation_defaults": "Read the organisation-wide default input and output guardrails; "
                                 "update_organisation_defaults replaces them.",
    "update_organisation_defaults": "Replace the organisation-wide default input and output guardrails (slugs "
                                    "from list_guardrails); workspaces can opt out via the exclusion tools.",
    "start_log_export": "Start a created log export job; poll it with get_log_export, then download_log_export.",
    "list_traces": "List request logs (traces); kept for compatibility, get_log reads one log.",
    "get_trace": "Get one request log by id; kept for compatibility, prefer get_log.",
    "disconnect_mcp_server_connection": "Disconnect a user's (or workspace's) connection to an MCP server; they "
                                        "must authenticate again. Find connections with list_mcp_server_connections.",
    "get_mcp_integration_metadata": "Read what Portkey learnt from an MCP integration's server (name, version, "
                                    "last sync); list_mcp_integration_capabilities lists its tools.",
    "update_integration_workspaces": "Set which workspaces may use an integration, with optional per-workspace "
                                     "limits; can switch access off. list_integration_workspaces shows the current "
                                     "state.",
    "validate_completion_metadata": "Check billing metadata locally (no Portkey call) before "
                                    "run_prompt_completion: reports missing required fields and warnings.",
    "migrate_prompt": "Create or update a prompt by exact name within a collection (prompt-as-code): compares "
                      "every version field and writes only on a change; stamps app/env metadata. For a whole "
                      "project directory use gitops_plan and gitops_apply.",
    "promote_prompt": "Copy a prompt's published version to another environment's prompt (e.g. -staging to "
                      "-prod), creating the target when missing; migrate_prompt writes from your own fields "
                      "instead.",
    "get_cache_summary_analytics": "Cache totals over a time window: hits, their latency and the speed-up over "
                                   "misses; get_cache_hit_rate and get_cache_hit_latency show them over time.",
    "update_mcp_integration_capabilities": "Switch tools, prompts or resources of an MCP integration on or off; "
                                           "list them first with list_mcp_integration_capabilities.",
    "update_mcp_server_capabilities": "Switch tools, prompts or resources of an MCP server on or off; list them "
                                      "first with list_mcp_server_capabilities.",
    "update_mcp_integration_workspaces": "Set which workspaces may use an MCP integration; can revoke access. "
                                         "list_mcp_integration_workspaces shows the current state.",
    "update_mcp_server_user_access": "Allow or deny users access to an MCP server; can revoke access. "
                                     "list_mcp_server_user_access shows the current state.",
    "update_input_guardrail_workspace_exclusions": "Exclude workspaces from (or include them in) the "
                                                   "organisation's default input guardrails "
                                                   "(get_organisation_defaults shows them).",
    "update_output_guardrail_workspace_exclusions": "Exclude workspaces from (or include them in) the "
                                                    "organisation's default output guardrails "
                                                    "(get_organisation_defaults shows them).",
    "list_input_guardrail_workspace_exclusions": "Which workspaces skip the organisation's default input "
                                                 "guardrails; update_input_guardrail_workspace_exclusions changes "
                                                 "it.",
    "list_output_guardrail_workspace_exclusions": "Which workspaces skip the organisation's default output "
                                                  "guardrails; update_output_guardrail_workspace_exclusions "
                                                  "changes it.",
    # neighbours a template cannot name
    "remove_workspace_member": "Remove a user's access to one workspace (the user stays in the organisation; "
                               "delete_user removes them everywhere). Find members with list_workspace_members.",
    "render_prompt": "Render a prompt template with variables without calling a model (no tokens spent); "
                     "run_prompt_completion also calls the model.",
    "list_config_versions": "List a config's versions (every update_config makes one), newest last; get_config "
                            "reads the current one.",
    "list_partial_versions": "List a partial's versions; publish_partial makes one the default.",
    "list_audit_logs": "List the organisation's audit log: who changed what through the Admin API, filtered by "
                       "time, user, method or resource. get_log reads request logs instead.",
    "create_feedback": "Attach feedback (a score from -10 to 10, optional weight and metadata) to a trace; "
                       "update_feedback changes it later.",
    "update_feedback": "Change the value, weight or metadata of a feedback entry (its id comes from "
                       "create_feedback).",
    "insert_log": "Write a request/response log entry into Portkey's logs (for calls made outside the "
                  "gateway); read it back with get_log.",
    "cancel_log_export": "Stop a running log export job (see get_log_export for its status).",
    "download_log_export": "Get a signed URL to download a finished log export (get_log_export shows whether it "
                           "has finished).",
    "list_integration_models": "List the models an integration offers and whether each is enabled; change them "
                               "with update_integration_models.",
    "update_integration_models": "Enable, disable or add models on an integration (list them with "
                                 "list_integration_models).",
    "delete_integration_model": "Remove one custom model from an integration's model list; "
                                "update_integration_models can disable a built-in one instead.",
    "list_integration_workspaces": "List the workspaces that may use an integration, with their limits; change "
                                   "them with update_integration_workspaces.",
    "list_scim_workspace_mappings": "List which SCIM groups map to which workspace roles; add one with "
                                    "create_scim_workspace_mapping.",
    "list_scim_groups": "List the SCIM groups your identity provider pushed; map one to a workspace with "
                        "create_scim_workspace_mapping.",
    "list_usage_limit_entities": "List the entities (e.g. API keys) a usage-limit policy counts separately, with "
                                 "their usage; reset_usage_limit_entity zeroes one.",
    "get_log": "Get one request log (a trace) by id, optionally with its guardrail hook results; "
               "create_log_export exports many.",
    "get_log_export_field_restrictions": "List which log fields a workspace is allowed to export (the "
                                         "requested_fields of create_log_export).",
    "get_model_pricing": "Get Portkey's public price sheet for one provider model (no key needed); "
                         "get_cost_analytics shows what you actually spent.",
    "list_mcp_server_connections": "List the users and workspaces connected to an MCP server; "
                                   "disconnect_mcp_server_connection ends one.",
    "test_mcp_server": "Make Portkey connect to a registered MCP server and report whether it answers (after "
                       "create_mcp_server or update_mcp_server).",
    "list_all_users": "List the organisation's users, one page at a time or every page with all=true. Use "
                      "get_user for one in full, list_workspace_members for one workspace's people.",
    # keys and providers: which of the neighbours to use
    "create_virtual_key": "Store a provider's API key in Portkey under a virtual-key slug that prompts and configs "
                          "call (the older form; create_provider over an integration is the newer one).",
    "create_provider": "Make an integration (an org-level provider credential, see create_integration) usable in "
                       "a workspace under a provider slug; prompts and configs call that slug.",
    "create_integration": "Store a provider credential once for the organisation; then expose it to workspaces "
                          "with update_integration_workspaces or create_provider.",
    "create_api_key": "Create a Portkey API key (organisation or workspace; service or user) with scopes and "
                      "optional limits. To store a model provider's key use create_virtual_key or "
                      "create_integration instead.",
    "create_workspace": "Create a workspace (a team's space for prompts, configs, keys and providers); add people "
                        "with add_workspace_member.",
    "invite_user": "Invite a person to the organisation by email, with a role and workspace access; Portkey "
                   "sends the invite email. add_workspace_member gives an existing user access instead.",
    "create_collection": "Create a collection (a folder of prompts in a workspace); create_prompt and "
                         "migrate_prompt put prompts in it.",
    "create_config": "Create a gateway config (cache, retry, fallback/loadbalance targets) that requests "
                     "reference by slug; change it with update_config.",
    "create_prompt": "Create a prompt (version 1) in a collection. For create-or-update by name from files or CI "
                     "use migrate_prompt.",
    "update_prompt": "Write a new version of a prompt; only the fields you pass change. The version is not live "
                     "until publish_prompt; dry_run=true shows what would change.",
    "create_guardrail": "Create a guardrail (checks plus the action on failure) that configs attach as hooks; "
                        "update_organisation_defaults applies it to every request.",
    "create_usage_limit": "Create a usage-limit policy: a cost or token budget for the requests matching "
                          "conditions, counted per group_by key (see list_usage_limit_entities).",
    "create_rate_limit": "Create a rate-limit policy: requests or tokens per minute/hour/day for the requests "
                         "matching conditions, counted per group_by key. For spend budgets use "
                         "create_usage_limit.",
    "create_prompt_partial": "Create a partial: a reusable template block that prompts include as "
                             "{{>partial-slug}} (the slug this returns, or the id; not the name); "
                             "update_prompt_partial makes new versions.",
    "create_prompt_label": "Create a label (e.g. staging) that marks a prompt version; set it with "
                           "update_prompt_version.",
    "create_log_export": "Define a log export job (time window, filters, fields); start it with start_log_export.",
    "create_secret_reference": "Point Portkey at a secret kept in AWS Secrets Manager, Azure Key Vault or "
                               "HashiCorp Vault, so create_integration can use it without Portkey storing the "
                               "value.",
    "create_mcp_integration": "Register a remote MCP server (URL, transport, auth) with Portkey's MCP gateway; "
                              "expose it to a workspace with create_mcp_server.",
    "create_mcp_server": "Expose an MCP integration (see list_mcp_integrations) in a workspace as a gateway MCP "
                         "server that users connect to.",
    "create_scim_workspace_mapping": "Map a SCIM group (see list_scim_groups) to a workspace role, so group "
                                     "members get access automatically.",
    "list_configs": "List gateway configs; get_config reads one with its JSON, list_config_versions its history.",
    "list_prompts": "List prompts (filter by collection or search text); get_prompt reads one in full, "
                    "list_prompt_versions its versions.",
}

# Analytics graphs: what each measures, and which neighbour answers the next question.
GRAPHS: dict[str, tuple[str, str]] = {
    "get_request_analytics": ("Requests", "per model or per user: get_analytics_group_models or "
                                          "get_analytics_group_users"),
    "get_cost_analytics": ("Spend (total and per request)", "per model or per user: get_analytics_group_models or "
                                                            "get_analytics_group_users"),
    "get_token_analytics": ("Tokens (total and per request)", "get_cost_analytics turns them into spend"),
    "get_latency_analytics": ("Response time (average and percentiles)", "get_cache_hit_latency covers cached "
                                                                         "answers"),
    "get_users_analytics": ("Distinct users (the _user metadata)", "get_user_requests_analytics gives requests per "
                                                                   "user, get_analytics_group_users the users"),
    "get_user_requests_analytics": ("Requests per user", "get_users_analytics counts the users"),
    "get_error_analytics": ("Failed requests", "get_error_rate_analytics gives their share, "
                                               "get_error_status_codes_analytics their status codes"),
    "get_error_rate_analytics": ("Share of failed requests", "get_error_analytics gives the counts"),
    "get_error_stacks_analytics": ("Failed requests by status code, per interval",
                                   "get_error_status_codes_analytics gives one total per code"),
    "get_error_status_codes_analytics": ("Failed requests per HTTP status code (one total per code)",
                                         "get_error_stacks_analytics shows them per interval"),
    "get_rescued_requests_analytics": ("Requests a config's retry or fallback saved",
                                       "get_error_analytics shows the ones that still failed"),
    "get_cache_hit_rate": ("Cache hits (simple and semantic) and hit rate",
                           "get_cache_summary_analytics gives the totals"),
    "get_cache_hit_latency": ("Latency of cache hits", "compare with get_latency_analytics"),
    "get_feedback_analytics": ("Feedback entries", "get_feedback_scores_analytics gives the score distribution"),
    "get_feedback_scores_analytics": ("Feedback entries per score (-10 to 10)",
                                      "get_feedback_weighted_analytics gives the weighted average over time"),
    "get_feedback_weighted_analytics": ("Weighted average feedback score", "get_feedback_models_analytics splits it "
                                                                           "by model"),
    "get_feedback_models_analytics": ("Feedback per model (count and weighted average score)",
                                      "get_feedback_analytics shows all feedback over time"),
}
GROUPS: dict[str, str] = {
    "get_analytics_group_users": "Totals per user (requests, tokens, cost)",
    "get_analytics_group_models": "Totals per model (requests, tokens, cost)",
    "get_analytics_group_metadata": "Totals per value of one metadata key (metadata_key, e.g. team)",
}
WINDOW = "over time_of_generation_min/max (filters narrow it)"

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
    "create_prompt": "dry_run=true previews without calling Portkey.",
    "delete_prompt": "Deletes every version; callers using the slug break.",
    "update_prompt_version": "Only the label can change (label_id null removes it).",
    "update_prompt_partial": "A new string makes a new unpublished version (publish it with publish_partial).",
    "update_guardrail": "The change is live at once.",
    "create_usage_limit": "conditions take {key, value} (or {field, value}), group_by keys.",
    "create_rate_limit": "conditions take {key, value} (or {field, value}), group_by keys.",
    "delete_usage_limit": "Archives the policy (list archived ones with status=archived).",
    "create_prompt_label": "Give workspace_id or organisation_id.",
    "delete_prompt_label": "Built-in labels cannot be removed.",
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


# What a write changes and how to undo it, where the kind alone cannot say (see :func:`effect`).
EFFECTS: dict[str, str] = {
    "publish_prompt": "Changes which version callers get, at once; undo by publishing the previous version.",
    "publish_partial": "Changes the published partial every prompt using it gets, at once; undo by publishing "
                       "the previous version.",
    "update_prompt": "Reversible: callers keep the published version.",
    "update_prompt_partial": "Writes a new unpublished version; prompts are unaffected until publish_partial.",
    "migrate_prompt": "Writes a new version only on a change, and publishes it with publish=true (asks first "
                      "under --confirm-destructive); undo with publish_prompt on the previous version.",
    "promote_prompt": "Writes (and with publish=true publishes) the target's version; undo with publish_prompt "
                      "on the target's previous version.",
    "rotate_api_key": "Not reversible: the old secret expires after the transition period.",
    "reset_usage_limit_entity": "Not reversible.",
    "run_prompt_completion": "Spends tokens; stores only Portkey's request log.",
    "render_prompt": "Changes nothing.",
    "test_mcp_server": "Changes nothing in Portkey.",
    "start_log_export": "Starts a job; cancel_log_export stops it.",
    "insert_log": "Adds a log entry; logs cannot be deleted.",
    "invite_user": "Sends an email; delete_user_invite withdraws the invite.",
    "resend_user_invite": "Sends another email; nothing else changes.",
}


def effect(name: str, kind: str, method: str, tools: Collection[str]) -> str:
    """One sentence: what the tool changes and whether that can be undone."""
    if name in EFFECTS:
        return EFFECTS[name]
    if kind in ("R", "L"):
        return "Read-only: changes nothing."
    if kind == "D":
        return "Not reversible."
    if kind == "W$":
        return "Spends tokens."
    verb = name.split("_", 1)[0]
    if verb in _CREATE_VERBS:
        undo = _sibling(name, "delete", tools) or _sibling(name, "remove", tools)
        return f"Adds a new object; undo with {undo}." if undo else "Adds a new object; no tool removes it."
    if method.strip().upper() == "PUT":
        getter = _sibling(name, "get", tools) or _sibling(name, "list", tools)
        where = f" (read them first with {getter})" if getter else ""
        return f"Overwrites live values at once; undo by writing the previous values back{where}."
    return "Changes Portkey data."


def describe(name: str, group: str, *, tools: Collection[str], finders: Sequence[str] = (),
             enterprise: bool = False, list_cap: int = 1000, id_params: Sequence[str] = (),
             kind: str = "", method: str = "") -> str:
    """One or two sentences for tool ``name``; ``finders`` list the tools that find its ids, ``id_params``
    are the path parameters naming the object."""
    verb = name.split("_", 1)[0]
    thing = noun(name)
    key = id_params[-1] if id_params else "id"
    find = f" Find the {key} with {finders[0]}." if finders else ""
    if name in SUMMARIES:
        text = SUMMARIES[name]
    elif name in GROUPS:
        text = (f"{GROUPS[name]}, one row each, paged, {WINDOW}. For one figure over time use a graph tool such "
                "as get_cost_analytics.")
    elif name in GRAPHS:
        what, neighbour = GRAPHS[name]
        text = f"{what} {WINDOW}: a summary plus data points per interval; {neighbour}."
    elif group == "analytics":
        raise ValueError(f"{name}: an analytics tool needs its own sentence in GRAPHS, GROUPS or SUMMARIES")
    elif verb == "list":
        getter = _sibling(name, "get", tools)
        updater = _sibling(name, "update", tools)
        more = (f" Use {getter} for one in full." if getter
                else f" Change them with {updater}." if updater else "")
        text = f"List {thing}, one page at a time or every page with all=true (up to {list_cap}).{more}"
    elif verb == "get":
        text = f"Get one {thing} by {' and '.join(id_params) or 'id'}.{find}"
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
    if group == "analytics":
        text = f"{text} workspace_slug defaults to the API key's workspace."
    if name == "list_audit_logs":
        text = (f"{text} Defaults: the last 30 days (start_time, end_time) and the key's organisation "
                "(organisation_id).")
    if kind and "cannot be undone" not in text:
        text = f"{text} {effect(name, kind, method, tools)}"
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
    # analytics filters (Portkey's query parameters; repeated on 23 tools, so kept short)
    "cost_min": "Min cost (cents).",
    "cost_max": "Max cost (cents).",
    "total_units_min": "Min tokens.",
    "total_units_max": "Max tokens.",
    "prompt_token_min": "Min prompt tokens.",
    "prompt_token_max": "Max prompt tokens.",
    "completion_token_min": "Min completion tokens.",
    "completion_token_max": "Max completion tokens.",
    "weighted_feedback_min": "Min weighted feedback (-10..10).",
    "weighted_feedback_max": "Max weighted feedback (-10..10).",
    "status_code": "Status codes, comma-separated.",
    "status_codes": "Status codes as a list.",
    "virtual_keys": "Virtual key slugs, comma-separated.",
    "virtual_key_slugs": "Virtual key slugs as a list.",
    "configs": "Config slugs, comma-separated.",
    "config_slugs": "Config slugs as a list.",
    "api_key_ids": "API key ids, comma-separated.",
    "ai_org_model": "Provider models (provider__model), comma-separated.",
    "provider_models": "Provider models as a list.",
    "prompt_slug": "Prompt slug.",
    "trace_ids": "Trace ids.",
    "span_ids": "Span ids.",
    "metadata_filter": "Metadata pairs, e.g. {\"team\": \"support\"}.",
    "slug": "Slug (a short unique name); generated from the name when left out on create.",
    "status": "Status to filter by or set (see the allowed values).",
    "first_name": "First name.",
    "last_name": "Last name.",
    "functions": "Function definitions [{name, description, parameters}].",
    "tools": "Tool definitions [{type: function, function: {name, description, parameters}}].",
    "tool_choice": "Tool choice: {mode: auto|none|function, function_name} or the spec's object.",
    "workspaces": "Workspaces with their role or limits, e.g. [{id, role}] (id: workspace id or slug).",
    "periodic_reset": "When usage resets: monthly or weekly (leave out for a cumulative limit).",
    "color_code": "Colour as #RRGGBB.",
    "alert_emails": "Email addresses that get usage alerts.",
    "url": "URL of the remote server.",
    "created_at": "Creation time of the log (ISO 8601), needed with path_format v2.",
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


_TYPE_NOTES = {"object": " (JSON object)", "bool": " (true or false)", "date-time": " (ISO 8601 date-time)",
               "email": " (email address)", "uuid": " (UUID)", "hex-color": " (#RRGGBB)"}


def fallback_description(name: str, base: str, array: bool, choices: Sequence[str] = ()) -> str:
    """A plain description from the parameter's name and type, for parameters no table names."""
    text = " ".join(words(name))
    text = text[:1].upper() + text[1:]
    if name.endswith("_min"):
        text = f"Lowest {' '.join(words(name.removesuffix('_min')))} to include"
    elif name.endswith("_max"):
        text = f"Highest {' '.join(words(name.removesuffix('_max')))} to include"
    note = _TYPE_NOTES.get(base, "")
    if array:
        note = " (list of objects)" if base == "object" else " (list)"
    if base == "enum" and choices:
        note = f"; one of {', '.join(choices)}" if len(choices) <= 8 else ""
    return f"{text}{note}."
