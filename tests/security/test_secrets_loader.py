"""Secrets by schema and declared names, below the command line: the loader, resolve_secrets, masking
and API errors that echo request bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import redaction
from engine.gitops.canonical import redact, secret_paths
from engine.gitops.load import MissingSecretError, UndeclaredSecretError, resolve_secrets
from engine.gitops.model import Location, Resource, ResourceKind
from engine.portkey import PortkeyAPIError
from engine.portkey.errors import PortkeyRequestError, clean_text
from tests.gitops.fixtures import load, messages
from tests.portkey.helpers import KEY, make_client, reply, scripted

PLANTED = "sk-live-PLANTED-4b8c1d"


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    redaction.REGISTRY.clear()
    yield
    redaction.REGISTRY.clear()


class Watched(Mapping[str, str]):
    """An environment that records which variables were read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.values[name]

    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        self.read.add(name)
        return self.values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the loader must not list the environment")

    def __len__(self) -> int:
        return len(self.values)


def project(*names: str) -> dict[str, str]:
    return {"portkey.yaml": f"version: 1\nsecrets: [{', '.join(names)}]\n"}


# ---- the loader ---------------------------------------------------------------------------


def test_only_declared_names_are_read_and_their_values_registered(tmp_path: Path) -> None:
    environ = Watched({"AZ": PLANTED, "GITHUB_TOKEN": "ghs_PLANTED_x1", "OTHER": "other-PLANTED-y2"})
    config = ("config:\n  targets:\n    - azure_entra_client_secret: ${secret:AZ}\n"
              "    - api_key: ${secret:GITHUB_TOKEN}\n    - api_key: ${secret:OTHER}\n")
    state = load(tmp_path, {**project("AZ"), "configs/c.config.yaml": config}, environ=environ)  # type: ignore[arg-type]
    assert environ.read == {"AZ"}
    assert redaction.scrub(f"x {PLANTED} y") == "x [redacted] y"
    assert redaction.scrub("ghs_PLANTED_x1 other-PLANTED-y2") == "ghs_PLANTED_x1 other-PLANTED-y2"
    assert [d.message.split(":")[0] for d in state.errors] == ["${secret", "${secret"]
    assert "GITHUB_TOKEN} is refused" in messages(state)[0] and "OTHER} is not declared" in messages(state)[1]


@pytest.mark.parametrize("name", ["PORTKEY_API_KEY", "MCP_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN",
                                  "ACTIONS_RUNTIME_TOKEN", "RUNNER_TEMP", "actions_id_token_request_token"])
def test_forbidden_names_are_refused_in_secrets(tmp_path: Path, name: str) -> None:
    state = load(tmp_path, project(name), environ={name: PLANTED})
    assert messages(state) == [
        f"portkey.yaml:2:11: error: secrets: {name} can never be a secret of the project: it is this tool's own "
        "credential or a CI token (PORTKEY_API_KEY, MCP_AUTH_TOKEN, GITHUB_TOKEN, ACTIONS_*, RUNNER_*), and a file "
        "that sends it to Portkey would leak it to anyone who can read the object; use a variable of your own"
    ]


def test_secret_names_are_validated(tmp_path: Path) -> None:
    state = load(tmp_path, {"portkey.yaml": "version: 1\nsecrets: [my-key, OK, OK]\n"}, environ={"OK": "v"})
    assert messages(state) == [
        "portkey.yaml:2:11: error: secrets.0: an environment variable name: a letter or '_', then letters, "
        "digits or '_' (got 'my-key')",
    ]
    state = load(tmp_path, {"portkey.yaml": "version: 1\nsecrets: [OK, OK]\n"}, environ={"OK": "v"})
    assert messages(state) == ["portkey.yaml:2:15: warning: secrets: OK is listed twice; remove one"]


