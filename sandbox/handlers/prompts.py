"""Prompts and their immutable versions: create, update (new unpublished version), publish
(makeDefault), labels on versions, list and delete."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import check_name_chars, opt_bool, opt_dict, opt_list, opt_str
from sandbox.handlers.labels import find_label
from sandbox.handlers.versions import Versioned, listed_status, version_status, versions_answer
from sandbox.mustache import template_names
from sandbox.paging import page
from sandbox.quirks import Quirks
from sandbox.store import Doc, Tx

PROMPTS = Versioned("prompt", "prompt", "prompt_id")

# Fields whose presence in an update makes a new version. `prompt_metadata` is the update
# body's name for what create and read call `template_metadata`; both are accepted.
VERSION_FIELDS = (
    "string",
    "parameters",
    "model",
    "virtual_key",
    "version_description",
    "functions",
    "tools",
    "tool_choice",
    "is_raw_template",
    "prompt_metadata",
    "template_metadata",
)
# Without `patch: true` these must come together in an update.
STRICT_FIELDS = ("string", "parameters", "virtual_key")
# OpenAI's string forms of `tool_choice`, which Portkey passes on (quirk `tool_choice_string`).
TOOL_CHOICE_STRINGS = ("auto", "none", "required")
# What a versions list's `prompt_template` holds under `versions_template=partial`.
PARTIAL_TEMPLATE_FIELDS = ("string", "model", "parameters")
TEMPLATE_FIELDS = (
    "string",
    "parameters",
    "model",
    "virtual_key",
    "functions",
    "tools",
    "tool_choice",
    "template_metadata",
    "is_raw_template",
)


def _tool_choice(quirks: Quirks) -> Any:
    def read(body: dict[str, Any], name: str) -> Any:
        value = body[name]
        if not isinstance(value, str):
            return opt_dict(body, name)
        if quirks["tool_choice_string"] == "refused":
            raise invalid(name, "must be an object ({type: function, function: {name}})")
        if value not in TOOL_CHOICE_STRINGS:
            raise invalid(name, f"must be one of {', '.join(TOOL_CHOICE_STRINGS)} or an object")
        return value

    return read


def published_version(tx: Tx, prompt: Doc) -> Doc:
    """The default (published) version."""
    version = PROMPTS.at(tx, prompt, "")
    assert version is not None, "published version missing"
    return version


def _version_values(body: dict[str, Any], base: Doc | None, quirks: Quirks) -> dict[str, Any]:
    """Version content from `body`; omitted fields come from `base` (patch) or defaults."""

    def pick(name: str, read: Any, default: Any, key: str | None = None) -> Any:
        if body.get(name) is not None:
            return read(body, name)
        return base[key or name] if base is not None else default

    meta_field = (
        "prompt_metadata" if body.get("prompt_metadata") is not None else "template_metadata"
    )
    return {
        "string": pick("string", opt_str, None),
        "parameters": pick("parameters", opt_dict, {}),
        "model": pick("model", opt_str, None),
        "virtual_key": pick("virtual_key", opt_str, None),
        "functions": pick("functions", opt_list, None),
        "tools": pick("tools", opt_list, None),
        "tool_choice": pick("tool_choice", _tool_choice(quirks), None),
        "is_raw_template": pick("is_raw_template", opt_bool, False),
        "template_metadata": pick(meta_field, opt_dict, {}, key="template_metadata"),
        "description": pick("version_description", opt_str, None, key="description"),
    }


def _new_version(tx: Tx, prompt: Doc, values: dict[str, Any]) -> Doc:
    return PROMPTS.new_version(tx, prompt, {**values, "label_ids": []})


def echoed_parameters(version: Doc, quirks: Quirks) -> dict[str, Any]:
    """`parameters` as read back. With `parameters_echo=on` (the default) Portkey's form: the
    template's variables as empty strings, then what was sent, then `model` (live prompts-get.json:
    `{"thread": "", …, "model": "claude-sonnet-4-6"}`; the Terraform provider's prompt resource notes
    that the API adds `model` to an empty `parameters`)."""
    sent = dict(version["parameters"] or {})
    if quirks["parameters_echo"] == "off":
        return sent
    echoed: dict[str, Any] = dict.fromkeys(sorted(_names(version)["variables"]), "")
    echoed.update(sent)
    if version["model"] is not None:
        echoed.setdefault("model", version["model"])
    return echoed


def _names(version: Doc) -> dict[str, list[str]]:
    string = version["string"]
    return template_names(string) if isinstance(string, str) else template_names("")


def _virtual_key(tx: Tx, value: str | None, quirks: Quirks) -> str | None:
    """Under `prompt_shape=live` a virtual key given by id is answered by its slug (live
    prompts-get.json holds a slug; the Terraform provider keeps the user's value because "API returns
    slug but user may have provided ID", prompt_resource.go)."""
    if value is None or quirks["prompt_shape"] == "spec":
        return value
    found = tx.find("virtual_key", value)
    return found["slug"] if found is not None else value


def _labels(tx: Tx, version: Doc) -> list[Doc]:
    found = (tx.get("label", ident) for ident in version["label_ids"])
    return [label for label in found if label is not None]


def prompt_view(tx: Tx, prompt: Doc, version: Doc, quirks: Quirks) -> dict[str, Any]:
    """The flat `Prompt` object for one version of `prompt`.

    `prompt_shape=live` (the default) answers every key live prompts-get.json has, nulls kept,
    `is_raw_template` as 0/1, the version's labels in `prompt_version_labels` (objects `{id, name}`;
    the live sample only shows `[]`) and `variable_components`; `spec` leaves unset fields out
    (the spec types them non-nullable) and answers `is_raw_template` as a boolean.
    """
    labels = _labels(tx, version)
    last = labels[-1] if labels else None
    view: dict[str, Any] = {
        "id": prompt["id"],
        "slug": prompt["slug"],
        "name": prompt["name"],
        "collection_id": prompt["collection_id"],
        "string": version["string"],
        "parameters": echoed_parameters(version, quirks),
        "model": version["model"],
        "virtual_key": _virtual_key(tx, version["virtual_key"], quirks),
        "functions": version["functions"],
        "tools": version["tools"],
        "tool_choice": version["tool_choice"],
        "template_metadata": version["template_metadata"],
        "is_raw_template": version["is_raw_template"],
        "prompt_version": version["version"],
        "prompt_version_id": version["id"],
        "prompt_version_status": version_status(prompt, version),
        "prompt_version_description": version["description"],
        "prompt_version_label_id": last["id"] if last else None,
        "status": prompt["status"],
        "created_at": prompt["created_at"],
        "last_updated_at": prompt["last_updated_at"],
    }
    if quirks["prompt_shape"] == "spec":
        return {k: v for k, v in view.items() if v is not None}
    names = _names(version)
    return {
        **_live_prompt_fields(prompt),
        **view,
        "is_raw_template": int(bool(version["is_raw_template"])),
        "variable_components": {
            "partials": names["partials"],
            "sections": names["sections"],
            "variables": names["variables"],
            "sectionVariables": {},
            "variablePartials": [],
        },
        "prompt_version_label_name": last["name"] if last else None,
        "prompt_version_labels": [{"id": lb["id"], "name": lb["name"]} for lb in labels],
        "object": "prompt",
    }


def _live_prompt_fields(prompt: Doc) -> dict[str, Any]:
    """The sharing and forking fields live prompt reads carry (prompts-get.json, prompts-list.json)."""
    return {
        "access_level": "workspace",
        "share_organisation_id": None,
        "shared_at": None,
        "shared_by_user_id": None,
        "shared_from_version_id": None,
        "allow_all_workspaces": 0,
        "forked_from_prompt_id": None,
        "forked_from_prompt_version_id": None,
        "prompt_owning_workspace_id": prompt["workspace_id"],
    }


def _prompt_template(version: Doc, quirks: Quirks) -> dict[str, Any] | None:
    """A versions-list row's `prompt_template` under the `versions_template` quirk."""
    mode = quirks["versions_template"]
    if mode == "absent":
        return None
    fields = PARTIAL_TEMPLATE_FIELDS if mode == "partial" else TEMPLATE_FIELDS
    # null fields stay, as a live read writes them ("tools": null in portkey-live prompts-get.json)
    template = {k: version[k] for k in fields}
    if "parameters" in template:
        template["parameters"] = echoed_parameters(version, quirks)
    if "is_raw_template" in template and quirks["prompt_shape"] == "live":
        template["is_raw_template"] = int(bool(template["is_raw_template"]))
    return template


def _version_summary(tx: Tx, prompt: Doc, version: Doc, newest: int, quirks: Quirks) -> dict[str, Any]:
    summary = {
        "id": version["id"],
        "prompt_id": version["prompt_id"],
        "prompt_template": _prompt_template(version, quirks),
        "prompt_version": version["version"],
        "prompt_description": version["description"],
        "label_id": version["label_ids"][-1] if version["label_ids"] else None,
        # Sandbox extension: a version may carry several labels; `label_id` shows the last one.
        "label_ids": list(version["label_ids"]),
        "created_at": version["created_at"],
        "status": listed_status(prompt, version, newest, quirks["active_version"]),
        "object": "prompt",
    }
    return {k: v for k, v in summary.items() if v is not None}


def create_prompt(ctx: Ctx) -> Any:
    """POST /prompts: the prompt plus version 1, which is published at once."""
    body = ctx.body
    name = opt_str(body, "name", required=True)
    check_name_chars(name, ctx.quirks["name_chars"])
    collection_ref = opt_str(body, "collection_id", required=True)
    for field in STRICT_FIELDS:
        if body.get(field) is None:
            raise invalid(field, "field required")
    collection = ctx.tx.find("collection", collection_ref or "")
    if collection is None:
        raise invalid("collection_id", f"no collection '{collection_ref}'")
    if body.get("workspace_id"):
        ws = ctx.workspace(body["workspace_id"])
        if ws["id"] != collection["workspace_id"]:
            raise invalid("collection_id", "collection belongs to another workspace")
    values = _version_values(body, None, ctx.quirks)
    now = ids.now_iso()
    prompt = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("pp-", name or "", 8, lambda s: ctx.tx.slug_taken("prompt", s)),
        "name": name,
        "collection_id": collection["id"],
        "workspace_id": collection["workspace_id"],
        "status": "active",
        "last_version": 0,
        "published_version": 1,
        "created_at": now,
        "last_updated_at": now,
    }
    version = _new_version(ctx.tx, prompt, values)
    ctx.tx.put("prompt", prompt)
    return {
        "id": prompt["id"],
        "slug": prompt["slug"],
        "version_id": version["id"],
        "object": "prompt",
    }


