"""Files on disk -> :class:`DesiredState`.

``load_project`` never raises for bad input: every problem becomes a
:class:`Diagnostic` with a file, line and column. Secrets stay references
(``${secret:NAME}``) in specs; apply calls :func:`resolve_secrets` at the last moment.
The file formats are described in ``docs/desired-state.md`` and :mod:`engine.gitops.schema`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from engine import redaction
from engine.errors import LoadError
from engine.gitops.kinds import KINDS
from engine.gitops.loading.checks import (
    apply_limit_overrides,
    check_moved,
    check_partial_cycles,
    check_references,
    check_variables,
)
from engine.gitops.loading.context import Context
from engine.gitops.loading.kinds import load_resource
from engine.gitops.loading.project import load_settings, warn_unknown_folders
from engine.gitops.loading.records import Loaded
from engine.gitops.loading.values import forbidden_message, secret_name
from engine.gitops.model import (
    DesiredState,
    Diagnostic,
    Location,
    Resource,
    ResourceKind,
    address,
)
from engine.gitops.schema import KEY_PATTERN

__all__ = ["MissingSecretError", "SecretError", "UndeclaredSecretError", "load_project",
           "resolve_secrets"]

_KEY = re.compile(KEY_PATTERN)
# Kind directory -> the (kind, suffix) pairs whose files live there.
_DIRS: dict[str, list[tuple[ResourceKind, str]]] = {}
for _kind in KINDS.values():
    _DIRS.setdefault(_kind.directory, []).append((_kind.kind, _kind.suffix))


class SecretError(LoadError, LookupError):
    """A ``${secret:NAME}`` that cannot be resolved."""


class MissingSecretError(SecretError):
    """A ``${secret:NAME}`` whose environment variable is not set."""


class UndeclaredSecretError(SecretError):
    """A ``${secret:NAME}`` the project does not declare, or one that may never be read."""


def load_project(root: Path | str, env: str | None = None, environ: Mapping[str, str] | None = None) -> DesiredState:
    """Load the project at ``root`` for environment ``env`` (None: no overlay).

    ``environ`` (default ``os.environ``) is only consulted to check that secrets are set.
    Raises FileNotFoundError only when ``root`` is not a directory.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"project directory not found: {root}")
    ctx = Context(root, os.environ if environ is None else environ)
    settings = load_settings(ctx, env)
    state = DesiredState(settings.project)
    declared: dict[str, str] = {}  # address -> file, including files that failed to load
    loaded: dict[str, Loaded] = {}
    for kind, key, path in _discover(ctx):
        target, file = address(kind, key), ctx.rel(path)
        if target in declared:
            ctx.error(f"duplicate {target}: declared by {declared[target]} and {file}; keep one", Location(file))
            continue
        declared[target] = file
        first_read = len(ctx.reads)
        try:
            item = load_resource(ctx, settings, kind, key, path)
        except Exception as exc:  # a loader bug must not hide the other files' diagnostics
            ctx.error(f"internal error while loading this file ({exc!r}); please report it", Location(file))
            continue
        state.sources[target] = sorted({file, *ctx.reads[first_read:]})
        if item is not None:
            loaded[target] = item
            state.resources[target] = item.resource
    check_references(ctx, loaded.values(), declared)
    check_partial_cycles(ctx, loaded)
    check_variables(ctx, loaded)
    check_moved(ctx, settings, declared)
    apply_limit_overrides(ctx, settings, state.resources, declared)
    warn_unknown_folders(ctx)
    state.diagnostics = _unique(ctx.diagnostics)
    state.files = dict(sorted(ctx.files.items()))
    return state


def _discover(ctx: Context) -> Iterator[tuple[ResourceKind, str, Path]]:
    """Resource files under each kind's directory, in kind then path order; warns about strays.

    Symbolically linked directories are never followed (an error names them), so discovery stays
    inside the project; linked files are listed and refused or read by ``Context.read_text``.
    """
    found: list[tuple[int, str, ResourceKind, str, Path]] = []
    order = {kind: i for i, kind in enumerate(ResourceKind)}
    for directory, entries in _DIRS.items():
        for path in _walk(ctx, ctx.root / directory):
            relative = path.relative_to(ctx.root / directory)
            match = _match(path.name, entries)
            if match is None:
                _stray(ctx, path, directory, entries)
                continue
            kind, suffix = match
            key = relative.as_posix()[: -len(suffix)]
            if not _KEY.fullmatch(key):
                ctx.error(
                    f"invalid key {key!r} (from the file name): use lowercase letters, digits, '-' and '_' "
                    "in '/'-separated segments; rename the file",
                    Location(ctx.rel(path)),
                )
                continue
            found.append((order[kind], relative.as_posix(), kind, key, path))
    for _, _, kind, key, path in sorted(found, key=lambda f: (f[0], f[1])):
        yield kind, key, path


