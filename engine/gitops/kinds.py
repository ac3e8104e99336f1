"""Per-kind knowledge: comparable content, request bodies, operations, immutable fields.

``desired(resource, refs)`` and ``live(obj)`` return the same shape for a kind,
so comparing them is comparing canonical JSON: nulls are dropped on both sides
(null and absent are equal), and defaults Portkey fills in are filled in on
both. ``refs`` maps logical addresses to live identifiers (partial slugs,
guardrail slugs, collection ids) and is filled as apply creates objects.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.canonical import content_hash, strip_null_fields, strip_nulls
from engine.gitops.live import META_KEY, LiveObject, label_description, strip_label_mark
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.templates import PartialUse, replace_partials, scan
from engine.portkey.normalize import flag

Refs = Mapping[str, str]

_GUARDRAIL_REF = re.compile(r"^guardrail:(.+)$")

VERSIONED = frozenset({ResourceKind.PROMPT, ResourceKind.PARTIAL})
# Kinds whose every write is live for callers at once (no publish step); apply writes them in phase two.
LIVE_AT_ONCE = frozenset(
    {ResourceKind.GUARDRAIL, ResourceKind.CONFIG, ResourceKind.RATE_LIMIT, ResourceKind.USAGE_LIMIT}
)
# Fields a file may leave out to keep whatever Portkey has: Portkey cannot unset them in place
# (a default config is unset only by making another config the default; a label's colour stays).
KEPT_WHEN_OMITTED: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.CONFIG: ("is_default",),
    ResourceKind.LABEL: ("color_code",),
}
# Fields Portkey cannot change in place: changing one replaces the object (limits) or is an error.
# Policy `conditions` are updatable since backend v1.16.0 (docs-core changelog/backend.mdx, "Policy
# Conditions — Updatable": PUT on usage- and rate-limit policies accepts `conditions`), so they are not
# here: see CONDITIONS_PUT and behaviour switch `policy_conditions_put`.
IMMUTABLE: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.RATE_LIMIT: ("group_by", "type"),
    ResourceKind.USAGE_LIMIT: ("group_by", "type"),
    ResourceKind.COLLECTION: ("parent",),
}
# Fields that a PUT changes only when Portkey accepts them there (else they replace, as IMMUTABLE ones).
CONDITIONS_PUT: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.RATE_LIMIT: ("conditions",),
    ResourceKind.USAGE_LIMIT: ("conditions",),
}


@dataclass(frozen=True)
class Operations:
    """The client operations of one kind and the name of the argument that identifies an object."""

    get: str
    create: str
    update: str
    delete: str
    id_arg: str


OPERATIONS: dict[ResourceKind, Operations] = {
    ResourceKind.LABEL: Operations(
        "get_prompt_label", "create_prompt_label", "update_prompt_label", "delete_prompt_label", "label_id"),
    ResourceKind.COLLECTION: Operations(
        "get_collection", "create_collection", "update_collection", "delete_collection", "collection_id"),
    ResourceKind.PARTIAL: Operations(
        "get_prompt_partial", "create_prompt_partial", "update_prompt_partial", "delete_prompt_partial",
        "prompt_partial_id"),
    ResourceKind.PROMPT: Operations("get_prompt", "create_prompt", "update_prompt", "delete_prompt", "prompt_id"),
    ResourceKind.GUARDRAIL: Operations(
        "get_guardrail", "create_guardrail", "update_guardrail", "delete_guardrail", "guardrail_id"),
    ResourceKind.CONFIG: Operations("get_config", "create_config", "update_config", "delete_config", "slug"),
    ResourceKind.RATE_LIMIT: Operations(
        "get_rate_limit", "create_rate_limit", "update_rate_limit", "delete_rate_limit", "id"),
    ResourceKind.USAGE_LIMIT: Operations(
        "get_usage_limit", "create_usage_limit", "update_usage_limit", "delete_usage_limit", "id"),
}


def target_id(kind: ResourceKind, remote_id: str, slug: str | None) -> str:
    """What an operation's id argument takes: configs are addressed by slug, everything else by id."""
    return str(slug or remote_id) if kind is ResourceKind.CONFIG else remote_id


def reference(kind: ResourceKind, remote_id: str, slug: str | None) -> str:
    """How other objects point at this one: partials (``{{>slug}}``) and guardrails by slug, others by id."""
    return str(slug or remote_id) if kind in (ResourceKind.PARTIAL, ResourceKind.GUARDRAIL) else remote_id


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


