"""Secrets by schema, declared names only, never our own credentials: the attacks of issue 7 run
through the real command line against the embedded sandbox, every output scanned for the planted values."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from engine import redaction
from sandbox import Sandbox
from tests.entry_point import Run

CONFIG = "configs/support-routing.config.yaml"
AZURE = "az-client-secret-PLANTED-7f3e91"
HEADER = "Bearer hdr-PLANTED-5c2a88"
VERTEX_KEY = "-----BEGIN PRIVATE KEY-----PLANTED-vtx-19ab"
PORTKEY_KEY = "pk-live-PLANTED-portkey-4d5e"
GITHUB = "ghs_PLANTED_github_token_8a7b"
MCP = "mcp-PLANTED-auth-token-2c3d"
UNDECLARED = "undeclared-PLANTED-value-6e1f"
PLANTED = (AZURE, HEADER, VERTEX_KEY, PORTKEY_KEY, GITHUB, MCP, UNDECLARED)


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Each test proves its own values get registered; none leak into other tests."""
    redaction.REGISTRY.clear()
    yield
    redaction.REGISTRY.clear()


@pytest.fixture
def cli(cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """The shared ``cli`` with our own credentials planted in the environment."""
    monkeypatch.setenv("PORTKEY_API_KEY", PORTKEY_KEY)  # only read when not --sandbox; planted all the same
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB)
    monkeypatch.setenv("MCP_AUTH_TOKEN", MCP)
    monkeypatch.setenv("UNDECLARED_KEY", UNDECLARED)
    return cli


def declare(project: Path, *names: str) -> None:
    path = project / "portkey.yaml"
    path.write_text(path.read_text().replace("version: 1\n", f"version: 1\nsecrets: [{', '.join(names)}]\n"))


def add_target(project: Path, lines: str) -> int:
    """Append a target to the routing config; returns the line number of its first line."""
    path = project / CONFIG
    text = path.read_text()
    anchor = "      override_params: {model: gpt-4o}\n"
    assert anchor in text
    head = text[: text.index(anchor) + len(anchor)]
    path.write_text(head + lines + text[len(head):])
    return head.count("\n") + 1


def assert_clean(*texts: str) -> None:
    for text in texts:
        for value in PLANTED:
            assert value not in text, f"{value!r} leaked"