def resource_address(path: str) -> str | None:
    """The address a project file (relative path, forward slashes) declares, or None if it is no resource file."""
    directory, _, rest = path.partition("/")
    match = _match(PurePosixPath(rest).name, _DIRS.get(directory, [])) if rest else None
    if match is None:
        return None
    key = rest[: -len(match[1])]
    return address(match[0], key) if _KEY.fullmatch(key) else None


def _walk(ctx: Context, base: Path) -> list[Path]:
    """Every non-directory entry under ``base`` (hidden names skipped), without following linked directories."""
    if not os.path.lexists(base) or not base.is_dir():
        return []
    if base.is_symlink():
        _linked_directory(ctx, base)
        return []
    files: list[Path] = []
    pending = [base]
    while pending:  # iterative: a deep tree cannot exhaust the stack
        directory = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            ctx.error(f"cannot list {ctx.rel(directory)}: {exc.strerror or exc}", Location(ctx.rel(directory)))
            continue
        for entry in entries:
            path = directory / entry.name
            if entry.name.startswith("."):
                continue
            try:
                linked_dir, real_dir = entry.is_symlink() and entry.is_dir(), entry.is_dir(follow_symlinks=False)
            except OSError:  # unreadable: let read_text say so
                linked_dir = real_dir = False
            if linked_dir:
                _linked_directory(ctx, path)
            elif real_dir:
                pending.append(path)
            else:
                files.append(path)
    return files


def _linked_directory(ctx: Context, path: Path) -> None:
    rel = ctx.rel(path)
    ctx.error(
        f"{rel} is a symbolic link to a directory; linked directories are not followed: "
        "replace it with a real directory",
        Location(rel),
    )


def _match(name: str, entries: list[tuple[ResourceKind, str]]) -> tuple[ResourceKind, str] | None:
    """The kind of a file name, accepting ``.yml`` for ``.yaml``."""
    for kind, suffix in entries:
        spellings = [suffix, suffix.removesuffix(".yaml") + ".yml"] if suffix.endswith(".yaml") else [suffix]
        for spelling in spellings:
            if name.endswith(spelling) and len(name) > len(spelling):
                return kind, spelling
    return None


def _stray(ctx: Context, path: Path, directory: str, entries: list[tuple[ResourceKind, str]]) -> None:
    """Warn about YAML (and, among partials, Markdown) files that are not resource files."""
    suffixes = [suffix for _, suffix in entries]
    checked = (".yaml", ".yml", ".md") if directory == "partials" else (".yaml", ".yml")
    if path.suffix not in checked or path.name.upper().startswith("README"):
        return
    expected = " or ".join(f"*{s}" for s in suffixes)
    ctx.warning(f"ignored: not a known resource file (expected {expected})", Location(ctx.rel(path)))


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop repeats (e.g. one overlay label error reported once per prompt), keeping order."""
    seen: set[Diagnostic] = set()
    out = []
    for diagnostic in diagnostics:
        if diagnostic not in seen:
            seen.add(diagnostic)
            out.append(diagnostic)
    return out


def resolve_secrets(resource: Resource, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A deep copy of ``resource.spec`` with every ``${secret:NAME}`` replaced by its value.

    Only names the project declares (``resource.secret_names``) and that are not forbidden are read;
    each value read is registered with :mod:`engine.redaction` so every output scrubs it.
    Raises UndeclaredSecretError for any other name, MissingSecretError when a variable is not set.
    """
    environ = os.environ if environ is None else environ
    spec = copy.deepcopy(resource.spec)
    for dotted in sorted(resource.secrets):
        *parents, last = dotted.split(".")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        slot: Any = int(last) if isinstance(node, list) else last
        name = secret_name(node[slot])
        if name is None:
            continue
        node[slot] = _read_secret(resource, dotted, name, environ)
    return spec


def _read_secret(resource: Resource, dotted: str, name: str, environ: Mapping[str, str]) -> str:
    where = f"{resource.address} at {dotted}"
    if forbidden := forbidden_message(name):
        raise UndeclaredSecretError(f"${{secret:{name}}} is refused ({where}): {forbidden}")
    if name not in resource.secret_names:
        raise UndeclaredSecretError(
            f"${{secret:{name}}} is not declared ({where}): add {name} under secrets: in portkey.yaml"
        )
    value = environ.get(name)
    if not value:
        raise MissingSecretError(f"environment variable {name} is not set (needed by {where})")
    redaction.register(value)
    return value
