"""``export`` writes secret-named fields (by schema, any value type) as ``${secret:NAME}`` and never a value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from engine.cli.connect import open_client
from engine.gitops.export import MAX_SECRET_NAME, secret_variable
from engine.gitops.schema import ProjectFile
from engine.redaction import forbidden_secret_name
from tests.entry_point import Run

PLANTED = {
    "api_key": "sk-PLANTED-api-91c2",
    "azure": "azure-PLANTED-secret-55ab",
    "vertex": "-----BEGIN PRIVATE KEY-----PLANTED-vertex-0d9e",
    "header": "Bearer PLANTED-header-7a7a",
    "aws": "aws-PLANTED-secret-3f3f",
    "github": "ghp_PLANTED_github_1234",
    "check": "PLANTED-guard-token-8b8b",
}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REFERENCE = re.compile(r"\$\{secret:([^}]*)\}")


def seed(db: Path) -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "azure-openai", "api_key": PLANTED["api_key"],
             "azure_entra_client_secret": PLANTED["azure"]},
            {"provider": "vertex-ai", "vertex_service_account_json": {"type": "service_account",
                                                                      "private_key": PLANTED["vertex"]}},
            {"provider": "openai", "custom_headers": {"Authorization": PLANTED["header"], "x-trace": "keep-me"}},
            {"provider": "bedrock", "aws_secret_access_key": PLANTED["aws"], "aws_region": "eu-west-1"},
        ],
    }

    async def create() -> None:
        async with open_client(sandbox=True, sandbox_db=db) as client:
            await client.create_config(body={"name": "gitops:vault", "config": config})
            await client.create_config(body={"name": "gitops:github", "config": {"token": PLANTED["github"]}})
            await client.create_config(body={"name": "gitops:1st", "config": {"api_key": PLANTED["api_key"]}})
            await client.create_guardrail(body={
                "name": "gitops:guard", "actions": {"deny": True},
                "checks": [{"id": "default.webhook", "parameters": {"webhookURL": "https://hooks.example",
                                                                    "headers": {"Authorization": PLANTED["check"]}}}],
            })

    anyio.run(create)


def test_secret_fields_of_any_type_are_exported_as_references(
    cli: Callable[..., Run], db: Path, tmp_path: Path
) -> None:
    seed(db)
    target = tmp_path / "out"
    result = cli("export", str(target), "--sandbox")
    assert result.code == 0, result.err

    texts = {str(p.relative_to(target)): p.read_text() for p in target.rglob("*") if p.is_file()}
    everything = "\n".join([*texts.values(), result.out, result.err])
    for value in PLANTED.values():
        assert value not in everything
    assert "PLANTED" not in everything

    yaml = YAML(typ="safe")
    vault = yaml.load(texts["configs/vault.config.yaml"])["config"]["targets"]
    assert REFERENCE.fullmatch(vault[0]["api_key"]) and REFERENCE.fullmatch(vault[0]["azure_entra_client_secret"])
    assert REFERENCE.fullmatch(vault[1]["vertex_service_account_json"])  # the whole object, not only private_key
    assert REFERENCE.fullmatch(vault[2]["custom_headers"]["Authorization"])
    assert vault[2]["custom_headers"]["x-trace"] == "keep-me"
    assert REFERENCE.fullmatch(vault[3]["aws_secret_access_key"]) and vault[3]["aws_region"] == "eu-west-1"

    names = REFERENCE.findall("\n".join(texts.values()))
    assert len(names) == len(set(names)) == 8
    for name in names:
        assert ENV_NAME.fullmatch(name) and not forbidden_secret_name(name)
        assert name in result.out  # listed in "set these variables"
    assert "SECRET_GITHUB_TOKEN" in names and "SECRET_1ST_API_KEY" in names
    assert "VAULT_TARGETS_2_CUSTOM_HEADERS_AUTHORIZATION" in names

    project = yaml.load(texts["portkey.yaml"])
    if "secrets" in ProjectFile.model_fields:
        assert sorted(project["secrets"]) == sorted(names)
    else:  # written once portkey.yaml declares secrets (the schema of another part of issue 7)
        assert "secrets" not in project


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=4))
def test_secret_variable_is_always_a_usable_name(parts: list[str]) -> None:
    name = secret_variable(*parts)
    assert ENV_NAME.fullmatch(name) and name.isascii()
    assert not forbidden_secret_name(name)
    assert len(name) <= MAX_SECRET_NAME
    assert secret_variable(*parts) == name


@pytest.mark.parametrize("parts", [("portkey", "api_key"), ("github", "token"), ("actions", "runtime_token"),
                                   ("runner", "x"), ("mcp", "auth_token"), ("gh", "token")])
def test_secret_variable_never_names_our_credentials(parts: tuple[str, ...]) -> None:
    assert secret_variable(*parts).startswith("SECRET_")
