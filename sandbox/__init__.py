"""A local Portkey Admin API for tests and demos: SQLite state, Portkey's behaviour, faults.

    sb = Sandbox(db=":memory:", api_key="sandbox-key")
    httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://sandbox/v1")

This package imports neither `engine` nor `mcp_server`, so client and emulator check each other.
"""

from sandbox.app import Sandbox
from sandbox.faults import FaultRule, Faults
from sandbox.quirks import QUIRKS, QuirkError, Quirks
from sandbox.requestlog import RequestRecord
from sandbox.serve import serve, serve_in_thread

__all__ = [
    "QUIRKS", "FaultRule", "Faults", "QuirkError", "Quirks", "RequestRecord", "Sandbox", "serve", "serve_in_thread",
]