def list_prompts(ctx: Ctx) -> Any:
    """GET /prompts?collection_id&workspace_id&search&current_page&page_size → {data, total}."""
    items = PROMPTS.listed(ctx, fields=("name",))
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = items.where("name", lambda name: search in str(name).lower())
    data = []
    for prompt in page(items, ctx.query):
        model = published_version(ctx.tx, prompt)["model"]
        summary = {
            "id": prompt["id"],
            "slug": prompt["slug"],
            "name": prompt["name"],
            "collection_id": prompt["collection_id"],
            "model": model,
            "status": prompt["status"],
            "created_at": prompt["created_at"],
            "last_updated_at": prompt["last_updated_at"],
            "object": "prompt",
        }
        if ctx.quirks["prompt_shape"] == "live":
            summary = {**summary, **_live_prompt_fields(prompt)}
        data.append({k: v for k, v in summary.items() if v is not None or ctx.quirks["prompt_shape"] == "live"})
    return {"object": "list", "total": len(items), "data": data}


def get_prompt(ctx: Ctx) -> Any:
    """GET /prompts/{id}[?version=N|latest]: the published version unless `version` is given."""
    prompt = PROMPTS.find(ctx.tx, ctx.params["prompt_id"])
    wanted = ctx.query.get("version") or ""
    if wanted and wanted != "latest" and not wanted.isdigit():
        raise invalid("version", "must be a version number or 'latest'")
    version = PROMPTS.at(ctx.tx, prompt, wanted)
    if version is None:
        raise not_found("prompt version", f"{prompt['slug']}@{wanted}")
    return prompt_view(ctx.tx, prompt, version, ctx.quirks)


