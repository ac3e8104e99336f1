"""``--expose-prompts``: the team's Portkey prompts as MCP prompts.

``prompts/list`` lists every active prompt of the selected workspace (``--prompts-workspace``, default
the key's) and collection (``--prompts-collection``, default all), named by its Portkey slug, titled
with its name, with its variables as arguments. ``prompts/get`` renders the prompt's published
version through Portkey's render endpoint (``POST /prompts/{id}/render``) with the given arguments
as variables and returns the rendered messages.

Variables come from ``variable_components.variables`` of the prompt (recorded live answer:
/work/shared/portkey-live/responses/prompts-get.json), else from a scan of its template. Details are
cached per key and prompt until the prompt's ``last_updated_at`` moves. MCP messages have only the
roles user and assistant: a system message becomes a user message whose text starts with "System:".
Everything returned is scrubbed of registered secret values.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import GetPromptResult, ListPromptsResult, Prompt, PromptArgument
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from engine import redaction
from mcp_server.state import SessionKeyError, client_for

log = logging.getLogger("portkey_admin_mcp.prompts")

MAX_PROMPTS = 200
CONCURRENCY = 8
MAX_ARGUMENT_CHARS = 100_000


@dataclass(frozen=True)
class PromptSource:
    """Which prompts are exposed."""

    workspace: str | None = None  # id or slug; None: the key's workspace
    collection: str | None = None  # id or slug; None: every collection


@dataclass
class _Exposed:
    id: str
    name: str  # the MCP prompt name (Portkey slug)
    title: str
    description: str
    variables: list[str]

    def listed(self) -> Prompt:
        arguments = [PromptArgument(name=v, description=f"Value of {{{{{v}}}}} in the prompt.", required=True)
                     for v in self.variables]
        return Prompt(name=self.name, title=self.title, description=self.description, arguments=arguments)


@dataclass
class _Cache:
    """Per key: prompt id → (last_updated_at, details)."""

    by_key: dict[str, dict[str, tuple[str, _Exposed]]] = field(default_factory=dict)

    def of(self, client: Any) -> dict[str, tuple[str, _Exposed]]:
        key = hashlib.sha256(client.settings.api_key.reveal().encode()).hexdigest()
        return self.by_key.setdefault(key, {})


def variables_of(prompt: Mapping[str, Any]) -> list[str]:
    """The variable names of a prompt (Portkey's list when given, else a scan of the template)."""
    components = prompt.get("variable_components")
    if isinstance(components, dict) and isinstance(components.get("variables"), list):
        return [str(v) for v in dict.fromkeys(components["variables"]) if isinstance(v, str)]
    from engine.gitops.templates import scan

    text = prompt.get("string")
    if not isinstance(text, str):
        return []
    return sorted(scan(text).top_level)


def _describe(prompt: Mapping[str, Any]) -> str:
    parts = [f"Portkey prompt {prompt.get('name') or prompt.get('slug')}"]
    if prompt.get("prompt_version") is not None:
        parts.append(f"published version {prompt['prompt_version']}")
    if prompt.get("model"):
        parts.append(f"model {prompt['model']}")
    head = ", ".join(parts) + "."
    about = prompt.get("prompt_version_description")
    return f"{head} {about}" if isinstance(about, str) and about.strip() else head


def to_messages(rendered: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Portkey's rendered request (``messages`` or ``prompt``) as MCP prompt messages."""
    if isinstance(rendered.get("messages"), list):
        out = []
        for message in rendered["messages"]:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            text = _text(message.get("content"))
            if role == "system":
                text = f"System: {text}"
            out.append({"role": "assistant" if role == "assistant" else "user",
                        "content": {"type": "text", "text": text}})
        return out
    return [{"role": "user", "content": {"type": "text", "text": str(rendered.get("prompt", ""))}}]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else json.dumps(content, ensure_ascii=False)


class ExposedPrompts:
    """Server middleware answering ``prompts/list`` and ``prompts/get`` from Portkey."""

    def __init__(self, source: PromptSource) -> None:
        self.source = source
        self.cache = _Cache()

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "prompts/list":
            prompts = await self._guarded(ctx, self.list_prompts)
            listed = redaction.scrub_data([p.listed().model_dump(mode="json", by_alias=True, exclude_none=True)
                                           for p in prompts])
            return ListPromptsResult(prompts=[Prompt.model_validate(p) for p in listed])
        if ctx.method == "prompts/get":
            return GetPromptResult.model_validate(redaction.scrub_data(await self._guarded(ctx, self.get_prompt)))
        return await call_next(ctx)

    async def _guarded(self, ctx: ServerRequestContext[Any, Any], step: Any) -> Any:
        from engine.portkey import PortkeyError

        try:
            return await step(ctx)
        except PortkeyError as exc:
            raise MCPError(INTERNAL_ERROR, redaction.scrub(f"Portkey refused the prompt request: {exc}")) from None
        except SessionKeyError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None

    async def _scope(self, client: Any) -> dict[str, Any]:
        from engine.gitops.workflow import resolve_workspace

        params: dict[str, Any] = {}
        workspace = await resolve_workspace(client, self.source.workspace)
        if workspace:
            params["workspace_id"] = workspace
        if self.source.collection:
            found = await client.call("get_collection", collection_id=self.source.collection)
            params["collection_id"] = str(found.get("id") or self.source.collection)
        return params

    async def list_prompts(self, ctx: ServerRequestContext[Any, Any]) -> list[_Exposed]:
        client = client_for(ctx)
        pager = client.paginate("list_prompts", limit=MAX_PROMPTS, **await self._scope(client))
        items = [item async for item in pager]
        if not pager.complete:
            log.warning("--expose-prompts: more than %d prompts; only the first %d are exposed", MAX_PROMPTS,
                        MAX_PROMPTS)
        active = [p for p in items if isinstance(p, dict) and p.get("id") and p.get("status", "active") == "active"]
        cache = self.cache.of(client)
        found: dict[str, _Exposed] = {}
        limiter = anyio.CapacityLimiter(CONCURRENCY)

        async def detail(summary: dict[str, Any]) -> None:
            stamp = str(summary.get("last_updated_at"))
            held = cache.get(summary["id"])
            if held is None or held[0] != stamp:
                async with limiter:
                    prompt = await client.call("get_prompt", prompt_id=summary["id"])
                held = (stamp, _Exposed(str(prompt.get("id") or summary["id"]),
                                        str(prompt.get("slug") or summary.get("slug") or summary["id"]),
                                        str(prompt.get("name") or summary.get("name") or ""),
                                        _describe(prompt), variables_of(prompt)))
                cache[summary["id"]] = held
            found[summary["id"]] = held[1]

        async with anyio.create_task_group() as group:
            for summary in active:
                group.start_soon(detail, summary)
        return [found[p["id"]] for p in active if p["id"] in found]

    async def get_prompt(self, ctx: ServerRequestContext[Any, Any]) -> dict[str, Any]:
        params = ctx.params or {}
        name, arguments = params.get("name"), params.get("arguments") or {}
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise MCPError(INVALID_PARAMS, "prompts/get needs a prompt name and an arguments object")
        listed = {p.name: p for p in await self.list_prompts(ctx)}
        prompt = listed.get(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name!r}; call prompts/list for the exposed prompts")
        bad = [k for k, v in arguments.items() if not isinstance(v, str) or len(v) > MAX_ARGUMENT_CHARS]
        unknown = sorted(set(arguments) - set(prompt.variables))
        missing = [v for v in prompt.variables if v not in arguments]
        if bad or unknown or missing:
            problems = ([f"{k}: must be text of at most {MAX_ARGUMENT_CHARS} characters" for k in bad]
                        + [f"{k}: not a variable of this prompt" for k in unknown]
                        + [f"{k}: required" for k in missing])
            raise MCPError(INVALID_PARAMS, f"Invalid arguments for prompt {name!r} (variables: "
                           f"{', '.join(prompt.variables) or 'none'}): " + "; ".join(problems))
        rendered = await client_for(ctx).call("render_prompt", prompt_id=prompt.id, body={"variables": arguments})
        data = rendered.get("data", rendered) if isinstance(rendered, dict) else {}
        return {"description": prompt.description, "messages": to_messages(data if isinstance(data, dict) else {})}
