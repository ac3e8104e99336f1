"""The warm-plan cache: what the last plan read of each prompt and partial, keyed by its listing entry.

A plan lists every kind anyway; an object whose listing entry (every field of it, its
``last_updated_at`` stamp among them) is exactly what it was when its details were last read need
not be read again, provided the account moves that stamp on every change to the object: a new
version, a publish, a label change. Whether it does is the behaviour switch ``listing_stamp``
(``portkey-gitops doctor`` measures it); under its default, ``static``, there is no cache at all.

The file (``.portkey/cache/live-<account>.json``, git-ignored by a ``.gitignore`` beside it) is
written atomically and holds only prompts and partials: kinds that may carry secrets (configs,
guardrails) are never cached, an entry holding a registered secret value is left out, and a file that
would hold one is not written. It is an optimisation only: a cache that is corrupt, of another format,
or written for another base URL, workspace, name prefix or behaviour is ignored with a one-line note,
and an entry is used only when the listing proves it current.

Whoever writes the file decides what a plan believes of the account (an entry whose ``listed`` hash
matches the listing is taken as read), so only the machine's own plans may write it. A cache is
therefore never read, nor written over, when

* it, ``.portkey`` or ``.portkey/cache`` is a symbolic link;
* git tracks it: it came with a commit (``git add -f`` gets past the ``.gitignore``), for instance a
  pull request's, and a forged entry would hide a change or drift from the plan reviewers approve;
* the process runs under CI (``CI`` or ``GITHUB_ACTIONS`` set to true): a file in a CI checkout is the
  commit's or an earlier step's, not this machine's own, unless the workflow says it restored the
  cache itself with ``PORTKEY_GITOPS_CI_CACHE=true`` (the two rules above still apply then).

Each case leaves one note in the plan's warnings; the plan then reads every object, as without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.gitops.behaviour import TRUE_WORDS, under_ci
from engine.gitops.canonical import content_hash
from engine.gitops.kinds import KINDS
from engine.gitops.model import ResourceKind
from engine.redaction import scrub

CACHE_DIR = Path(".portkey") / "cache"
CACHE_FORMAT = 1
MAX_CACHE_BYTES = 64 * 1024 * 1024
CACHED_KINDS = frozenset(kind.kind for kind in KINDS.values() if kind.versioned)  # read version by version
STAMP_FIELDS = ("last_updated_at", "updated_at")
# What an entry restores onto a LiveObject (see live.Reader): everything the detail reads set.
OBJECT_FIELDS = ("slug", "raw", "latest", "version", "published_version", "version_ids", "labels")
CI_CACHE_VARIABLE = "PORTKEY_GITOPS_CI_CACHE"  # "true": the workflow restored the cache itself; use it under CI


def tracked_by_git(path: Path) -> bool:
    """Whether git tracks ``path`` (it came with a commit); False outside a repository or without git."""
    try:
        import git

        repo = git.Repo(path.parent, search_parent_directories=True)
        return bool(repo.git.ls_files("-z", "--", os.path.abspath(path)))
    except Exception:  # not a repository, no git executable, a path outside the work tree
        return False


def distrusted(root: Path, path: Path, environ: Mapping[str, str]) -> str | None:
    """Why the cache file ``path`` of project ``root`` must be neither read nor written here; None when it may."""
    if under_ci(environ) and environ.get(CI_CACHE_VARIABLE, "").strip().lower() not in TRUE_WORDS:
        return (f"the plan cache is not used under CI: a file in the checkout is the commit's, not this machine's "
                f"(set {CI_CACHE_VARIABLE}=true when the workflow restores the cache itself); every object was read")
    for link in (root / CACHE_DIR.parent, root / CACHE_DIR, path):
        if link.is_symlink():
            return (f"ignored the plan cache: {link.relative_to(root).as_posix()} is a symbolic link "
                    "(only a regular file this machine wrote is used); every object was read")
    if tracked_by_git(path):
        return (f"ignored the plan cache {path.relative_to(root).as_posix()}: it is tracked by git, so it came "
                "with a commit and not from this machine's plans (`git rm --cached` it); every object was read")
    return None


def cache_path(root: Path, base_url: str, workspace: str | None) -> Path:
    """The cache file for one account and workspace (one file each, so environments do not evict each other)."""
    digest = hashlib.sha256(f"{base_url}\0{workspace or ''}".encode()).hexdigest()[:12]
    return root / CACHE_DIR / f"live-{digest}.json"


def stamp_of(item: Mapping[str, Any]) -> str | None:
    """The version stamp a listing entry carries (``last_updated_at``, else ``updated_at``), if any."""
    for name in STAMP_FIELDS:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _parsed(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fine_stamps(items: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a listing's stamps have sub-second resolution (some stamp has a non-zero fraction)."""
    for item in items:
        moment = _parsed(stamp_of(item) or "")
        if moment is not None and moment.microsecond:
            return True
    return False


def settled(stamp: str, fine: bool, now: datetime | None = None) -> bool:
    """Whether details read now can be cached under ``stamp``: a later change must get another stamp.

    Live stamps have one-second resolution (``…:03.000Z``), so a change within the same second as the
    stamp would keep it: details read less than two resolution steps after the stamp (or before it,
    a clock ahead of ours) are not cached. Assumes this machine's clock is roughly in time (NTP)."""
    moment = _parsed(stamp)
    if moment is None:
        return False
    step = timedelta(milliseconds=1) if fine else timedelta(seconds=1)
    return (now or datetime.now(UTC)) >= moment + 2 * step


