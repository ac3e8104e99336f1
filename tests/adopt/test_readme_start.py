"""The README's "Start from an existing account": its three commands, as written there, on a hand-made account.

The commands are read from the README (so the test follows the text) and run from a fresh directory through
the console-script entry point against a sandbox served over HTTP.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import Account, Run
from tests.adopt.test_export_adopt_roundtrip import hand_made

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[list[str]]:
    """The commands in the section's ``sh`` block, comments dropped."""
    section = README.read_text().split("## Start from an existing account", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the section has no sh block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def test_the_section_has_three_portkey_gitops_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 3 and all(c[0] == "portkey-gitops" for c in commands)
    assert [c[1] for c in commands] == ["export", "validate", "plan"]
    assert "--adopt" in commands[0]


def test_the_three_commands_work_as_written(
    tmp_path: Path, account: Account, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_made(account)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for command in readme_commands():
        done = cli(*command[1:])
        assert done.code == 0, (command, done.out, done.err)
        outputs.append(done.out)
    assert "Adopted" in outputs[0] and "No changes" in outputs[2], outputs
    account.forget()
    assert cli("apply", *readme_commands()[2][2:], "--auto-approve").code == 0  # the same arguments as plan
    assert account.writes() == []
