"""Where the GitOps tools may read and write: the roots given with ``--project-root``.

A path from a tool call is made absolute (a relative path counts from the first root), normalised
(``..`` folded textually, so what is checked is what is opened), and must lie under one of the
roots. Every component below the root must be a real directory entry, not a symbolic link: a
project, lock file or export target reached through a link is refused even when the link points
back inside a root. The roots themselves are the operator's choice and may be links.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_PATH = 4096


class PathRefused(ValueError):
    """A path the GitOps tools will not use; the message says why and what to pass instead."""


def _usable(text: str, argument: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise PathRefused(f"Invalid argument '{argument}': give a path (it is empty).")
    if "\x00" in text or len(text) > MAX_PATH or not text.isprintable():
        raise PathRefused(f"Invalid argument '{argument}': not a usable path (control characters or too long).")
    return text


@dataclass(frozen=True)
class ProjectRoots:
    """The allowed roots, as given (absolute) and resolved."""

    given: tuple[Path, ...]

    @classmethod
    def of(cls, names: Sequence[str] = ()) -> ProjectRoots:
        """Roots from ``--project-root`` values; none given means the working directory."""
        chosen = [Path(os.path.abspath(name)) for name in names if name.strip()] or [Path.cwd()]
        return cls(tuple(dict.fromkeys(chosen)))

    def shown(self) -> str:
        return ", ".join(str(root) for root in self.given)

    def _place(self, text: str, argument: str) -> Path:
        """The real path below a root that ``text`` names, with no link on the way; else PathRefused."""
        path = Path(_usable(text, argument))
        if not path.is_absolute():
            path = self.given[0] / path
        wanted = Path(os.path.normpath(path))
        for root in self.given:
            real = Path(os.path.realpath(root))
            for base in dict.fromkeys((root, real)):
                if wanted == base or base in wanted.parents:
                    return _walk(real, wanted.relative_to(base).parts, text, argument)
        raise PathRefused(
            f"Invalid argument '{argument}': {text!r} is outside the allowed project roots ({self.shown()}). "
            "Pass a path under one of them (a relative path counts from the first); the operator can add "
            "roots with --project-root."
        )

    def project(self, text: str, argument: str = "project_dir") -> Path:
        """An existing project directory under a root."""
        place = self._place(text, argument)
        if not _safely(place.is_dir):
            raise PathRefused(f"Invalid argument '{argument}': {text!r} is not a directory; give the directory "
                              "that holds portkey.yaml.")
        return place

    def new_directory(self, text: str, argument: str = "target_dir") -> Path:
        """A directory that does not exist yet, whose parent exists, under a root (not a root itself)."""
        place = self._place(text, argument)
        if any(place == Path(os.path.realpath(root)) for root in self.given) or _safely(place.is_symlink) or \
                _safely(place.exists):
            raise PathRefused(f"Invalid argument '{argument}': {text!r} already exists; export writes only into a "
                              "new directory, so give a path that does not exist yet.")
        if not _safely(place.parent.is_dir):
            raise PathRefused(f"Invalid argument '{argument}': the parent of {text!r} is not an existing "
                              "directory; create it first or choose another place.")
        return place


def _safely(check: Any) -> bool:
    """A file-system test that answers False instead of raising (a name too long, no permission)."""
    try:
        return bool(check())
    except (OSError, ValueError):
        return False


def _walk(real_root: Path, parts: Sequence[str], text: str, argument: str) -> Path:
    """``real_root``/``parts``, refusing a component that is a symbolic link."""
    current = real_root
    for part in parts:
        current = current / part
        if len(part) > 255:
            raise PathRefused(f"Invalid argument '{argument}': a component of the path is longer than 255 characters.")
        if _safely(current.is_symlink):
            raise PathRefused(f"Invalid argument '{argument}': {text!r} is reached through a symbolic link "
                              f"({part!r}); give the real path of a directory under an allowed root.")
    return current


def project_file(project: Path, text: str, argument: str = "lock_file") -> Path:
    """A file named relative to ``project``, inside it, with no link on the way (it may not exist yet)."""
    path = Path(_usable(text, argument))
    wanted = Path(os.path.normpath(path if path.is_absolute() else project / path))
    if wanted == project or project not in wanted.parents:
        raise PathRefused(f"Invalid argument '{argument}': {text!r} is not inside the project; give a path "
                          "relative to project_dir such as .portkey/lock.json.")
    place = _walk(project, wanted.relative_to(project).parts, text, argument)
    if _safely(place.exists) and not _safely(place.is_file):
        raise PathRefused(f"Invalid argument '{argument}': {text!r} is not a file.")
    return place