def stored_bytes(db: Path) -> bytes:
    """Everything the sandbox persisted (database and journal files)."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def test_azure_entra_client_secret_reference_is_accepted_and_masked_everywhere(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Path
) -> None:
    declare(project, "AZ")
    add_target(project, "    - provider: azure-openai\n      azure_auth_mode: entra\n"
                        "      azure_entra_client_secret: ${secret:AZ}\n")
    monkeypatch.setenv("AZ", AZURE)
    assert cli("validate", str(project)).code == 0
    md, saved = tmp_path / "plan.md", tmp_path / "plan.json"
    terminal = cli("plan", str(project), "--sandbox", "--markdown", str(md), "--out", str(saved))
    as_json = cli("plan", str(project), "--sandbox", "--json")
    assert terminal.code == 0 and as_json.code == 0
    target = json.loads(as_json.out)["changes"]
    routing = next(c for c in target if c["address"] == "config:support-routing")
    assert routing["after"]["config"]["targets"][-1]["azure_entra_client_secret"] == "(secret)"
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert applied.code == 0, applied.err
    assert AZURE.encode() in stored_bytes(db)  # the secret did reach Portkey (that is the point)
    monkeypatch.setenv("AZ", AZURE + "-rotated")
    rotated = cli("plan", str(project), "--sandbox")
    assert "azure_entra_client_secret" in rotated.out and "(secret" in rotated.out
    assert_clean(terminal.text, as_json.text, md.read_text(), saved.read_text(), applied.text, rotated.text)


@pytest.mark.parametrize(
    ("lines", "field", "value"),
    [
        (f"    - provider: azure-openai\n      azure_entra_client_secret: {AZURE}\n", "azure_entra_client_secret",
         AZURE),
        (f"    - provider: openai\n      custom_headers:\n        Authorization: {HEADER}\n", "Authorization", HEADER),
        ("    - provider: vertex-ai\n      vertex_service_account_json:\n        type: service_account\n"
         f"        private_key: '{VERTEX_KEY}'\n", "vertex_service_account_json", VERTEX_KEY),
    ],
    ids=["azure_entra_client_secret", "custom_headers.Authorization", "vertex_service_account_json object"],
)
def test_a_literal_in_a_secret_field_is_a_validation_error(
    cli: Callable[..., Run], project: Path, db: Path, lines: str, field: str, value: str
) -> None:
    line = add_target(project, lines)
    checked = cli("validate", str(project))
    assert checked.code == 1
    assert f"{CONFIG}:{line + 1}:" in checked.err or f"{CONFIG}:{line + 2}:" in checked.err
    assert f"'{field}'" in checked.err and "holds a literal secret" in checked.err
    assert "secrets: in portkey.yaml" in checked.err
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert applied.code == 1
    assert_clean(checked.text, applied.text, stored_bytes(db).decode("latin-1"))


@pytest.mark.parametrize(("name", "value"), [("PORTKEY_API_KEY", PORTKEY_KEY), ("GITHUB_TOKEN", GITHUB),
                                             ("MCP_AUTH_TOKEN", MCP)])
def test_our_own_credentials_are_never_resolved_even_when_declared(
    cli: Callable[..., Run], project: Path, db: Path, name: str, value: str
) -> None:
    declare(project, name)
    line = add_target(project, f"    - provider: openai\n      api_key: ${{secret:{name}}}\n")
    checked = cli("validate", str(project))
    assert checked.code == 1
    assert "portkey.yaml:3:11: error:" in checked.err and f"secrets: {name} can never be a secret" in checked.err
    assert f"{CONFIG}:{line + 1}:" in checked.err and f"${{secret:{name}}} is refused" in checked.err
    assert "CI token" in checked.err
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    planned = cli("plan", str(project), "--sandbox", "--json")
    assert applied.code == 1 and planned.code == 1
    assert value not in stored_bytes(db).decode("latin-1")
    with Sandbox(db=str(db), api_key="k") as sb:
        assert all(value not in json.dumps(r.__dict__, default=str) for r in sb.requests())
    assert_clean(checked.text, applied.text, planned.text)


def test_an_undeclared_name_is_refused_with_the_fix(cli: Callable[..., Run], project: Path, db: Path) -> None:
    line = add_target(project, "    - provider: openai\n      api_key: ${secret:UNDECLARED_KEY}\n")
    checked = cli("validate", str(project))
    assert checked.code == 1
    assert (f"{CONFIG}:{line + 1}:16: error: ${{secret:UNDECLARED_KEY}} is not declared: add UNDECLARED_KEY "
            "under secrets: in portkey.yaml") in checked.err
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert applied.code == 1
    assert_clean(checked.text, applied.text, stored_bytes(db).decode("latin-1"))


def test_an_overlay_cannot_declare_secrets(cli: Callable[..., Run], project: Path) -> None:
    (project / "environments").mkdir(exist_ok=True)
    (project / "environments/ci.yaml").write_text("secrets: [UNDECLARED_KEY]\n")
    checked = cli("validate", str(project), "--env", "ci")
    assert checked.code == 1 and "environments/ci.yaml:1:1: error: unknown key 'secrets'" in checked.err


def test_a_400_echoing_the_request_never_prints_the_resolved_secret(
    cli: Callable[..., Run], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(project, "AZ")
    add_target(project, "    - provider: azure-openai\n      azure_entra_client_secret: ${secret:AZ}\n")
    monkeypatch.setenv("AZ", AZURE)
    real = httpx.ASGITransport

    class Echoing(httpx.AsyncBaseTransport):
        """The sandbox, except that creating a config answers 400 quoting the request body."""

        def __init__(self, app: object) -> None:
            self.inner = real(app=app)  # type: ignore[arg-type]

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith("/configs"):
                body = (await request.aread()).decode()
                assert AZURE in body  # the secret was resolved and sent
                return httpx.Response(400, json={"success": False, "data": {"message": f"invalid config: {body}"}})
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    monkeypatch.setattr(httpx, "ASGITransport", Echoing)
    applied = cli("apply", str(project), "--sandbox", "--auto-approve")
    assert applied.code != 0
    assert "HTTP 400" in applied.text and "invalid config" in applied.text
    assert "azure_entra_client_secret" in applied.text  # the echo is shown, its secret is not
    assert_clean(applied.text)
