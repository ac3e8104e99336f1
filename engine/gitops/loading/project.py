"""``portkey.yaml`` and the environment overlay -> :class:`Project`, bindings and overrides."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from engine.gitops.kinds import KINDS
from engine.gitops.loading.context import Context
from engine.gitops.loading.values import Bindings, forbidden_message
from engine.gitops.loading.yamldoc import DataPath, YamlDoc, parse_yaml, validate
from engine.gitops.model import Location, Moved, Project, ResourceKind, split_address
from engine.gitops.schema import KEY_PATTERN, PATTERN_HINTS, EnvironmentFile, LimitOverride, ProjectFile, Release

PROJECT_FILE = "portkey.yaml"
ENVIRONMENTS_DIR = "environments"
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_KEY = re.compile(KEY_PATTERN)
M = TypeVar("M", bound=BaseModel)


@dataclass
class Overlay:
    """What an environment file changes besides the Project fields."""

    file: str
    doc: YamlDoc
    release: Release | None = None
    limits: dict[str, LimitOverride] = field(default_factory=dict)


@dataclass
class Settings:
    """Project settings plus what later checks need to point back at the files."""

    project: Project
    bindings: Bindings
    overlay: Overlay | None = None
    prompt_defaults: dict[str, Any] = field(default_factory=dict)  # raw YAML values, bindings unresolved
    moved_at: list[tuple[Location, Location]] = field(default_factory=list)  # (from, to) per moved entry


def _declared_secrets(ctx: Context, doc: YamlDoc, names: list[str]) -> frozenset[str]:
    """The ``secrets:`` names ``${secret:NAME}`` may read; forbidden names are errors, repeats warnings."""
    declared: set[str] = set()
    for index, name in enumerate(names):
        where = doc.location(("secrets", index))
        if forbidden_message(name):
            ctx.error(f"secrets: {forbidden_message(name)}", where)
        elif name in declared:
            ctx.warning(f"secrets: {name} is listed twice; remove one", where)
        else:
            declared.add(name)
    return frozenset(declared)


def read_doc(ctx: Context, path: Path, model: type[M]) -> tuple[YamlDoc | None, M | None]:
    """Read, parse and validate one YAML mapping file; problems go to ``ctx``."""
    rel = ctx.rel(path)
    text = ctx.read_text(path)
    if text is None:
        return None, None
    parsed = parse_yaml(text, rel)
    if not isinstance(parsed, YamlDoc):
        ctx.diagnostics.append(parsed)
        return None, None
    if parsed.data is None:
        parsed.data = {}
    if not isinstance(parsed.data, dict):
        ctx.error(f"{rel} must be a YAML mapping (key: value lines)", parsed.location())
        return parsed, None
    instance, problems = validate(parsed, model)
    ctx.diagnostics.extend(problems)
    return parsed, instance


def parse_address(text: str) -> tuple[ResourceKind, str]:
    """An address written in a file, checked like one derived from a file name; ValueError says what is wrong."""
    kind, key = split_address(text)
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid key {key!r} in {text!r}: {PATTERN_HINTS[KEY_PATTERN]}")
    return kind, key


def _parse_address(
    ctx: Context, doc: YamlDoc, path: DataPath, text: str, *, key: bool = False
) -> tuple[ResourceKind, str] | None:
    try:
        return parse_address(text)
    except ValueError as exc:
        ctx.error(str(exc), doc.location(path, key=key))
        return None


def load_settings(ctx: Context, env: str | None) -> Settings:
    """Read ``portkey.yaml`` and, when ``env`` is given, merge ``environments/<env>.yaml``."""
    project = Project(root=ctx.root, environment=env)
    settings = Settings(project, Bindings({}, known=False))
    path = ctx.root / PROJECT_FILE
    if not os.path.lexists(path):  # anything there (a link, a FIFO) is read, or refused, by read_text
        hint = " (found portkey.yml: rename it)" if (ctx.root / "portkey.yml").is_file() else ""
        ctx.error(f"{PROJECT_FILE} not found{hint}: create it with at least `version: 1`", Location(PROJECT_FILE))
    else:
        doc, parsed = read_doc(ctx, path, ProjectFile)
        if doc is not None and parsed is not None:
            _apply_project(ctx, settings, doc, parsed)
        elif doc is not None:  # its error is reported; prompts still get its defaults (no follow-on errors)
            settings.prompt_defaults = _raw_prompt_defaults(doc.data)
    if env is not None:
        _apply_environment(ctx, settings, env)
    return settings


def _raw_prompt_defaults(data: Any) -> dict[str, Any]:
    """``defaults.prompt`` of a portkey.yaml that failed validation, when it is a mapping; else none."""
    defaults = data.get("defaults") if isinstance(data, dict) else None
    prompt = defaults.get("prompt") if isinstance(defaults, dict) else None
    return dict(prompt) if isinstance(prompt, dict) else {}


def _apply_project(ctx: Context, settings: Settings, doc: YamlDoc, parsed: ProjectFile) -> None:
    project = settings.project
    project.workspace = parsed.workspace
    project.name_prefix = parsed.naming.prefix
    project.prune = parsed.safety.prune
    project.mass_delete_threshold = parsed.safety.mass_delete_threshold
    project.bindings = dict(parsed.bindings)
    settings.bindings = Bindings(project.bindings, known=True)
    project.secrets = _declared_secrets(ctx, doc, parsed.secrets)
    raw_defaults = (doc.data.get("defaults") or {}).get("prompt") if isinstance(doc.data, dict) else None
    settings.prompt_defaults = dict(raw_defaults or {})
    _add_protected(ctx, project, doc, parsed.protected)
    for index, entry in enumerate(parsed.moved):
        base = ("moved", index)
        source = _parse_address(ctx, doc, (*base, "from"), entry.source)
        target = _parse_address(ctx, doc, (*base, "to"), entry.target)
        if source is None or target is None:
            continue
        if source[0] is not target[0]:
            ctx.error(
                f"moved: {entry.source} and {entry.target} are different kinds; a move keeps the kind",
                doc.location(base),
            )
            continue
        project.moved.append(Moved(entry.source, entry.target))
        settings.moved_at.append((doc.location((*base, "from")), doc.location((*base, "to"))))


def _add_protected(ctx: Context, project: Project, doc: YamlDoc, addresses: list[str]) -> None:
    for index, text in enumerate(addresses):
        if _parse_address(ctx, doc, ("protected", index), text) is not None:
            project.protected.add(text)


def available_environments(root: Path) -> list[str]:
    directory = root / ENVIRONMENTS_DIR
    if not directory.is_dir():
        return []
    return sorted(p.name.removesuffix(".yaml") for p in directory.glob("*.yaml") if p.is_file())


def _apply_environment(ctx: Context, settings: Settings, env: str) -> None:
    path = ctx.root / ENVIRONMENTS_DIR / f"{env}.yaml"
    if not _ENV_NAME.fullmatch(env) or not os.path.lexists(path):
        available = available_environments(ctx.root)
        listing = f"available: {', '.join(available)}" if available else "no environments/*.yaml files exist"
        fix = (f"create environments/{env}.yaml to add it" if _ENV_NAME.fullmatch(env)
               else "an environment is a file environments/NAME.yaml, NAME of letters, digits, '.', '_' and '-' "
               "starting with a letter or digit")
        ctx.error(f"unknown environment {env!r} ({listing}); {fix}")
        return
    doc, parsed = read_doc(ctx, path, EnvironmentFile)
    if doc is None or parsed is None:
        return
    project = settings.project
    if "workspace" in parsed.model_fields_set:
        project.workspace = parsed.workspace
    project.bindings = {**project.bindings, **parsed.bindings}
    settings.bindings = Bindings(project.bindings, known=settings.bindings.known)
    _add_protected(ctx, project, doc, parsed.protected)
    overlay = Overlay(ctx.rel(path), doc, release=parsed.release)
    for text, override in parsed.limits.items():
        parsed_address = _parse_address(ctx, doc, ("limits", text), text, key=True)
        if parsed_address is None:
            continue
        if not KINDS[parsed_address[0]].limit:
            ctx.error(
                f"limits: {text} is not a limit; use rate_limit:<key> or usage_limit:<key>",
                doc.location(("limits", text), key=True),
            )
            continue
        overlay.limits[text] = override
    settings.overlay = overlay


# Top-level folders a repository commonly holds next to a project; never warned about.
COMMON_FOLDERS = frozenset({
    "bin", "build", "dist", "doc", "docs", "examples", "lib", "node_modules", "schemas", "scripts", "src",
    "test", "tests", "tools", "vendor", "venv", "__pycache__",
})


def project_folders() -> list[str]:
    """The top-level folders the loader reads: one per kind, plus ``environments``."""
    return sorted({kind.directory for kind in KINDS.values()} | {ENVIRONMENTS_DIR})


def _top_folder(root: Path, relative: str) -> str:
    """The top-level folder holding the file at ``relative`` once links are resolved."""
    try:
        return (root / relative).resolve().relative_to(root.resolve()).parts[0]
    except (OSError, RuntimeError, ValueError, IndexError):
        return relative.split("/", 1)[0]


def warn_unknown_folders(ctx: Context) -> None:
    """Warn about top-level folders the loader ignores (``promtps/``), with a "did you mean".

    Hidden folders, common repository folders and folders holding a file the load read
    (text named by ``content_file``) are not warned about.
    """
    known = project_folders()
    unknown = [name for name in _folders(ctx.root) if name not in known and name.lower() not in COMMON_FOLDERS]
    if not unknown:
        return
    used = {_top_folder(ctx.root, name) for name in ctx.files}
    for name in unknown:
        if name in used:
            continue
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]}/? " if close else ""
        ctx.warning(
            f"unknown folder {name!r} is ignored: {guess}the loader reads only {', '.join(known)}",
            Location(name + "/"),
        )


def _folders(root: Path) -> list[str]:
    """Names of the non-hidden directories (or links to directories) directly under ``root``."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    names = []
    for entry in entries:
        try:
            if not entry.name.startswith(".") and entry.is_dir():
                names.append(entry.name)
        except OSError:
            continue
    return names
