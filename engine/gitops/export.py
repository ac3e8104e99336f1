"""Writing the live account as desired-state files (``portkey-gitops export``).

Managed objects keep their keys; unmanaged ones get a key from their name and
are listed as adoptable (``import`` marks them). Secret values are never
written: every secret-named field (:func:`engine.redaction.is_secret_key`, any
value type) becomes a ``${secret:NAME}`` reference to set in the environment.
For managed objects a plan right after an export is a no-op.

Names come from live data, so none is trusted as a path: :func:`safe_key` maps
each to a valid resource key (no separators but ``/`` between key segments, no
dots, no controls, bounded length), collisions get a stable hash suffix, and
every file is written into a fresh directory that is renamed onto the target
only once all of it is written; nothing outside the target is touched and no
existing file is overwritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets as random
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from engine.errors import GitOpsError
from engine.gitops.kinds import KINDS
from engine.gitops.live import LiveObject, LiveState, default_display, display_part
from engine.gitops.model import ResourceKind
from engine.gitops.schema import KEY_PATTERN
from engine.gitops.templates import replace_partials
from engine.redaction import forbidden_secret_name, is_secret_key

MAX_SEGMENT = 64  # characters in one key segment (a file or folder name, before its suffix)
MAX_DEPTH = 6  # segments in one key
MAX_KEY = 160  # characters in one key
MAX_SECRET_NAME = 100
_KEY = re.compile(KEY_PATTERN)
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_SECRET_UNSAFE = re.compile(r"[^A-Z0-9]+")
_EMPTY: tuple[object, ...] = (None, "", {}, [])


class ExportError(GitOpsError):
    """The export cannot be written; nothing was written."""


@dataclass
class ExportResult:
    files: list[str] = field(default_factory=list)
    adoptable: list[tuple[str, str]] = field(default_factory=list)  # (address, remote id)
    secrets: list[str] = field(default_factory=list)  # environment variables to set
    skipped: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (live name, file) when a name had to change


# ---------------------------------------------------------------- safe names


def _digest(text: str, size: int = 6) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def is_safe_key(key: str) -> bool:
    """Whether ``key`` is a valid resource key within the length bounds (so usable as a path as is)."""
    if len(key) > MAX_KEY or not _KEY.fullmatch(key):
        return False
    segments = key.split("/")
    return len(segments) <= MAX_DEPTH and all(len(s) <= MAX_SEGMENT for s in segments)


def file_slug(text: str) -> str:
    """One key segment from free text: ASCII-folded, lowercase, runs of anything else as one ``-``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("-", folded.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def _bounded(segment: str, original: str, limit: int = MAX_SEGMENT) -> str:
    """``segment`` cut to ``limit`` characters, with a hash of ``original`` so cut names stay distinct."""
    if len(segment) <= limit:
        return segment
    return segment[: limit - 7].rstrip("-") + "-" + _digest(original)


def safe_key(name: str, *, nested: bool = True) -> str:
    """A valid, bounded resource key for a live name; the same name always gives the same key.

    A name that already is a valid key is kept. Otherwise each ``/``-separated part (one part
    when not ``nested``) becomes a slug; ``.``/``..``/empty parts are dropped, and a name that
    had to be cut gets a short hash of the whole name.
    """
    if is_safe_key(name):
        return name
    parts = name.split("/") if nested else [name]
    segments = [s for s in (file_slug(p) for p in parts) if s]
    if not segments:
        return "unnamed-" + _digest(name) if name.strip() else "unnamed"
    if len(segments) > MAX_DEPTH:
        segments = ["-".join(segments)]
    segments = [_bounded(s, name) for s in segments]
    key = "/".join(segments)
    return key if len(key) <= MAX_KEY else _bounded("-".join(segments), name)


def secret_variable(*parts: object) -> str:
    """An environment variable name from parts: ``[A-Z0-9_]``, not starting with a digit, bounded,
    and never one ``${secret:…}`` may not resolve (``SECRET_`` is put in front of those)."""
    text = "_".join(str(p) for p in parts)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = _SECRET_UNSAFE.sub("_", folded.upper()).strip("_") or "SECRET"
    if name[0].isdigit() or forbidden_secret_name(name):
        name = "SECRET_" + name
    if len(name) > MAX_SECRET_NAME:
        name = name[: MAX_SECRET_NAME - 7].rstrip("_") + "_" + _digest(text).upper()
    return name


def _suffixed(key: str, remote_id: str, taken: set[str]) -> str:
    """``key`` made unique with a short hash of the object's id (stable across exports), then a counter."""
    head, _, leaf = key.rpartition("/")
    leaf = f"{_bounded(leaf, key, MAX_SEGMENT - 12)}-{_digest(remote_id)}"
    if head and len(head) + 1 + len(leaf) + 5 > MAX_KEY:
        head = ""
    candidate = f"{head}/{leaf}" if head else leaf
    unique, counter = candidate, 2
    while unique in taken:
        unique = f"{candidate}-{counter}"
        counter += 1
    return unique


# ---------------------------------------------------------------- yaml


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


# ---------------------------------------------------------------- writing


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty directory, listing what is there."""
    if not target.exists() and not target.is_symlink():
        blocking = next((p for p in target.absolute().parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise ExportError(f"cannot create {target}: {blocking} is a file, not a directory; "
                              "export into a new directory")
        return
    if not target.is_dir():
        raise ExportError(f"{target} exists and is not a directory; export into a new directory")
    present = sorted(entry.name for entry in target.iterdir())
    if present:
        shown = ", ".join(present[:10]) + (f", … ({len(present)} entries)" if len(present) > 10 else "")
        raise ExportError(
            f"{target} is not empty (holds {shown}); export never overwrites files: "
            "export into a new or empty directory"
        )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _checked_relative(relative: str) -> PurePosixPath:
    """A relative path of plain parts (no ``..``, no leading dots, no controls); else ExportError."""
    path = PurePosixPath(relative)
    bad = (
        path.is_absolute()
        or not path.parts
        or any(p in (".", "..") or p.startswith(".") or not p.isprintable() or "\\" in p for p in path.parts)
    )
    if bad:
        raise ExportError(f"refusing to write {relative!r}: not a plain relative path")
    return path


def write_tree(target: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative path -> text) as the new directory ``target``, all or nothing.

    Everything goes into a fresh sibling directory first (each path checked to resolve inside
    it, each file created exclusively), which is then renamed onto ``target``.
    """
    check_target(target)
    destination = target.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_dir(destination)
    try:
        root = staging.resolve()
        for relative, text in files.items():
            path = root / _checked_relative(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(path.parent.resolve(), root):
                raise ExportError(f"refusing to write {relative!r}: it resolves outside {target}")
            with open(path, "x", encoding="utf-8") as handle:  # never follows or replaces an existing file
                handle.write(text)
        check_target(destination)
        os.replace(staging, destination)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"could not write {target}: {exc.strerror or exc}; nothing was written") from None
    except ExportError:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _staging_dir(destination: Path) -> Path:
    """A new, empty directory next to ``destination`` (created with the user's umask)."""
    for _ in range(100):
        candidate = destination.parent / f".{destination.name[:40]}.export-{random.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise ExportError(f"could not create a staging directory next to {destination}")


# ---------------------------------------------------------------- exporter


class Exporter:
    """Turns a :class:`LiveState` into files under ``root``."""

    def __init__(self, live: LiveState, root: Path, prefix: str, workspace: str | None) -> None:
        self.live = live
        self.root = root
        self.prefix = prefix
        self.workspace = workspace
        self.result = ExportResult()
        self.files: dict[str, str] = {}  # relative path -> text, written all at once
        self.keys: dict[tuple[ResourceKind, str], str] = {}  # (kind, remote id) -> key
        self.refs: dict[str, str] = {}  # partial/guardrail slug or id -> logical reference
        self._secret_names: set[str] = set()
        self._assign_keys()

    # ------------------------------------------------------------ keys

    def _assign_keys(self) -> None:
        for kind, objects in self.live.objects.items():
            taken: set[str] = set()
            for obj in sorted(objects, key=self._priority):
                if not KINDS[kind].exported(obj):
                    continue
                self._key_of(kind, obj, taken, ())
            for obj in objects:
                key = self.keys.get((kind, obj.id))
                reference = KINDS[kind].exported_reference(key) if key else None
                for ident in (obj.id, obj.slug):
                    if reference and ident:
                        self.refs[ident] = reference

    @staticmethod
    def _priority(obj: LiveObject) -> tuple[int, str, str]:
        """Managed objects with a valid key first (they keep it), then other managed, then unmanaged."""
        rank = 2 if obj.key is None else (0 if is_safe_key(obj.key) else 1)
        return rank, str(obj.name), str(obj.id)

    def _key_of(self, kind: ResourceKind, obj: LiveObject, taken: set[str], seen: tuple[str, ...]) -> str:
        """The object's key, assigned once (a collection's parent first, so the child nests under it)."""
        if (kind, obj.id) in self.keys:
            return self.keys[(kind, obj.id)]
        wanted = obj.key if obj.key is not None else self._wanted_key(kind, obj, taken, (*seen, obj.id))
        key = safe_key(wanted)
        if key in taken:
            key = _suffixed(key, obj.id, taken)
        taken.add(key)
        self.keys[(kind, obj.id)] = key
        live_name = obj.key if obj.key is not None else obj.name
        if key != live_name:
            self.result.renamed.append((f"{kind.value} {live_name}", self.path(kind, key)))
        if obj.key != key:
            self.result.adoptable.append((f"{kind.value}:{key}", obj.id))
        return key

    def _wanted_key(self, kind: ResourceKind, obj: LiveObject, taken: set[str], seen: tuple[str, ...]) -> str:
        """An unmanaged object's key before collisions: its name (a collection's under its parent's)."""
        if not KINDS[kind].nested:
            return safe_key(obj.name)
        base = safe_key(obj.name, nested=False)
        parent_id = obj.raw.get("parent_collection_id")
        parent = next((o for o in self.live.objects.get(kind, []) if o.id == parent_id), None)
        if parent is None or parent.id in seen or parent.raw.get("is_default"):
            return base
        return f"{self._key_of(kind, parent, taken, seen)}/{base}"

    # ------------------------------------------------------------ files

    def write(self) -> ExportResult:
        """Build every file in memory, then write them all into ``root`` (see :func:`write_tree`)."""
        for kind in KINDS.values():  # in dependency order
            for obj in self.live.objects.get(kind.kind, []):
                if (kind.kind, obj.id) in self.keys:
                    kind.export(self, obj, self.keys[(kind.kind, obj.id)])
        self._project_file()
        write_tree(self.root, self.files)
        self.result.files = list(self.files)
        return self.result

    def _project_file(self) -> None:
        project: dict[str, Any] = {"version": 1, "naming": {"prefix": self.prefix}}
        if self.workspace:
            project["workspace"] = self.workspace
        if self.result.secrets:  # ${secret:NAME} resolves only names portkey.yaml declares
            project["secrets"] = sorted(set(self.result.secrets))
        self.files = {"portkey.yaml": dump_yaml(project), **self.files}

    def path(self, kind: ResourceKind, key: str) -> str:
        return f"{KINDS[kind].directory}/{key}{KINDS[kind].suffix}"

    def file(self, relative: str, text: str) -> None:
        if relative in self.files:
            raise ExportError(f"two exported objects map to the same file {relative!r}")
        self.files[relative] = text

    def resource(self, kind: ResourceKind, key: str, data: dict[str, Any]) -> None:
        self.file(self.path(kind, key), dump_yaml(data))

    def unresolve(self, text: str) -> str:
        return replace_partials(text, lambda use: use.tag(self.refs.get(use.name) or use.name))

    def display(self, kind: ResourceKind, obj: LiveObject, key: str) -> dict[str, Any]:
        """``{name: ...}`` when the object's name carries a display part (or, unmanaged, differs from its key)."""
        display = display_part(obj.name) if obj.key is not None else obj.name
        return {"name": display} if display and display != default_display(kind, key) else {}

    def guardrail_refs(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ([self.refs.get(str(g), g) for g in v] if k in ("input_guardrails", "output_guardrails")
                    and isinstance(v, list) else self.guardrail_refs(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.guardrail_refs(v) for v in value]
        return value

    def secrets(self, value: Any, key: str, path: list[str]) -> Any:
        """Replace every secret-named field's value (any type but a flag) with a reference to a variable
        named after ``key`` and ``path`` (the position within the exported field); remember it."""
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if is_secret_key(k) and v not in _EMPTY and not isinstance(v, bool):
                    out[k] = f"${{secret:{self._secret_variable(key, [*path, str(k)])}}}"
                else:
                    out[k] = self.secrets(v, key, [*path, str(k)])
            return out
        if isinstance(value, list):
            return [self.secrets(v, key, [*path, str(i)]) for i, v in enumerate(value)]
        return value

    def _secret_variable(self, key: str, path: list[str]) -> str:
        """A fresh, valid variable name for the secret at ``path`` of resource ``key``."""
        name = base = secret_variable(key, *path)
        counter = 2
        while name in self._secret_names:
            name = f"{base}_{counter}"
            counter += 1
        self._secret_names.add(name)
        self.result.secrets.append(name)
        return name



def chat_messages(text: str) -> list[dict[str, Any]] | None:
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return value
    return None


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
