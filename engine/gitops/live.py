"""Live state: what the Portkey account holds, found by ownership markers.

Managed objects carry a marker: their remote name is ``<prefix><key>``
(``gitops:support/triage``) for every kind but labels, whose names are runtime
identifiers and whose marker sits at the end of the description. Prompts also
carry ``template_metadata.portkey_gitops = {key, hash}``; the hash is the
content that was applied, so an edit made in Portkey shows up as drift.
An unmarked object whose name equals a desired key is *adoptable*.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import anyio

from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.cache import CACHED_KINDS, OBJECT_FIELDS, LiveCache, fine_stamps, settled, stamp_of
from engine.gitops.canonical import content_hash, redact, secret_paths
from engine.gitops.lease import RESERVED_LABELS
from engine.gitops.model import BUILTIN_LABELS, SECRET_BEARING, ResourceKind
from engine.portkey import PortkeyClient, PortkeyError, operations
from engine.portkey.normalize import UnexpectedAnswer, flag, kind_of, list_items, prompt_versions
from engine.portkey.operation import Paging
from engine.portkey.paging import Pager

LABEL_MARK = "[managed by portkey-gitops]"
DISPLAY_SEPARATOR = " · "
ASCII_SEPARATOR = " - "  # the display separator of the ascii name style
_ASCII_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_. ")
META_KEY = "portkey_gitops"


@dataclass
class LiveObject:
    """One remote object, reduced to what planning needs."""

    kind: ResourceKind
    id: str
    name: str
    slug: str | None = None
    key: str | None = None  # logical key when the object carries our marker
    raw: dict[str, Any] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)  # latest version's fields (versioned kinds)
    version: int | None = None  # latest version number
    published_version: int | None = None
    version_ids: dict[int, str] = field(default_factory=dict)  # number -> version uuid
    labels: dict[str, int] = field(default_factory=dict)  # label id -> version number

    @property
    def fingerprint(self) -> str:
        """Changes whenever the object changes in Portkey (secret values aside: they are masked)."""
        raw = redact(self.raw, secret_paths(self.raw)) if self.kind in SECRET_BEARING else self.raw
        return content_hash({"raw": raw, "latest": self.latest, "published": self.published_version,
                             "labels": self.labels})


@dataclass
class LiveState:
    """Every object of every managed kind in one workspace."""

    objects: dict[ResourceKind, list[LiveObject]] = field(default_factory=dict)
    complete: dict[ResourceKind, bool] = field(default_factory=dict)
    labels_by_name: dict[str, str] = field(default_factory=dict)  # every label name -> id
    default_collection: str | None = None
    virtual_keys: dict[str, str] = field(default_factory=dict)  # virtual key id -> slug (read only when needed)
    requests: int = 0

    # per kind: (the list it was built from, its length) -> (marked objects by key, unmarked by name);
    # built once per kind and rebuilt only when that kind's list is replaced or grows or shrinks, so
    # matching N resources costs O(N), not a scan of every live object per resource
    _index: dict[ResourceKind, tuple[int, int, dict[str, list[LiveObject]], dict[str, list[LiveObject]]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _indexed(self, kind: ResourceKind) -> tuple[dict[str, list[LiveObject]], dict[str, list[LiveObject]]]:
        objects = self.objects.get(kind, [])
        cached = self._index.get(kind)
        if cached is not None and cached[0] == id(objects) and cached[1] == len(objects):
            return cached[2], cached[3]
        marked: dict[str, list[LiveObject]] = {}
        unmarked: dict[str, list[LiveObject]] = {}
        for obj in objects:
            if obj.key is not None:
                marked.setdefault(obj.key, []).append(obj)
            else:
                unmarked.setdefault(obj.name, []).append(obj)
        self._index[kind] = (id(objects), len(objects), marked, unmarked)
        return marked, unmarked

    def managed(self, kind: ResourceKind) -> dict[str, list[LiveObject]]:
        """Marked objects of ``kind`` grouped by key (more than one is an error). A copy of the cached
        index, so a caller may change what it gets."""
        return {key: list(objs) for key, objs in self._indexed(kind)[0].items()}

    def managed_key(self, kind: ResourceKind, key: str) -> list[LiveObject]:
        """The marked objects of ``kind`` that carry ``key`` (O(1) after the first call per kind)."""
        return list(self._indexed(kind)[0].get(key, []))

    def unmarked_named(self, kind: ResourceKind, name: str) -> list[LiveObject]:
        """Unmarked objects of ``kind`` named exactly ``name``."""
        return list(self._indexed(kind)[1].get(name, []))

    def invalidate(self) -> None:
        """Forget the indexes (after changing an object's key or name in place)."""
        self._index.clear()


def marker_key(
    kind: ResourceKind, name: str, description: str | None, prefix: str, name_style: str = "any"
) -> str | None:
    """The logical key an object's marker names, or None if unmarked.

    Under the ``ascii`` name style both styles are recognised (``gitops:support/triage · X`` and
    ``gitops-support.triage - X``), so an account can move to it: the next plan renames in place.
    Under the default style only the prefix as written marks an object, so an unmanaged object that
    merely looks like the ascii form (``gitops-notes``) is never taken over or pruned.
    """
    if kind is ResourceKind.LABEL:
        if description and description.rstrip().endswith(LABEL_MARK):
            return name
        return None
    found = _after_prefix(name, prefix, name_style)
    if found is None:
        return None
    rest, style = found
    if style == "any" or DISPLAY_SEPARATOR in rest:  # the 'any' style: the key ends at ' · '
        return rest.split(DISPLAY_SEPARATOR, 1)[0].strip() or None
    head = rest.split(ASCII_SEPARATOR, 1)[0].strip()
    # the 'ascii' style writes '/' as '.' (keys hold no '.'); with one prefix for both styles, a head
    # holding '/' is the 'any' style's
    if style == "ascii" or "/" not in head:
        head = head.replace(".", "/")
    return head or None


def _after_prefix(name: str, prefix: str, name_style: str = "ascii") -> tuple[str, str] | None:
    """``name`` without the prefix, and the style that prefix is written in: ``any``, ``ascii`` or
    ``either`` (a prefix that is already ASCII, like ``acme-``). The ascii spelling of the prefix is
    tried only when ``name_style`` is ``ascii``."""
    if not prefix:
        return None
    plain = ascii_prefix(prefix)
    candidates = [(prefix, "any" if plain != prefix else "either")]
    if name_style == "ascii":
        candidates.append((plain, "ascii"))
    for candidate, style in candidates:
        if name.startswith(candidate) and len(name) > len(candidate):
            return name[len(candidate):], style
    return None


def ascii_prefix(prefix: str) -> str:
    """The prefix as the ``ascii`` name style writes it (``gitops:`` → ``gitops-``)."""
    return _ascii_text(prefix)


def _ascii_text(text: str) -> str:
    """``text`` in ASCII letters, digits, '-', '_', '.' and spaces: accents dropped, anything else '-'."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c if c in _ASCII_NAME_CHARS else "-" for c in plain)


def default_display(kind: ResourceKind, key: str) -> str:
    """The display name a resource has when its file sets none."""
    return key.rpartition("/")[2] if kind is ResourceKind.COLLECTION else key


def remote_name(kind: ResourceKind, key: str, prefix: str, spec: dict[str, Any], name_style: str = "any") -> str:
    """The name a managed object carries in Portkey: ``<prefix><key>``, then `` · <name>`` when the
    file gives a display name of its own (keys hold no spaces, so the key stays readable).

    ``name_style`` is the ``name_chars`` switch (engine.gitops.behaviour): under ``ascii`` the name
    uses only ASCII letters, digits, '-', '_', '.' and spaces: ``gitops-support.triage - Display``
    (keys hold no '.', see schema.KEY_PATTERN, so '/' → '.' stays unambiguous).
    """
    if kind is ResourceKind.LABEL:
        return str(spec.get("name") or key)
    display = spec.get("name")
    if name_style == "ascii":
        marked = f"{ascii_prefix(prefix)}{key.replace('/', '.')}"
        shown = _ascii_text(str(display)) if display else ""
        if shown and shown != default_display(kind, key):  # compared as written, so export → plan is stable
            return f"{marked}{ASCII_SEPARATOR}{shown}"
        return marked
    if display and display != default_display(kind, key):
        return f"{prefix}{key}{DISPLAY_SEPARATOR}{display}"
    return f"{prefix}{key}"


def display_part(name: str, prefix: str | None = None) -> str | None:
    """The display name inside a managed name (either style), if any.

    Give ``prefix`` when it may itself hold ' - '; without it the first ' - ' after the key counts.
    """
    if DISPLAY_SEPARATOR in name:
        return name.split(DISPLAY_SEPARATOR, 1)[1]
    found = _after_prefix(name, prefix) if prefix else None
    rest = name if found is None else found[0]
    return rest.split(ASCII_SEPARATOR, 1)[1] if ASCII_SEPARATOR in rest else None


def label_description(description: str | None) -> str:
    """A label description carrying our marker."""
    text = (description or "").strip()
    return f"{text} {LABEL_MARK}".strip()


def strip_label_mark(description: str | None) -> str | None:
    if not description:
        return description
    text = description.rstrip()
    if text.endswith(LABEL_MARK):
        text = text[: -len(LABEL_MARK)].rstrip()
    return text or None


class Reader:
    """Reads live state with bounded concurrency; counts the HTTP requests it spends."""

    def __init__(
        self, client: PortkeyClient, workspace: str | None, prefix: str, concurrency: int = 8,
        candidates: dict[ResourceKind, set[str]] | None = None, behaviour: Behaviour = DEFAULT,
        cache: LiveCache | None = None,
    ):
        """``candidates``: names of unmarked objects whose details are read too (adoption);
        ``behaviour``: how the account behaves where the evidence is thin (``active_version`` here);
        ``cache``: what the last plan read (engine.gitops.cache), trusted only under ``listing_stamp=moves``
        and only for objects whose listing entry is unchanged; what this read finds is recorded in it."""
        self.candidates = candidates or {}
        self.client = client
        self.workspace = workspace
        self.prefix = prefix
        self.behaviour = behaviour
        self.cache = cache
        self._limit = anyio.Semaphore(concurrency)

    def _ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace} if self.workspace else {}

    async def _call(self, name: str, **params: Any) -> Any:
        async with self._limit:
            return await self.client.call(name, **params)

    async def _get(self, name: str, **params: Any) -> dict[str, Any]:
        """One read whose answer must be an object."""
        answer = await self._call(name, **params)
        if not isinstance(answer, dict):
            raise unexpected(name, kind_of(answer) + " instead of an object")
        return answer

    async def _list(self, name: str, **params: Any) -> tuple[list[dict[str, Any]], bool]:
        """Every item of a list; each must be an object with usable id, slug, name and description.

        Pages after the first are read concurrently when the first page is full and says how many items
        there are; the pages are then walked by the client's own pager, in order, with its completeness
        rules (a page it needs that was not read ahead is read then), so only the waiting changes."""
        op = operations.get(name)
        ahead: dict[int, Any] = {}
        if op.paging is Paging.OFFSET:
            first = await self._call(name, **params, current_page=0, page_size=PAGE_SIZE)
            ahead[0] = first
            try:
                listed, total, _ = list_items(first)
            except ValueError:
                listed, total = [], None  # the pager reports it
            if total is not None and len(listed) == PAGE_SIZE and total > PAGE_SIZE:
                pages = range(1, min(-(-total // PAGE_SIZE), MAX_PAGES_AHEAD))

                async def read_page(number: int) -> None:
                    ahead[number] = await self._call(name, **params, current_page=number, page_size=PAGE_SIZE)

                await gather(read_page(number) for number in pages)
        pager = Pager(_ReadAhead(self, ahead), op, params, page_size=PAGE_SIZE)  # type: ignore[arg-type]
        items = [item async for item in pager]
        for item in items:
            check_item(name, item)
        return items, bool(pager.complete)

    async def read(self, kinds: set[ResourceKind]) -> LiveState:
        """Read every kind in ``kinds`` (plus labels and collections, which others refer to)."""
        before = self.client.request_count
        state = LiveState()
        wanted = set(kinds) | {ResourceKind.LABEL, ResourceKind.COLLECTION}
        readers = {
            ResourceKind.LABEL: self._labels,
            ResourceKind.COLLECTION: self._collections,
            ResourceKind.PARTIAL: self._partials,
            ResourceKind.PROMPT: self._prompts,
            ResourceKind.GUARDRAIL: self._guardrails,
            ResourceKind.CONFIG: self._configs,
            ResourceKind.RATE_LIMIT: self._rate_limits,
            ResourceKind.USAGE_LIMIT: self._usage_limits,
        }

        async def run(kind: ResourceKind) -> None:
            objects, complete = await readers[kind](state)
            state.objects[kind] = objects
            state.complete[kind] = complete

        await gather(run(kind) for kind in wanted)
        await self._virtual_keys(state)
        state.requests = self.client.request_count - before
        return state

    async def _virtual_keys(self, state: LiveState) -> None:
        """Map virtual key ids to slugs, with one listing per read and only when a version names a key
        by id (live answers name it by slug: ``prompts-get.json``); a refused listing leaves the map
        empty, and the planner then takes an id and a slug as the same key (it says so)."""
        named = {str(o.latest.get("virtual_key")) for o in state.objects.get(ResourceKind.PROMPT, [])}
        if not any(is_uuid(value) for value in named):
            return
        try:
            async with self._limit:
                items, _ = await self.client.list_all("list_virtual_keys")
        except PortkeyError:
            return
        state.virtual_keys = {
            str(item["id"]): str(item["slug"]) for item in items
            if isinstance(item, dict) and item.get("id") and item.get("slug")
        }

    def _obj(self, kind: ResourceKind, raw: dict[str, Any], description: str | None = None) -> LiveObject:
        name = _text(raw.get("name"))
        slug = raw.get("slug")
        return LiveObject(
            kind=kind, id=_text(raw.get("id")) or _text(slug), name=name, slug=None if slug is None else str(slug),
            key=marker_key(kind, name, _text(description) or None, self.prefix, self.behaviour["name_chars"]), raw=raw,
        )

    async def _labels(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_prompt_labels", **self._ws())
        objects = []
        for item in items:
            if _text(item.get("name")) in RESERVED_LABELS:
                continue  # the apply lease and its generation (engine/gitops/lease.py) are not resources
            state.labels_by_name[_text(item.get("name"))] = _text(item.get("id"))
            if item.get("is_universal") or _text(item.get("name")) in BUILTIN_LABELS:
                continue
            objects.append(self._obj(ResourceKind.LABEL, item, item.get("description")))
        return objects, complete

    async def _collections(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_collections", **self._ws())
        objects = []
        for item in items:
            if flag(item.get("is_default")) is True:
                state.default_collection = str(item.get("id"))
            objects.append(self._obj(ResourceKind.COLLECTION, item))
        return objects, complete

    async def _with_details(
        self, objects: list[LiveObject], detail: Any
    ) -> list[LiveObject]:
        """Read details of marked objects (and adoption candidates) concurrently; with a cache, objects whose
        listing entry is unchanged since it was written are restored from it instead (``listing_stamp=moves``)."""
        wanted = [obj for obj in objects if obj.key is not None or obj.name in self.candidates.get(obj.kind, ())]
        cache = self.cache
        if cache is None or not wanted or wanted[0].kind not in CACHED_KINDS:
            await gather(detail(obj) for obj in wanted)
            return objects
        trusted = self.behaviour["listing_stamp"] == "moves"
        fine = fine_stamps(obj.raw for obj in objects)
        listed = {id(obj): obj.raw for obj in wanted}
        pending = []
        for obj in wanted:
            saved = cache.lookup(obj.kind, obj.id, obj.raw) if trusted else None
            if saved is None:
                pending.append(obj)
            else:
                for name in OBJECT_FIELDS:
                    setattr(obj, name, saved[name])
        await gather(detail(obj) for obj in pending)
        for obj in pending:
            item = listed[id(obj)]
            stamp = stamp_of(item)
            if stamp is not None and settled(stamp, fine):
                cache.record(obj.kind, obj.id, item, {name: getattr(obj, name) for name in OBJECT_FIELDS})
        return objects

    def _published_from_list(self) -> bool:
        """Whether the versions list's single ``active`` row is the published version (switch active_version)."""
        return self.behaviour["active_version"] == "published"

    async def _partials(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_prompt_partials", **self._ws())
        objects = [self._obj(ResourceKind.PARTIAL, item) for item in items]

        async def detail(obj: LiveObject) -> None:
            listed = rows(await self._call("list_partial_versions", prompt_partial_id=obj.id))
            latest_row: dict[str, Any] | None = None
            for row in listed:
                number = as_int(row.get("version"))
                if number is None:
                    continue
                obj.version_ids[number] = str(row.get("prompt_partial_version_id") or "")
                if latest_row is None or number > (obj.version or 0):
                    latest_row, obj.version = row, number
            if self._published_from_list():
                obj.published_version = _only_active(listed, "prompt_version_status", "version")
            if latest_row is not None and obj.published_version is not None and "string" in latest_row:
                obj.latest = {"string": latest_row.get("string")}
                return
            published = await self._get("get_prompt_partial", prompt_partial_id=obj.id)  # the published version
            obj.raw = {**obj.raw, **published}
            obj.published_version = as_int(published.get("version"))
            if latest_row is None or obj.version == obj.published_version:
                obj.version = max(obj.version or 0, obj.published_version or 0) or obj.published_version
                obj.latest = {"string": published.get("string")}
            elif "string" in latest_row:
                obj.latest = {"string": latest_row.get("string")}
            else:
                raise unexpected("list_partial_versions", f"a list whose latest version v{obj.version} carries no "
                                 "string (the partial's text), and no request reads one partial version")

        return await self._with_details(objects, detail), complete

    async def _prompts(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_prompts", **self._ws())
        objects = [self._obj(ResourceKind.PROMPT, item) for item in items]
        return await self._with_details(objects, self._prompt_detail), complete

    async def _prompt_detail(self, obj: LiveObject) -> None:
        """The latest version's fields, the published version's number and the labels of a prompt.

        The versions list comes bare or as ``{data: [...]}`` and in any order (the Terraform provider
        reads it wrapped and notes newest first): the latest is the highest number. Its
        ``prompt_template`` is used only when it carries every compared field, else that one version
        is read; the published version comes from the single ``active`` row only when the switch
        ``active_version`` is ``published``, else (and when the list is inconclusive) from
        ``GET /prompts/{id}``.
        """
        listed = rows(prompt_versions(await self._call("list_prompt_versions", prompt_id=obj.id)))
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
        if self._published_from_list():
            obj.published_version = _only_active(listed, "status", "prompt_version")
        template = latest_row.get("prompt_template") if latest_row else None
        whole = carries_every_field(template)
        if obj.published_version is not None and whole:
            obj.latest = _prompt_fields(cast(dict[str, Any], template))  # whole: a dict with every field
            return
        if obj.published_version is None:
            published = await self._get("get_prompt", prompt_id=obj.id)
            obj.raw = {**obj.raw, **published}
            obj.published_version = as_int(published.get("prompt_version"))
            if obj.published_version is not None:
                for label_id in version_labels(published):
                    obj.labels.setdefault(label_id, obj.published_version)
            if latest_row is None or (obj.published_version or 0) >= (obj.version or 0):
                obj.version, obj.latest = obj.published_version, _prompt_fields(published)
                return
        if whole:
            obj.latest = _prompt_fields(cast(dict[str, Any], template))
        else:
            obj.latest = _prompt_fields(await self._get("get_prompt", prompt_id=obj.id, version=obj.version))

    async def _guardrails(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_guardrails", **self._ws())
        objects = [self._obj(ResourceKind.GUARDRAIL, item) for item in items]

        async def detail(obj: LiveObject) -> None:
            obj.raw = await self._get("get_guardrail", guardrail_id=obj.id)
            obj.slug = obj.raw.get("slug", obj.slug)

        return await self._with_details(objects, detail), complete

    async def _configs(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_configs", **self._ws())
        objects = [self._obj(ResourceKind.CONFIG, item) for item in items]

        async def detail(obj: LiveObject) -> None:
            obj.raw = await self._get("get_config", slug=obj.slug or obj.id)

        return await self._with_details(objects, detail), complete

    async def _rate_limits(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_rate_limits", **self._ws())
        return [self._obj(ResourceKind.RATE_LIMIT, item) for item in items], complete

    async def _usage_limits(self, state: LiveState) -> tuple[list[LiveObject], bool]:
        items, complete = await self._list("list_usage_limits", **self._ws(), status="active")
        return [self._obj(ResourceKind.USAGE_LIMIT, item) for item in items], complete


PAGE_SIZE = 100  # items a listing page asks for (the client's pager default)
MAX_PAGES_AHEAD = 1_000  # pages of one listing read ahead at most (100,000 items); the pager reads any beyond


class _ReadAhead:
    """What a Pager calls: answers the pages read ahead (each once), reads any other page through the Reader."""

    def __init__(self, reader: Reader, pages: dict[int, Any]) -> None:
        self._reader = reader
        self._pages = pages

    async def call(self, name: str, /, **params: Any) -> Any:
        page = params.get("current_page")
        if isinstance(page, int) and page in self._pages:
            return self._pages.pop(page)
        return await self._reader._call(name, **params)


async def gather(jobs: Iterable[Awaitable[None]]) -> None:
    """Run ``jobs`` concurrently; the first failure is raised as itself, not wrapped in a group."""
    try:
        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(_await, job)
    except BaseExceptionGroup as grouped:
        leaf: BaseException = grouped
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        raise leaf from None


async def _await(job: Awaitable[None]) -> None:
    await job


PROMPT_VERSION_FIELDS = (
    "string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice",
    "template_metadata",
)
# Kept beside the compared fields when an answer has them: which names are template variables
# (live: ``variable_components.variables`` in ``prompts-get.json``).
PROMPT_EXTRA_FIELDS = ("variable_components",)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# Fields of listed objects that planning reads as text: anything but text, a number or null is unusable.
ITEM_FIELDS = ("id", "slug", "name", "description")


def unexpected(operation: str, problem: str) -> UnexpectedAnswer:
    """The error for an unusable answer to ``operation``, naming its method and path."""
    op = operations.get(operation)
    return UnexpectedAnswer(op.method, op.path, problem)


def check_item(operation: str, item: Any) -> None:
    """Raise UnexpectedAnswer unless ``item`` of a list is an object with usable identifying fields."""
    if not isinstance(item, dict):
        raise unexpected(operation, f"items that are not objects ({kind_of(item)})")
    for key in ITEM_FIELDS:
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise unexpected(operation, f"an item whose {key} is {kind_of(value)}, not text")
    if not _text(item.get("id")) and not _text(item.get("slug")):
        raise unexpected(operation, "an item that has neither an id nor a slug")


def _text(value: Any) -> str:
    """A text field as a string ("" for null); numbers are written out."""
    return "" if value is None else str(value)


def rows(answer: Any) -> list[dict[str, Any]]:
    """A versions list, bare or wrapped in ``{data: [...]}``."""
    items = answer if isinstance(answer, list) else answer.get("data", []) if isinstance(answer, dict) else []
    return [row for row in items if isinstance(row, dict)]


def _only_active(listed: list[dict[str, Any]], status_key: str, number_key: str) -> int | None:
    """The published version number when exactly one version is ``active`` (the others ``archived``).

    Portkey marks unpublished versions archived (the successor MCP server: "creates a new archived
    version … publish is what makes the new version active"); anything else is inconclusive.
    """
    active = [row for row in listed if row.get(status_key) == "active"]
    if len(active) == 1 and all(row.get(status_key) in ("active", "archived") for row in listed):
        return as_int(active[0].get(number_key))
    return None


def _prompt_fields(source: dict[str, Any]) -> dict[str, Any]:
    fields = {k: source.get(k) for k in PROMPT_VERSION_FIELDS}
    fields.update({k: source[k] for k in PROMPT_EXTRA_FIELDS if source.get(k) is not None})
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


def is_uuid(value: Any) -> bool:
    """Whether ``value`` looks like a Portkey id (a UUID) rather than a slug."""
    return isinstance(value, str) and bool(_UUID.match(value))


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
