"""Step outputs (``$GITHUB_OUTPUT``) and the job summary (``$GITHUB_STEP_SUMMARY``), scrubbed of secrets.

Outputs use GitHub's multi-line form ``name<<DELIMITER`` with a random delimiter that the value cannot
contain, so a value (a path, a failure message) can never end the block early or add an output.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from engine.redaction import scrub

# GitHub's step summary is refused past 1 MiB; leave room for the lines around the plan.
SUMMARY_LIMIT = 1_000_000


def _append(path: Path | None, text: str) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub(text))


def set_outputs(path: Path | None, values: dict[str, str]) -> None:
    """Append every ``name: value`` to the step's output file (printed to stdout without one)."""
    lines = []
    for name, value in values.items():
        value = scrub(str(value))
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    if path is None:
        sys.stdout.write("".join(f"{name}={scrub(str(value))}\n" for name, value in values.items()))
        return
    _append(path, "".join(lines))


def add_summary(path: Path | None, markdown: str) -> None:
    """Append ``markdown`` (cut to GitHub's limit) to the job summary."""
    text = markdown if len(markdown) <= SUMMARY_LIMIT else markdown[:SUMMARY_LIMIT] + "\n\n_…cut at 1 MB._\n"
    _append(path, text.rstrip("\n") + "\n\n")


def annotate(level: str, message: str) -> None:
    """A workflow command (``::error::`` / ``::warning::`` / ``::notice::``) GitHub shows on the run."""
    text = scrub(message).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    sys.stdout.write(f"::{level}::{text}\n")
    sys.stdout.flush()
