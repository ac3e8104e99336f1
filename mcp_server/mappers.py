"""Flat tool parameters → Portkey's request fields, one small mapper per tool.

The generic rule (path parameters → path, declared query parameters → query, the rest → JSON
body) covers most tools. The tools below keep the parameter names and meanings of the existing
Portkey MCP servers (``seed-servers.md`` §3) and send what the Admin API documents:

- configs: ``cache_*``/``retry_*``/``strategy_mode``/``targets`` → ``config{}`` (0 and false kept)
- limit shorthands (virtual keys, API keys, providers, integration workspaces) →
  ``usage_limits``/``rate_limits``
- virtual-key provider extras → camelCase; workspaces ``is_default``/``metadata`` → ``defaults``
- members ``{user_id, role}`` → ``{users: [{id, role}]}``
- prompts ``messages`` → the JSON-string template ``string``; prompt update
  ``template_metadata`` → ``prompt_metadata`` plus ``patch: true``
- render/completions ``hyperparameters`` nested, completion ``metadata`` checked
- limits policies ``conditions``/``group_by`` → ``[{key, value}]``/``[{key}]``
- guardrail actions ``on_success{value, weight, metadata}`` → ``on_success.feedback``

A mapper gets the given arguments (never :data:`~mcp_server.schema.UNSET`) and returns the
arguments to route; it raises :class:`~engine.portkey.PortkeyUsageError` naming the argument
when a local check fails, before any request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.portkey import Operation, PortkeyUsageError
from mcp_server.catalogue import load_catalogue


@dataclass(frozen=True)
class MapContext:
    """What a mapper may consult besides the arguments."""

    tool: str
    op: Operation | None = None
    required_metadata: tuple[str, ...] = ("client_id", "app", "env")
    query: frozenset[str] = field(default_factory=frozenset)

    def fail(self, argument: str, message: str) -> PortkeyUsageError:
        return PortkeyUsageError(self.tool, message, argument)


Mapper = Callable[[dict[str, Any], MapContext], dict[str, Any]]
MAPPERS: dict[str, Mapper] = {}
# Declared request parameters a mapper fills from the catalogue's parameters (not offered as tool arguments).
MAPPED_TARGETS: dict[str, frozenset[str]] = {"delete_integration_model": frozenset({"slugs"})}


def mapper(*tools: str) -> Callable[[Mapper], Mapper]:
    """Register ``fn`` as the mapper of ``tools``."""

    def register(fn: Mapper) -> Mapper:
        for tool in tools:
            if tool in MAPPERS:
                raise ValueError(f"two mappers for {tool}")
            MAPPERS[tool] = fn
        return fn

    return register


def map_arguments(tool: str, args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    """Apply the tool's mapper, if it has one, to a copy of ``args``."""
    fn = MAPPERS.get(tool)
    return fn(dict(args), ctx) if fn else dict(args)


def _take(args: dict[str, Any], *names: str) -> dict[str, Any]:
    """Remove and return the given arguments among ``names``."""
    return {name: args.pop(name) for name in names if name in args}


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


# -- limits ------------------------------------------------------------------------------------

def usage_limits(taken: dict[str, Any], *, type_key: str | None = None,
                 reset_key: str | None = None) -> dict[str, Any] | None:
    """``credit_limit``/``alert_threshold`` (+ type, reset) → ``{periodic_reset, credit_limit, ...}``."""
    if "credit_limit" not in taken and "alert_threshold" not in taken:
        return None
    limits: dict[str, Any] = {"periodic_reset": taken.get(reset_key, "monthly") if reset_key else "monthly"}
    _set(limits, "credit_limit", taken.get("credit_limit"))
    _set(limits, "alert_threshold", taken.get("alert_threshold"))
    if type_key:
        _set(limits, "type", taken.get(type_key))
    return limits


def rpm_limit(value: Any) -> dict[str, Any]:
    return {"type": "requests", "unit": "rpm", "value": value}


# -- configs -----------------------------------------------------------------------------------

CONFIG_FIELDS = ("cache_mode", "cache_max_age", "retry_attempts", "retry_on_status_codes", "strategy_mode",
                 "targets")


