"""File formats of a project directory, as pydantic models, and their JSON Schemas.

The models describe files *after* ``${binding:NAME}`` substitution; the exported
JSON Schemas also accept a whole-value binding where a number, boolean or enum
is expected, so editors do not flag ``value: ${binding:rpm}``.

Regenerate the committed schemas with ``python -m engine.gitops.schema schemas/``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from engine.gitops.model import ResourceKind

KEY_PATTERN = r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$"
BINDING_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
SECRET_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
POLICY_KEY_PATTERN = r"^(api_key|organisation_id|workspace_id|metadata\..+)$"
# Rate limits also match on the endpoint type (docs-core changelog/backend.mdx, "Rate Limits Enhancements":
# `endpoint_type` is a condition key "for rate limit policies"; product/enterprise-offering/budget-policies.mdx
# lists it as "rate limit policies only").
RATE_CONDITION_KEY_PATTERN = r"^(api_key|organisation_id|workspace_id|endpoint_type|metadata\..+)$"
# Rate units and reset cadences Portkey accepts (changelog: `rpw` "requests per week"; `periodic_reset_days`
# 1-365, exclusive with `periodic_reset`).
RateUnit = Literal["rpm", "rph", "rpd", "rpw"]
ResetDays = Annotated[int, Field(ge=1, le=365, strict=True)]
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

# Strict: YAML `true` or "12" is not a number; NaN and infinity are refused.
PositiveNumber = (
    Annotated[int, Field(gt=0, strict=True)] | Annotated[float, Field(gt=0, strict=True, allow_inf_nan=False)]
)
NonNegativeNumber = (
    Annotated[int, Field(ge=0, strict=True)] | Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
)
BindingValue = str | bool | int | float | None
BindingName = Annotated[str, Field(pattern=BINDING_NAME_PATTERN)]
SecretName = Annotated[str, Field(pattern=SECRET_NAME_PATTERN)]
Role = Literal["system", "user", "assistant", "developer", "tool"]


class FileModel(BaseModel):
    """Base of every file format: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


# ---- project and environments -------------------------------------------------------------


DISPLAY_NAME = (
    "Display name (default: the key). Portkey shows '<prefix><key> · <name>'; the prefix and key mark the object "
    "as managed, so only the part after ' · ' is free text."
)


class Naming(FileModel):
    """How managed objects are named in Portkey."""

    prefix: str = Field(default="gitops:", description="Prefix marking names of objects this project manages.")


class Safety(FileModel):
    """Deletion safety policy."""

    prune: bool = Field(default=False, description="Delete managed objects whose files were removed.")
    mass_delete_threshold: int = Field(default=5, ge=0, description="More deletes than this need an explicit flag.")


class PromptDefaults(FileModel):
    """Values every prompt gets unless its own file sets them (parameters merge key by key)."""

    model: str | None = None
    virtual_key: str | None = Field(default=None, description="Usually ${binding:NAME}.")
    parameters: dict[str, Any] = Field(default_factory=dict)


class Defaults(FileModel):
    """Project-wide defaults per kind."""

    prompt: PromptDefaults = Field(default_factory=PromptDefaults)


class MovedEntry(FileModel):
    """A rename: the remote object of ``from`` becomes ``to``, keeping its id and slug."""

    source: str = Field(alias="from", description="Old address, e.g. prompt:support/old.")
    target: str = Field(alias="to", description="New address, declared by a file.")


class Release(FileModel):
    """How a new prompt version is released."""

    default: bool = Field(default=True, description="Publish the new version as the prompt's default.")
    labels: list[str] = Field(default_factory=list, description="Labels (keys) to attach to the version.")


class ProjectFile(FileModel):
    """portkey.yaml: project settings."""

    version: Literal[1] = Field(description="File format version; must be 1.")
    workspace: str | None = Field(default=None, description="Workspace id or slug.")
    naming: Naming = Field(default_factory=Naming)
    bindings: dict[BindingName, BindingValue] = Field(
        default_factory=dict, description="Values for ${binding:NAME} in resource files."
    )
    secrets: list[SecretName] = Field(
        default_factory=list,
        description="Environment variables that ${secret:NAME} may read (never PORTKEY_API_KEY, MCP_AUTH_TOKEN, "
        "GITHUB_TOKEN, ACTIONS_* or RUNNER_*); a reference to any other name is an error.",
    )
    safety: Safety = Field(default_factory=Safety)
    defaults: Defaults = Field(default_factory=Defaults)
    protected: list[str] = Field(default_factory=list, description="Addresses that are never deleted.")
    moved: list[MovedEntry] = Field(default_factory=list)


