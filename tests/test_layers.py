"""The layer rules (import-linter contracts in pyproject.toml) hold, and each one fails on a planted import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "mcp_server", "sandbox", "portkey_catalogue")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the packages found in ``cwd`` with the contracts of ``cwd/pyproject.toml``."""
    tool = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    return subprocess.run(
        [tool, "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "1000"},
        timeout=120,
    )


def test_the_repository_keeps_every_layer_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the three packages and the contracts, to plant bad imports in."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.tsv", "*.json"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


# (file, planted line, the contract it breaks, the import lint-imports must name)
PLANTS = [
    (
        "engine/portkey/errors.py",
        "import engine.cli.exits",
        "engine.portkey imports nothing else of ours",
        "engine.portkey.errors -> engine.cli.exits",
    ),
    (
        "engine/portkey/paging.py",
        "import engine.gitops.model",
        "engine.portkey imports nothing else of ours",
        "engine.portkey.paging -> engine.gitops.model",
    ),
    (
        "engine/gitops/plan.py",
        "import sandbox",
        "engine.gitops does not import engine.cli, mcp_server or sandbox",
        "engine.gitops.plan -> sandbox",
    ),
    (
        "engine/gitops/apply.py",
        "from engine.cli import terminal",
        "engine.gitops does not import engine.cli, mcp_server or sandbox",
        "engine.gitops.apply -> engine.cli",
    ),
    ("sandbox/ids.py", "import engine.redaction", "sandbox imports nothing of ours", "sandbox.ids -> engine.redaction"),
    (
        "portkey_catalogue/__init__.py",
        "import engine.portkey.operation",
        "the operation table (portkey_catalogue",
        "portkey_catalogue -> engine.portkey.operation",
    ),
    (
        "engine/ci/report.py",
        "import mcp_server.errors",
        "the engine never imports the MCP server",
        "engine.ci.report -> mcp_server.errors",
    ),
    (
        "mcp_server/server.py",
        "from sandbox import store",
        "only engine.cli and mcp_server.main may start a sandbox",
        "mcp_server.server -> sandbox",
    ),
]


@pytest.mark.parametrize(("file", "line", "contract", "named"), PLANTS, ids=[p[0] + ":" + p[1] for p in PLANTS])
def test_a_planted_import_breaks_its_contract(copy: Path, file: str, line: str, contract: str, named: str) -> None:
    path = copy / file
    original = path.read_text()
    path.write_text(original + f"\n{line}  # planted by tests/test_layers.py\n")
    try:
        result = lint_imports(copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout + result.stderr
    verdicts = [text for text in result.stdout.splitlines() if text.startswith(contract)]
    assert verdicts and " BROKEN" in verdicts[0], result.stdout
    assert named in result.stdout, result.stdout
