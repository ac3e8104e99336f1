"""``portkey-admin-mcp`` entry point.

The tools arrive with the MCP issue; until then the command parses its
options, checks the Portkey settings and says plainly that no tools exist yet.
"""

from __future__ import annotations

import argparse
import sys

from engine.portkey.errors import PortkeyConfigError
from engine.portkey.settings import Settings


def parser() -> argparse.ArgumentParser:
    """Command-line options of the MCP server."""
    cli = argparse.ArgumentParser(
        prog="portkey-admin-mcp",
        description="MCP server exposing the Portkey Admin API as tools. Reads PORTKEY_API_KEY "
        "and PORTKEY_BASE_URL from the environment.",
    )
    cli.add_argument("--transport", choices=["stdio", "http"], default="stdio",
                     help="stdio (default) or streamable HTTP")
    cli.add_argument("--sandbox", action="store_true",
                     help="serve against an embedded Portkey sandbox; no Portkey key needed")
    return cli


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = parser().parse_args(argv)
    if not args.sandbox:
        try:
            Settings.from_env()
        except PortkeyConfigError as exc:
            print(f"portkey-admin-mcp: {exc}", file=sys.stderr)
            sys.exit(1)
    print("portkey-admin-mcp: the MCP tools are not built yet (tracked in the MCP issue).",
          file=sys.stderr)
    sys.exit(1)
