"""Shared state of one load: the root, the diagnostics collected and the files read."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.gitops.model import Diagnostic, Location, Severity


@dataclass
class Context:
    """Collects diagnostics and file hashes; every read goes through :meth:`read_text`."""

    root: Path
    environ: Mapping[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def error(self, message: str, location: Location | None = None) -> None:
        self.diagnostics.append(Diagnostic(Severity.ERROR, message, location))

    def warning(self, message: str, location: Location | None = None) -> None:
        self.diagnostics.append(Diagnostic(Severity.WARNING, message, location))

    def rel(self, path: Path) -> str:
        """Path relative to the root, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def inside(self, path: Path) -> bool:
        """Whether ``path`` resolves to somewhere under the root."""
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def read_text(self, path: Path, cite: Location | None = None) -> str | None:
        """UTF-8 text with ``\\r\\n`` made ``\\n``; records the file's hash. None (and an error) on failure."""
        rel = self.rel(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error(f"cannot read {rel}: {exc.strerror or exc}", cite or Location(rel))
            return None
        self.files[rel] = hashlib.sha256(data).hexdigest()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.error(f"{rel} is not UTF-8 text (byte {exc.start}): save it as UTF-8", Location(rel))
            return None
        return text.replace("\r\n", "\n")
