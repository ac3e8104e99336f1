"""The ``doctor`` command: table or JSON, the saved result that plans read, exit codes, and output
that neither leaks the key nor lets Portkey's text drive the terminal."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.gitops.behaviour import DEFAULT, DOCTOR_FILE, SWITCHES, DoctorFileError, load_behaviour
from tests.security.cli_support import (
    PLANTED_KEY,
    Cli,
    Rule,
    cli,
    one_error_line,
    served,
    tampered_sandbox,
)

__all__ = ["cli"]  # fixtures


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def test_doctor_sandbox_prints_the_table_saves_the_result_and_plans_read_it(cli: Cli, root: Path) -> None:
    run = cli("doctor", str(root), "--sandbox")

    assert run.code == 0, run.text
    assert "Traceback" not in run.text
    for switch in SWITCHES:
        assert switch.name in run.out
    assert "What the engine will do" in run.out
    assert re.search(r"10 of 10 checks ran .* \d+ requests", run.err)
    saved = json.loads((root / DOCTOR_FILE).read_text())
    assert saved["format"] == 1 and saved["checked_at"] and len(saved["findings"]) == 10
    behaviour = load_behaviour(root)
    assert behaviour.source == DOCTOR_FILE
    assert {s.name: behaviour[s.name] for s in SWITCHES} == saved["switches"]


def test_doctor_json_is_the_saved_document_and_no_save_writes_nothing(cli: Cli, root: Path) -> None:
    run = cli("doctor", str(root), "--sandbox", "--json", "--no-save")

    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["format"] == 1 and set(document["switches"]) == {s.name for s in SWITCHES}
    assert document["leftovers"] == [] and document["requests"] > 0
    assert not (root / ".portkey").exists()
    assert load_behaviour(root) is DEFAULT


def test_a_check_that_cannot_run_is_named_and_exits_1(cli: Cli, root: Path) -> None:
    with tampered_sandbox() as (_, tamper):
        tamper.rules.append(Rule("PUT", r"/prompts/[^/]+/makeDefault", 503, {"message": "down"}))
        with served(tamper) as url:
            cli.against(url)
            run = cli("doctor", str(root))

    assert run.code == 1
    assert "Traceback" not in run.text
    assert "check active_version could not run" in run.err and "503" in run.err
    saved = json.loads((root / DOCTOR_FILE).read_text())
    assert "active_version" not in saved["switches"]  # the default stays in force
    assert saved["leftovers"] == []


def test_portkey_text_is_escaped_and_the_key_never_shown(cli: Cli, root: Path) -> None:
    hostile = f"bad name \x1b[2J\x1b]0;owned\x07 {PLANTED_KEY}"
    with tampered_sandbox() as (_, tamper):
        tamper.rules.append(Rule("PUT", r"/policies/rate-limits/[^/]+", 400, {"message": hostile}))
        with served(tamper) as url:
            cli.against(url)
            run = cli("doctor", str(root))
            as_json = cli("doctor", str(root), "--json", "--no-save")

    assert run.code == 0, run.err
    for output in (run.text, as_json.text, (root / DOCTOR_FILE).read_text()):
        assert PLANTED_KEY not in output
        assert "\x1b" not in output and "\x07" not in output
    assert "\\x1b[2J" in run.out.replace("\n", "")  # shown, escaped
    assert json.loads(as_json.out)["switches"]["policy_conditions_put"] == "refused"


def test_missing_key_is_one_error_line(cli: Cli, root: Path) -> None:
    run = cli("doctor", str(root))
    assert run.code == 1
    assert "PORTKEY_API_KEY" in one_error_line(run)
    assert not (root / ".portkey" / "doctor.json").exists()


def test_a_portkey_folder_linked_out_of_the_project_is_refused_before_any_request(
    cli: Cli, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".portkey").symlink_to(outside)
    run = cli("doctor", str(root), "--sandbox")
    assert run.code == 1
    assert "links out of the project" in one_error_line(run)
    assert list(outside.iterdir()) == []


def test_the_saved_result_round_trips_and_a_broken_or_linked_one_is_a_clear_error(root: Path, tmp_path: Path) -> None:
    folder = root / ".portkey"
    folder.mkdir()
    path = root / DOCTOR_FILE
    path.write_text(json.dumps({"format": 1, "switches": {"label_write": "replace", "name_chars": "ascii",
                                                          "unknown": "x"}, "checked_at": "now", "findings": []}))
    behaviour = load_behaviour(root)
    assert behaviour["label_write"] == "replace" and behaviour["name_chars"] == "ascii"
    assert behaviour["active_version"] == "published"

    for broken in ("{not json", json.dumps({"format": 2, "switches": {}}), json.dumps([1])):
        path.write_text(broken)
        with pytest.raises(DoctorFileError, match="portkey-gitops doctor"):
            load_behaviour(root)

    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"format": 1, "switches": {"label_write": "replace"}}))
    path.unlink()
    os.symlink(secret, path)
    with pytest.raises(DoctorFileError, match="cannot be used"):
        load_behaviour(root)

