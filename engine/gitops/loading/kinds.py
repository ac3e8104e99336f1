"""One resource file -> :class:`Loaded`: parse, substitute, validate, normalise per kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.gitops.lease import RESERVED_LABELS
from engine.gitops.loading.context import Context
from engine.gitops.loading.project import Settings
from engine.gitops.loading.prompts import PROMPT_RULES, load_partial, load_prompt
from engine.gitops.loading.records import BUILTIN_LABELS, Loaded, RefSite
from engine.gitops.loading.values import Rules, everywhere, substitute
from engine.gitops.loading.yamldoc import DataPath, YamlDoc, parse_yaml, validate
from engine.gitops.model import Location, Resource, ResourceKind, address
from engine.gitops.schema import (
    KIND_MODELS,
    CollectionFile,
    ConfigFile,
    GuardrailFile,
    LabelFile,
    PromptFile,
    RateLimitFile,
    UsageLimitFile,
    check_threshold,
)

_GUARDRAIL_REF = re.compile(r"guardrail:(\S+)")


# Configs and guardrails send their content to providers and webhooks: a secret-named field anywhere
# in them (targets, check parameters, custom headers, actions) holds a secret. Prompts have no secret
# zone: their fields (virtual_key, a slug; parameters; tool schemas) are not credentials, and
# ${secret:…} is refused in them.
RULES: dict[ResourceKind, Rules] = {
    ResourceKind.PROMPT: PROMPT_RULES,
    ResourceKind.CONFIG: Rules(secret_zone=everywhere),
    ResourceKind.GUARDRAIL: Rules(secret_zone=everywhere),
}


def load_resource(ctx: Context, settings: Settings, kind: ResourceKind, key: str, path: Path) -> Loaded | None:
    """Load one resource file; None when it has errors (already reported)."""
    if kind is ResourceKind.PARTIAL:
        return load_partial(ctx, settings, key, path)
    file = ctx.rel(path)
    text = ctx.read_text(path)
    if text is None:
        return None
    doc = parse_yaml(text, file)
    if not isinstance(doc, YamlDoc):
        ctx.diagnostics.append(doc)
        return None
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        ctx.error("a resource file must be a YAML mapping (key: value lines)", doc.location())
        return None
    if kind is ResourceKind.PROMPT:
        apply_prompt_defaults(doc.data, settings.prompt_defaults)
    declared = settings.project.secrets if settings.bindings.known else None
    secrets = substitute(ctx, settings.bindings, doc, RULES.get(kind), declared)
    parsed, problems = validate(doc, KIND_MODELS[kind])
    ctx.diagnostics.extend(problems)
    if parsed is None:
        return None
    if kind is ResourceKind.PROMPT:
        assert isinstance(parsed, PromptFile)
        return load_prompt(ctx, settings, key, path, doc, parsed)
    loaded = _BUILDERS[kind](ctx, key, doc, parsed)
    if loaded is not None:
        loaded.resource.secrets = secrets
        loaded.resource.secret_names = settings.project.secrets
    return loaded


def apply_prompt_defaults(data: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Fill a prompt file's missing model/virtual_key and parameter keys from portkey.yaml defaults."""
    for name in ("model", "virtual_key"):
        if name not in data and defaults.get(name) is not None:
            data[name] = defaults[name]
    base = defaults.get("parameters")
    if isinstance(base, dict) and base:
        own = data.get("parameters")
        if own is None:
            data["parameters"] = dict(base)
        elif isinstance(own, dict):
            for name, value in base.items():
                own.setdefault(name, value)


def _resource(kind: ResourceKind, key: str, doc: YamlDoc, spec: dict[str, Any]) -> Resource:
    return Resource(kind, key, spec, doc.location())


def _label(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, LabelFile)
    name = parsed.name or key
    where = doc.location(("name",)) if parsed.name else Location(doc.file)
    if name.lower() in BUILTIN_LABELS:
        ctx.error(f"{name} is a built-in label: built-in labels need no file; delete {doc.file}", where)
        return None
    if name in ("latest", "default") or name.isdigit():
        why = "is all digits (read as a version number)" if name.isdigit() else "is reserved by Portkey"
        ctx.error(f"label name {name!r} {why}: choose another name", where)
        return None
    if name.lower() in RESERVED_LABELS:
        ctx.error(f"label name {name!r} is reserved for the apply lease (portkey-gitops keeps its own label of that "
                  "name in the workspace, and plans never see it): choose another name", where)
        return None
    spec = {"name": name, "description": parsed.description, "color_code": parsed.color_code}
    return Loaded(_resource(ResourceKind.LABEL, key, doc, spec), doc)


