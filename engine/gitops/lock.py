"""The optional lock file: what the last apply left in Portkey, as a cache for drift checks.

``apply --lock FILE`` writes, per address, the remote id and slug and a hash of the applied
content with secrets masked (never a secret value), and when it ran (``applied_at``, also stamped on
the prompt versions it made, with each prompt's stamp hash in its entry): a version stamped later than
the lock by a stamp the lock does not know means another apply ran since, and drift calls the lock stale.
``plan``/``drift --lock FILE`` compare the live objects with it: a hash that moved means the object
was edited in Portkey outside git; an id that vanished means it was deleted there. Correctness never depends
on the file: without it, plans find everything by marker as usual.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.gitops.loading.context import MAX_FILE_BYTES, UnsafeFileError, read_confined

LOCK_FORMAT = 1
LOCK_MAX_BYTES = 8 * MAX_FILE_BYTES  # a few hundred bytes per managed object


def _well_formed(data: Any) -> bool:
    """A lock document of this format: entries map addresses to objects, workspace is text or null."""
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        return False
    entries = data.get("entries") or {}
    workspace = data.get("workspace")
    return (
        isinstance(entries, dict)
        and all(isinstance(v, dict) for v in entries.values())
        and (workspace is None or isinstance(workspace, str))
    )


def _under(path: Path, root: Path) -> bool:
    """Whether ``path`` is written as a path below ``root`` (before resolving links)."""
    absolute, base = Path(os.path.abspath(path)), Path(os.path.abspath(root))
    return absolute == base or base in absolute.parents


@dataclass
class Lock:
    workspace: str | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> {id, slug, hash}
    commit: str | None = None  # the git commit the applied files came from
    applied_at: str | None = None  # when the apply that wrote it ran (UTC ISO; its versions' stamps say the same)

    @classmethod
    def read(cls, path: Path, root: Path | None = None) -> Lock | None:
        """The lock at ``path``; None when absent. A broken or unsafe file raises ValueError naming it.

        The file must be a regular file of at most LOCK_MAX_BYTES; when it lies under the project
        ``root`` it must also resolve inside it (a link out of the project is refused). A path
        outside the project was named on the command line by the user and is read as given.
        """
        confine = root if root is not None and _under(path, root) else None
        try:
            raw = read_confined(confine, path, LOCK_MAX_BYTES)
        except FileNotFoundError:
            return None
        except UnsafeFileError as exc:
            raise ValueError(f"lock file refused: {exc}") from None
        except OSError as exc:
            raise ValueError(f"lock file {path} is unreadable ({exc.strerror or exc})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ValueError(f"lock file {path} is unreadable ({exc}); delete it, the next apply rewrites it") from None
        if not _well_formed(data):
            raise ValueError(f"lock file {path} has an unknown format; delete it, the next apply rewrites it")
        commit, applied_at = data.get("commit"), data.get("applied_at")
        return cls(workspace=data.get("workspace"), entries=dict(data.get("entries") or {}),
                   commit=commit if isinstance(commit, str) else None,
                   applied_at=applied_at if isinstance(applied_at, str) else None)

    def text(self) -> str:
        """The file's content."""
        body = {"format": LOCK_FORMAT, "workspace": self.workspace, "entries": self.entries}
        if self.commit:
            body["commit"] = self.commit
        if self.applied_at:
            body["applied_at"] = self.applied_at
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically, so an interrupted run never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = self.text()
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".lock-")
        with os.fdopen(handle, "w") as out:
            out.write(body)
        os.replace(temp, path)
