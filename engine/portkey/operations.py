"""The Portkey Admin API as data: one declaration per operation.

Each :class:`Operation` names the catalogue tool (``contracts/catalogue.tsv``),
its HTTP method and path, its query parameters, its body model, its kind and
how its list answers page. The client binds one method per declaration; the
MCP server builds one tool per declaration. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from engine.portkey import bodies as b
from engine.portkey import normalize as n


class Kind(StrEnum):
    """Effect of an operation, as in the catalogue's ``kind`` column."""

    READ = "R"
    WRITE = "W"
    DESTRUCTIVE = "D"
    SPEND = "W$"


class Paging(StrEnum):
    """How a list operation pages."""

    NONE = "none"  # one answer holds everything
    OFFSET = "offset"  # current_page (0-based) + page_size
    OFFSET_CAMEL = "offset_camel"  # currentPage (0-based) + pageSize
    PAGE = "page"  # page (1-based) + page_size


_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Operation:
    """One Portkey Admin API operation."""

    name: str
    group: str
    kind: Kind
    method: str
    path: str
    query: Mapping[str, type] = field(default_factory=dict)
    required_query: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = False
    paging: Paging = Paging.NONE
    normalize: Callable[[Any], Any] | None = None
    creates_version: bool = False
    enterprise: bool = False
    in_spec: bool = True

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path))

    @property
    def is_list(self) -> bool:
        return self.name.startswith("list_")

    @property
    def retry_safe(self) -> bool:
        """True when sending the request twice has the effect of sending it once."""
        if self.method in ("GET", "DELETE"):
            return True
        if self.method == "PUT":
            return not self.creates_version
        return self.name == "render_prompt"


PAGE_QUERY: Mapping[str, type] = {"current_page": int, "page_size": int}
WS_QUERY: Mapping[str, type] = {"workspace_id": str}


def _q(*parts: Mapping[str, type], **extra: type) -> Mapping[str, type]:
    merged: dict[str, type] = {}
    for part in parts:
        merged.update(part)
    merged.update(extra)
    return MappingProxyType(merged)


R, W, D, S = Kind.READ, Kind.WRITE, Kind.DESTRUCTIVE, Kind.SPEND

OPERATIONS: tuple[Operation, ...] = (
    # prompts
    Operation("create_prompt", "prompts", W, "POST", "/prompts", body=b.PromptCreate,
              body_required=True),
    Operation("list_prompts", "prompts", R, "GET", "/prompts",
              query=_q(PAGE_QUERY, WS_QUERY, collection_id=str, search=str),
              paging=Paging.OFFSET),
    Operation("get_prompt", "prompts", R, "GET", "/prompts/{prompt_id}",
              query=_q(version=int), normalize=n.prompt),
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
              query=_q(WS_QUERY, collection_id=str)),
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
              query=_q(PAGE_QUERY, WS_QUERY, organisation_id=str, search=str),
              paging=Paging.OFFSET),
    Operation("get_prompt_label", "labels", R, "GET", "/labels/{label_id}",
              query=_q(WS_QUERY, organisation_id=str)),
    Operation("update_prompt_label", "labels", W, "PUT", "/labels/{label_id}",
              body=b.LabelUpdate, body_required=True),
    Operation("delete_prompt_label", "labels", D, "DELETE", "/labels/{label_id}"),
    # collections
    Operation("list_collections", "collections", R, "GET", "/collections",
              query=_q(PAGE_QUERY, WS_QUERY, search=str), paging=Paging.OFFSET),
    Operation("create_collection", "collections", W, "POST", "/collections",
              body=b.CollectionCreate, body_required=True),
    Operation("get_collection", "collections", R, "GET", "/collections/{collection_id}"),
    Operation("update_collection", "collections", W, "PUT", "/collections/{collection_id}",
              body=b.CollectionUpdate, body_required=True),
    Operation("delete_collection", "collections", D, "DELETE", "/collections/{collection_id}"),
    # configs
    Operation("list_configs", "configs", R, "GET", "/configs", query=_q(WS_QUERY),
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
              query=_q(PAGE_QUERY, WS_QUERY, organisation_id=str), paging=Paging.OFFSET),
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
              "/workspace-exclusions/input-guardrails", query=_q(organisation_id=str),
              required_query=("organisation_id",), enterprise=True, in_spec=False),
    Operation("update_input_guardrail_workspace_exclusions", "guardrails", W, "PUT",
              "/workspace-exclusions/input-guardrails", body=b.GuardrailExclusions,
              body_required=True, enterprise=True, in_spec=False),
    Operation("list_output_guardrail_workspace_exclusions", "guardrails", R, "GET",
              "/workspace-exclusions/output-guardrails", query=_q(organisation_id=str),
              required_query=("organisation_id",), enterprise=True, in_spec=False),
    Operation("update_output_guardrail_workspace_exclusions", "guardrails", W, "PUT",
              "/workspace-exclusions/output-guardrails", body=b.GuardrailExclusions,
              body_required=True, enterprise=True, in_spec=False),
    # limits
    Operation("list_usage_limits", "limits", R, "GET", "/policies/usage-limits",
              query=_q(PAGE_QUERY, WS_QUERY, status=str, type=str), paging=Paging.OFFSET),
    Operation("get_usage_limit", "limits", R, "GET", "/policies/usage-limits/{id}",
              query=_q(status=str, include_usage=bool)),
    Operation("create_usage_limit", "limits", W, "POST", "/policies/usage-limits",
              body=b.UsageLimitCreate, body_required=True),
    Operation("update_usage_limit", "limits", W, "PUT", "/policies/usage-limits/{id}",
              body=b.UsageLimitUpdate, body_required=True),
    Operation("delete_usage_limit", "limits", D, "DELETE", "/policies/usage-limits/{id}"),
    Operation("list_rate_limits", "limits", R, "GET", "/policies/rate-limits",
              query=_q(PAGE_QUERY, WS_QUERY, status=str, type=str, unit=str),
              paging=Paging.OFFSET),
    Operation("get_rate_limit", "limits", R, "GET", "/policies/rate-limits/{id}",
              query=_q(status=str)),
    Operation("create_rate_limit", "limits", W, "POST", "/policies/rate-limits",
              body=b.RateLimitCreate, body_required=True),
    Operation("update_rate_limit", "limits", W, "PUT", "/policies/rate-limits/{id}",
              body=b.RateLimitUpdate, body_required=True),
    Operation("delete_rate_limit", "limits", D, "DELETE", "/policies/rate-limits/{id}"),
    Operation("list_usage_limit_entities", "limits", R, "GET",
              "/policies/usage-limits/{limit_id}/entities",
              query=_q(PAGE_QUERY, status=str, search=str), paging=Paging.OFFSET),
    Operation("reset_usage_limit_entity", "limits", W, "PUT",
              "/policies/usage-limits/{limit_id}/entities/{entity_id}/reset"),
    # workspaces (read side; the rest arrives with the MCP catalogue)
    Operation("list_workspaces", "workspaces", R, "GET", "/admin/workspaces",
              query=_q(PAGE_QUERY, name=str, exact_name=str, status=str), paging=Paging.OFFSET),
    Operation("get_workspace", "workspaces", R, "GET", "/admin/workspaces/{workspace_id}"),
)

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
