"""Files the CLI writes (saved plan, Markdown plan, lock file): scrubbed of known secrets and
written atomically (a temporary file in the same directory, then ``os.replace``), so a failure
never leaves half a file. :func:`check_writable` lets a command refuse a bad path before it does
any work."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.redaction import scrub


class OutputError(Exception):
    """A file the user asked for cannot be written; the message names the path and what to fix."""


def _directory(path: Path, what: str) -> Path:
    """The existing directory ``path`` goes into; OutputError when there is none or it is a directory."""
    if path.is_dir():
        raise OutputError(f"cannot write the {what} to {path}: it is a directory; give a file name")
    parent = path.absolute().parent
    if parent.is_dir():
        return parent
    blocking = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"cannot write the {what} to {path}: {blocking} is a file, not a directory")
    raise OutputError(f"cannot write the {what} to {path}: directory {parent} does not exist; create it first")


def check_writable(path: Path, what: str) -> None:
    """Raise OutputError now unless ``path`` can be written (probes with a temporary file)."""
    parent = _directory(path, what)
    try:
        handle, temp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        raise OutputError(f"cannot write the {what} to {path}: {_reason(exc)}") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(temp)


def write_text(path: Path, text: str, what: str) -> None:
    """Write ``text`` (known secrets scrubbed) to ``path`` atomically; OutputError names the path."""
    parent = _directory(path, what)
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(scrub(text))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, _mode(path))
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise OutputError(f"cannot write the {what} to {path}: {_reason(exc)}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _mode(path: Path) -> int:
    """The mode of the file being replaced, or the usual one for a new file (0666 less the umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
