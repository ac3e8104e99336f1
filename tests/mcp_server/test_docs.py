"""README.md (MCP section): the toolset table is generated from the registry (UPDATE_SNAPSHOTS=1 rewrites it)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mcp_server.main import parser
from mcp_server.registry import build_registry
from mcp_server.server import META_TOOLS

DOC = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- toolsets:start -->", "<!-- toolsets:end -->"


def toolset_table() -> str:
    registry = build_registry()
    lines = ["| Toolset | Tools | Read-only | Writes | Destructive | Examples |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    total = 0
    for toolset in sorted(registry.toolsets):
        specs = registry.in_toolset(toolset)
        total += len(specs)
        reads = sum(s.read_only for s in specs)
        destructive = sum(s.destructive for s in specs)
        writes = len(specs) - reads - destructive
        examples = ", ".join(f"`{s.name}`" for s in specs[:3])
        lines.append(f"| `{toolset}` | {len(specs)} | {reads} | {writes} | {destructive} | {examples} |")
    lines.append(f"| always on | {len(META_TOOLS)} | | | | {', '.join(f'`{n}`' for n in META_TOOLS)} |")
    lines.append(f"| **total** | **{total + len(META_TOOLS)}** | | | | |")
    return "\n".join(lines)


def test_toolset_table_is_current() -> None:
    text = DOC.read_text()
    block = f"{START}\n{toolset_table()}\n{END}"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        DOC.write_text(text)
    assert block in text, "README.md toolset table is stale: run with UPDATE_SNAPSHOTS=1"


def test_every_flag_and_variable_is_documented() -> None:
    text = DOC.read_text()
    for action in parser()._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert f"`{flag}" in text, flag
    for variable in ("PORTKEY_API_KEY", "PORTKEY_BASE_URL", "PORTKEY_MCP_READ_ONLY", "PORTKEY_MCP_TOOLSETS",
                     "PORTKEY_MCP_TOOLS", "PORTKEY_MCP_EXCLUDE_TOOLS", "PORTKEY_MCP_CONFIRM_DESTRUCTIVE",
                     "PORTKEY_REQUIRED_METADATA", "MCP_AUTH_TOKEN", "PORTKEY_MCP_LOG_LEVEL"):
        assert variable in text, variable


def test_readme_names_exactly_the_operations_whose_answers_are_normalised() -> None:
    from engine.portkey import OPERATIONS

    text = DOC.read_text()
    bullet = text[text.index("- **Results** are Portkey's JSON") :]
    bullet = bullet[: bullet.index("\n- **")]
    names = {op.name for op in OPERATIONS}
    named = set(re.findall(r"`([a-z_]+)`", bullet)) & names
    normalised = {op.name for op in OPERATIONS if op.normalize is not None}
    assert named == normalised, f"README misses {normalised - named}, names {named - normalised} needlessly"
    assert f"The answers of {len(normalised)}" in " ".join(bullet.split())