class LimitOverride(FileModel):
    """Per-environment values of a limit: value/unit for rate limits, the rest for usage limits."""

    value: PositiveNumber | None = None
    unit: RateUnit | None = None
    credit_limit: NonNegativeNumber | None = None
    alert_threshold: NonNegativeNumber | None = None
    periodic_reset: Literal["monthly", "weekly"] | None = None
    periodic_reset_days: ResetDays | None = None


class EnvironmentFile(FileModel):
    """environments/<env>.yaml: an overlay that changes bindings only, never prose."""

    workspace: str | None = Field(default=None, description="Workspace id or slug for this environment.")
    bindings: dict[BindingName, BindingValue] = Field(
        default_factory=dict, description="Merged over portkey.yaml's bindings."
    )
    release: Release | None = Field(default=None, description="Replaces every prompt's release policy.")
    limits: dict[str, LimitOverride] = Field(
        default_factory=dict, description="Keyed by address: rate_limit:<key> or usage_limit:<key>."
    )
    protected: list[str] = Field(default_factory=list, description="Added to portkey.yaml's protected.")


# ---- resource kinds -----------------------------------------------------------------------


class LabelFile(FileModel):
    """labels/<key>.label.yaml: a prompt label."""

    name: str | None = Field(
        default=None, min_length=1, description="The label name callers use (@name); defaults to the key."
    )
    description: str | None = None
    color_code: str | None = Field(
        None, pattern=COLOR_PATTERN, description="#RRGGBB; left out, the label keeps its colour in Portkey"
    )


class CollectionFile(FileModel):
    """collections/<key>.collection.yaml: a prompt collection; its parent is the parent directory."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)


class PartialFrontMatter(FileModel):
    """Front matter of partials/<key>.partial.md (YAML between --- lines); the body is the partial."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    version_description: str | None = None
    publish: bool = Field(default=True, description="Publish new versions (updates every prompt using it).")


class Message(FileModel):
    """One chat message: give exactly one of content and content_file."""

    role: Role
    content: str | None = None
    content_file: str | None = Field(default=None, description="Path relative to the prompt file.")

    @model_validator(mode="after")
    def _one_content(self) -> Message:
        if (self.content is None) == (self.content_file is None):
            raise ValueError("give exactly one of content and content_file")
        return self


# OpenAI's forms, which Portkey passes to the model (docs-core product/ai-gateway/multimodal-capabilities/
# function-calling.mdx sends `tool_choice: "auto"` with a `get_current_weather` tool).
TOOL_CHOICE_WORDS = ("auto", "none", "required")
TOOL_CHOICE_FORMS = "auto, none, required or {type: function, function: {name: <one of tools>}}"
_TOOL_CHOICE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "enum": list(TOOL_CHOICE_WORDS)},
        {
            "type": "object",
            "properties": {
                "type": {"const": "function"},
                "function": {
                    "type": "object",
                    "properties": {"name": {"type": "string", "minLength": 1}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            },
            "required": ["type", "function"],
            "additionalProperties": False,
        },
        {"type": "null"},
    ],
    "default": None,
    "description": "auto, none, required, or {type: function, function: {name}} naming one of tools.",
}


def tool_names(tools: list[Any] | None, functions: list[Any] | None = None) -> list[str]:
    """Names of the declared functions: ``tools`` entries ``{type: function, function: {name}}`` and the
    older ``functions`` entries ``{name}``."""
    names = []
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    for function in functions or []:
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def check_tool_choice(tool_choice: Any, tools: list[Any] | None, functions: list[Any] | None = None) -> None:
    """Raise ValueError unless ``tool_choice`` is one of OpenAI's forms and can be honoured with the
    declared ``tools`` (or ``functions``)."""
    if tool_choice is None:
        return
    if isinstance(tool_choice, str) and tool_choice in TOOL_CHOICE_WORDS:
        if tool_choice == "required" and not (tools or functions):
            raise ValueError("'required' needs at least one entry in tools")
        return
    function = tool_choice.get("function") if isinstance(tool_choice, dict) else None
    if (
        not isinstance(tool_choice, dict) or set(tool_choice) != {"type", "function"}
        or tool_choice["type"] != "function" or not isinstance(function, dict) or set(function) != {"name"}
        or not isinstance(function["name"], str) or not function["name"]
    ):
        raise ValueError(f"use {TOOL_CHOICE_FORMS}")
    declared = tool_names(tools, functions)
    if function["name"] not in declared:
        shown = ", ".join(declared) if declared else "none"
        raise ValueError(f"names function {function['name']!r}, which is not in tools (declared: {shown})")