def _resolve_guardrails(value: Any, refs: Refs) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_guardrails(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_guardrails(v, refs) for v in value]
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


def _decode_string(text: Any) -> Any:
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


def _parameters(parameters: Any, model: Any, names: set[str]) -> Any:
    """Parameters without what Portkey adds on its own: each template variable as an empty string and a
    copy of ``model`` (live: ``prompts-get.json`` holds ``{"thread": "", …, "model": "claude-sonnet-4-6"}``
    beside ``"model": "claude-sonnet-4-6"``; the Terraform provider notes the API adds ``model`` to empty
    parameters). A non-empty value, or a ``model`` that differs, is the user's and still compares."""
    if not isinstance(parameters, dict):
        return parameters
    return {
        key: value for key, value in parameters.items()
        if not (key == "model" and model is not None and value == model)
        and not (value == "" and key in names)
    }


def desired(resource: Resource, refs: Refs) -> dict[str, Any]:
    """Comparable content of a desired resource."""
    spec = resource.spec
    kind = resource.kind
    if kind is ResourceKind.PROMPT:
        return _prompt_content(spec, prompt_string(spec, refs), spec.get("metadata") or {})
    if kind is ResourceKind.PARTIAL:
        return {"string": resolve_partials(spec.get("string") or "", refs)}
    if kind is ResourceKind.LABEL:
        return _label_content(spec.get("description"), spec.get("color_code"))
    if kind is ResourceKind.COLLECTION:
        return strip_null_fields({"parent": spec.get("parent")})
    if kind is ResourceKind.CONFIG:
        return _config_content(_resolve_guardrails(spec.get("config") or {}, refs), bool(spec.get("is_default")))
    if kind is ResourceKind.GUARDRAIL:
        return _guardrail_content(spec)
    return _limit_fields(kind, spec)


def _label_content(description: str | None, color_code: str | None) -> dict[str, Any]:
    """An empty description and none at all compare equal."""
    return strip_null_fields({"description": description or None, "color_code": color_code})


def _config_content(config: Any, is_default: bool) -> dict[str, Any]:
    """``is_default`` only when set: Portkey unsets a default config only by making another the default."""
    content: dict[str, Any] = {"config": strip_nulls(config if isinstance(config, dict) else {})}
    if is_default:
        content["is_default"] = True
    return content


def _guardrail_content(source: Mapping[str, Any]) -> dict[str, Any]:
    """Checks and actions; a malformed live value (not a list) is kept as is, so it shows as a change."""
    checks = source.get("checks") or []
    return {"checks": _checks(checks) if isinstance(checks, list) else checks,
            "actions": strip_nulls(source.get("actions") or {})}


