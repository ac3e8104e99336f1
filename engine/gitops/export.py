"""Writing the live account as desired-state files (``portkey-gitops export``).

Managed objects keep their keys; unmanaged ones get a key from their name and
are listed as adoptable (``import`` marks them). Secret values are never
written: secret fields become ``${secret:NAME}`` references to set in the
environment. For managed objects a plan right after an export is a no-op.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from engine.gitops.kinds import PARTIAL_TAG, RATE_FIELDS, USAGE_FIELDS, config_json
from engine.gitops.live import META_KEY, LiveObject, LiveState, default_display, display_part, strip_label_mark
from engine.gitops.load import SECRET_KEYS
from engine.gitops.model import KIND_FILES, ResourceKind


@dataclass
class ExportResult:
    files: list[str] = field(default_factory=list)
    adoptable: list[tuple[str, str]] = field(default_factory=list)  # (address, remote id)
    secrets: list[str] = field(default_factory=list)  # environment variables to set
    skipped: list[str] = field(default_factory=list)


def slug_key(name: str) -> str:
    """A key from a free-form name: lowercase, [a-z0-9-_/]."""
    key = re.sub(r"[^a-z0-9_/-]+", "-", name.strip().lower()).strip("-/")
    return re.sub(r"-{2,}", "-", key) or "unnamed"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _blocks(value: Any) -> Any:
    """Multi-line strings as literal blocks, so reviews show clean line diffs."""
    if isinstance(value, dict):
        return {k: _blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value


def dump_yaml(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    _yaml().dump(_blocks(data), buffer)
    return buffer.getvalue()


class Exporter:
    """Turns a :class:`LiveState` into files under ``root``."""

    def __init__(self, live: LiveState, root: Path, prefix: str, workspace: str | None) -> None:
        self.live = live
        self.root = root
        self.prefix = prefix
        self.workspace = workspace
        self.result = ExportResult()
        self.keys: dict[tuple[ResourceKind, str], str] = {}  # (kind, remote id) -> key
        self.refs: dict[str, str] = {}  # partial/guardrail slug or id -> logical reference
        self._assign_keys()

    def _assign_keys(self) -> None:
        for kind, objects in self.live.objects.items():
            taken: set[str] = set()
            for obj in sorted(objects, key=lambda o: (o.key is None, o.name)):
                if kind is ResourceKind.COLLECTION and obj.raw.get("is_default"):
                    continue
                key = obj.key or self._unmanaged_key(kind, obj)
                while key in taken:
                    key += "-2"
                taken.add(key)
                self.keys[(kind, obj.id)] = key
                if obj.key is None:
                    self.result.adoptable.append((f"{kind.value}:{key}", obj.id))
                for ident in (obj.id, obj.slug):
                    if ident and kind is ResourceKind.PARTIAL:
                        self.refs[ident] = key
                    if ident and kind is ResourceKind.GUARDRAIL:
                        self.refs[ident] = f"guardrail:{key}"

    def _unmanaged_key(self, kind: ResourceKind, obj: LiveObject) -> str:
        if kind is ResourceKind.COLLECTION:
            parent = obj.raw.get("parent_collection_id")
            parent_obj = next((o for o in self.live.objects.get(kind, []) if o.id == parent), None)
            base = slug_key(obj.name).replace("/", "-")
            if parent_obj is not None:
                return f"{self._unmanaged_key(kind, parent_obj) if parent_obj.key is None else parent_obj.key}/{base}"
            return base
        return slug_key(obj.name)

    def write(self) -> ExportResult:
        project: dict[str, Any] = {"version": 1, "naming": {"prefix": self.prefix}}
        if self.workspace:
            project["workspace"] = self.workspace
        writers = {
            ResourceKind.LABEL: self._label, ResourceKind.COLLECTION: self._collection,
            ResourceKind.PARTIAL: self._partial, ResourceKind.PROMPT: self._prompt,
            ResourceKind.GUARDRAIL: self._guardrail, ResourceKind.CONFIG: self._config,
            ResourceKind.RATE_LIMIT: self._rate_limit, ResourceKind.USAGE_LIMIT: self._usage_limit,
        }
        for kind in ResourceKind:
            for obj in self.live.objects.get(kind, []):
                if kind is ResourceKind.COLLECTION and obj.raw.get("is_default"):
                    continue
                writers[kind](obj, self.keys[(kind, obj.id)])
        if self.result.secrets:  # ${secret:NAME} resolves only names portkey.yaml declares
            project["secrets"] = sorted(set(self.result.secrets))
        self._file("portkey.yaml", dump_yaml(project))
        return self.result

    def _path(self, kind: ResourceKind, key: str) -> str:
        directory, suffix = KIND_FILES[kind]
        return f"{directory}/{key}{suffix}"

    def _file(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.result.files.append(relative)

    def _resource(self, kind: ResourceKind, key: str, data: dict[str, Any]) -> None:
        self._file(self._path(kind, key), dump_yaml(data))

    def _unresolve(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            key = self.refs.get(match.group(1))
            return "{{>" + (key or match.group(1)) + (match.group(2) or "") + "}}"

        return PARTIAL_TAG.sub(swap, text)

    def _label(self, obj: LiveObject, key: str) -> None:
        data = {"description": strip_label_mark(obj.raw.get("description")), "color_code": obj.raw.get("color_code")}
        if obj.name != key:
            data["name"] = obj.name
        self._resource(ResourceKind.LABEL, key, _clean(data))

    def _display(self, kind: ResourceKind, obj: LiveObject, key: str) -> dict[str, Any]:
        """``{name: ...}`` when the object's name carries a display part (or, unmanaged, differs from its key)."""
        display = display_part(obj.name) if obj.key is not None else obj.name
        return {"name": display} if display and display != default_display(kind, key) else {}

    def _collection(self, obj: LiveObject, key: str) -> None:
        self._resource(ResourceKind.COLLECTION, key, self._display(ResourceKind.COLLECTION, obj, key))

    def _partial(self, obj: LiveObject, key: str) -> None:
        body = self._unresolve(str(obj.latest.get("string") or ""))
        meta = {**self._display(ResourceKind.PARTIAL, obj, key)}
        if obj.published_version != obj.version:
            meta["publish"] = False
        front = f"---\n{dump_yaml(meta)}---\n" if meta else ""
        self._file(self._path(ResourceKind.PARTIAL, key), front + body + "\n")

    def _prompt(self, obj: LiveObject, key: str) -> None:
        latest = obj.latest
        data: dict[str, Any] = self._display(ResourceKind.PROMPT, obj, key)
        collection = obj.raw.get("collection_id")
        if collection and collection != self.live.default_collection:
            data["collection"] = self.keys.get((ResourceKind.COLLECTION, str(collection)))
        for field_name in ("model", "virtual_key"):
            if latest.get(field_name) is not None:
                data[field_name] = latest[field_name]
        data["parameters"] = latest.get("parameters") or {}
        text = str(latest.get("string") or "")
        messages = _messages(text)
        base = key.rsplit("/", 1)[-1]
        if messages is not None:
            data["messages"] = []
            for index, message in enumerate(messages):
                content = self._unresolve(str(message.get("content", "")))
                if "\n" in content or len(content) > 200:
                    name = f"{base}.{index}.{message.get('role', 'message')}.md"
                    self._file(str(Path(self._path(ResourceKind.PROMPT, key)).parent / name), content + "\n")
                    data["messages"].append({"role": message.get("role"), "content_file": name})
                else:
                    data["messages"].append({"role": message.get("role"), "content": content})
        else:
            data["template"] = self._unresolve(text)
        for field_name in ("functions", "tools", "tool_choice"):
            if latest.get(field_name):
                data[field_name] = latest[field_name]
        metadata = {k: v for k, v in (latest.get("template_metadata") or {}).items() if k != META_KEY}
        if metadata:
            data["metadata"] = metadata
        labels = sorted(
            name for name, label_id in self.live.labels_by_name.items() if obj.labels.get(label_id) == obj.version
        )
        data["release"] = {"default": obj.published_version == obj.version, "labels": labels}
        self._resource(ResourceKind.PROMPT, key, data)

    def _guardrail(self, obj: LiveObject, key: str) -> None:
        checks = [
            _clean({k: c.get(k) for k in ("id", "name", "parameters", "is_enabled")})
            for c in obj.raw.get("checks") or []
        ]
        data = {**self._display(ResourceKind.GUARDRAIL, obj, key),
                "checks": self._secrets(checks, key, ["checks"]), "actions": obj.raw.get("actions") or {}}
        self._resource(ResourceKind.GUARDRAIL, key, data)

    def _config(self, obj: LiveObject, key: str) -> None:
        config = self._guardrail_refs(config_json(obj.raw))
        data: dict[str, Any] = {**self._display(ResourceKind.CONFIG, obj, key),
                                "config": self._secrets(config, key, ["config"])}
        if obj.raw.get("is_default"):
            data["is_default"] = True
        self._resource(ResourceKind.CONFIG, key, data)

    def _guardrail_refs(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ([self.refs.get(str(g), g) for g in v] if k in ("input_guardrails", "output_guardrails")
                    and isinstance(v, list) else self._guardrail_refs(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._guardrail_refs(v) for v in value]
        return value

    def _secrets(self, value: Any, key: str, path: list[str]) -> Any:
        """Replace secret values with references; remember which variables to set."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in SECRET_KEYS and isinstance(v, str) and v:
                    name = re.sub(r"[^A-Z0-9]+", "_", f"{key}_{'_'.join(path[1:])}_{k}".upper()).strip("_")
                    out[k] = f"${{secret:{name}}}"
                    self.result.secrets.append(name)
                else:
                    out[k] = self._secrets(v, key, [*path, str(k)])
            return out
        if isinstance(value, list):
            return [self._secrets(v, key, [*path, str(i)]) for i, v in enumerate(value)]
        return value

    def _rate_limit(self, obj: LiveObject, key: str) -> None:
        values = {k: obj.raw.get(k) for k in RATE_FIELDS}
        self._resource(ResourceKind.RATE_LIMIT, key, {**self._display(ResourceKind.RATE_LIMIT, obj, key), **values})

    def _usage_limit(self, obj: LiveObject, key: str) -> None:
        values = _clean({k: obj.raw.get(k) for k in USAGE_FIELDS})
        self._resource(ResourceKind.USAGE_LIMIT, key, {**self._display(ResourceKind.USAGE_LIMIT, obj, key), **values})


def _messages(text: str) -> list[dict[str, Any]] | None:
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return value
    return None


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