class PromptFile(FileModel):
    """prompts/<key>.prompt.yaml: a prompt; give exactly one of messages, template, template_file."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    collection: str | None = Field(default=None, description="Collection key; default: the workspace's default.")
    model: str | None = None
    virtual_key: str = Field(
        description="Provider/virtual key slug, usually ${binding:NAME}; may come from defaults.prompt in portkey.yaml."
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    messages: list[Message] | None = Field(default=None, min_length=1, description="A chat prompt.")
    template: str | None = Field(default=None, description="A completion prompt.")
    template_file: str | None = Field(default=None, description="Completion template read from this file.")
    variables: list[str] | None = Field(default=None, description="Declared variables, checked against use.")
    functions: list[Any] | None = None
    tools: list[Any] | None = None
    tool_choice: Annotated[Any, WithJsonSchema(_TOOL_CHOICE_SCHEMA)] = None
    version_description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict, description="Extra template_metadata.")
    release: Release = Field(default_factory=Release)

    @model_validator(mode="after")
    def _one_body(self) -> PromptFile:
        given = [k for k in ("messages", "template", "template_file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of messages (chat prompt), template or template_file (completion prompt)"
                + (f"; found {', '.join(given)}" if given else "")
            )
        return self

    @field_validator("tool_choice")
    @classmethod
    def _tool_choice(cls, value: Any, info: ValidationInfo) -> Any:
        check_tool_choice(value, info.data.get("tools"), info.data.get("functions"))
        return value


class GuardrailCheck(FileModel):
    """One guardrail check; ``id`` is the check type, e.g. default.regexMatch."""

    id: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
    is_enabled: bool = True


class GuardrailFile(FileModel):
    """guardrails/<key>.guardrail.yaml: a guardrail."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    checks: list[GuardrailCheck] = Field(min_length=1)
    actions: dict[str, Any]


class ConfigFile(FileModel):
    """configs/<key>.config.yaml: a gateway config; `guardrail:<key>` strings inside refer to guardrails."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    config: dict[str, Any] = Field(description="The Portkey gateway config JSON.")
    is_default: bool = Field(
        False, description="Make this the workspace's default config (false asks for nothing: Portkey unsets a "
        "default only when another config becomes the default).",
    )


class Condition(FileModel):
    """Which requests a policy applies to."""

    key: str = Field(pattern=POLICY_KEY_PATTERN)
    value: str


class RateCondition(FileModel):
    """Which requests a rate limit applies to (rate limits may also match ``endpoint_type``)."""

    key: str = Field(pattern=RATE_CONDITION_KEY_PATTERN)
    value: str


class GroupBy(FileModel):
    """What a policy counts separately."""

    key: str = Field(pattern=POLICY_KEY_PATTERN)


class RateLimitFile(FileModel):
    """limits/<key>.rate-limit.yaml: a rate-limit policy."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    conditions: list[RateCondition] = Field(default_factory=list)
    group_by: list[GroupBy] = Field(default_factory=list)
    type: Literal["requests", "tokens"]
    unit: RateUnit = Field(description="rpm, rph, rpd or rpw (per minute, hour, day or week).")
    value: PositiveNumber


class UsageLimitFile(FileModel):
    """limits/<key>.usage-limit.yaml: a usage-limit (budget) policy."""

    name: str | None = Field(default=None, min_length=1, description=DISPLAY_NAME)
    conditions: list[Condition] = Field(default_factory=list)
    group_by: list[GroupBy] = Field(default_factory=list)
    type: Literal["cost", "tokens"]
    credit_limit: NonNegativeNumber
    alert_threshold: NonNegativeNumber | None = None
    periodic_reset: Literal["monthly", "weekly"] | None = Field(default=None, description="null = cumulative.")
    periodic_reset_days: ResetDays | None = Field(
        None, description="Reset every N days (1-365) instead; give at most one of periodic_reset and this."
    )

    @field_validator("periodic_reset_days")
    @classmethod
    def _one_reset(cls, value: int | None, info: ValidationInfo) -> int | None:
        check_reset(info.data.get("periodic_reset"), value)
        return value