def update_prompt(ctx: Ctx) -> Any:
    """PUT /prompts/{id}: metadata in place; any version field makes a new, unpublished version."""
    prompt = PROMPTS.find(ctx.tx, ctx.params["prompt_id"])
    body = ctx.body
    patch = opt_bool(body, "patch") or False
    name = opt_str(body, "name", nonblank=True)
    check_name_chars(name, ctx.quirks["name_chars"])
    if name is not None:
        prompt["name"] = name
    collection_ref = opt_str(body, "collection_id")
    if collection_ref:
        collection = ctx.tx.find("collection", collection_ref)
        if collection is None or collection["workspace_id"] != prompt["workspace_id"]:
            raise invalid("collection_id", f"no collection '{collection_ref}' in this workspace")
        prompt["collection_id"] = collection["id"]
    answer: dict[str, Any] = {}
    if any(body.get(field) is not None for field in VERSION_FIELDS):
        if not patch:
            for field in STRICT_FIELDS:
                if body.get(field) is None:
                    raise invalid(
                        field,
                        "field required unless patch is true "
                        "(all version fields must be sent together)",
                    )
        base = PROMPTS.at(ctx.tx, prompt, "latest") if patch else None
        version = _new_version(ctx.tx, prompt, _version_values(body, base, ctx.quirks))
        answer = {"id": prompt["id"], "slug": prompt["slug"], "prompt_version_id": version["id"]}
    if not answer or ctx.quirks["listing_stamp"] == "moves":  # quirk listing_stamp: a new version moves it?
        prompt["last_updated_at"] = ids.now_iso()
    ctx.tx.put("prompt", prompt)
    return answer