def config_from_flat(taken: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    """The flat config fields → a Portkey config object; 0 and false are kept."""
    config: dict[str, Any] = {}
    cache = {k: taken[f"cache_{k}"] for k in ("mode", "max_age") if f"cache_{k}" in taken}
    if cache:
        config["cache"] = cache
    if "retry_attempts" in taken:
        attempts = taken["retry_attempts"]
        if not 0 <= attempts <= 5:
            raise ctx.fail("retry_attempts", "must be between 0 and 5")
    retry = {k: taken[f"retry_{k}"] for k in ("attempts", "on_status_codes") if f"retry_{k}" in taken}
    if retry:
        config["retry"] = retry
    if "strategy_mode" in taken:
        config["strategy"] = {"mode": taken["strategy_mode"]}
    if "targets" in taken:
        for i, target in enumerate(taken["targets"]):
            if not (target.get("provider") or target.get("virtual_key")):
                raise ctx.fail(f"targets[{i}]", "each target needs a provider or a virtual_key")
        config["targets"] = taken["targets"]
    return config


@mapper("create_config")
def _create_config(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    args["config"] = config_from_flat(_take(args, *CONFIG_FIELDS), ctx)
    return args


@mapper("update_config")
def _update_config(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    taken = _take(args, *CONFIG_FIELDS)
    if taken:
        args["config"] = config_from_flat(taken, ctx)
    return args


# -- keys and providers ------------------------------------------------------------------------

VIRTUAL_KEY_RENAMES = {"api_version": "apiVersion", "resource_name": "resourceName",
                       "deployment_name": "deploymentName"}


@mapper("create_virtual_key", "update_virtual_key")
def _virtual_key(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    for flat, wire in VIRTUAL_KEY_RENAMES.items():
        if flat in args:
            args[wire] = args.pop(flat)
    taken = _take(args, "credit_limit", "alert_threshold", "rate_limit_rpm")
    if (limits := usage_limits(taken)) is not None:
        args["usage_limits"] = limits
    if "rate_limit_rpm" in taken:
        args["rate_limits"] = rpm_limit(taken["rate_limit_rpm"])  # one object, as the spec documents
    return args


def _api_key_fields(args: dict[str, Any]) -> dict[str, Any]:
    taken = _take(args, "credit_limit", "alert_threshold", "rate_limit_rpm", "default_config_id",
                  "default_metadata")
    if (limits := usage_limits(taken)) is not None:
        args["usage_limits"] = limits
    if "rate_limit_rpm" in taken:
        args["rate_limits"] = [rpm_limit(taken["rate_limit_rpm"])]
    defaults = {wire: taken[flat] for flat, wire in (("default_config_id", "config_id"),
                                                     ("default_metadata", "metadata")) if flat in taken}
    if defaults:
        args["defaults"] = defaults
    return args


@mapper("create_api_key")
def _create_api_key(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if args.get("type") == "workspace" and not args.get("workspace_id"):
        raise ctx.fail("workspace_id", "a workspace API key needs workspace_id")
    if args.get("sub_type") == "user" and not args.get("user_id"):
        raise ctx.fail("user_id", "a user API key needs user_id")
    return _api_key_fields(args)


@mapper("update_api_key")
def _update_api_key(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    return _api_key_fields(args)


@mapper("create_provider", "update_provider")
def _provider(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    taken = _take(args, "credit_limit", "alert_threshold", "usage_limit_type", "periodic_reset",
                  "rate_limit_value", "rate_limit_unit")
    if (limits := usage_limits(taken, type_key="usage_limit_type", reset_key="periodic_reset")) is not None:
        args["usage_limits"] = limits
    elif "usage_limit_type" in taken or "periodic_reset" in taken:
        raise ctx.fail("credit_limit", "usage_limit_type and periodic_reset need credit_limit or alert_threshold")
    has_value, has_unit = "rate_limit_value" in taken, "rate_limit_unit" in taken
    if has_value != has_unit:
        missing = "rate_limit_unit" if has_value else "rate_limit_value"
        raise ctx.fail(missing, "rate_limit_value and rate_limit_unit must be given together")
    if has_value:
        args["rate_limits"] = {"type": "requests", "unit": taken["rate_limit_unit"],
                               "value": taken["rate_limit_value"]}
    return args


# -- workspaces --------------------------------------------------------------------------------

@mapper("create_workspace", "update_workspace")
def _workspace(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    defaults = _take(args, "is_default", "metadata")
    if defaults:
        args["defaults"] = defaults
    return args


@mapper("add_workspace_member")
def _add_member(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    member = _take(args, "user_id", "role")
    args["users"] = [{"id": member["user_id"], "role": member["role"]}]
    return args


# -- prompts -----------------------------------------------------------------------------------

def tool_choice(value: Any) -> Any:
    """The successor's ``{mode, function_name}`` → the spec's ``"auto"``/``"none"``/function object."""
    if isinstance(value, dict) and "mode" in value and "type" not in value:
        mode = value["mode"]
        if mode == "function":
            return {"type": "function", "function": {"name": value.get("function_name", "")}}
        return mode
    return value


def template_fields(args: dict[str, Any], ctx: MapContext, *, required: bool) -> None:
    """In place: ``messages`` → the JSON-string template ``string`` (not both; one of them when
    ``required``), and ``tool_choice`` in the spec's form."""
    if "messages" in args:
        if "string" in args:
            raise ctx.fail("messages", "give string or messages, not both")
        args["string"] = json.dumps(args.pop("messages"), ensure_ascii=False)
    elif required and "string" not in args:
        raise ctx.fail("string", "give the template as string or as messages")
    if "tool_choice" in args:
        args["tool_choice"] = tool_choice(args["tool_choice"])


@mapper("create_prompt")
def _create_prompt(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    template_fields(args, ctx, required=True)
    return args


@mapper("update_prompt")
def _update_prompt(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    template_fields(args, ctx, required=False)
    if "template_metadata" in args:
        args["prompt_metadata"] = args.pop("template_metadata")
    if set(args) - {"prompt_id"}:
        args["patch"] = True
    return args


HYPERPARAMETER_BOUNDS: dict[str, tuple[float | None, float | None, bool]] = {
    # name: (minimum, maximum, minimum is exclusive)
    "max_tokens": (0, None, True),
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "top_k": (0, None, True),
    "presence_penalty": (-2, 2, False),
    "frequency_penalty": (-2, 2, False),
}


def check_hyperparameters(values: dict[str, Any], ctx: MapContext) -> None:
    for name, (low, high, exclusive) in HYPERPARAMETER_BOUNDS.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.fail(f"hyperparameters.{name}", "must be a number")
        if low is not None and (value <= low if exclusive else value < low):
            raise ctx.fail(f"hyperparameters.{name}", f"must be {'greater than' if exclusive else 'at least'} {low}")
        if high is not None and value > high:
            raise ctx.fail(f"hyperparameters.{name}", f"must be at most {high}")
    if "stop" in values and not isinstance(values["stop"], list | str):
        raise ctx.fail("hyperparameters.stop", "must be a list of strings")


@mapper("render_prompt")
def _render_prompt(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    check_hyperparameters(args.get("hyperparameters") or {}, ctx)
    return args


def missing_metadata(metadata: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    """Required billing-metadata fields that are absent or empty."""
    return [name for name in required if not str(metadata.get(name) or "").strip()]


@mapper("run_prompt_completion")
def _run_completion(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    check_hyperparameters(args.get("hyperparameters") or {}, ctx)
    missing = missing_metadata(args.get("metadata") or {}, ctx.required_metadata)
    if missing:
        raise ctx.fail(f"metadata.{missing[0]}",
                       f"missing required metadata field(s) {', '.join(missing)}; "
                       "check them first with validate_completion_metadata")
    args["stream"] = False
    return args


# -- guardrails and policies -------------------------------------------------------------------

FEEDBACK_FIELDS = ("value", "weight", "metadata")


@mapper("create_guardrail", "update_guardrail")
def _guardrail(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    actions = args.get("actions")
    if isinstance(actions, dict):
        actions = dict(actions)
        for outcome in ("on_success", "on_fail"):
            flat = actions.get(outcome)
            if isinstance(flat, dict) and "feedback" not in flat and any(k in flat for k in FEEDBACK_FIELDS):
                rest = {k: v for k, v in flat.items() if k not in FEEDBACK_FIELDS}
                actions[outcome] = {**rest, "feedback": {k: flat[k] for k in FEEDBACK_FIELDS if k in flat}}
        args["actions"] = actions
    return args


_EQUALS = {None, "", "=", "==", "eq", "equals", "is"}


@mapper("create_usage_limit", "create_rate_limit")
def _policy(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    conditions = []
    for i, condition in enumerate(args.get("conditions", [])):
        key = condition.get("key", condition.get("field"))
        if not key:
            raise ctx.fail(f"conditions[{i}].key", "each condition needs a key (or field)")
        if condition.get("operator") not in _EQUALS:
            raise ctx.fail(f"conditions[{i}].operator", "Portkey policies only match equality; omit operator")
        conditions.append({"key": key, "value": condition.get("value")})
    args["conditions"] = conditions
    group_by = []
    for i, item in enumerate(args.get("group_by", [])):
        key = item.get("key") if isinstance(item, dict) else item
        if not key:
            raise ctx.fail(f"group_by[{i}]", "each group_by entry needs a key")
        group_by.append({"key": key})
    args["group_by"] = group_by
    return args


# -- logs and exports --------------------------------------------------------------------------

@mapper("insert_log")
def _insert_log(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    request = {"url": args.pop("request_url", None), "provider": args.pop("request_provider", None),
               "method": args.pop("request_method", "post"), "headers": args.pop("request_headers", None),
               "body": args.pop("request_body", None)}
    response = {"status": args.pop("response_status", 200), "headers": args.pop("response_headers", None),
                "body": args.pop("response_body", None), "response_time": args.pop("response_time", None),
                "streamingMode": args.pop("streaming_mode", False)}
    names = {"metadata_organization": "organization", "metadata_user": "user", "metadata_trace_id": "traceId",
             "metadata_span_id": "spanId", "metadata_span_name": "spanName",
             "metadata_parent_span_id": "parentSpanId"}
    metadata = {wire: args.pop(flat) for flat, wire in names.items() if flat in args}
    metadata.update(args.pop("metadata_custom", None) or {})
    args["request"] = {k: v for k, v in request.items() if v is not None}
    args["response"] = {k: v for k, v in response.items() if v is not None}
    if metadata:
        args["metadata"] = metadata
    return args


EXPORT_FILTERS = {"time_min": "time_of_generation_min", "time_max": "time_of_generation_max",
                  "cost_min": "cost_min", "cost_max": "cost_max", "total_units_min": "total_units_min",
                  "total_units_max": "total_units_max", "ai_model": "ai_model",
                  "time_of_generation_max": "time_of_generation_max"}


@mapper("create_log_export", "update_log_export")
def _log_export(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    filters = {wire: args.pop(flat) for flat, wire in EXPORT_FILTERS.items() if flat in args}
    if isinstance(filters.get("ai_model"), list):
        filters["ai_model"] = ",".join(map(str, filters["ai_model"]))
    if filters:
        args["filters"] = filters
    if "requested_fields" in args:
        args["requested_data"] = args.pop("requested_fields")
    return args


# -- integrations ------------------------------------------------------------------------------

INTEGRATION_CONFIGURATIONS = ("api_version", "resource_name", "deployment_name", "aws_region",
                              "aws_access_key_id", "aws_secret_access_key", "vertex_project_id", "vertex_region",
                              "custom_host")


@mapper("create_integration", "update_integration")
def _integration(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    configurations = _take(args, *INTEGRATION_CONFIGURATIONS)
    if configurations:
        args["configurations"] = configurations
    return args


@mapper("update_integration_models")
def _integration_models(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    models = []
    for i, item in enumerate(args.get("models", [])):
        model = dict(item)
        if "slug" not in model and "model_id" in model:  # the seed's item shape
            model["slug"] = model.pop("model_id")
        if "custom" in model and "is_custom" not in model:
            model["is_custom"] = model.pop("custom")
        if not model.get("slug"):
            raise ctx.fail(f"models[{i}].slug", "each model needs a slug")
        models.append(model)
    args["models"] = models
    return args


def _workspace_limits(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    taken = _take(item, f"{prefix}credit_limit", f"{prefix}alert_threshold", f"{prefix}rate_limit_rpm")
    taken = {k.removeprefix(prefix): v for k, v in taken.items()}
    limits: dict[str, Any] = {}
    if (usage := usage_limits(taken)) is not None:
        limits["usage_limits"] = [usage]
    if "rate_limit_rpm" in taken:
        limits["rate_limits"] = [rpm_limit(taken["rate_limit_rpm"])]
    return limits


@mapper("update_integration_workspaces")
def _integration_workspaces(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    workspaces = []
    for i, raw in enumerate(args.get("workspaces", [])):
        item = dict(raw)
        if "id" not in item and "workspace_id" in item:  # the seed's item shape
            item["id"] = item.pop("workspace_id")
        if not item.get("id"):
            raise ctx.fail(f"workspaces[{i}].id", "each workspace needs an id")
        limits = _workspace_limits(item)
        workspaces.append({**item, **limits})
    args["workspaces"] = workspaces
    if "global_workspace_access_enabled" in args:
        access = {"enabled": args.pop("global_workspace_access_enabled"), **_workspace_limits(args, "global_")}
        args["global_workspace_access"] = access
    elif any(k in args for k in ("global_credit_limit", "global_alert_threshold", "global_rate_limit_rpm")):
        raise ctx.fail("global_workspace_access_enabled", "global limits need global_workspace_access_enabled")
    return args


@mapper("delete_integration_model")
def _delete_integration_model(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if "model_slug" in args and "model_slug" not in ctx.query and "slugs" in ctx.query:
        args["slugs"] = args.pop("model_slug")
    return args


# -- MCP gateway -------------------------------------------------------------------------------

@mapper("create_mcp_integration", "update_mcp_integration")
def _mcp_integration(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if ctx.tool == "create_mcp_integration" and args.get("auth_type") == "headers" and not args.get("custom_headers"):
        raise ctx.fail("custom_headers", "auth_type 'headers' needs custom_headers")
    if "custom_headers" in args:
        args["configurations"] = {"custom_headers": args.pop("custom_headers")}
    return args


@mapper("update_mcp_server_user_access")
def _mcp_user_access(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if "users" in args:
        args["user_access"] = args.pop("users")
    return args


# -- users, labels, SCIM, secrets, audit, logs ---------------------------------------------------

@mapper("create_prompt_label")
def _create_label(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if not args.get("organisation_id") and not args.get("workspace_id"):
        raise ctx.fail("workspace_id", "give workspace_id or organisation_id")
    return args


@mapper("create_scim_workspace_mapping")
def _scim_mapping(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if bool(args.get("scim_group_id")) == bool(args.get("scim_group_name")):
        raise ctx.fail("scim_group_id", "give exactly one of scim_group_id and scim_group_name")
    return args


@mapper("list_secret_references")
def _list_secret_references(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if isinstance(args.get("tags"), dict):
        args["tags"] = json.dumps(args["tags"], separators=(",", ":"))
    return args


@mapper("list_audit_logs")
def _audit_logs(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if "actor_id" in args and "actor_id" not in ctx.query and "user_id" in ctx.query:
        args["user_id"] = args.pop("actor_id")  # the spec filters by user_id
    return args


@mapper("get_log")
def _get_log(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    if args.get("path_format") == "v2" and not args.get("created_at"):
        raise ctx.fail("created_at", "path_format 'v2' needs created_at")
    return args


# -- analytics ---------------------------------------------------------------------------------

# array/object aliases → Portkey's comma-separated (or JSON) query parameters
ANALYTICS_ALIASES = {"status_codes": "status_code", "virtual_key_slugs": "virtual_keys",
                     "config_slugs": "configs", "provider_models": "ai_org_model", "trace_ids": "trace_id",
                     "span_ids": "span_id", "metadata_filter": "metadata"}


def _analytics(args: dict[str, Any], ctx: MapContext) -> dict[str, Any]:
    for alias, target in ANALYTICS_ALIASES.items():
        if alias not in args or alias in ctx.query:
            continue
        value = args.pop(alias)
        if isinstance(value, dict):
            if target in args:
                raise ctx.fail(alias, f"give {alias} or {target}, not both")
            args[target] = json.dumps(value, separators=(",", ":"))
            continue
        parts = [str(v) for v in value]
        if args.get(target):
            parts = [str(args[target]), *parts]
        args[target] = ",".join(parts)
    return args


for _row in load_catalogue():
    if _row.group == "analytics" and _row.param("status_codes") is not None:
        mapper(_row.tool)(_analytics)