def _collection(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, CollectionFile)
    parent = key.rpartition("/")[0] or None
    spec = {"name": parsed.name or key.rpartition("/")[2], "parent": parent}
    loaded = Loaded(_resource(ResourceKind.COLLECTION, key, doc, spec), doc)
    if parent is not None:
        parent_address = address(ResourceKind.COLLECTION, parent)
        loaded.resource.refs.add(parent_address)
        loaded.sites.append(
            RefSite(
                parent_address,
                Location(doc.file),
                f"collection {key} is inside {parent}/, which is not declared: "
                f"create collections/{parent}.collection.yaml",
            )
        )
    return loaded


def _guardrail(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, GuardrailFile)
    spec = {
        "name": parsed.name or key,
        "checks": [check.model_dump() for check in parsed.checks],
        "actions": parsed.actions,
    }
    return Loaded(_resource(ResourceKind.GUARDRAIL, key, doc, spec), doc)


def _config(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, ConfigFile)
    spec = {"name": parsed.name or key, "config": parsed.config, "is_default": parsed.is_default}
    loaded = Loaded(_resource(ResourceKind.CONFIG, key, doc, spec), doc)
    for path, guardrail in _guardrail_refs(parsed.config, ("config",)):
        target = address(ResourceKind.GUARDRAIL, guardrail)
        loaded.resource.refs.add(target)
        message = f"unknown guardrail {guardrail}; declare guardrails/{guardrail}.guardrail.yaml"
        loaded.sites.append(RefSite(target, doc.location(path), message))
    return loaded


def _guardrail_refs(node: Any, path: DataPath) -> list[tuple[DataPath, str]]:
    """Every string of the exact form ``guardrail:<key>`` under ``node``."""
    if isinstance(node, dict):
        return [ref for k, v in node.items() for ref in _guardrail_refs(v, (*path, k))]
    if isinstance(node, list):
        return [ref for i, v in enumerate(node) for ref in _guardrail_refs(v, (*path, i))]
    if isinstance(node, str) and (match := _GUARDRAIL_REF.fullmatch(node)):
        return [(path, match.group(1))]
    return []


def _policy_common(key: str, parsed: RateLimitFile | UsageLimitFile) -> dict[str, Any]:
    return {
        "name": parsed.name or key,
        "conditions": [c.model_dump() for c in parsed.conditions],
        "group_by": [g.model_dump() for g in parsed.group_by],
        "type": parsed.type,
    }


def _rate_limit(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, RateLimitFile)
    spec = {**_policy_common(key, parsed), "unit": parsed.unit, "value": parsed.value}
    return Loaded(_resource(ResourceKind.RATE_LIMIT, key, doc, spec), doc)


def _usage_limit(ctx: Context, key: str, doc: YamlDoc, parsed: BaseModel) -> Loaded | None:
    assert isinstance(parsed, UsageLimitFile)
    try:
        check_threshold(parsed.credit_limit, parsed.alert_threshold)
    except ValueError as exc:
        ctx.error(str(exc), doc.location(("alert_threshold",)))
        return None
    spec = {
        **_policy_common(key, parsed),
        "credit_limit": parsed.credit_limit,
        "alert_threshold": parsed.alert_threshold,
        "periodic_reset": parsed.periodic_reset,
        "periodic_reset_days": parsed.periodic_reset_days,
    }
    return Loaded(_resource(ResourceKind.USAGE_LIMIT, key, doc, spec), doc)


_BUILDERS: dict[ResourceKind, Callable[[Context, str, YamlDoc, BaseModel], Loaded | None]] = {
    ResourceKind.LABEL: _label,
    ResourceKind.COLLECTION: _collection,
    ResourceKind.GUARDRAIL: _guardrail,
    ResourceKind.CONFIG: _config,
    ResourceKind.RATE_LIMIT: _rate_limit,
    ResourceKind.USAGE_LIMIT: _usage_limit,
}
