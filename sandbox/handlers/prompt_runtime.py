"""Prompt render and completions (data-plane): Mustache variables, partials and a
deterministic fake model."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_bool, opt_dict
from sandbox.handlers.labels import visible_labels
from sandbox.handlers.logs import build_log
from sandbox.handlers.partials import partial_text
from sandbox.handlers.prompts import PROMPTS
from sandbox.mustache import TemplateError, render
from sandbox.store import Doc, Tx

# Body keys that are not hyperparameters when hyperparameters are spread at the top level.
_NOT_HYPER = {"variables", "hyperparameters", "stream", "metadata"}


def _resolve(tx: Tx, ref: str) -> tuple[Doc, Doc]:
    """Prompt and version for `pp-x` (published), `pp-x@N`, `pp-x@latest` or `pp-x@<label>`."""
    ident, _, pin = ref.partition("@")
    prompt = PROMPTS.find(tx, ident)
    version = PROMPTS.at(tx, prompt, pin)
    if version is None and pin and pin != "latest" and not pin.isdigit():
        labels = {lb["id"] for lb in visible_labels(tx, prompt["workspace_id"]) if lb["name"] == pin}
        version = next((v for v in PROMPTS.versions(tx, prompt) if labels & set(v["label_ids"])), None)
    if version is None:
        raise not_found("prompt version", ref)
    return prompt, version


def _fill(text: str, tx: Tx, variables: dict[str, Any]) -> str:
    try:
        return render(text, variables, lambda r: partial_text(tx, r))
    except TemplateError as exc:
        raise invalid("string", str(exc)) from None


def _chat_messages(template: str) -> list[dict[str, Any]] | None:
    """The messages of a chat prompt (stored as one JSON-encoded string), else None."""
    try:
        value = json.loads(template)
    except ValueError:
        return None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and "role" in m for m in value)
    ):
        return value
    return None


def _render_message(message: dict[str, Any], tx: Tx, variables: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    if isinstance(content, str):
        content = _fill(content, tx, variables)
    elif isinstance(content, list):
        content = [
            {**part, "text": _fill(part["text"], tx, variables)}
            if isinstance(part, dict) and isinstance(part.get("text"), str)
            else part
            for part in content
        ]
    return {**message, "content": content}


def _rendered_request(ctx: Ctx) -> dict[str, Any]:
    """The model request the prompt renders to, with hyperparameters merged in."""
    variables = opt_dict(ctx.body, "variables", required=True) or {}
    nested = opt_dict(ctx.body, "hyperparameters") or {}
    spread = {k: v for k, v in ctx.body.items() if k not in _NOT_HYPER}
    _, version = _resolve(ctx.tx, ctx.params["prompt_id"])
    data: dict[str, Any] = dict(version["parameters"])
    if version["model"]:
        data["model"] = version["model"]
    for key in ("functions", "tools", "tool_choice"):
        if version[key] is not None:
            data[key] = version[key]
    data.update(nested)
    data.update(spread)
    messages = _chat_messages(version["string"])
    if messages is not None:
        data["messages"] = [_render_message(m, ctx.tx, variables) for m in messages]
    else:
        data["prompt"] = _fill(version["string"], ctx.tx, variables)
    return data


def render_prompt(ctx: Ctx) -> Any:
    """POST /prompts/{id}/render {variables*, hyperparameters…} → {success, data}."""
    return {"success": True, "data": _rendered_request(ctx)}


def _text_of(request: dict[str, Any]) -> str:
    if "prompt" in request:
        return str(request["prompt"])
    parts = []
    for message in request["messages"]:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def run_prompt_completion(ctx: Ctx) -> Any:
    """POST /prompts/{id}/completions: a deterministic fake completion of the rendered prompt.

    The reply is derived from a SHA-256 of the rendered request, so the same prompt and
    variables always give the same text; `max_tokens` / `max_completion_tokens` cut it short
    (finish_reason "length"). Token counts are whitespace-separated words.
    """
    if opt_bool(ctx.body, "stream"):
        raise invalid("stream", "streaming is not supported by the sandbox")
    request = _rendered_request(ctx)
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    text = _text_of(request)
    snippet = " ".join(text.split()[-12:])
    words = f"Sandbox completion {digest[:12]} for: {snippet}".split()
    limit = request.get("max_completion_tokens") or request.get("max_tokens")
    finish = "stop"
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < len(words):
        words, finish = words[:limit], "length"
    reply = " ".join(words)
    usage = {
        "prompt_tokens": max(1, len(text.split())),
        "completion_tokens": len(words),
        "total_tokens": max(1, len(text.split())) + len(words),
    }
    model = str(request.get("model") or "sandbox-model")
    created = int(time.time())
    if "messages" in request:
        body: dict[str, Any] = {
            "id": f"chatcmpl-{digest[:24]}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
    else:
        body = {
            "id": f"cmpl-{digest[:24]}",
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "text": reply, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }
    _log_completion(ctx, request, body)
    return {"status": "success", "headers": {}, "body": body}


def _log_completion(ctx: Ctx, request: dict[str, Any], answer: dict[str, Any]) -> None:
    """Store the completion as a log, as Portkey does, so logs and analytics see prompt runs."""
    prompt, _ = _resolve(ctx.tx, ctx.params["prompt_id"])
    metadata = {str(k): str(v) for k, v in (opt_dict(ctx.body, "metadata") or {}).items()}
    path = "chat/completions" if "messages" in request else "completions"
    log = build_log(ctx, {
        "request": {"url": f"https://api.portkey.ai/v1/{path}", "provider": "openai", "body": request},
        "response": {"status": 200, "body": answer, "response_time": 0},
        "metadata": {**metadata, "prompt_slug": prompt["slug"]},
    })
    ctx.tx.put("log", log)
