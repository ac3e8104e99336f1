"""Live state: what the Portkey account holds, found by ownership markers.

Managed objects carry a marker: their remote name is ``<prefix><key>``
(``gitops:support/triage``) for every kind but labels, whose names are runtime
identifiers and whose marker sits at the end of the description. Prompts also
carry ``template_metadata.portkey_gitops = {key, hash}``; the hash is the
content that was applied, so an edit made in Portkey shows up as drift.
An unmarked object whose name equals a desired key is *adoptable*.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio

from engine.gitops.answers import as_text, check_item, is_uuid, unexpected
from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.cache import CACHED_KINDS, OBJECT_FIELDS, LiveCache, fine_stamps, settled, stamp_of
from engine.gitops.canonical import content_hash, redact, secret_paths
from engine.gitops.kinds import KINDS
from engine.gitops.kinds.label import LABEL_MARK
from engine.gitops.kinds.prompt import PROMPT_VERSION_FIELDS as PROMPT_VERSION_FIELDS  # read from here by tests
from engine.gitops.model import ResourceKind
from engine.portkey import PortkeyClient, PortkeyError, operations
from engine.portkey.normalize import kind_of, list_items
from engine.portkey.operation import Paging
from engine.portkey.paging import Pager

DISPLAY_SEPARATOR = " · "
ASCII_SEPARATOR = " - "  # the display separator of the ascii name style
_ASCII_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_. ")


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
        raw = redact(self.raw, secret_paths(self.raw)) if KINDS[self.kind].secret_bearing else self.raw
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
    if KINDS[kind].marked_in_description:
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
    return KINDS[kind].default_display(key)


def remote_name(kind: ResourceKind, key: str, prefix: str, spec: dict[str, Any], name_style: str = "any") -> str:
    """The name a managed object carries in Portkey: ``<prefix><key>``, then `` · <name>`` when the
    file gives a display name of its own (keys hold no spaces, so the key stays readable).

    ``name_style`` is the ``name_chars`` switch (engine.gitops.behaviour): under ``ascii`` the name
    uses only ASCII letters, digits, '-', '_', '.' and spaces: ``gitops-support.triage - Display``
    (keys hold no '.', see schema.KEY_PATTERN, so '/' → '.' stays unambiguous).
    """
    if KINDS[kind].marked_in_description:  # the name is the key (or the name the file gives)
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

    def ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace} if self.workspace else {}

    async def call(self, name: str, **params: Any) -> Any:
        async with self._limit:
            return await self.client.call(name, **params)

    async def get(self, name: str, **params: Any) -> dict[str, Any]:
        """One read whose answer must be an object."""
        answer = await self.call(name, **params)
        if not isinstance(answer, dict):
            raise unexpected(name, kind_of(answer) + " instead of an object")
        return answer

    async def listing(self, name: str, **params: Any) -> tuple[list[dict[str, Any]], bool]:
        """Every item of a list; each must be an object with usable id, slug, name and description.

        Pages after the first are read concurrently when the first page is full and says how many items
        there are; the pages are then walked by the client's own pager, in order, with its completeness
        rules (a page it needs that was not read ahead is read then), so only the waiting changes."""
        op = operations.get(name)
        ahead: dict[int, Any] = {}
        if op.paging is Paging.OFFSET:
            first = await self.call(name, **params, current_page=0, page_size=PAGE_SIZE)
            ahead[0] = first
            try:
                listed, total, _ = list_items(first)
            except ValueError:
                listed, total = [], None  # the pager reports it
            if total is not None and len(listed) == PAGE_SIZE and total > PAGE_SIZE:
                pages = range(1, min(-(-total // PAGE_SIZE), MAX_PAGES_AHEAD))

                async def read_page(number: int) -> None:
                    ahead[number] = await self.call(name, **params, current_page=number, page_size=PAGE_SIZE)

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
        wanted = set(kinds) | {kind.kind for kind in KINDS.values() if kind.always_read}

        async def run(kind: ResourceKind) -> None:
            objects, complete = await KINDS[kind].read(self, state)
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
        named = {key for kind, objects in state.objects.items() for o in objects for key in KINDS[kind].virtual_keys(o)}
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

    def live_object(self, kind: ResourceKind, raw: dict[str, Any], description: str | None = None) -> LiveObject:
        name = as_text(raw.get("name"))
        slug = raw.get("slug")
        return LiveObject(
            kind=kind, id=as_text(raw.get("id")) or as_text(slug), name=name, slug=None if slug is None else str(slug),
            key=marker_key(kind, name, as_text(description) or None, self.prefix, self.behaviour["name_chars"]),
            raw=raw,
        )

    async def with_details(
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

    def published_from_list(self) -> bool:
        """Whether the versions list's single ``active`` row is the published version (switch active_version)."""
        return self.behaviour["active_version"] == "published"



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
        return await self._reader.call(name, **params)


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
