"""Prompts: ``prompts/<key>.prompt.yaml``; versioned, with a content stamp in the version metadata."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, cast

from engine.gitops.answers import as_int, is_uuid, json_object, only_active, rows
from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.canonical import content_hash, field_diffs, redact, strip_null_fields, value_at
from engine.gitops.kinds.base import META_KEY, Kind, Operations, Planning, Refs, ScratchRole, Versions
from engine.gitops.kinds.text import decode_string, message_text, prompt_string, stamp_provenance, template_names
from engine.gitops.model import Resource, ResourceKind
from engine.gitops.plan import (
    Action,
    Change,
    CollectionMove,
    LabelStep,
    Reason,
    ReasonCode,
    Risk,
    VersionTarget,
)
from engine.gitops.schema import PromptFile
from engine.portkey.normalize import prompt_versions

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

    from engine.gitops.export import Exporter
    from engine.gitops.live import LiveObject, LiveState, Reader
    from engine.gitops.loading.context import Context
    from engine.gitops.loading.project import Settings
    from engine.gitops.loading.records import Loaded
    from engine.gitops.loading.values import Rules
    from engine.gitops.loading.yamldoc import YamlDoc


# ``cause`` of the drift entries read from our content stamp (read by engine.gitops.drift; the detail is prose for
# people): a stamped version edited in Portkey, or one Portkey shows otherwise than the file wrote it
STAMP_EDITED, STAMP_SHOWN_OTHERWISE = "stamp_edited", "stamp_shown_otherwise"

PROMPT_VERSION_FIELDS = (
    "string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice",
    "template_metadata",
)
# Kept beside the compared fields when an answer has them: which names are template variables
# (live: ``variable_components.variables`` in ``prompts-get.json``).
PROMPT_EXTRA_FIELDS = ("variable_components",)


def prompt_fields(source: dict[str, Any]) -> dict[str, Any]:
    """The compared fields of a live version; ``template_metadata`` is always an object (or absent): a JSON
    string is decoded, any other value reads as no metadata, so a malformed answer plans as a change."""
    fields = {k: source.get(k) for k in PROMPT_VERSION_FIELDS}
    fields.update({k: source[k] for k in PROMPT_EXTRA_FIELDS if source.get(k) is not None})
    fields["template_metadata"] = json_object(fields.get("template_metadata"))
    return fields


def carries_every_field(template: Any) -> bool:
    """Whether a versions-list ``prompt_template`` holds every compared field (null counts: a live read
    writes empty fields as null, ``"tools": null`` in ``prompts-get.json``, so a missing key is unknown)."""
    return isinstance(template, dict) and all(key in template for key in PROMPT_VERSION_FIELDS)


def version_labels(source: dict[str, Any]) -> list[str]:
    """Label ids of one version: ``prompt_version_labels`` when the answer has it (live, beside
    ``prompt_version_label_id``: ``prompts-get.json``), else ``label_ids``, ``label_id`` or
    ``prompt_version_label_id``. An entry of ``prompt_version_labels`` is an id or an object with one."""
    listed = source.get("prompt_version_labels")
    if not isinstance(listed, list):
        listed = source.get("label_ids")
    if not isinstance(listed, list):
        single = source.get("label_id") or source.get("prompt_version_label_id")
        listed = [single] if single else []
    ids = []
    for entry in listed:
        if isinstance(entry, dict):
            entry = entry.get("id") or entry.get("label_id") or entry.get("prompt_version_label_id")
        if isinstance(entry, str | int) and not isinstance(entry, bool) and str(entry):
            ids.append(str(entry))
    return ids


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
    scratch_role = ScratchRole.RELEASED
    searchable = True
    versioned = True
    released = True
    stamped = True
    file_model = PromptFile
    declares_variables = True

    def secret_rules(self) -> Rules | None:
        """No secret zone: a prompt's fields (virtual_key, a slug; parameters; tool schemas) are not credentials,
        and ``${secret:…}`` is refused in them; its prose is where other rules apply."""
        from engine.gitops.kinds.prompt_files import PROMPT_RULES

        return PROMPT_RULES

    def refused_by(self, resource: Resource, behaviour: Behaviour) -> str | None:
        """tool_choice strings and several labels on one version, on accounts that refuse them."""
        choice = resource.spec.get("tool_choice")
        if isinstance(choice, str) and choice != "auto" and behaviour["tool_choice_string"] == "refused":
            return (f"tool_choice {choice!r}: this account refuses tool_choice strings "
                    f"(tool_choice_string=refused, {behaviour.source}); name a tool with "
                    "{type: function, function: {name: …}} or remove tool_choice")
        labels = (resource.spec.get("release") or {}).get("labels") or []
        if len(labels) > 1 and behaviour["label_write"] == "replace":
            return (f"release.labels {', '.join(labels)} would put {len(labels)} labels on one "
                    f"version, but this account keeps one label per version (label_write=replace, "
                    f"{behaviour.source}): each label write would remove the one before; keep one label")
        return None

    def match_live(self, wanted: dict[str, Any], have: dict[str, Any], live: LiveState) -> str | None:
        """Compare ``virtual_key`` by slug: an id maps to its slug through the virtual keys the reader listed
        (it lists them once, only when Portkey names a key by id). Portkey answers with a slug where an id
        was given (Terraform provider note); with no listing to tell, an id and a slug are taken as the same
        key, and the plan says so. Nothing is read per prompt."""
        mine, theirs = wanted.get("virtual_key"), have.get("virtual_key")
        if mine == theirs or mine is None or theirs is None:
            return None
        keys = live.virtual_keys
        mine_slug, theirs_slug = keys.get(str(mine), mine), keys.get(str(theirs), theirs)
        if mine_slug == theirs_slug:
            have["virtual_key"] = mine
        elif is_uuid(mine_slug) != is_uuid(theirs_slug):
            have["virtual_key"] = mine
            return (f"virtual_key {mine!r} and Portkey's {theirs!r} are an id and a slug; they are taken as the "
                    "same key (Portkey answers a slug where an id was given); write the slug to compare exactly")
        return None

    def prepare(self, data: dict[str, Any], settings: Settings) -> None:
        from engine.gitops.kinds.prompt_files import apply_prompt_defaults

        apply_prompt_defaults(data, settings.prompt_defaults)

    def build(
        self, ctx: Context, settings: Settings, key: str, path: Path, doc: YamlDoc, parsed: BaseModel,
        secrets: set[str],
    ) -> Loaded | None:
        from engine.gitops.kinds.prompt_files import load_prompt

        assert isinstance(parsed, PromptFile)
        return load_prompt(ctx, settings, key, path, doc, parsed)
    versions = Versions("update_prompt", "prompt_version_id", "list_prompt_versions", ("id", "prompt_version_id"),
                        "prompt_version", "publish_prompt")

    detailed = True

    def virtual_keys(self, obj: LiveObject) -> set[str]:
        return {str(obj.latest.get("virtual_key"))}

    async def detail(self, reader: Reader, obj: LiveObject) -> None:
        """The latest version's fields, the published version's number and the labels of a prompt.

        The versions list comes bare or as ``{data: [...]}`` and in any order (the Terraform provider
        reads it wrapped and notes newest first): the latest is the highest number. Its
        ``prompt_template`` is used only when it carries every compared field, else that one version
        is read; the published version comes from the single ``active`` row only when the switch
        ``active_version`` is ``published``, else (and when the list is inconclusive) from
        ``GET /prompts/{id}``.
        """
        listed = rows(prompt_versions(await reader.call("list_prompt_versions", prompt_id=obj.id)))
        latest_row: dict[str, Any] | None = None
        for row in listed:
            number = as_int(row.get("prompt_version"))
            if number is None:
                continue
            obj.version_ids[number] = str(row.get("id"))
            for label_id in version_labels(row):
                obj.labels[label_id] = number
            if latest_row is None or number > (obj.version or 0):
                latest_row, obj.version = row, number
        if reader.published_from_list():
            obj.published_version = only_active(listed, "status", "prompt_version")
        template = latest_row.get("prompt_template") if latest_row else None
        whole = carries_every_field(template)
        if obj.published_version is not None and whole:
            obj.latest = prompt_fields(cast(dict[str, Any], template))  # whole: a dict with every field
            return
        if obj.published_version is None:
            published = await reader.get("get_prompt", prompt_id=obj.id)
            obj.raw = {**obj.raw, **published}
            obj.published_version = as_int(published.get("prompt_version"))
            if obj.published_version is not None:
                for label_id in version_labels(published):
                    obj.labels.setdefault(label_id, obj.published_version)
            if latest_row is None or (obj.published_version or 0) >= (obj.version or 0):
                obj.version, obj.latest = obj.published_version, prompt_fields(published)
                return
        if whole:
            obj.latest = prompt_fields(cast(dict[str, Any], template))
        else:
            obj.latest = prompt_fields(await reader.get("get_prompt", prompt_id=obj.id, version=obj.version))

    def export(self, exporter: Exporter, obj: LiveObject, key: str) -> None:
        """A prompt file; a long or multi-line message goes into a file of its own beside it."""
        from engine.gitops.export import MAX_SEGMENT, chat_messages, file_slug

        latest = obj.latest
        data: dict[str, Any] = exporter.display(self.kind, obj, key)
        collection = obj.raw.get("collection_id")
        if collection and collection != exporter.live.default_collection:
            data["collection"] = exporter.keys.get((ResourceKind.COLLECTION, str(collection)))
        for field_name in ("model", "virtual_key"):
            if latest.get(field_name) is not None:
                data[field_name] = latest[field_name]
        data["parameters"] = live_parameters(latest)  # without the variables and model copy Portkey adds
        text = str(latest.get("string") or "")
        messages = chat_messages(text)
        base = key.rsplit("/", 1)[-1]
        folder = PurePosixPath(exporter.path(self.kind, key)).parent
        if messages is not None and any(message_text(m.get("content", "")) is None for m in messages):
            exporter.result.skipped.append(f"prompt {obj.name}: a message holds non-text parts (images), "
                                           "which a prompt file cannot express")
            return
        if messages is not None:
            data["messages"] = []
            for index, message in enumerate(messages):
                content = exporter.unresolve(message_text(message.get("content", "")) or "")
                if "\n" in content or len(content) > 200:
                    role = file_slug(str(message.get("role") or ""))[:MAX_SEGMENT] or "message"
                    name = f"{base}.{index}.{role}.md"
                    exporter.file(str(folder / name), content + "\n")
                    data["messages"].append({"role": message.get("role"), "content_file": name})
                else:
                    data["messages"].append({"role": message.get("role"), "content": content})
        else:
            data["template"] = exporter.unresolve(text)
        for field_name in ("functions", "tools", "tool_choice"):
            if latest.get(field_name):
                data[field_name] = latest[field_name]
        metadata = {k: v for k, v in (latest.get("template_metadata") or {}).items() if k != META_KEY}
        if metadata:
            data["metadata"] = exporter.secrets(metadata, key, ["metadata"])
        labels = sorted(
            name for name, label_id in exporter.live.labels_by_name.items() if obj.labels.get(label_id) == obj.version
        )
        data["release"] = {"default": obj.published_version == obj.version, "labels": labels}
        exporter.resource(self.kind, key, data)

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

    # ---- planning: version 1 published at once, drift by the content stamp, collection moves, labels

    def plan_created(self, planning: Planning, resource: Resource, change: Change) -> None:
        change.remote["next_version"] = 1
        change.reasons.append(Reason(ReasonCode.FIRST_VERSION_PUBLISHED,
                                     "Portkey publishes version 1 of a new prompt at once"))
        self._labels(planning, resource, None, change, VersionTarget.CREATED)

    def plan_latest(
        self, planning: Planning, resource: Resource, obj: LiveObject, sent: dict[str, Any], wanted: dict[str, Any],
        have: dict[str, Any], change: Change,
    ) -> bool:
        settled = self._stamp_drift(planning, resource, obj, content_hash(sent), wanted, have)
        self._collection_change(planning, resource, obj, change)
        return settled

    def plan_release(
        self, planning: Planning, resource: Resource, obj: LiveObject, change: Change,
        version: VersionTarget | int | None,
    ) -> None:
        self._labels(planning, resource, obj, change, version)

    def _stamp_drift(
        self, planning: Planning, resource: Resource, obj: LiveObject, sent: str, wanted: dict[str, Any],
        have: dict[str, Any],
    ) -> bool:
        """Drift of the latest version, judged by our content stamp; True when the stamp settles it.

        A latest version stamped with the hash of this file's content (``sent``) is the one we wrote from it:
        what still differs in its settings is how Portkey shows them (fields it adds or rewrites), reported as
        drift and never turned into a new version, unless a secret differs. A different text under that
        stamp is an edit made in Portkey that copied our metadata (a ``patch`` update does): drift, and a
        new version restores the file's content. A stamp of other content that the version no longer
        matches also means an edit in Portkey.
        """
        stamp = stamped_hash(obj)
        if stamp is None:
            return False
        if stamp == sent:
            if wanted == have:
                return True
            paths = self.masked_paths(resource.secrets, have, wanted)
            if any(value_at(have, p) != value_at(wanted, p) for p in paths):
                return False
            fields = sorted({d.path.split(".")[0].split("[")[0] for d in field_diffs(redact(have, paths),
                                                                                       redact(wanted, paths))})
            if "string" in fields:  # the text itself differs: an edit in Portkey that carried our stamp over
                entry = planning.drift_entry(obj, resource.address, f"latest version v{obj.version} was edited in "
                                             "Portkey outside git (its text differs from the stamped content)")
                entry["remote"]["version"], entry["cause"] = obj.version, STAMP_EDITED
                planning.add_drift(entry)
                return False
            entry = planning.drift_entry(obj, resource.address, f"latest version v{obj.version} carries the stamp "
                                         f"of this file's content, but Portkey shows {', '.join(fields)} "
                                         "differently; no new version is planned")
            entry["suggestion"] = ("if this is an edit made in Portkey, export and commit it; to overwrite it, "
                                   "change the file (a new version is made when the content differs from the stamp)")
            entry["fields"], entry["cause"] = fields, STAMP_SHOWN_OTHERWISE
            entry["remote"]["version"] = obj.version
            planning.add_drift(entry)
            return True
        if stamp != content_hash(have):
            entry = planning.drift_entry(obj, resource.address,
                                         f"latest version v{obj.version} was edited in Portkey outside git")
            entry["remote"]["version"], entry["cause"] = obj.version, STAMP_EDITED
            planning.add_drift(entry)
        return False

    @staticmethod
    def _collection_change(planning: Planning, resource: Resource, obj: LiveObject, change: Change) -> None:
        """An update that moves the prompt when its collection differs from the file's (or from the workspace's
        default collection when the file names none)."""
        collection = resource.spec.get("collection")
        wanted = planning.refs.get(f"collection:{collection}") if collection else planning.live.default_collection
        have = obj.raw.get("collection_id")
        if wanted and have and wanted != have:
            reason = f"moves to collection {collection or '(workspace default)'}"
        elif not wanted and collection:
            reason = f"moves to new collection {collection}"
        else:
            return
        change.actions.append(Action.UPDATE)
        write = change.payload.write
        assert write is not None, "a change planned from a file has a write step"
        move = dataclasses.replace(write, collection=CollectionMove(collection or None))
        change.payload = dataclasses.replace(change.payload, write=move)
        change.reasons.append(Reason(ReasonCode.MOVES_COLLECTION, reason))

    @staticmethod
    def _labels(
        planning: Planning, resource: Resource, obj: LiveObject | None, change: Change,
        version: VersionTarget | int | None,
    ) -> None:
        """A label step for the file's ``release.labels`` not on ``version`` yet (all of them for a version this
        apply makes)."""
        labels = (resource.spec.get("release") or {}).get("labels") or []
        by_name = planning.live.labels_by_name
        moves: list[str] = []
        for label in labels:
            label_id = by_name.get(label)
            current = obj.labels.get(label_id) if (obj and label_id) else None
            if isinstance(version, VersionTarget) or current != version:
                moves.append(label)
        if not moves:
            return
        change.actions.append(Action.LABEL)
        change.remote["labels"] = moves
        step = LabelStep(labels=tuple(moves), version=version)
        if obj is not None and isinstance(version, int):
            # Labels the target version holds already and keeps: apply checks they survive the writes.
            moved = {by_name.get(label) for label in moves}
            kept = sorted(lid for lid, number in obj.labels.items() if number == version and lid not in moved)
            step = dataclasses.replace(step, version_id=obj.version_ids.get(version), kept=tuple(kept))
        change.payload = dataclasses.replace(change.payload, label=step)
        change.risks.append(Risk.MOVES_LABEL)

    def as_sent(self, resource: Resource, behaviour: Behaviour = DEFAULT) -> Resource:
        """Under ``tool_choice_string=refused`` a prompt's ``tool_choice: auto`` is left out (it is the
        model's default when tools are given), so the plan compares, stamps and sends the same thing."""
        if resource.spec.get("tool_choice") == "auto" and behaviour["tool_choice_string"] == "refused":
            clone = copy.copy(resource)
            clone.spec = {**resource.spec, "tool_choice": None}
            return clone
        return resource


PROMPT = PromptKind()