delete_prompt = PROMPTS.delete  # DELETE /prompts/{id}: the prompt and all its versions
publish_prompt = PROMPTS.publish  # PUT /prompts/{id}/makeDefault {version: N}


def list_prompt_versions(ctx: Ctx) -> Any:
    """GET /prompts/{id}/versions: PromptVersionSummary rows, wrapped `{data}` newest first by
    default (quirks `versions_envelope`, `versions_template`, `active_version`)."""
    prompt = PROMPTS.find(ctx.tx, ctx.params["prompt_id"])
    versions = PROMPTS.versions(ctx.tx, prompt)
    newest = versions[-1]["version"]
    rows = [_version_summary(ctx.tx, prompt, v, newest, ctx.quirks) for v in versions]
    return versions_answer(rows, ctx.quirks["versions_envelope"])


def _find_version(tx: Tx, prompt: Doc, version_id: str) -> Doc:
    version = tx.get("prompt_version", version_id)
    if version is None or version["prompt_id"] != prompt["id"]:
        raise not_found("prompt version", version_id)
    return version


def get_prompt_version(ctx: Ctx) -> Any:
    """GET /prompts/{id}/versions/{version_id}: the flat Prompt at that version (by UUID)."""
    prompt = PROMPTS.find(ctx.tx, ctx.params["prompt_id"])
    return prompt_view(ctx.tx, prompt, _find_version(ctx.tx, prompt, ctx.params["version_id"]), ctx.quirks)


def update_prompt_version(ctx: Ctx) -> Any:
    """PUT /prompts/{id}/versions/{version_id} {label_id}: attach a label, moving it off the
    prompt's other versions; `label_id: null` clears the version's labels. Under the
    `label_write=replace` quirk the version keeps only the new label."""
    prompt = PROMPTS.find(ctx.tx, ctx.params["prompt_id"])
    version = _find_version(ctx.tx, prompt, ctx.params["version_id"])
    if "label_id" not in ctx.body:
        raise invalid("label_id", "field required (versions are immutable; only labels change)")
    label_ref = ctx.body["label_id"]
    if label_ref is None:
        version["label_ids"] = []
        ctx.tx.put("prompt_version", version)
        _label_moved(ctx, prompt)
        return {}
    if not isinstance(label_ref, str):
        raise invalid("label_id", "must be a label UUID or null")
    label = find_label(ctx.tx, label_ref, field="label_id")
    if label["workspace_id"] not in (None, prompt["workspace_id"]):
        raise invalid("label_id", "label belongs to another workspace")
    for other in PROMPTS.versions(ctx.tx, prompt):
        if other["id"] != version["id"] and label["id"] in other["label_ids"]:
            other["label_ids"].remove(label["id"])
            ctx.tx.put("prompt_version", other)
    if ctx.quirks["label_write"] == "replace":
        version["label_ids"] = [label["id"]]
    elif label["id"] not in version["label_ids"]:
        version["label_ids"].append(label["id"])
    ctx.tx.put("prompt_version", version)
    _label_moved(ctx, prompt)
    return {}


def _label_moved(ctx: Ctx, prompt: Doc) -> None:
    """Under the quirk listing_stamp=moves a label change moves the prompt's listed stamp."""
    if ctx.quirks["listing_stamp"] == "moves":
        prompt["last_updated_at"] = ids.now_iso()
        ctx.tx.put("prompt", prompt)
