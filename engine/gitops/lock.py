"""The optional lock file: what the last apply left in Portkey, as a cache for drift checks.

``apply --lock FILE`` writes, per address, the remote id and slug and a hash of the applied
content with secrets masked (never a secret value). ``plan``/``drift --lock FILE`` compare
the live objects with it: a hash that moved means the object was edited in Portkey outside
git; an id that vanished means it was deleted there. Correctness never depends on the file:
without it, plans find everything by marker as usual.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCK_FORMAT = 1


@dataclass
class Lock:
    workspace: str | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> {id, slug, hash}

    @classmethod
    def read(cls, path: Path) -> Lock | None:
        """The lock at ``path``; None when absent. A broken file raises ValueError naming it."""
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"lock file {path} is unreadable ({exc}); delete it, the next apply rewrites it") from None
        if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
            raise ValueError(f"lock file {path} has an unknown format; delete it, the next apply rewrites it")
        return cls(workspace=data.get("workspace"), entries=dict(data.get("entries") or {}))

    def text(self) -> str:
        """The file's content."""
        return json.dumps({"format": LOCK_FORMAT, "workspace": self.workspace, "entries": self.entries},
                          indent=2, sort_keys=True) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically, so an interrupted run never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = self.text()
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".lock-")
        with os.fdopen(handle, "w") as out:
            out.write(body)
        os.replace(temp, path)
