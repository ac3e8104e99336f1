"""Benchmark: process start to a served ``tools/list`` (full catalogue), against the SDK's own import.

    python bench/mcp_startup.py [--runs 15]

Alternates, run by run so both see the same machine load:

* baseline: ``python -c "from mcp.server import MCPServer"`` (process start to exit);
* server: ``python -m mcp_server`` over stdio, from process start until the answer to
  ``tools/list`` (after ``initialize``) has been read in full.

Prints both medians and their ratio (the issue-11 target is a ratio of at most 1.25). The server
gets a dummy ``PORTKEY_API_KEY``; listing tools never calls Portkey.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "0"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def _line(message: dict[str, object]) -> bytes:
    return (json.dumps(message) + "\n").encode()


def baseline() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from mcp.server import MCPServer"], check=True)
    return time.perf_counter() - start


def server() -> tuple[float, int, int]:
    """Seconds to a served tools/list, the number of tools and the answer's size in bytes."""
    env = {**os.environ, "PORTKEY_API_KEY": "bench-dummy-key", "PORTKEY_BASE_URL": "http://127.0.0.1:9/v1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mcp_server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_line(INIT) + _line(INITIALIZED) + _line(LIST))
    proc.stdin.flush()
    try:
        for raw in proc.stdout:
            message = json.loads(raw)
            if message.get("id") == 2:
                elapsed = time.perf_counter() - start
                return elapsed, len(message["result"]["tools"]), len(raw)
        raise RuntimeError("the server closed stdout before answering tools/list")
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait()


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--runs", type=int, default=15)
    runs = cli.parse_args().runs
    base, served = [], []
    tools = size = 0
    server()  # warm the file cache and byte-code
    for _ in range(runs):
        base.append(baseline())
        elapsed, tools, size = server()
        served.append(elapsed)
    b, s = statistics.median(base), statistics.median(served)
    print(f"runs: {runs}")
    print(f"baseline  python -c 'from mcp.server import MCPServer'  median {b:.3f} s  (min {min(base):.3f})")
    print(f"server    start -> tools/list ({tools} tools, {size:,} B)  median {s:.3f} s  (min {min(served):.3f})")
    print(f"ratio     {s / b:.2f}  (target <= 1.25)")


if __name__ == "__main__":
    main()
