"""Opening a Portkey client: the real API from PORTKEY_* variables, or the embedded sandbox."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from engine.portkey import PortkeyClient, Secret, Settings

SANDBOX_KEY = "sandbox-key"
ENV_SANDBOX_DB = "PORTKEY_SANDBOX_DB"
DEFAULT_SANDBOX_DB = Path(".portkey") / "sandbox.sqlite3"


def sandbox_db_path(explicit: Path | None) -> Path:
    """Where the embedded sandbox keeps its state: --sandbox-db, $PORTKEY_SANDBOX_DB or .portkey/."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_SANDBOX_DB)
    return Path(from_env) if from_env else DEFAULT_SANDBOX_DB


@asynccontextmanager
async def open_client(*, sandbox: bool, sandbox_db: Path | None = None) -> AsyncIterator[PortkeyClient]:
    """Yield a client; with ``sandbox`` the requests go in-process to a sandbox on a local file."""
    if not sandbox:
        async with PortkeyClient(Settings.from_env()) as client:
            yield client
        return
    from sandbox import Sandbox

    path = sandbox_db_path(sandbox_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    emulator = Sandbox(db=str(path), api_key=SANDBOX_KEY)
    try:
        transport = httpx.ASGITransport(app=emulator.app)
        settings = Settings(api_key=Secret(SANDBOX_KEY), base_url="http://127.0.0.1/v1")
        async with PortkeyClient(settings, transport=transport) as client:
            yield client
    finally:
        emulator.close()
