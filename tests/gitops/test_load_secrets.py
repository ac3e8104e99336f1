"""${secret:NAME}: kept as references in specs, paths recorded, resolved only by resolve_secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.load import MissingSecretError, resolve_secrets
from tests.gitops.fixtures import ENVIRON, VALID, load, messages

HINT = (
    "a secret field (one named like key, secret, token, password, credential, authorization or service account, "
    "e.g. api_key, azure_entra_client_secret) in a config or a guardrail"
)
FIX = "write ${secret:NAME}, list NAME under secrets: in portkey.yaml and set NAME in the environment"


def declaring(*names: str) -> dict[str, str]:
    """A portkey.yaml declaring ``names`` under secrets:."""
    return {"portkey.yaml": f"version: 1\nsecrets: [{', '.join(names)}]\n"}

CONFIG = """\
config:
  targets:
    - provider: bedrock
      aws_access_key_id: ${secret:AWS_ID}
      aws_secret_access_key: "${secret:AWS_SECRET}"
    - {provider: openai, api_key: "${secret:OPENAI}", override_params: {token: null}}
"""


def test_secrets_stay_references_with_paths_recorded(tmp_path: Path) -> None:
    environ = {"AWS_ID": "AKIA1", "AWS_SECRET": "s3cr3t", "OPENAI": "sk-1"}
    state = load(tmp_path, {**declaring("AWS_ID", "AWS_SECRET", "OPENAI"), "configs/c.config.yaml": CONFIG},
                 environ=environ)
    assert messages(state) == []
    config = state.resources["config:c"]
    assert config.secrets == {
        "config.targets.0.aws_access_key_id",
        "config.targets.0.aws_secret_access_key",
        "config.targets.1.api_key",
    }
    assert config.spec["config"]["targets"][0]["aws_secret_access_key"] == "${secret:AWS_SECRET}"
    assert "s3cr3t" not in repr(state)
    resolved = resolve_secrets(config, environ)
    assert resolved["config"]["targets"][0] == {
        "provider": "bedrock",
        "aws_access_key_id": "AKIA1",
        "aws_secret_access_key": "s3cr3t",
    }
    assert resolved["config"]["targets"][1]["api_key"] == "sk-1"
    assert config.spec["config"]["targets"][1]["api_key"] == "${secret:OPENAI}"  # a copy was resolved


def test_guardrail_secret_paths(tmp_path: Path) -> None:
    state = load(tmp_path, {}, base=VALID, environ=ENVIRON)
    guardrail = state.resources["guardrail:pii"]
    assert guardrail.secrets == {"checks.0.parameters.credentials.api_key"}
    resolved = resolve_secrets(guardrail, ENVIRON)
    assert resolved["checks"][0]["parameters"]["credentials"] == {"api_key": "pii-secret"}


def test_missing_secret_is_named(tmp_path: Path) -> None:
    config = "config:\n  api_key: ${secret:OPENAI_KEY}\n"
    state = load(tmp_path, {**declaring("OPENAI_KEY"), "configs/c.config.yaml": config})
    assert messages(state) == [
        "configs/c.config.yaml:2:12: error: environment variable OPENAI_KEY is not set "
        "(needed by ${secret:OPENAI_KEY}): export it before planning or applying"
    ]
    with pytest.raises(MissingSecretError, match=r"OPENAI_KEY is not set \(needed by config:c at config.api_key"):
        resolve_secrets(state.resources["config:c"], {})


def test_literal_secret_is_refused(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "configs/c.config.yaml": "config:\n  api_key: sk-live-123\n  password: 'Bearer ${secret:X}'\n",
        },
        environ={"X": "x"},
    )
    assert messages(state) == [
        f"configs/c.config.yaml:2:12: error: 'api_key' holds a literal secret: {FIX}",
        f"configs/c.config.yaml:3:13: error: 'password' must be exactly ${{secret:NAME}}, not part of a longer "
        f"string: {FIX}",
    ]


def test_secret_outside_a_secret_field_is_refused(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "configs/c.config.yaml": "config:\n  provider: ${secret:X}\n",
            "prompts/p.prompt.yaml": "virtual_key: ${secret:X}\ntemplate: 'Key ${secret:X}'\n",
            "guardrails/g.guardrail.yaml": "checks: [{id: x, name: '${secret:X}'}]\nactions: {}\n",
        },
        environ={"X": "x"},
    )
    assert messages(state) == [
        f"prompts/p.prompt.yaml:1:14: error: ${{secret:…}} is allowed only as the whole value of {HINT}",
        f"prompts/p.prompt.yaml:2:11: error: ${{secret:…}} is not allowed in prose (template); "
        f"secrets belong in {HINT}",
        f"guardrails/g.guardrail.yaml:1:24: error: ${{secret:…}} is allowed only as the whole value of {HINT}",
        f"configs/c.config.yaml:2:13: error: ${{secret:…}} is allowed only as the whole value of {HINT}",
    ]


def test_secret_name_must_be_an_environment_variable_name(tmp_path: Path) -> None:
    state = load(tmp_path, {"configs/c.config.yaml": "config: {token: '${secret:my-key}'}\n"})
    assert messages(state) == [
        "configs/c.config.yaml:1:17: error: invalid secret name 'my-key': use letters, digits and '_' "
        "(an environment variable name)"
    ]


def test_binding_does_not_make_a_secret(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "portkey.yaml": "version: 1\nbindings: {key: sk-123}\n",
            "configs/c.config.yaml": "config: {api_key: '${binding:key}'}\n",
        },
    )
    assert messages(state) == [
        "configs/c.config.yaml:1:19: error: 'api_key' cannot come from a binding (bindings are committed to "
        f"git): {FIX}"
    ]
