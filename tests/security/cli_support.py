"""Support for the CLI security tests: a sandbox whose answers a test can replace, served over HTTP
or in-process, and runners for the real entry point (in-process) and the console script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox import Sandbox
from sandbox.serve import serve_in_thread
from tests.entry_point import Run, run_entry_point

PLANTED_KEY = "pk-planted-7f3a9cDO-NOT-LEAK"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"

@dataclass
class Rule:
    """Answer ``method`` requests whose path (after /v1) matches ``path`` (a regex) with ``body``.

    ``body`` may be a function of the request headers; with ``forward`` the sandbox handles the
    request first (so a write really happens) and only its answer is replaced.
    """

    method: str
    path: str
    status: int
    body: Any
    forward: bool = False

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path.removeprefix("/v1")) is not None


@dataclass
class Tamper:
    """An ASGI app that forwards to a sandbox unless a rule answers; ``before`` hooks see every request."""

    inner: Any
    rules: list[Rule] = field(default_factory=list)
    before: list[Callable[[str, str], None]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        for hook in self.before:
            hook(method, path)
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        if rule is None:
            await self.inner(scope, receive, send)
            return
        if rule.forward:
            async def discard(message: Any) -> None:
                return None

            await self.inner(scope, receive, discard)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = rule.body(headers) if callable(rule.body) else rule.body
        await _send_json(send, rule.status, body)


async def _send_json(send: Any, status: int, body: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": content})


@contextmanager
def served(tamper: Tamper) -> Iterator[str]:
    """Serve ``tamper`` on a loopback port; yields the base URL."""
    with serve_in_thread(SimpleNamespace(app=tamper)) as url:  # type: ignore[arg-type]
        yield url


@contextmanager
def tampered_sandbox() -> Iterator[tuple[Sandbox, Tamper]]:
    """A fresh in-memory sandbox whose key is the planted secret, behind a Tamper."""
    with Sandbox(db=":memory:", api_key=PLANTED_KEY) as sb:
        yield sb, Tamper(sb.app)


class Cli:
    """Runs ``portkey-gitops`` in-process through ``main.run`` (the console-script entry)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str) -> Run:
        return Run(*run_entry_point(self.monkeypatch, self.capsys, *args))

    def against(self, base_url: str) -> None:
        """Point later runs at a real-API-style server with the planted key and no retries."""
        self.monkeypatch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
        self.monkeypatch.setenv("PORTKEY_BASE_URL", base_url)
        self.monkeypatch.setenv("PORTKEY_MAX_RETRIES", "0")


def console_script(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run the installed console script (or ``main.run`` under this interpreter) in a subprocess."""
    exe = Path(sys.executable).with_name("portkey-gitops")
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from engine.cli.main import run; run()"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "NO_COLOR"))}
    environ.update(env or {})
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=environ, cwd=cwd,
                          timeout=120, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def one_error_line(run: Run) -> str:
    """The single ``Error:`` line of a run (asserting there is exactly one and no traceback)."""
    assert "Traceback" not in run.text, run.err
    lines = [line for line in run.err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, run.err
    return lines[0]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The in-process CLI with a private sandbox file and no PORTKEY_* settings inherited."""
    for name in list(os.environ):
        if name.startswith("PORTKEY_") or name == "NO_COLOR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    return Cli(monkeypatch, capsys)
