"""Template text shared by prompts and partials: partial references, chat messages, Mustache names."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from engine.gitops.kinds.base import META_KEY, Refs
from engine.gitops.templates import PartialUse, replace_partials, scan

_GUARDRAIL_REF = re.compile(r"^guardrail:(.+)$")


def floating_partials(text: str) -> set[str]:
    """Keys of the partials ``text`` uses without an ``@N`` pin (publishing those changes it)."""
    return {use.name for use in scan(text).partials if use.version is None}


def prose(spec: Mapping[str, Any]) -> list[str]:
    """The texts of a prompt or partial spec: message contents, the template or the partial body."""
    if spec.get("messages") is not None:
        return [message_text(m.get("content")) or "" for m in spec["messages"] if isinstance(m, dict)]
    return [str(spec.get("template") or spec.get("string") or "")]


def unresolved(address: str) -> str:
    """Placeholder for an object that does not exist yet."""
    return f"<{address}>"


def resolve_partials(text: str, refs: Refs) -> str:
    """``{{>tone}}`` → ``{{>pp-tone-1a2b3c}}`` using live partial slugs."""

    def swap(use: PartialUse) -> str:
        address = f"partial:{use.name}"
        return use.tag(refs.get(address, unresolved(address)))

    return replace_partials(text, swap)


def resolve_guardrails(value: Any, refs: Refs) -> Any:
    """``guardrail:<key>`` strings anywhere in ``value`` → live guardrail slugs."""
    if isinstance(value, dict):
        return {k: resolve_guardrails(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_guardrails(v, refs) for v in value]
    if isinstance(value, str) and _GUARDRAIL_REF.match(value):
        return refs.get(value, unresolved(value))
    return value


def prompt_string(spec: Mapping[str, Any], refs: Refs) -> str:
    """The ``string`` Portkey stores: the template, or the chat messages as one JSON string."""
    if spec.get("messages") is not None:
        messages = [
            {"role": m["role"], "content": resolve_partials(m["content"], refs)} for m in spec["messages"]
        ]
        return json.dumps(messages, ensure_ascii=False)
    return resolve_partials(spec.get("template") or "", refs)


def decode_string(text: Any) -> Any:
    """A chat template compares as its message list, so JSON spacing does not matter; each message's
    content in its canonical form (:func:`message_text`: text parts compare as the plain string)."""
    if isinstance(text, str) and text.lstrip().startswith("["):
        try:
            messages = json.loads(text)
        except ValueError:
            return text
        if isinstance(messages, list):
            return [_canonical_message(m) for m in messages]
        return messages
    return text


def _canonical_message(message: Any) -> Any:
    if isinstance(message, dict) and "content" in message:
        text = message_text(message["content"])
        if text is not None:
            return {**message, "content": text}
    return message


def _text_part(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str) \
        and set(part) <= {"type", "text"}


def message_text(content: Any) -> str | None:
    """A message's content as plain text: a string as is, a list of text parts as their texts joined (what
    the model reads); None for anything else (an image part, a part with ``cache_control`` …), which then
    compares as its parts. Live: ``shared/portkey-live/responses/prompts-get.json`` holds
    ``"content": [{"type": "text", "text": …}]`` where a file says ``content: …``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(_text_part(part) for part in content):
        return "".join(part["text"] for part in content)
    return None


_TAG_NAME = re.compile(r"\{\{\{?\s*[#^/&]?\s*([^\s{}!>=#^/&][^{}]*?)\s*\}?\}\}")


def template_names(decoded: Any) -> set[str]:
    """Every name a template's Mustache tags use (``{{a.b}}`` gives ``a.b`` and ``a``), over a plain
    template or every text of a decoded message list."""
    names: set[str] = set()
    for text in _texts(decoded):
        for match in _TAG_NAME.finditer(text):
            name = match.group(1).strip()
            names |= {name, name.split(".", 1)[0]}
    return names


def _texts(decoded: Any) -> list[str]:
    """The texts of a template: itself, or each message's content (string, or the text of each part)."""
    if not isinstance(decoded, list):
        return [decoded] if isinstance(decoded, str) else []
    texts: list[str] = []
    for message in decoded:
        content = message.get("content") if isinstance(message, dict) else None
        parts = content if isinstance(content, list) else [content]
        texts += [p if isinstance(p, str) else str(p["text"]) for p in parts
                  if isinstance(p, str) or (isinstance(p, dict) and isinstance(p.get("text"), str))]
    return texts


def stamp_provenance(body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
    """A version body that also says which commit (and CI run) it came from.

    The commit, run URL, dirty flag and apply time (``applied_at``) go beside the content hash in the
    metadata stamp (never into the hash: a new commit with the same content plans no change); the commit
    and run also at the end of the version description, so Portkey's UI traces each version to its
    commit. An empty ``provenance`` leaves the body as it is."""
    if not provenance:
        return body
    body = dict(body)
    for name in ("template_metadata", "prompt_metadata"):
        metadata = body.get(name)
        if isinstance(metadata, dict) and isinstance(metadata.get(META_KEY), dict):
            body[name] = {**metadata, META_KEY: {**metadata[META_KEY], **provenance}}
    if not provenance.get("commit"):  # applied_at alone (no git): stamped, nothing to trace in the description
        return body
    commit = str(provenance["commit"])[:12] + ("+dirty" if provenance.get("dirty") else "")
    trail = f"git {commit}" + (f" ({provenance['run_url']})" if provenance.get("run_url") else "")
    note = body.get("version_description")
    body["version_description"] = f"{note} [{trail}]" if note else trail
    return body
