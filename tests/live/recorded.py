"""The recorded live answers (shared/portkey-live/responses) and a mock Portkey account that serves them.

``RecordedAccount`` answers the engine's reads from those bodies. The engine manages objects by a name
marker, which the recorded names do not carry, so the account can give each object the marked name
(``gitops:<name as a key>``, with a ``-N`` suffix where the recorded names repeat, as configs' do); every other
field is served as recorded. Prompts other than the recorded one and configs other than the recorded
one get the recorded detail body with their own id, slug, name and model. Kinds with no recorded
answer (labels, collections, partials, guardrails, limits) are served empty, in the recorded list
envelope; collections are built from the prompts' collection ids.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from engine.gitops.export import safe_key
from engine.portkey import PortkeyClient
from tests.portkey.helpers import Recorder, make_client

# A copy of shared/portkey-live/responses (MIT; LICENSE and SOURCE.md beside the bodies).
RESPONSES = Path(__file__).resolve().parent / "responses"
FILES = sorted(p.name for p in RESPONSES.glob("*.json"))
PREFIX = "gitops:"


def load(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


def envelope(items: list[Any]) -> dict[str, Any]:
    """The recorded list envelope (``{object: list, total, data}``)."""
    return {"object": "list", "total": len(items), "data": items}


def marked_names(items: list[dict[str, Any]]) -> dict[str, str]:
    """id -> ``gitops:<key>``: the name as a valid resource key (``Protomold Production`` ->
    ``protomold-production``), unique (repeated names get ``-2``, ``-3`` … in listing order)."""
    keys = [safe_key(item["name"]) for item in items]
    counts = Counter(keys)
    seen: Counter[str] = Counter()
    names = {}
    for item, key in zip(items, keys, strict=True):
        seen[key] += 1
        suffix = f"-{seen[key]}" if counts[key] > 1 and seen[key] > 1 else ""
        names[item["id"]] = f"{PREFIX}{key}{suffix}"
    return names


class RecordedAccount:
    """A mock Portkey serving the recorded bodies (see the module docstring)."""

    def __init__(self, *, marked: bool = True, versions_wrapped: bool = True) -> None:
        self.prompts = load("prompts-list.json")["data"]
        self.prompt_detail = load("prompts-get.json")
        self.configs = load("configs-list.json")["data"]
        self.config_detail = load("configs-get.json")
        self.versions_wrapped = versions_wrapped
        self.names = {**marked_names(self.prompts), **marked_names(self.configs)} if marked else {}
        collections = sorted({p["collection_id"] for p in self.prompts})
        self.collections = [
            {"id": cid, "name": "Default" if i == 0 else f"{PREFIX}team-{i}", "slug": f"co-{i}",
             "is_default": 1 if i == 0 else 0, "parent_collection_id": None, "object": "collection"}
            for i, cid in enumerate(collections)
        ]
        self.recorder = Recorder(self.handle)

    def client(self) -> PortkeyClient:
        return make_client(self.recorder)[0]

    def operations(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/v1')}" for r in self.recorder.requests]

    # ------------------------------------------------------------ bodies

    def _named(self, item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "name": self.names.get(item["id"], item["name"])}

    def prompt(self, ident: str) -> dict[str, Any] | None:
        listed = next((p for p in self.prompts if ident in (p["id"], p["slug"])), None)
        if listed is None:
            return None
        if listed["id"] == self.prompt_detail["id"]:
            return self._named(self.prompt_detail)
        body = copy.deepcopy(self.prompt_detail)
        body.update({k: listed[k] for k in ("id", "slug", "collection_id", "model", "created_at", "last_updated_at")})
        body["parameters"]["model"] = listed["model"]
        body["prompt_version_id"] = f"{listed['id'][:-4]}beef"
        return self._named(body)

    def versions(self, ident: str) -> Any:
        body = self.prompt(ident)
        if body is None:
            return None
        rows = [{"id": body["prompt_version_id"], "prompt_id": body["id"], "prompt_version": 1,
                 "prompt_description": body["prompt_version_description"], "status": "active",
                 "created_at": body["created_at"], "object": "prompt"}]  # no prompt_template: read the version
        return {"object": "list", "total": len(rows), "data": rows} if self.versions_wrapped else rows

    def config(self, ident: str) -> dict[str, Any] | None:
        listed = next((c for c in self.configs if ident in (c["id"], c["slug"])), None)
        if listed is None:
            return None
        if listed["id"] == self.config_detail["id"]:
            return self._named(self.config_detail)
        return self._named({**self.config_detail, **listed})

    # ------------------------------------------------------------ routing

    ROUTES: tuple[tuple[str, str], ...] = (
        (r"/prompts/partials", "empty"),
        (r"/prompts/([^/]+)/versions", "versions"),
        (r"/prompts/([^/]+)", "prompt"),
        (r"/prompts", "prompt_list"),
        (r"/configs/([^/]+)", "config"),
        (r"/configs", "config_list"),
        (r"/collections", "collection_list"),
        (r"/virtual-keys/([^/]+)", "virtual_key"),
        (r"/virtual-keys", "virtual_key_list"),
        (r"/api-keys/([^/]+)", "api_key"),
        (r"/api-keys", "api_key_list"),
        (r"/admin/workspaces/([^/]+)", "workspace"),
        (r"/admin/workspaces", "workspace_list"),
        (r"/(labels|guardrails|policies/rate-limits|policies/usage-limits)", "empty"),
    )

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if request.method != "GET":
            return httpx.Response(405, json={"success": False, "data": {"message": "read only"}})
        for pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if match:
                body = getattr(self, f"_{name}")(*match.groups())
                if body is None:
                    return httpx.Response(404, json={"success": False, "data": {"message": "not found",
                                                                                "errorCode": "AB02"}})
                return httpx.Response(200, json=body)
        return httpx.Response(404, json={"success": False, "data": {"message": f"no route {path}"}})

    def _empty(self, *_: str) -> Any:
        return envelope([])

    def _versions(self, ident: str) -> Any:
        return self.versions(ident)

    def _prompt(self, ident: str) -> Any:
        return self.prompt(ident)

    def _prompt_list(self) -> Any:  # all in one answer, whatever the paging parameters (as recorded)
        return {**load("prompts-list.json"), "data": [self._named(p) for p in self.prompts]}

    def _config(self, ident: str) -> Any:
        return self.config(ident)

    def _config_list(self) -> Any:
        return {**load("configs-list.json"), "data": [self._named(c) for c in self.configs]}

    def _collection_list(self) -> Any:
        return envelope(self.collections)

    def _virtual_key(self, ident: str) -> Any:
        body = load("virtual-keys-get.json")
        return body if ident in (body["id"], body["slug"]) else None

    def _virtual_key_list(self) -> Any:
        return load("virtual-keys-list.json")

    def _api_key(self, ident: str) -> Any:
        body = load("api-keys-get.json")
        return body if ident == body["id"] else None

    def _api_key_list(self) -> Any:
        return load("api-keys-list.json")

    def _workspace(self, ident: str) -> Any:
        body = load("workspaces-get.json")
        return body if ident in (body["id"], body["slug"]) else None

    def _workspace_list(self) -> Any:
        return load("workspaces-list.json")
