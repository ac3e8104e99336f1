"""No traceback reaches a user: hostile API messages, malformed answers, bad base URLs and internal
errors each end in one clear ``Error:`` line with the right exit code, never showing the API key."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

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

HOSTILE = "[link=https://evil.example]click me[/link] [/] [bold]x\x1b[2J\x1b]8;;https://evil\x07y\rFAKE"


def echo_key(status: int) -> Rule:
    """Every prompt listing fails with a message that echoes the caller's key and carries markup/escapes."""
    return Rule("GET", "/prompts", status, lambda headers: {
        "message": f"key {headers.get('x-portkey-api-key')} rejected {HOSTILE}", "errorCode": "AB01"})


def test_api_error_with_markup_escapes_and_the_echoed_key_is_one_escaped_line(cli: Cli) -> None:
    with tampered_sandbox() as (_, tamper), served(tamper) as url:
        tamper.rules.append(echo_key(400))
        cli.against(url)
        run = cli("plan", str(EXAMPLE))
    assert run.code == 1
    line = one_error_line(run)
    assert "list_prompts (GET /prompts): HTTP 400 AB01: key [redacted] rejected" in line
    assert "[link=https://evil.example]click me[/link] [/] [bold]x" in line  # shown as text, not markup
    assert "\\x1b[2J" in line and "\\x07" in line and "\\rFAKE" in line  # escapes shown, never sent
    assert "\x1b" not in run.text and "\x07" not in run.text and "\r" not in run.text
    assert PLANTED_KEY not in run.text


def test_echoed_key_in_a_plain_text_error_body_is_scrubbed(cli: Cli) -> None:
    with tampered_sandbox() as (_, tamper), served(tamper) as url:
        tamper.rules.append(Rule("GET", "/labels", 502, lambda h: f"upstream saw {h['x-portkey-api-key']}".encode()))
        cli.against(url)
        run = cli("plan", str(EXAMPLE))
    assert run.code == 1 and "upstream saw [redacted]" in one_error_line(run)
    assert PLANTED_KEY not in run.text


@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("GET", "/prompts", {"data": [1, 2, 3]}, "Portkey answered GET /prompts with items that are not objects"),
    ("GET", "/labels", {"data": [{"id": "l1", "name": ["a", "list"]}]},
     "Portkey answered GET /labels with an item whose name is a list, not text"),
    ("GET", "/collections", {"data": [{"id": {"x": 1}, "name": "c"}]},
     "Portkey answered GET /collections with an item whose id is an object"),
    ("GET", "/configs", {"data": [{"name": "no id"}]}, "GET /configs with an item that has neither an id nor a slug"),
    ("GET", "/guardrails", None, "list_guardrails (GET /guardrails): expected a list answer, got null"),
    ("GET", "/policies/rate-limits", [[1]], "answered GET /policies/rate-limits with items that are not objects"),
    ("GET", "/prompts/partials", {"data": [], "total": 1e400}, None),  # an infinite total is ignored
])
def test_malformed_answers_are_one_clear_error(
    cli: Cli, method: str, path: str, body: object, expected: str | None
) -> None:
    with tampered_sandbox() as (_, tamper), served(tamper) as url:
        raw = b'{"data": [], "total": 1e400}' if expected is None else body
        tamper.rules.append(Rule(method, path, 200, raw))
        cli.against(url)
        run = cli("plan", str(EXAMPLE))
    assert "Traceback" not in run.text and "internal error" not in run.text
    if expected is None:
        assert run.code == 0, run.err
        return
    assert run.code == 1
    assert expected in one_error_line(run)


