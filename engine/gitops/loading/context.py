"""Shared state of one load: the root, the diagnostics collected and the files read.

Every file the loader reads goes through :func:`read_confined`: it must resolve (after
symbolic links) inside the project root and be a regular file of at most
:data:`MAX_FILE_BYTES`. Anything else (a link out of the project, ``/proc`` files, FIFOs,
devices, directories, huge files) is refused without being opened, so nothing from
outside the project can reach a plan, a PR comment or an artifact.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import LoadError
from engine.gitops.model import Diagnostic, Location, Severity

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: far above any prompt or config, far below a memory problem


class UnsafeFileError(LoadError, OSError):
    """A file that must not be read: outside the root, not a regular file, or too large.

    The message names the path as given (never where a link points, never the content).
    """


def _shown(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` when it lies under it (lexically), else as given."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def confined_path(root: Path | None, path: Path) -> Path:
    """The real path of ``path``, checked to be an existing regular file inside ``root``.

    ``root`` None skips the inside check (a path the user named on the command line).
    Raises UnsafeFileError (or FileNotFoundError when nothing is there) with a message that
    names ``path`` and says what to do. Never opens the file.
    """
    shown = _shown(path, root)
    absolute = Path(os.path.abspath(path))
    try:
        real = absolute.resolve(strict=True)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no such file", shown) from None
    except (OSError, RuntimeError, ValueError) as exc:  # link loops, permissions, NUL bytes
        raise UnsafeFileError(f"{shown} cannot be resolved ({_reason(exc)})") from None
    if root is not None and not _within(real, root.resolve()):
        lexical_root = Path(os.path.abspath(root))
        if absolute.is_symlink():
            why = "is a symbolic link to a path outside the project"
        elif not _within(absolute, lexical_root):
            why = "is outside the project"
        else:
            why = "is reached through a symbolic link that leads outside the project"
        raise UnsafeFileError(f"{shown} {why}; only files inside the project are read: replace it with the file itself")
    info = real.stat()
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFileError(_not_regular(shown, info.st_mode))
    return real


def read_confined(root: Path | None, path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, a regular file of at most ``max_bytes`` inside ``root``.

    ``root`` None: no inside check (only regular file and size). Raises UnsafeFileError for a
    file that must not be read, FileNotFoundError when absent, OSError when unreadable; every
    message names ``path`` and never shows content. FIFOs and devices are never opened.
    """
    shown = _shown(path, root)
    real = confined_path(root, path)
    # O_NONBLOCK: if the file was swapped for a FIFO since the check, open must not hang.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(real, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(_not_regular(shown, info.st_mode))
        if info.st_size > max_bytes:
            raise UnsafeFileError(_too_large(shown, max_bytes))
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # the size on disk may lie (growing files): stop one byte past the limit
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise UnsafeFileError(_too_large(shown, max_bytes))
    return b"".join(chunks)


def _too_large(shown: str, max_bytes: int) -> str:
    return f"{shown} is larger than {max_bytes // 1024} KiB; split it or shorten it"


def _not_regular(shown: str, mode: int) -> str:
    return f"{shown} is {_kind_of(mode)}, not a regular file; only regular files are read"


def _kind_of(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


@dataclass
class Context:
    """Collects diagnostics and file hashes; every read goes through :meth:`read_text`."""

    root: Path
    environ: Mapping[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)  # every file read, in order (a file read twice: twice)

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
        """Whether ``path`` resolves (following links) to somewhere under the root; False if it cannot."""
        try:
            return _within(Path(os.path.abspath(path)).resolve(), self.root.resolve())
        except (OSError, RuntimeError, ValueError):
            return False

    def read_text(self, path: Path, cite: Location | None = None) -> str | None:
        """UTF-8 text with ``\\r\\n`` made ``\\n``; records the file's hash. None (and an error) on failure.

        The file must be a regular file inside the root of at most MAX_FILE_BYTES (see read_confined).
        """
        rel = self.rel(path)
        try:
            data = read_confined(self.root, path)
        except UnsafeFileError as exc:
            self.error(str(exc), cite or Location(rel))
            return None
        except OSError as exc:  # missing, unreadable, vanished
            self.error(f"cannot read {rel}: {_reason(exc)}", cite or Location(rel))
            return None
        self.files[rel] = hashlib.sha256(data).hexdigest()
        self.reads.append(rel)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.error(f"{rel} is not UTF-8 text (byte {exc.start}): save it as UTF-8", Location(rel))
            return None
        return text.replace("\r\n", "\n")
