"""An account served over real HTTP (uvicorn on 127.0.0.1), the CLI pointed at it, and its request log."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from engine.cli import main
from sandbox import Sandbox
from sandbox.serve import serve_in_thread

KEY = "sandbox-adopt-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Account:
    """The served sandbox, its base URL and a raw HTTP client on it (the way a user's script makes objects)."""

    sandbox: Sandbox
    url: str
    http: httpx.Client

    def writes(self) -> list[str]:
        """Every write request the sandbox saw since the last :meth:`forget`."""
        return [f"{r.method} {r.path}" for r in self.sandbox.requests() if r.method in WRITES]

    def forget(self) -> None:
        self.sandbox.reset_requests()

    def call(self, method: str, path: str, body: object | None = None) -> dict:
        answer = self.http.request(method, path.lstrip("/"), json=body)
        assert answer.status_code < 300, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else {}


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    with Sandbox(db=":memory:", api_key=KEY) as sb, serve_in_thread(sb) as url:
        monkeypatch.setenv("PORTKEY_API_KEY", KEY)
        monkeypatch.setenv("PORTKEY_BASE_URL", url)
        with httpx.Client(base_url=url + "/", headers={"x-portkey-api-key": KEY}, timeout=10) as http:
            yield Account(sb, url, http)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The real entry point (in-process)."""

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["portkey-gitops", *map(str, args)])
        code = 0
        try:
            main.run()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