def config_json(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A live config's body, which Portkey may hand back as a JSON string."""
    config = raw.get("config")
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return {}
    return config if isinstance(config, dict) else {}


RATE_FIELDS = ("conditions", "group_by", "type", "unit", "value")
USAGE_FIELDS = (
    "conditions", "group_by", "type", "credit_limit", "alert_threshold", "periodic_reset", "periodic_reset_days",
)


def _limit_fields(kind: ResourceKind, source: Mapping[str, Any]) -> dict[str, Any]:
    """A rate or usage limit's comparable fields (absent fields and null compare equal)."""
    fields = RATE_FIELDS if kind is ResourceKind.RATE_LIMIT else USAGE_FIELDS
    return strip_null_fields({k: source.get(k) for k in fields})


def _version_fields(source: Mapping[str, Any]) -> dict[str, Any]:
    """A prompt version's model settings; empty lists and missing fields are the same (None)."""
    return {
        "parameters": source.get("parameters") or {},
        "model": source.get("model"),
        "virtual_key": source.get("virtual_key"),
        "functions": source.get("functions") or None,
        "tools": source.get("tools") or None,
        "tool_choice": source.get("tool_choice") or None,
    }


def live_parameters(version: Mapping[str, Any]) -> dict[str, Any]:
    """A live version's parameters as a file would write them (see :func:`_parameters`)."""
    content = _prompt_content(version, version.get("string"), {})
    parameters = content.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def _prompt_content(source: Mapping[str, Any], string: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """A prompt version's comparable fields (a chat template compares as its message list, text parts as
    plain text; the parameters Portkey fills in on its own are left out)."""
    decoded = _decode_string(string)
    fields = _version_fields(source)
    names = template_names(decoded)
    components = source.get("variable_components")
    if isinstance(components, dict) and isinstance(components.get("variables"), list):
        names |= {str(name) for name in components["variables"]}
    fields["parameters"] = _parameters(fields["parameters"], fields["model"], names)
    return strip_null_fields({"string": decoded, **fields, "metadata": metadata})


def _checks(checks: list[Any]) -> list[Any]:
    """Checks with ``is_enabled`` as a boolean (absent: enabled; Portkey's ``0``/``1`` as booleans)."""
    return [
        strip_nulls({**c, "is_enabled": flag(c.get("is_enabled", True)) is not False}) if isinstance(c, dict) else c
        for c in checks
    ]


def live(obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Comparable content of a live object (the latest version for versioned kinds)."""
    raw = obj.raw
    kind = obj.kind
    if kind is ResourceKind.PROMPT:
        latest = obj.latest
        metadata = dict(latest.get("template_metadata") or {})
        metadata.pop(META_KEY, None)
        return _prompt_content(latest, latest.get("string"), metadata)
    if kind is ResourceKind.PARTIAL:
        return {"string": obj.latest.get("string") or ""}
    if kind is ResourceKind.LABEL:
        return _label_content(strip_label_mark(raw.get("description")), raw.get("color_code"))
    if kind is ResourceKind.COLLECTION:
        parent = raw.get("parent_collection_id")
        return strip_null_fields({"parent": (collection_keys or {}).get(str(parent), parent) if parent else None})
    if kind is ResourceKind.CONFIG:
        return _config_content(config_json(raw), flag(raw.get("is_default")) is True)
    if kind is ResourceKind.GUARDRAIL:
        return _guardrail_content(raw)
    return _limit_fields(kind, raw)


def prompt_metadata(resource: Resource, content: dict[str, Any]) -> dict[str, Any]:
    """template_metadata carrying the user's metadata plus our marker and content hash."""
    return {
        **(resource.spec.get("metadata") or {}),
        META_KEY: {"key": resource.key, "hash": content_hash(content)},
    }


def with_provenance(kind: ResourceKind, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
    """A prompt or partial version body that also says which commit (and CI run) it came from.

    The commit, run URL, dirty flag and apply time (``applied_at``) go beside the content hash in the
    metadata stamp (never into the hash: a new commit with the same content plans no change); the commit
    and run also at the end of the version description, so Portkey's UI traces each version to its
    commit. Partials have no metadata: only the description
    (a partial's version update carries it as ``description`` too, as the apply already sends a user's note).
    Other kinds and an empty ``provenance`` leave the body as it is."""
    if kind not in VERSIONED or not provenance:
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
    if kind is ResourceKind.PARTIAL and "name" not in body:  # a version update, not the create
        body["description"] = body["version_description"]
    return body


def stamped_hash(obj: LiveObject) -> str | None:
    """The content hash our marker recorded in the latest prompt version, if any."""
    meta = (obj.latest.get("template_metadata") or {}).get(META_KEY)
    return meta.get("hash") if isinstance(meta, dict) else None


def as_sent(resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
    """The resource as apply will send it for this account: under ``tool_choice_string=refused`` a
    prompt's ``tool_choice: auto`` is left out (it is the model's default when tools are given), so
    the plan compares, stamps and sends the same thing. Other resources are returned unchanged."""
    if (resource.kind is ResourceKind.PROMPT and resource.spec.get("tool_choice") == "auto"
            and behaviour["tool_choice_string"] == "refused"):
        clone = copy.copy(resource)
        clone.spec = {**resource.spec, "tool_choice": None}
        return clone
    return resource


def create_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
    default_collection: str | None,
) -> dict[str, Any]:
    """Body of the create request; ``spec`` has secrets resolved."""
    kind = resource.kind
    ws = {"workspace_id": workspace} if workspace else {}
    if kind is ResourceKind.PROMPT:
        collection = spec.get("collection")
        version = _version_request(resource, spec, refs)
        # A create names the metadata template_metadata (the update: prompt_metadata). `parameters` and
        # `virtual_key` are required (spec createPrompt; the Terraform provider's CreatePromptRequest
        # sends both without omitempty); `is_raw_template` is an update field only.
        version["template_metadata"] = version.pop("prompt_metadata")
        version.pop("is_raw_template")
        collection_id = refs.get(f"collection:{collection}") if collection else default_collection
        return {"name": name, **({"collection_id": collection_id} if collection_id else {}), **version}
    if kind is ResourceKind.PARTIAL:
        return strip_null_fields({
            "name": name, "string": resolve_partials(spec["string"], refs),
            "version_description": spec.get("version_description"), **ws,
        })
    if kind is ResourceKind.LABEL:
        return strip_null_fields({
            "name": name, "description": label_description(spec.get("description")),
            "color_code": spec.get("color_code"), **ws,
        })
    if kind is ResourceKind.COLLECTION:
        parent = spec.get("parent")
        return strip_null_fields({
            "name": name, "parent_collection_id": refs.get(f"collection:{parent}") if parent else None, **ws,
        })
    if kind is ResourceKind.CONFIG:
        return strip_null_fields({
            "name": name, "config": _resolve_guardrails(spec.get("config") or {}, refs),
            "isDefault": 1 if spec.get("is_default") else None, **ws,
        })
    if kind is ResourceKind.GUARDRAIL:
        return strip_null_fields({"name": name, "checks": spec.get("checks") or [],
                                  "actions": spec.get("actions") or {}, **ws})
    return strip_null_fields({"name": name, **_limit_fields(kind, spec), **ws})


def _version_request(resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
    """Every version field of a prompt as Portkey takes it. Unset optional fields are left out;
    ``parameters`` is always sent (``{}`` when empty) and ``virtual_key`` is always set (the loader
    requires it)."""
    fields = {
        "string": prompt_string(spec, refs),
        "parameters": spec.get("parameters") or {},
        "model": spec.get("model"),
        "virtual_key": spec.get("virtual_key"),
        "functions": spec.get("functions") or None,
        "tools": spec.get("tools") or None,
        "tool_choice": spec.get("tool_choice"),
        "is_raw_template": 0,
        "version_description": spec.get("version_description"),
        "prompt_metadata": prompt_metadata(resource, desired(resource, refs)),
    }
    return {k: v for k, v in fields.items() if v is not None}


def version_body(resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
    """Body of the update that makes a new prompt version.

    As the Terraform provider does for a version-creating update (internal/provider/prompt_resource.go,
    Update: "For version updates, we need all required fields"; client.go UpdatePromptRequest: "The API
    requires these fields when creating a new version"), it carries ``string``, ``parameters``, ``model``,
    ``virtual_key`` and ``is_raw_template: 0``, plus our tools, description and content stamp. ``patch``
    is NOT sent: with ``patch: true`` Portkey backfills omitted fields from the latest version (spec
    updatePrompt; changelog v1.11.2), so a field the file removed (tools, model) would live on; the
    strict form sends every version field, so the new version is exactly the file.
    """
    return _version_request(resource, spec, refs)


def update_body(
    resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, changed: Collection[str] = (),
) -> dict[str, Any]:
    """Body of an in-place update (everything that is not a new version).

    ``changed`` names the compared fields that differ (from the plan): a policy's ``conditions`` and
    ``periodic_reset_days`` are sent only then, so an account that does not know them (an older
    backend) still takes a plain value change.
    """
    kind = resource.kind
    if kind in (ResourceKind.PROMPT, ResourceKind.PARTIAL, ResourceKind.COLLECTION):
        return {"name": name}
    if kind is ResourceKind.LABEL:
        return strip_null_fields({"description": label_description(spec.get("description")),
                            "color_code": spec.get("color_code")})
    if kind is ResourceKind.CONFIG:
        # No `isDefault`/`is_default`: nothing shows Portkey honours it on PUT (the spec's ConfigUpdate has
        # neither; only create takes `isDefault`). The planner says a default cannot be changed here.
        return strip_null_fields({"name": name, "config": _resolve_guardrails(spec.get("config") or {}, refs)})
    if kind is ResourceKind.GUARDRAIL:
        return strip_null_fields({"name": name, "checks": spec.get("checks") or [],
                                  "actions": spec.get("actions") or {}})
    extra = {"conditions": spec.get("conditions") or []} if "conditions" in changed else {}
    if kind is ResourceKind.RATE_LIMIT:
        return {"name": name, "unit": spec.get("unit"), "value": spec.get("value"), **extra}
    if spec.get("periodic_reset_days") is not None or "periodic_reset_days" in changed:
        extra["periodic_reset_days"] = spec.get("periodic_reset_days")
    return {  # nulls are sent: they remove a threshold or a reset the file no longer has
        "name": name, "credit_limit": spec.get("credit_limit"),
        "alert_threshold": spec.get("alert_threshold"), "periodic_reset": spec.get("periodic_reset"), **extra,
    }
