"""Each resource kind lives in its own module under engine/gitops/kinds/; nothing else names a kind.

A module outside the package that tests ``ResourceKind.PROMPT`` (or any member) by name is a switch the
kind object should answer instead. ``STILL_SWITCHING`` lists the modules not converted yet; it only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

from engine.gitops.kinds import KINDS, Kind
from engine.gitops.model import ResourceKind

ROOT = Path(__file__).resolve().parents[2]
KIND_PACKAGE = ROOT / "engine" / "gitops" / "kinds"
MEMBERS = {member.name for member in ResourceKind}

# Modules (relative to the repository root) that still name a kind: none since every consumer asks the kind
# object. Keep it empty; a module named here would have to explain why it cannot ask the kind.
STILL_SWITCHING: set[str] = set()


def named_kinds(source: str) -> list[tuple[int, str]]:
    """(line, member) of every ``ResourceKind.<MEMBER>`` in ``source``."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        and node.value.id == "ResourceKind" and node.attr in MEMBERS
    ]


def switching_modules() -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for package in ("engine", "mcp_server"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if KIND_PACKAGE in path.parents:
                continue
            hits = named_kinds(path.read_text(encoding="utf-8"))
            if hits:
                found[path.relative_to(ROOT).as_posix()] = hits
    return found


def test_no_module_outside_the_kind_package_names_a_kind() -> None:
    found = switching_modules()
    new = {module: hits for module, hits in found.items() if module not in STILL_SWITCHING}
    assert not new, f"ask the kind object (engine.gitops.kinds.KINDS) instead of naming a kind: {new}"


def test_the_allow_list_names_only_modules_that_still_switch() -> None:
    stale = STILL_SWITCHING - set(switching_modules())
    assert not stale, f"these modules no longer name a kind; remove them from STILL_SWITCHING: {sorted(stale)}"


def test_the_scan_sees_a_planted_switch() -> None:
    assert named_kinds("if kind is ResourceKind.PROMPT:\n    pass\n") == [(1, "PROMPT")]
    assert named_kinds("ResourceKind(kind)\nkinds.KINDS[kind]\n") == []


def test_every_kind_has_its_own_module_and_one_object_in_the_table() -> None:
    assert list(KINDS) == list(ResourceKind)
    for kind, obj in KINDS.items():
        assert isinstance(obj, Kind) and obj.kind is kind
        assert (KIND_PACKAGE / f"{kind.value}.py").is_file(), kind
        assert type(obj).__module__ == f"engine.gitops.kinds.{kind.value}", kind
