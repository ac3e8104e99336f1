"""Support for the hostile-checkout tests: a CI runner (tests.ci.conftest) whose sandbox moves listing stamps,
git for the checkout, local (non-CI) runs of the console script, and a forged warm-plan cache.

The forgery is what a pull-request author with read access to the account can write: the listing entry of
each object is public to them, so the ``listed`` hash of a cache entry matches the account while the
``object`` beside it says whatever they like."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx

from engine.gitops.cache import CACHE_DIR
from engine.portkey import PortkeyClient, Secret, Settings
from sandbox import Sandbox
from tests.ci.conftest import BIN, Runner

MOVES = "listing_stamp=moves"
TRIAGE = "prompt:support/triage"


class HostileRunner(Runner):
    """A runner whose sandbox account moves listing stamps (so a warm-plan cache is legitimate there) and whose
    environment a test can extend (the workflow's ``env:``)."""

    def __init__(self, tmp: Path, api_url: str) -> None:
        super().__init__(tmp, api_url)
        self.extra: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {**super().env(), "PORTKEY_SANDBOX_QUIRKS": MOVES, **self.extra}

    def local(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """The console script on a developer's machine (no CI variables) under ``bash --noprofile --norc``."""
        environ = {k: v for k, v in self.env().items() if k not in ("CI", "GITHUB_ACTIONS")}
        environ.update(env or {})
        line = " ".join(["portkey-gitops", *(_quote(a) for a in args)])
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", line], cwd=self.workspace,
                              env=environ, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-c", "user.name=mallory", "-c", "user.email=m@example.com", *args],
                              cwd=self.workspace, check=True, capture_output=True, text=True)
        return done.stdout

    def commit_all(self, message: str = "pr") -> None:
        """Commit everything, force-adding git-ignored files (what ``git add -f`` lets a PR author do)."""
        if not (self.workspace / ".git").exists():
            self.git("init", "-q")
        self.git("add", "-A", "-f")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def cache_files(self) -> list[Path]:
        return sorted((self.project / CACHE_DIR).glob("live-*.json"))

    def doctor(self, **switches: str) -> Path:
        path = self.project / ".portkey" / "doctor.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"format": 1, "switches": switches}))
        return path


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def portkey(runner: Runner, work: Any) -> Any:
    """Run ``work(client)`` against the runner's sandbox database (someone using Portkey's app)."""
    async def go() -> Any:
        sb = Sandbox(db=str(runner.sandbox_db), api_key="k", quirks={"listing_stamp": "moves"})
        settings = Settings(api_key=Secret("k"), base_url="http://127.0.0.1/v1")
        try:
            async with PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app)) as client:
                return await work(client)
        finally:
            sb.close()

    return anyio.run(go)


def edit_triage(runner: Runner, text: str) -> None:
    """A new version of the triage prompt made in Portkey's app (outside git)."""
    async def edit(client: PortkeyClient) -> None:
        listed = await client.list_prompts()
        prompts = listed if isinstance(listed, list) else listed["data"]
        triage = next(p for p in prompts if "triage" in p["name"])
        await client.update_prompt(prompt_id=triage["id"], body={"string": text, "patch": True})

    portkey(runner, edit)


def forge(honest: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """A cache whose ``listed`` hashes are the account's now (from ``current``) and whose objects are those of
    ``honest`` (what the account held when it matched git): every object looks unchanged since then."""
    entries = {}
    for key, entry in current["entries"].items():
        entries[key] = {**entry, "object": honest["entries"].get(key, entry)["object"]}
    return {**current, "entries": entries}


def environment_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


BIN_PATH = BIN
