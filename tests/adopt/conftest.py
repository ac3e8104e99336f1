"""An account served over real HTTP (uvicorn on 127.0.0.1), the CLI pointed at it, and its request log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox
from sandbox.serve import serve_in_thread
from tests.entry_point import run_entry_point

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
    """The real console-script entry point (in-process, tests/entry_point.py)."""

    def run(*args: str) -> Run:
        return Run(*run_entry_point(monkeypatch, capsys, *map(str, args)))

    return run


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
