"""Prompts: ``prompts/<key>.prompt.yaml``; versioned, with a content stamp in the version metadata."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.canonical import content_hash, strip_null_fields
from engine.gitops.kinds.base import Kind, Operations, Refs, Versions
from engine.gitops.kinds.text import decode_string, prompt_string, stamp_provenance, template_names
from engine.gitops.live import META_KEY, LiveObject
from engine.gitops.model import Resource, ResourceKind


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


def prompt_content(source: Mapping[str, Any], string: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """A prompt version's comparable fields (a chat template compares as its message list, text parts as
    plain text; the parameters Portkey fills in on its own are left out)."""
    decoded = decode_string(string)
    fields = _version_fields(source)
    names = template_names(decoded)
    components = source.get("variable_components")
    if isinstance(components, dict) and isinstance(components.get("variables"), list):
        names |= {str(name) for name in components["variables"]}
    fields["parameters"] = _parameters(fields["parameters"], fields["model"], names)
    return strip_null_fields({"string": decoded, **fields, "metadata": metadata})


def live_parameters(version: Mapping[str, Any]) -> dict[str, Any]:
    """A live version's parameters as a file would write them (see :func:`_parameters`)."""
    content = prompt_content(version, version.get("string"), {})
    parameters = content.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def prompt_metadata(resource: Resource, content: dict[str, Any]) -> dict[str, Any]:
    """template_metadata carrying the user's metadata plus our marker and content hash."""
    return {
        **(resource.spec.get("metadata") or {}),
        META_KEY: {"key": resource.key, "hash": content_hash(content)},
    }


def stamped_hash(obj: LiveObject) -> str | None:
    """The content hash our marker recorded in the latest prompt version, if any."""
    meta = (obj.latest.get("template_metadata") or {}).get(META_KEY)
    return meta.get("hash") if isinstance(meta, dict) else None


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
        "prompt_metadata": prompt_metadata(resource, PROMPT.desired(resource, refs)),
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


class PromptKind(Kind):
    kind = ResourceKind.PROMPT
    directory, suffix = "prompts", ".prompt.yaml"
    operations = Operations("get_prompt", "create_prompt", "update_prompt", "delete_prompt", "prompt_id")
    listing = "list_prompts"
    searchable = True
    versioned = True
    released = True
    stamped = True
    versions = Versions("update_prompt", "prompt_version_id", "list_prompt_versions", ("id", "prompt_version_id"),
                        "prompt_version", "publish_prompt")

    def version_body(self, resource: Resource, spec: Mapping[str, Any], refs: Refs) -> dict[str, Any]:
        return version_body(resource, spec, refs)

    def publish_wanted(self, spec: Mapping[str, Any]) -> bool:
        return bool((spec.get("release") or {}).get("default", True))

    def desired(self, resource: Resource, refs: Refs) -> dict[str, Any]:
        spec = resource.spec
        return prompt_content(spec, prompt_string(spec, refs), spec.get("metadata") or {})

    def live(self, obj: LiveObject, collection_keys: Mapping[str, str] | None = None) -> dict[str, Any]:
        latest = obj.latest
        metadata = dict(latest.get("template_metadata") or {})
        metadata.pop(META_KEY, None)
        return prompt_content(latest, latest.get("string"), metadata)

    def create_body(
        self, resource: Resource, spec: Mapping[str, Any], name: str, refs: Refs, workspace: str | None,
        default_collection: str | None,
    ) -> dict[str, Any]:
        collection = spec.get("collection")
        version = _version_request(resource, spec, refs)
        # A create names the metadata template_metadata (the update: prompt_metadata). `parameters` and
        # `virtual_key` are required (spec createPrompt; the Terraform provider's CreatePromptRequest
        # sends both without omitempty); `is_raw_template` is an update field only.
        version["template_metadata"] = version.pop("prompt_metadata")
        version.pop("is_raw_template")
        collection_id = refs.get(f"collection:{collection}") if collection else default_collection
        return {"name": name, **({"collection_id": collection_id} if collection_id else {}), **version}

    def with_provenance(self, body: dict[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
        return stamp_provenance(body, provenance)

    def as_sent(self, resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
        """Under ``tool_choice_string=refused`` a prompt's ``tool_choice: auto`` is left out (it is the
        model's default when tools are given), so the plan compares, stamps and sends the same thing."""
        if resource.spec.get("tool_choice") == "auto" and behaviour["tool_choice_string"] == "refused":
            clone = copy.copy(resource)
            clone.spec = {**resource.spec, "tool_choice": None}
            return clone
        return resource


PROMPT = PromptKind()
