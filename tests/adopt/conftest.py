"""An account served over real HTTP (uvicorn on 127.0.0.1), the CLI pointed at it, and its request log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox
from sandbox.serve import serve_in_thread
from tests.entry_point import Run, run_cli

KEY = "sandbox-adopt-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


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

    def per_user_limit(self) -> str:
        """The API path of the example project's per-user rate limit."""
        listed = self.call("GET", "/policies/rate-limits")
        rows = listed["data"] if isinstance(listed, dict) else listed
        return "/policies/rate-limits/" + next(r["id"] for r in rows if "per-user" in str(r.get("name")))


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    with Sandbox(db=":memory:", api_key=KEY) as sb, serve_in_thread(sb) as url:
        monkeypatch.setenv("PORTKEY_API_KEY", KEY)
        monkeypatch.setenv("PORTKEY_BASE_URL", url)
        with httpx.Client(base_url=url + "/", headers={"x-portkey-api-key": KEY}, timeout=10) as http:
            yield Account(sb, url, http)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The real console-script entry point (in-process, tests/entry_point.py) on the served account."""
    return partial(run_cli, monkeypatch, capsys)


@pytest.fixture
def applied(project: Path, account: Account, cli: Callable[..., Run]) -> Path:
    """The example project applied to the account, without a lock file."""
    done = cli("apply", project, "--auto-approve")
    assert done.code == 0, done.err
    return project


@pytest.fixture
def locked(project: Path, tmp_path: Path, account: Account, cli: Callable[..., Run]) -> tuple[Path, Path]:
    """The example project applied to the account with a lock file: (project, lock file)."""
    lock = tmp_path / "portkey.lock.json"
    done = cli("apply", project, "--auto-approve", "--lock", lock)
    assert done.code == 0, done.err
    return project, lock