def test_malformed_detail_answers_are_one_clear_error(cli: Cli, project: Path) -> None:
    with tampered_sandbox() as (_, tamper), served(tamper) as url:
        cli.against(url)
        assert cli("apply", str(project), "--auto-approve").code == 0
        tamper.rules.append(Rule("GET", "/configs/[^/]+", 200, [1, 2]))
        run = cli("plan", str(project))
    assert run.code == 1
    assert "Portkey answered GET /configs/{slug} with a list instead of an object" in one_error_line(run)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://api.portkey.ai/v1\t", "PORTKEY_BASE_URL contains a tab at position 25; remove it"),
    ("https://api.portkey.ai:99999/v1", "PORTKEY_BASE_URL is not a valid URL (Port out of range 0-65535)"),
    ("https://api.portkey.ai:0/v1", "PORTKEY_BASE_URL has port 0"),
    ("https://api.portkey.ai:https/v1", "PORTKEY_BASE_URL is not a valid URL"),
    ("ftp://api.portkey.ai/v1", "PORTKEY_BASE_URL must be an http(s) URL"),
    ("api.portkey.ai/v1", "PORTKEY_BASE_URL must be an http(s) URL"),
    ("http://[::1/v1", "PORTKEY_BASE_URL is not a valid URL (Invalid IPv6 URL)"),
    ("https://api.portkey.ai/v1\n", "PORTKEY_BASE_URL contains a line break"),
    ("https://api.portkey.ai/v1\x1b[2J", "PORTKEY_BASE_URL contains the character U+001B"),
    (f"https://me:{PLANTED_KEY}@api.portkey.ai/v1", "PORTKEY_BASE_URL must not carry a user name or password"),
])
def test_bad_base_url_is_a_config_error(cli: Cli, monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
    monkeypatch.setenv("PORTKEY_BASE_URL", url)
    run = cli("plan", str(EXAMPLE))
    assert run.code == 1
    assert expected in one_error_line(run)
    assert PLANTED_KEY not in run.text and "\x1b" not in run.text


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("PORTKEY_TIMEOUT", "nan", "PORTKEY_TIMEOUT must be a finite number, got 'nan'"),
    ("PORTKEY_TIMEOUT", "inf", "PORTKEY_TIMEOUT must be a finite number"),
    ("PORTKEY_MAX_RETRIES", "lots", "PORTKEY_MAX_RETRIES must be a number"),
])
def test_bad_numbers_are_config_errors(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
    monkeypatch.setenv(name, value)
    run = cli("plan", str(EXAMPLE))
    assert run.code == 1 and expected in one_error_line(run)


def test_bad_base_url_through_the_console_script(tmp_path: Path) -> None:
    run = console_script("plan", str(EXAMPLE), env={"PORTKEY_API_KEY": PLANTED_KEY,
                                                    "PORTKEY_BASE_URL": "https://api.portkey.ai:99999/v1"})
    assert run.code == 1
    assert "PORTKEY_BASE_URL is not a valid URL (Port out of range" in one_error_line(run)


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError(f"boom with {PLANTED_KEY} and [/] \x1b[31m")


def test_unexpected_exception_is_one_internal_error_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
    monkeypatch.setattr("engine.gitops.load.load_project", _boom)
    run = cli("validate", str(EXAMPLE))
    assert run.code == 1
    line = one_error_line(run)
    assert line.startswith("Error: internal error: RuntimeError: boom with [redacted] and [/] \\x1b[31m")
    assert "--debug" in line
    assert PLANTED_KEY not in run.text and "\x1b" not in run.text


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback_still_scrubbed(cli: Cli, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
    monkeypatch.setattr("engine.gitops.load.load_project", _boom)
    if how == "env":
        monkeypatch.setenv("PORTKEY_GITOPS_DEBUG", "1")
        run = cli("validate", str(EXAMPLE))
    else:
        run = cli("--debug", "validate", str(EXAMPLE))
    assert run.code == 1
    assert "Traceback (most recent call last)" in run.err and "RuntimeError: boom with [redacted]" in run.err
    assert "Error: internal error: RuntimeError" in run.err
    assert PLANTED_KEY not in run.text


def test_usage_errors_keep_exit_2_and_clicks_message(cli: Cli) -> None:
    bad_option = cli("plan", str(EXAMPLE), "--bogus")
    assert bad_option.code == 2 and "No such option: --bogus" in bad_option.err
    missing = cli("import", str(EXAMPLE))
    assert missing.code == 2 and "Missing argument" in missing.err
    for run in (bad_option, missing):
        assert "Traceback" not in run.text and "internal error" not in run.text
    assert cli("--help").code == 0


def test_colour_still_reaches_a_terminal_through_the_scrubbing_stream(tmp_path: Path) -> None:
    """On a TTY the error is coloured (TTY detection sees through the wrapper); hostile bytes are escaped."""
    exe = Path(sys.executable).with_name("portkey-gitops")
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from engine.cli.main import run; run()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "NO_COLOR"))}
    env.update(PORTKEY_API_KEY=PLANTED_KEY, PORTKEY_BASE_URL="https://x.invalid:99999/v1\x1b[2J", TERM="xterm")
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([*command, "plan", str(EXAMPLE)], stdin=subprocess.DEVNULL, stdout=follower,
                              stderr=follower, env=env, timeout=120, check=False)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    text = output.decode()
    assert done.returncode == 1
    assert "\x1b[1;31mError:\x1b[0m" in text  # Rich coloured the label: it saw a terminal
    assert "\\x1b[2J" in text and "\x1b[2J" not in text
    assert PLANTED_KEY not in text


@pytest.mark.parametrize("body", [
    '{"format": 1, "entries": [1, 2]}',
    '{"format": 1, "entries": {"config:support-routing": "x"}}',
    '{"format": 1, "entries": {"config:support-routing": {"ref": ["x"], "hash": 5}}}',
    '{"format": 1, "workspace": ["x"], "entries": {}}',
    "null",
    "{not json",
])
@pytest.mark.parametrize("command", ["plan", "drift", "apply"])
def test_a_malformed_lock_file_is_one_error_before_any_write(
    cli: Cli, tmp_path: Path, body: str, command: str
) -> None:
    lock = tmp_path / "portkey.lock.json"
    lock.write_text(body)
    extra = ["--auto-approve"] if command == "apply" else []
    run = cli(command, str(EXAMPLE), "--sandbox", "--lock", str(lock), *extra)
    assert run.code == 1
    line = one_error_line(run)
    assert f"lock file {lock}" in line and "delete it, the next apply rewrites it" in line
    assert "internal error" not in line
    assert lock.read_text() == body