# What to tell the user when a string does not match one of the patterns above.
PATTERN_HINTS = {
    KEY_PATTERN: "use lowercase letters, digits, '-' and '_' in '/'-separated segments",
    BINDING_NAME_PATTERN: "start with a letter or '_', then letters, digits, '_', '.' or '-'",
    SECRET_NAME_PATTERN: "an environment variable name: a letter or '_', then letters, digits or '_'",
    POLICY_KEY_PATTERN: "use api_key, organisation_id, workspace_id or metadata.<field>",
    RATE_CONDITION_KEY_PATTERN: "use api_key, organisation_id, workspace_id, endpoint_type or metadata.<field>",
    COLOR_PATTERN: "write a colour as #RRGGBB",
}


def check_threshold(credit_limit: float, alert_threshold: float | None) -> None:
    """Raise ValueError unless the alert threshold is below the credit limit."""
    if alert_threshold is not None and alert_threshold >= credit_limit:
        raise ValueError(f"alert_threshold ({alert_threshold}) must be below credit_limit ({credit_limit})")


def check_reset(periodic_reset: str | None, periodic_reset_days: int | None) -> None:
    """Raise ValueError when both reset cadences are given (Portkey refuses the pair)."""
    if periodic_reset is not None and periodic_reset_days is not None:
        raise ValueError("give at most one of periodic_reset and periodic_reset_days (Portkey refuses both); "
                         "set the other to null")


# ---- JSON Schema export -------------------------------------------------------------------

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BINDING = {
    "type": "string",
    "pattern": r"^\$\{binding:[A-Za-z_][A-Za-z0-9_.-]*\}$",
    "description": "A value from portkey.yaml bindings (or the environment overlay).",
}
_BINDING_REF = {"$ref": "#/$defs/Binding"}
_NESTED_MAPS = ("properties", "$defs", "patternProperties")
_NESTED_ONE = ("items", "additionalProperties")
_NESTED_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_KEEP_OUTSIDE = ("title", "description", "default")


def schema_file_name(kind: ResourceKind) -> str:
    """``rate-limit.schema.json`` for rate limits, and so on."""
    return f"{kind.value.replace('_', '-')}.schema.json"


def _scalar_like(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") in ("number", "integer", "boolean") or "enum" in schema)


def _bindable(schema: Any, wrap: bool = True) -> Any:
    """Let a whole-value ``${binding:NAME}`` stand where a number, boolean or enum is expected."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NESTED_MAPS and isinstance(value, dict):
            out[key] = {name: _bindable(sub) for name, sub in value.items()}
        elif key in _NESTED_ONE and isinstance(value, dict):
            out[key] = _bindable(value)
        elif key in _NESTED_LIST and isinstance(value, list):
            out[key] = [_bindable(sub, wrap=False) for sub in value]
        else:
            out[key] = value
    if not wrap:
        return out
    if _scalar_like(out):
        outer = {k: out.pop(k) for k in _KEEP_OUTSIDE if k in out}
        return {"anyOf": [out, _BINDING_REF], **outer}
    if any(_scalar_like(branch) for branch in out.get("anyOf", [])):
        out["anyOf"] = [*out["anyOf"], _BINDING_REF]
    return out


def _export(model: type[BaseModel], title: str, bindable: bool) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    if bindable:
        schema = _bindable(schema)
        schema.setdefault("$defs", {})["Binding"] = dict(_BINDING)
    return {"$schema": _DRAFT, **schema, "title": title}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per kind plus portkey.yaml and environment overlays."""
    out = {
        "project.schema.json": _export(ProjectFile, "portkey.yaml", bindable=False),
        "environment.schema.json": _export(EnvironmentFile, "environments/<env>.yaml", bindable=False),
    }
    from engine.gitops.kinds import KINDS  # the kinds' modules build on this one

    for kind in KINDS.values():
        title = f"{kind.directory}/<key>{kind.suffix}" + (" front matter" if kind.front_matter else "")
        out[schema_file_name(kind.kind)] = _export(kind.file_model, title, bindable=True)
    return out


def render_schema(schema: dict[str, Any]) -> str:
    """The exact text committed under ``schemas/``."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / name
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m engine.gitops.schema [DIR]``: regenerate the JSON Schemas (default ``schemas/``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    for path in write_schemas(Path(args[0] if args else "schemas")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
