"""``mypy --strict`` is clean on the product's typed packages (the client's methods are a generated, checked-in
surface, so a call with a wrong argument is caught here rather than at run time)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TYPED = ("engine", "mcp_server", "portkey_catalogue")


def mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_mypy_strict_is_clean() -> None:
    result = mypy("--strict", *TYPED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_catches_a_wrong_client_call(tmp_path: Path) -> None:
    """The check has teeth: a call of a generated client method with a wrong argument name fails."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from engine.portkey import PortkeyClient\n\n\n"
        "async def use(client: PortkeyClient) -> None:\n"
        "    await client.get_prompt(prompt_idd='x')\n"
    )
    result = mypy("--strict", str(planted))
    assert result.returncode == 1 and "prompt_idd" in result.stdout, result.stdout + result.stderr