def test_secret_fields_anywhere_in_configs_and_guardrails_any_value_type(tmp_path: Path) -> None:
    files = {
        **project("VERTEX_PK", "HOOK", "AZ"),
        "configs/c.config.yaml": (
            "config:\n  targets:\n    - provider: vertex-ai\n      vertex_service_account_json:\n"
            "        private_key: ${secret:VERTEX_PK}\n        client_email: ${secret:AZ}\n"
            "    - custom_headers: {Authorization: '${secret:AZ}', x-trace: abc}\n"
        ),
        "guardrails/g.guardrail.yaml": (
            "checks:\n  - id: default.webhook\n    parameters:\n      webhookURL: https://hooks.example.com\n"
            "      headers: {Authorization: '${secret:HOOK}'}\n"
            "actions: {deny: true, on_fail: {webhook: {token: '${secret:HOOK}'}}}\n"
        ),
    }
    environ = {"VERTEX_PK": "pk-PLANTED-1", "HOOK": "hook-PLANTED-2", "AZ": "az-PLANTED-3"}
    state = load(tmp_path, files, environ=environ)
    assert messages(state) == []
    config, guardrail = state.resources["config:c"], state.resources["guardrail:g"]
    assert config.secrets == {"config.targets.0.vertex_service_account_json.private_key",
                              "config.targets.0.vertex_service_account_json.client_email",
                              "config.targets.1.custom_headers.Authorization"}
    assert guardrail.secrets == {"checks.0.parameters.headers.Authorization", "actions.on_fail.webhook.token"}
    resolved = resolve_secrets(config, environ)
    assert resolved["config"]["targets"][0]["vertex_service_account_json"]["private_key"] == "pk-PLANTED-1"
    assert resolve_secrets(guardrail, environ)["actions"]["on_fail"]["webhook"]["token"] == "hook-PLANTED-2"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("config:\n  vertex_service_account_json: {type: service_account, private_key: k}\n",
         "2:39: error: 'type' inside 'vertex_service_account_json' holds a literal secret"),
        ("config:\n  targets: [{custom_headers: {Authorization: Bearer abc}}]\n",
         "2:46: error: 'Authorization' holds a literal secret"),
        ("config:\n  azure_entra_client_secret: 12345\n", "2:30: error: 'azure_entra_client_secret' holds a literal"),
        ("config:\n  api_key: ['${secret:AZ}', literal]\n", "2:29: error: '1' inside 'api_key' holds a literal"),
    ],
)
def test_literals_under_secret_fields_are_errors(tmp_path: Path, body: str, where: str) -> None:
    state = load(tmp_path, {**project("AZ"), "configs/c.config.yaml": body}, environ={"AZ": "v-PLANTED"})
    assert any(m.startswith(f"configs/c.config.yaml:{where}") for m in messages(state)), messages(state)


def test_prompts_ordinary_fields_are_not_secrets(tmp_path: Path) -> None:
    prompt = (
        "virtual_key: vk-openai-prod\nmodel: gpt-4o\nparameters: {max_tokens: 400, max_completion_tokens: 500}\n"
        "template: 'Reset {{user}}'\nmetadata: {token_budget: 3}\n"
        "tools:\n  - type: function\n    function:\n      name: reset_password\n"
        "      parameters: {type: object, properties: {password: {type: string}, api_key: {type: string}}}\n"
    )
    state = load(tmp_path, {"prompts/p.prompt.yaml": prompt})
    assert messages(state) == []
    spec = state.resources["prompt:p"].spec
    assert "vk-openai-prod" in json.dumps(spec) and "max_tokens" in json.dumps(spec)
    refused = load(tmp_path, {"prompts/p.prompt.yaml": "virtual_key: ${secret:AZ}\ntemplate: x\n", **project("AZ")},
                   environ={"AZ": "v"})
    assert "is allowed only as the whole value of a secret field" in messages(refused)[0]


# ---- resolve_secrets: defence in depth ----------------------------------------------------


def resource(name: str, declared: frozenset[str]) -> Resource:
    spec = {"name": "c", "config": {"targets": [{"api_key": f"${{secret:{name}}}"}]}}
    return Resource(ResourceKind.CONFIG, "c", spec, Location("configs/c.config.yaml"),
                    secrets={"config.targets.0.api_key"}, secret_names=declared)


@pytest.mark.parametrize(("name", "declared", "error"), [
    ("UNDECLARED", frozenset(), "is not declared"),
    ("PORTKEY_API_KEY", frozenset({"PORTKEY_API_KEY"}), "is refused"),
    ("GITHUB_TOKEN", frozenset({"GITHUB_TOKEN"}), "is refused"),
    ("RUNNER_X", frozenset({"RUNNER_X"}), "is refused"),
])
def test_resolve_secrets_refuses_undeclared_and_forbidden_names(name: str, declared: frozenset[str],
                                                               error: str) -> None:
    environ = Watched({name: PLANTED})
    with pytest.raises(UndeclaredSecretError, match=error) as caught:
        resolve_secrets(resource(name, declared), environ)
    assert environ.read == set() and PLANTED not in str(caught.value)
    assert redaction.scrub(PLANTED) == PLANTED  # never read, so never registered


