"""Files and streams the CLI writes: refused early when the path is bad, written atomically, and
scrubbed of the API key even when Portkey's answers carry it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.cli import files
from engine.redaction import register
from tests.security.cli_support import (
    EXAMPLE,
    PLANTED_KEY,
    Cli,
    Rule,
    cli,
    console_script,
    one_error_line,
    served,
    tampered_sandbox,
)

__all__ = ["cli"]  # the fixture


@pytest.mark.parametrize("option", ["--out", "--markdown"])
def test_plan_output_into_a_missing_directory_is_refused_before_planning(
    cli: Cli, tmp_path: Path, option: str
) -> None:
    target = tmp_path / "missing" / "dir" / "plan.out"
    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        cli.against(url)
        run = cli("plan", str(EXAMPLE), option, str(target))
        assert not sb.requests(), "the path is checked before Portkey is read"
    assert run.code == 1
    line = one_error_line(run)
    assert f"cannot write the {'plan' if option == '--out' else 'Markdown plan'} to {target}" in line
    assert f"directory {target.parent} does not exist; create it first" in line
    assert run.out == "" and not target.parent.exists()


def test_plan_output_onto_a_directory_or_under_a_file_through_the_console_script(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x\n")
    env = {"PORTKEY_SANDBOX_DB": str(tmp_path / "sb.sqlite3")}
    onto_dir = console_script("plan", str(EXAMPLE), "--sandbox", "--out", str(tmp_path), env=env)
    assert onto_dir.code == 1 and "it is a directory; give a file name" in one_error_line(onto_dir)
    under_file = console_script("plan", str(EXAMPLE), "--sandbox", "--markdown", str(tmp_path / "file" / "p.md"),
                                env=env)
    assert under_file.code == 1 and f"{tmp_path / 'file'} is a file, not a directory" in one_error_line(under_file)


def leaking_rate_limit(headers: dict[str, str]) -> dict[str, object]:
    """A managed rate limit whose name carries the caller's key (a hostile or buggy server)."""
    key = headers["x-portkey-api-key"]
    return {"object": "list", "total": 1, "data": [
        {"id": "rl-leak", "name": f"gitops:leak-{key}", "type": "requests", "unit": "rpm", "value": 5,
         "conditions": [], "group_by": [], "status": "active"}]}


def test_key_echoed_in_live_data_never_reaches_stdout_stderr_or_files(cli: Cli, tmp_path: Path) -> None:
    md, saved = tmp_path / "plan.md", tmp_path / "plan.json"
    with tampered_sandbox() as (_, tamper), served(tamper) as url:
        tamper.rules.append(Rule("GET", "/policies/rate-limits", 200, leaking_rate_limit))
        cli.against(url)
        human = cli("plan", str(EXAMPLE), "--prune", "--out", str(saved), "--markdown", str(md))
        as_json = cli("plan", str(EXAMPLE), "--prune", "--json")
        drift = cli("drift", str(EXAMPLE), "--json")
    assert human.code == 0 and as_json.code == 0, human.err + as_json.err
    assert "leak-" in human.out and "leak-" in md.read_text() and "leak-" in saved.read_text()
    outputs = [human.out, human.err, as_json.out, as_json.err, drift.out, drift.err, md.read_text(),
               saved.read_text()]
    for text in outputs:
        assert PLANTED_KEY not in text
    assert "redacted" in human.out and "redacted" in md.read_text() and "redacted" in as_json.out
    json.loads(as_json.out)  # scrubbing keeps the JSON valid


def test_write_text_scrubs_and_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register(PLANTED_KEY)
    target = tmp_path / "plan.json"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    files.write_text(target, f"new {PLANTED_KEY}\n", "plan")
    assert target.read_text() == "new [redacted]\n"
    assert target.stat().st_mode & 0o777 == 0o640

    def broken(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(files.OutputError, match=f"cannot write the plan to {target}: No space left on device"):
        files.write_text(target, "newer\n", "plan")
    assert target.read_text() == "new [redacted]\n"  # never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temporary file left behind
