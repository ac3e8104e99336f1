"""All terminal output: data on stdout, messages for people on stderr.

Consoles never interpret markup or emoji codes, so text that came from files or the API prints
as written; :func:`printable` escapes control characters (ESC, BEL, CR …) so such text cannot
move the cursor, recolour the terminal or fake a line of output. The console-script entry
(``engine.cli.main.run``) wraps ``sys.stdout``/``sys.stderr`` in a scrubbing stream, and these
consoles are created per call from whatever those are, so every line passes the scrubber.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import IO

from rich.console import Console
from rich.text import Text


def _console(stream: IO[str]) -> Console:
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream, no_color=no_color, highlight=False, soft_wrap=True, markup=False, emoji=False,
    )


def out() -> Console:
    """Console for results (stdout), created per call so tests can capture it."""
    return _console(sys.stdout)


def err() -> Console:
    """Console for progress, warnings and errors (stderr)."""
    return _console(sys.stderr)


def printable(text: object, *, keep_newlines: bool = False) -> str:
    r"""``text`` with control characters shown as escapes (``\x1b``, ``\n`` …), never sent raw."""
    chars = []
    for char in str(text):
        if char == "\n" and keep_newlines:
            chars.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            chars.append(char.encode("unicode_escape").decode("ascii"))
        else:
            chars.append(char)
    return "".join(chars)


def error(message: str) -> None:
    """Print one error line that says what to fix (its text is never read as markup)."""
    err().print(Text.assemble(("Error:", "bold red"), " ", printable(message)))


def info(message: str) -> None:
    """Print one plain line for people on stderr."""
    err().print(printable(message))


def say(message: str) -> None:
    """Print one plain line of results on stdout."""
    out().print(printable(message))
