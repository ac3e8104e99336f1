"""tools/list, one snapshot file per tool (tests/mcp_server/toolsnaps/<tool>.json), as a client receives it.

Each file also holds the tool's catalogue kind (``x-catalogue-kind``), which is not on the wire: a write by
POST and a W$ tool (spends tokens), or a write by PUT and a D tool, send the same four hints, so only this
line shows such a change. A changed name, title, description, annotation, input or output schema or kind
fails with a diff naming the tool; review it, then regenerate with
``UPDATE_TOOLSNAPS=1 .venv/bin/python -m pytest tests/mcp_server/test_toolsnaps.py``
(this writes every snapshot and removes those of tools that are gone).
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_server.registry import build_registry
from mcp_server.server import META_TOOLS

pytestmark = pytest.mark.anyio

SNAPS = Path(__file__).resolve().parent / "toolsnaps"
SWITCH = "UPDATE_TOOLSNAPS"
KIND = "x-catalogue-kind"


def catalogue_kinds() -> dict[str, str]:
    """Every tool's kind: the catalogue's (R, W, D, W$, L), M for the server's meta tools."""
    return {**{name: spec.kind for name, spec in build_registry().specs.items()}, **dict.fromkeys(META_TOOLS, "M")}


def snapshot_text(tool: Any, kind: str) -> str:
    """The tool as tools/list sends it (wire names, no empty fields) plus its kind, as stable JSON."""
    wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps({**wire, KIND: kind}, indent=2, sort_keys=True) + "\n"


def snapshots(tools: list[Any], kinds: dict[str, str]) -> dict[str, str]:
    """Tool name -> snapshot text; a tool listed twice fails here."""
    current = {tool.name: snapshot_text(tool, kinds[tool.name]) for tool in tools}
    assert len(current) == len(tools), "a tool name is listed twice"
    return current


def snapshot_problems(snaps: Path, current: dict[str, str]) -> list[str]:
    """What differs between the snapshot files in ``snaps`` and ``current`` (tool name -> snapshot text)."""
    stored = {path.stem: path.read_text() for path in sorted(snaps.glob("*.json"))}
    problems = [f"{name}: tool is gone (its snapshot remains)" for name in stored if name not in current]
    problems += [f"{name}: new tool without a snapshot" for name in current if name not in stored]
    for name in sorted(stored.keys() & current.keys()):
        if stored[name] != current[name]:
            diff = difflib.unified_diff(
                stored[name].splitlines(), current[name].splitlines(), "snapshot", "now", lineterm="", n=1
            )
            problems.append(f"{name}: changed\n" + "\n".join(list(diff)[:40]))
    return problems


def write_snapshots(snaps: Path, current: dict[str, str]) -> None:
    snaps.mkdir(exist_ok=True)
    for path in snaps.glob("*.json"):
        if path.stem not in current:
            path.unlink()
    for name, text in current.items():
        path = snaps / f"{name}.json"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


async def test_every_tool_matches_its_snapshot(client: Client) -> None:
    current = snapshots((await client.list_tools()).tools, catalogue_kinds())
    if os.environ.get(SWITCH) == "1":
        write_snapshots(SNAPS, current)
    problems = snapshot_problems(SNAPS, current)
    assert not problems, f"tools/list differs from {SNAPS.name}/ (review, then rerun with {SWITCH}=1):\n" + (
        "\n".join(problems)
    )


def test_the_check_names_a_changed_gone_and_new_tool(tmp_path: Path) -> None:
    current = {name: (SNAPS / f"{name}.json").read_text() for name in ("get_prompt", "delete_prompt", "list_configs")}
    write_snapshots(tmp_path, current)
    assert snapshot_problems(tmp_path, current) == []
    prompt = json.loads(current["get_prompt"])
    prompt["inputSchema"]["properties"].pop(next(iter(prompt["inputSchema"]["properties"])))
    changed = {**current, "get_prompt": json.dumps(prompt, indent=2, sort_keys=True) + "\n", "new_tool": "{}\n"}
    del changed["delete_prompt"]
    problems = snapshot_problems(tmp_path, changed)
    assert [p.split("\n")[0] for p in problems] == [
        "delete_prompt: tool is gone (its snapshot remains)",
        "new_tool: new tool without a snapshot",
        "get_prompt: changed",
    ]
    assert "\n-" in problems[2]  # the diff shows the dropped parameter


async def test_a_changed_kind_shows_where_the_hints_do_not(client: Client) -> None:
    """run_prompt_completion (W$) and create_prompt (W by POST) send the same hints; their kinds still differ."""
    tools = (await client.list_tools()).tools
    hints = {t.name: t.annotations.model_dump(exclude={"title"}) for t in tools if t.annotations}
    assert hints["run_prompt_completion"] == hints["create_prompt"]
    problems = snapshot_problems(SNAPS, snapshots(tools, {**catalogue_kinds(), "run_prompt_completion": "W"}))
    assert [p.split("\n")[0] for p in problems] == ["run_prompt_completion: changed"]
    assert f'-  "{KIND}": "W$"' in problems[0] and f'+  "{KIND}": "W"' in problems[0]