def test_resolve_secrets_reads_and_registers_a_declared_name() -> None:
    resolved = resolve_secrets(resource("OPENAI", frozenset({"OPENAI"})), {"OPENAI": PLANTED})
    assert resolved["config"]["targets"][0]["api_key"] == PLANTED
    assert redaction.scrub(f"echo {PLANTED}") == "echo [redacted]"
    with pytest.raises(MissingSecretError, match="OPENAI is not set"):
        resolve_secrets(resource("OPENAI", frozenset({"OPENAI"})), {})


# ---- masking in plans ---------------------------------------------------------------------


def test_secret_named_fields_of_any_type_are_masked() -> None:
    live = {"config": {"targets": [
        {"provider": "vertex-ai", "vertex_service_account_json": {"private_key": PLANTED, "client_email": "a@b"}},
        {"virtual_key": "vk-slug", "custom_headers": {"Authorization": f"Bearer {PLANTED}", "x-trace": "t"}},
        {"azure_entra_client_secret": PLANTED, "max_tokens": 400},
    ]}}
    masked = redact(live, secret_paths(live))
    text = json.dumps(masked)
    assert PLANTED not in text and "a@b" not in text
    targets = masked["config"]["targets"]
    assert targets[0]["vertex_service_account_json"] == "(secret)"
    assert targets[1] == {"virtual_key": "vk-slug", "custom_headers": {"Authorization": "(secret)", "x-trace": "t"}}
    assert targets[2] == {"azure_entra_client_secret": "(secret)", "max_tokens": 400}


# ---- API errors that echo the request -----------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("answer", [
    reply(400, {"success": False, "data": {"message": "invalid config: " + json.dumps(
        {"api_key": PLANTED, "custom_headers": {"Authorization": f"Bearer {PLANTED}"}})}}),
    reply(400, {"error": {"message": f"bad request body {{'azure_entra_client_secret': '{PLANTED}', 'x': 1"}}),
])
async def test_a_400_echoing_secret_fields_masks_them_even_unregistered(answer: object) -> None:
    client, _ = make_client(scripted(answer))  # type: ignore[arg-type]
    async with client:
        with pytest.raises(PortkeyAPIError) as caught:
            await client.create_config(body={"name": "c", "config": {"api_key": PLANTED}})
    error = caught.value
    for text in (str(error), repr(error), error.message, json.dumps(error.args)):
        assert PLANTED not in text and KEY not in text
    assert "(secret)" in str(error) and "HTTP 400" in str(error)


@pytest.mark.anyio
async def test_a_registered_value_is_scrubbed_from_any_echo() -> None:
    redaction.register(PLANTED)
    answer = reply(400, {"message": f"provider rejected credentials {PLANTED} (check them)"})
    client, _ = make_client(scripted(answer))
    async with client:
        with pytest.raises(PortkeyAPIError) as caught:
            await client.create_config(body={"name": "c", "config": {}})
    assert PLANTED not in str(caught.value) and "[redacted]" in str(caught.value)
    late = PortkeyRequestError("op", "GET", "/x", "reset by late-PLANTED-9z", sent=False, attempts=1)
    redaction.register("late-PLANTED-9z")
    assert "late-PLANTED-9z" not in str(late)  # str() scrubs values registered after the error was made


_SECRET_FIELD = st.sampled_from(["api_key", "azure_entra_client_secret", "Authorization", "x-api-key", "password",
                                 "aws_secret_access_key", "vertex_service_account_json", "client_secret", "token"])
_VALUE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/+=", min_size=6, max_size=30).map(
    lambda s: f"PLANTED{s}")
_JSON = st.recursive(
    st.dictionaries(_SECRET_FIELD, _VALUE, min_size=1, max_size=3),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["config", "targets", "x"]),
                                                                          inner, min_size=1, max_size=2)),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_JSON, prefix=st.sampled_from(["", "invalid: ", "Bad Request ("]), cut=st.integers(0, 40))
def test_clean_text_never_shows_a_value_under_a_secret_field(body: object, prefix: str, cut: int) -> None:
    echoed = prefix + json.dumps(body)
    for text in (echoed, echoed[: max(len(echoed) - cut, 0)]):  # whole and truncated echoes
        cleaned = clean_text(text)
        for value in _values(body):
            if value in text:
                assert value not in cleaned, (text, cleaned)


def _values(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for item in node.values() for v in _values(item)]
    if isinstance(node, list):
        return [v for item in node for v in _values(item)]
    return [node] if isinstance(node, str) else []
