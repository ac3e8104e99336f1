"""What a GitHub Actions step knows: its inputs (``INPUT_*``) and GitHub's own variables and event."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ENV_NAME = "default"
MAX_EVENT_BYTES = 16 * 1024 * 1024
_TRUE = ("1", "true", "yes", "on")


class ContextError(Exception):
    """GitHub's environment is missing or wrong; the message says what to set."""


def flag(value: str | None) -> bool:
    """An action input read as a boolean (``true``/``false`` as GitHub passes them)."""
    return (value or "").strip().lower() in _TRUE


@dataclass
class Inputs:
    """The action's inputs, as the composite step passes them in ``INPUT_*`` variables."""

    project: Path = Path(".")
    env: str | None = None
    sandbox: bool = False
    lock: Path | None = None
    prune: bool = False
    allow_mass_delete: bool = False
    replan_on_merge: bool = False
    allow_dirty: bool = False
    behaviour: str | None = None  # switches the workflow pins (PORTKEY_GITOPS_BEHAVIOUR's "name=value,…" form)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Inputs:
        lock = environ.get("INPUT_LOCK", "").strip()
        return cls(
            project=Path(environ.get("INPUT_PROJECT", "").strip() or "."),
            env=environ.get("INPUT_ENV", "").strip() or None,
            sandbox=flag(environ.get("INPUT_SANDBOX")),
            lock=Path(lock) if lock else None,
            prune=flag(environ.get("INPUT_PRUNE")),
            allow_mass_delete=flag(environ.get("INPUT_ALLOW_MASS_DELETE")),
            replan_on_merge=flag(environ.get("INPUT_REPLAN_ON_MERGE")),
            allow_dirty=flag(environ.get("INPUT_ALLOW_DIRTY")),
            behaviour=environ.get("INPUT_BEHAVIOUR", "").strip() or None,
        )


@dataclass
class Context:
    """GitHub's side of one step: event, repository, API, run, and where outputs go."""

    inputs: Inputs
    event_name: str = ""
    event: dict[str, Any] = field(default_factory=dict)
    repository: str = ""
    sha: str = ""
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: str = ""
    output_path: Path | None = None
    summary_path: Path | None = None
    temp: Path = Path(".")
    token: str = ""
    has_api_key: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Context:
        environ = os.environ if environ is None else environ
        output = environ.get("GITHUB_OUTPUT", "")
        summary = environ.get("GITHUB_STEP_SUMMARY", "")
        temp = environ.get("RUNNER_TEMP", "") or environ.get("TMPDIR", "") or "/tmp"
        return cls(
            inputs=Inputs.from_env(environ),
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            event=read_event(environ.get("GITHUB_EVENT_PATH", "")),
            repository=environ.get("GITHUB_REPOSITORY", ""),
            sha=environ.get("GITHUB_SHA", ""),
            api_url=(environ.get("GITHUB_API_URL", "") or "https://api.github.com").rstrip("/"),
            server_url=(environ.get("GITHUB_SERVER_URL", "") or "https://github.com").rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID", ""),
            output_path=Path(output) if output else None,
            summary_path=Path(summary) if summary else None,
            temp=Path(temp),
            token=environ.get("GITHUB_TOKEN", "").strip(),
            has_api_key=bool(environ.get("PORTKEY_API_KEY", "").strip()),
        )

    @property
    def env_name(self) -> str:
        """The environment's name in markers, artifact names and titles (``default`` without an overlay)."""
        return self.inputs.env or DEFAULT_ENV_NAME

    @property
    def artifact_name(self) -> str:
        return f"portkey-plan-{safe_name(self.env_name)}"

    @property
    def run_url(self) -> str:
        if not (self.repository and self.run_id):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def pull_request(self) -> dict[str, Any]:
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, dict) else {}

    @property
    def pr_number(self) -> int | None:
        number = self.pull_request.get("number", self.event.get("number"))
        return number if isinstance(number, int) and number > 0 else None

    @property
    def is_fork(self) -> bool:
        """A pull request whose head is another repository (or a deleted fork): its code is untrusted."""
        if not self.pull_request:
            return False
        head_repo = (self.pull_request.get("head") or {}).get("repo")
        if not isinstance(head_repo, dict):
            return True
        base_repo = (self.pull_request.get("base") or {}).get("repo") or {}
        base = base_repo.get("full_name") or self.repository
        return head_repo.get("full_name") != base

    @property
    def head_sha(self) -> str:
        return str((self.pull_request.get("head") or {}).get("sha") or self.sha)


def safe_name(text: str) -> str:
    """``text`` reduced to characters safe in an artifact name, a marker and a file name."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)[:80] or DEFAULT_ENV_NAME


def read_event(path: str) -> dict[str, Any]:
    """The webhook payload GitHub wrote for this run ({} without one)."""
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise ContextError(f"cannot read the event payload GITHUB_EVENT_PATH: {exc.strerror}") from None
    if len(raw) > MAX_EVENT_BYTES:
        raise ContextError("the event payload GITHUB_EVENT_PATH is larger than 16 MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ContextError("the event payload GITHUB_EVENT_PATH is not JSON") from None
    return data if isinstance(data, dict) else {}