@dataclass
class LiveCache:
    """The entries of one cache file, and those recorded by this run (which replace them on save)."""

    path: Path
    identity: dict[str, Any]
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<kind>:<id>" -> entry
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reused: int = 0
    root: Path | None = None  # the project: the cache is written only inside it
    usable: bool = True  # False: distrusted (see the module note): nothing is looked up, recorded or written

    @classmethod
    def open(cls, root: Path, identity: dict[str, Any], environ: Mapping[str, str] | None = None) -> LiveCache:
        """The cache for ``identity`` (base URL, workspace, prefix, behaviour); empty, with a note, when the
        file is unusable, and unused altogether when it is distrusted (``environ``: the process's variables,
        for the CI rule). Never raises for the file's content."""
        from engine.gitops.loading.context import UnsafeFileError, read_confined

        path = cache_path(root, str(identity.get("base_url")), identity.get("workspace"))
        cache = cls(path, identity, root=root)
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        if (why := distrusted(root, path, os.environ if environ is None else environ)) is not None:
            cache.usable = False
            cache.notes.append(why)
            return cache
        if not path.exists() and not path.is_symlink():
            return cache
        try:
            data = json.loads(read_confined(root, path, MAX_CACHE_BYTES).decode("utf-8"))
        except UnsafeFileError as exc:
            cache.notes.append(f"ignored the plan cache: {exc}")
            return cache
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            cache.notes.append(f"ignored the plan cache {shown}: unreadable or not JSON (it is rewritten)")
            return cache
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            cache.notes.append(f"ignored the plan cache {shown}: another format version (it is rewritten)")
        elif data.get("identity") != identity:
            cache.notes.append(f"ignored the plan cache {shown}: written for another account, base URL, "
                               "workspace, prefix or doctor result (it is rewritten)")
        elif not isinstance(data.get("entries"), dict):
            cache.notes.append(f"ignored the plan cache {shown}: no entries (it is rewritten)")
        else:
            cache.entries = {k: v for k, v in data["entries"].items() if isinstance(v, dict)}
        return cache

    def lookup(self, kind: ResourceKind, object_id: str, listed: dict[str, Any]) -> dict[str, Any] | None:
        """The saved details of an object whose listing entry is exactly ``listed``, if there are any."""
        if not self.usable or kind not in CACHED_KINDS or stamp_of(listed) is None:
            return None
        entry = self.entries.get(f"{kind.value}:{object_id}")
        if not entry or entry.get("listed") != content_hash(listed) or not isinstance(entry.get("object"), dict):
            return None
        saved = entry["object"]
        if not all(name in saved for name in OBJECT_FIELDS) or not isinstance(saved["raw"], dict):
            return None
        try:
            restored = {**saved, "version_ids": {int(k): str(v) for k, v in saved["version_ids"].items()},
                        "labels": {str(k): int(v) for k, v in saved["labels"].items()}}
        except (AttributeError, TypeError, ValueError):
            return None
        self.recorded[f"{kind.value}:{object_id}"] = entry
        self.reused += 1
        return restored

    def record(self, kind: ResourceKind, object_id: str, listed: dict[str, Any], values: dict[str, Any]) -> None:
        """Keep what was just read of an object listed as ``listed`` (the caller checked its stamp settled)."""
        if not self.usable or kind not in CACHED_KINDS:
            return
        entry = {"listed": content_hash(listed), "object": {name: values[name] for name in OBJECT_FIELDS}}
        text = json.dumps(entry, sort_keys=True, default=str)
        if scrub(text) != text:
            return  # holds a secret value this process knows: never written down
        self.recorded[f"{kind.value}:{object_id}"] = json.loads(text)

    def forget(self, object_ids: Iterable[str]) -> None:
        """Drop the entries of objects about to be written (an apply): they are read again next time."""
        gone = {str(i) for i in object_ids}
        for table in (self.entries, self.recorded):
            for key in [k for k in table if k.split(":", 1)[1] in gone]:
                del table[key]

    def save(self) -> str | None:
        """Write the entries recorded by this run atomically; a one-line note when it cannot be written.
        A distrusted cache is left as it is (its note says why)."""
        if not self.usable:
            return None
        body = json.dumps({"format": CACHE_FORMAT, "identity": self.identity, "entries": self.recorded},
                          sort_keys=True, separators=(",", ":")) + "\n"
        if scrub(body) != body:
            return "the plan cache was not written: it would hold a secret value; the next plan reads everything again"
        temp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.root is not None and not self.path.parent.resolve().is_relative_to(self.root.resolve()):
                return f"the plan cache was not written: {CACHE_DIR} leads outside the project"
            if self.path.is_symlink():
                return f"the plan cache was not written: {self.path.name} is a symbolic link"
            ignore = self.path.parent / ".gitignore"
            if ignore.is_symlink():  # a committed link would have this write land anywhere
                return f"the plan cache was not written: {CACHE_DIR.as_posix()}/.gitignore is a symbolic link"
            if not ignore.exists():  # created, never opened through a link (O_EXCL, O_NOFOLLOW)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                with os.fdopen(os.open(ignore, flags, 0o644), "w", encoding="utf-8") as out:
                    out.write("# portkey-gitops plan cache: local, never committed\n*\n")
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            os.replace(temp, self.path)
            temp = None
        except OSError as exc:
            return f"the plan cache was not written ({exc.strerror or exc}); the next plan reads everything again"
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        return None


def identity(base_url: str, workspace: str | None, prefix: str, behaviour: Mapping[str, str]) -> dict[str, Any]:
    """What a cache must have been written for to be used."""
    return {"base_url": base_url, "workspace": workspace or "", "prefix": prefix, "behaviour": dict(behaviour)}
