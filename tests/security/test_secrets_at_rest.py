"""No secret value is written down in the files the engine leaves in the project or hands to CI: the warm-plan
cache, ``.portkey/doctor.json``, the lock file and the saved plan (``plan --out``, the CI artifact's plan.json
and plan.md). The secrets are the API key (planted in a real-API-style sandbox served over HTTP) and provider
keys in a config and a guardrail, one of which a partial also quotes word for word (so Portkey holds it)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.gitops.cache import CACHE_DIR
from tests.ci.conftest import API_KEY, github  # noqa: F401  (fixture)
from tests.ci.fake_github import FakeGitHub
from tests.gitops.test_secrets import ENV, SECRETS, with_secrets
from tests.security.cli_support import PLANTED_KEY, console_script, served, tampered_sandbox
from tests.security.hostile_support import HostileRunner

QUOTED = "partials/tone-of-voice.partial.md"


def written(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones included), as text."""
    return {str(p.relative_to(root)): p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()}


def assert_no_secret(files: dict[str, str], secrets: tuple[str, ...]) -> None:
    for name, text in files.items():
        for secret in secrets:
            assert secret not in text, f"{name} holds a secret value"


def test_cache_lock_doctor_and_saved_plan_hold_no_secret(project: Path, tmp_path: Path) -> None:
    with_secrets(project)
    quoted = project / QUOTED  # Portkey will hold the key too
    quoted.write_text(quoted.read_text() + f"Never print the key {ENV['OPENAI_KEY']}.\n")
    (project / ".portkey").mkdir(exist_ok=True)
    (project / ".portkey/doctor.json").write_text(json.dumps({"format": 1, "switches": {"listing_stamp": "moves"}}))
    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        sb.quirks = {"listing_stamp": "moves"}
        env = {"PORTKEY_API_KEY": PLANTED_KEY, "PORTKEY_BASE_URL": url, "PORTKEY_MAX_RETRIES": "0", **ENV}
        lock, saved = project / ".portkey/lock.json", tmp_path / "plan.json"
        applied = console_script("apply", str(project), "--auto-approve", "--lock", str(lock), env=env)
        assert applied.code == 0, applied.text
        time.sleep(0.05)  # the cache keeps objects whose stamps have settled (1 ms resolution here)
        planned = console_script("plan", str(project), "--out", str(saved), "--lock", str(lock), env=env)
        assert planned.code == 0, planned.text
        [cache] = sorted((project / CACHE_DIR).glob("live-*.json"))
        entries = json.loads(cache.read_text())["entries"]
        assert any(key.startswith("prompt:") for key in entries)  # the cache was written...
        partials = [key for key in entries if key.startswith("partial:")]
        assert len(partials) == 1  # ...without the partial that quotes a secret (the other one is there)
        doctor = console_script("doctor", str(project), env=env)
        assert doctor.code in (0, 1), doctor.text
        assert (project / ".portkey/doctor.json").exists()
        files = {**written(project / ".portkey"), "plan.json": saved.read_text()}
        assert set(files) >= {"lock.json", "doctor.json", "plan.json", f"cache/{cache.name}"}
        assert_no_secret(files, (*SECRETS, PLANTED_KEY))
        assert_no_secret({"terminal": applied.text + planned.text + doctor.text}, (*SECRETS, PLANTED_KEY))


@pytest.fixture
def runner(tmp_path: Path, github: tuple[FakeGitHub, str]) -> HostileRunner:  # noqa: F811
    return HostileRunner(tmp_path, github[1])


def test_the_ci_plan_artifact_holds_no_secret(runner: HostileRunner) -> None:
    with_secrets(runner.project)
    runner.extra = dict(ENV)
    result = runner.run("plan", env="dev", api_key=API_KEY)
    assert result.code == 0, result.stdout + result.stderr
    artifact = Path(result.outputs["plan_json"]).parent
    files = written(artifact)
    assert set(files) == {"plan.json", "plan.md"}
    assert "config:support-routing" in files["plan.md"]  # the config holding both secrets was planned
    assert_no_secret({**files, "everything": result.everything()}, (*SECRETS, API_KEY))
