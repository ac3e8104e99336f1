"""Quirks: each value changes what a client sees, they are settable from Python, HTTP, the CLI and the
environment, and the thin-evidence ones keep the engine switches' names, values and defaults."""

from __future__ import annotations

import json

import pytest
from sandbox_testkit import error, make_prompt, ok
from typer.testing import CliRunner

from engine.cli.main import app as cli
from engine.gitops.behaviour import SWITCHES
from sandbox import QuirkError, Quirks, Sandbox
from sandbox.quirks import BY_NAME, ENV_VAR, QUIRKS

pytestmark = pytest.mark.anyio
SHAPES = ("versions_envelope", "config_encoding", "parameters_echo", "prompt_shape")


def test_thin_evidence_quirks_equal_the_engine_switches() -> None:
    """The sandbox imports nothing from the engine: this test keeps the two lists equal."""
    assert {s.name: (s.values, s.default) for s in SWITCHES} == {
        q.name: (q.values, q.default) for q in QUIRKS if q.name not in SHAPES
    }


def test_defaults_are_the_live_shapes() -> None:
    assert {n: Quirks()[n] for n in SHAPES} == {
        "versions_envelope": "wrapped", "config_encoding": "string", "parameters_echo": "on", "prompt_shape": "live"}


@pytest.mark.parametrize(("bad", "says"), [({"nope": "x"}, "known quirks: active_version"),
                                           ({"label_write": "merge"}, "label_write takes add | replace"),
                                           ({"name_chars": 1}, "name_chars takes any | ascii"),
                                           (["label_write"], "object of name: value")])
def test_unknown_names_or_values_are_refused(bad, says) -> None:
    with pytest.raises(QuirkError) as caught:
        Sandbox(quirks=bad)
    assert says in str(caught.value)


def test_environment_sets_quirks_only_when_none_are_given(monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "label_write=replace, versions_envelope=bare")
    with Sandbox() as sb:
        assert sb.quirks["label_write"] == "replace" and sb.quirks["versions_envelope"] == "bare"
    with Sandbox(quirks={}) as sb:
        assert sb.quirks == Quirks()
    monkeypatch.setenv(ENV_VAR, "label_write=sometimes")
    with pytest.raises(QuirkError, match=f"{ENV_VAR}.*add | replace"):
        Sandbox()


async def test_control_route_reads_and_sets_quirks(sb, api) -> None:
    assert ok(await api.get("http://sandbox/_sandbox/quirks")) == Quirks().to_dict()
    answer = ok(await api.put("http://sandbox/_sandbox/quirks", json={"label_write": "replace"}))
    assert answer["label_write"] == "replace" and sb.quirks["label_write"] == "replace"
    ok(await api.put("http://sandbox/_sandbox/quirks", json={"name_chars": "ascii"}))
    assert sb.quirks["label_write"] == "replace"  # the others keep their value
    error(await api.put("http://sandbox/_sandbox/quirks", json={"name_chars": "latin1"}), 400, "AB01", "any | ascii")
    assert sb.quirks["name_chars"] == "ascii"


def test_cli_refuses_an_unknown_quirk_and_lists_the_valid_ones() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--quirk", "label_write=merge"])
    assert result.exit_code == 2
    assert "label_write" in result.output and "add | replace" in result.output
    assert all(name in result.output for name in BY_NAME) and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--quirk", "nonsense"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


async def _two_versions(api) -> tuple[str, list[dict]]:
    pid = (await make_prompt(api, string="Hi {{name}}"))["id"]
    ok(await api.put(f"/prompts/{pid}", json={"patch": True, "string": "Hello {{name}} and {{friend}}"}))
    return pid, ok(await api.get(f"/prompts/{pid}/versions"))


async def test_versions_envelope(sb, api) -> None:
    pid, wrapped = await _two_versions(api)
    assert wrapped["object"] == "list" and wrapped["total"] == 2
    assert [v["prompt_version"] for v in wrapped["data"]] == [2, 1]  # newest first
    sb.quirks = {"versions_envelope": "bare"}
    assert [v["prompt_version"] for v in ok(await api.get(f"/prompts/{pid}/versions"))] == [1, 2]


@pytest.mark.parametrize(("mode", "statuses"), [("published", ["archived", "active"]),
                                                ("latest", ["active", "archived"]), ("absent", [None, None])])
async def test_active_version(sb, api, mode, statuses) -> None:
    sb.quirks = {"active_version": mode}
    _, listed = await _two_versions(api)  # version 1 stays published
    assert [v.get("status") for v in listed["data"]] == statuses


@pytest.mark.parametrize(("mode", "keys"), [
    # `full` keeps the fields the version does not set, as null, as a live read does ("tools": null in
    # portkey-live prompts-get.json): a client that needs every compared key finds each of them.
    ("full", {"string", "parameters", "model", "virtual_key", "functions", "tools", "tool_choice",
              "template_metadata", "is_raw_template"}),
    ("partial", {"string", "parameters", "model"}), ("absent", None)])
async def test_versions_template(sb, api, mode, keys) -> None:
    sb.quirks = {"versions_template": mode}
    pid, listed = await _two_versions(api)
    template = listed["data"][0].get("prompt_template")
    assert (set(template) if template is not None else None) == keys
    if mode == "full":
        detail = ok(await api.get(f"/prompts/{pid}/versions/{listed['data'][0]['id']}"))
        assert template["tools"] is None and template["functions"] is None and template["tool_choice"] is None
        assert {k: template[k] for k in ("string", "parameters", "model")} == {
            k: detail[k] for k in ("string", "parameters", "model")}


@pytest.mark.parametrize(("mode", "kept"), [("add", True), ("replace", False)])
async def test_label_write(sb, api, mode, kept) -> None:
    sb.quirks = {"label_write": mode}
    pid, listed = await _two_versions(api)
    vid = listed["data"][0]["id"]
    labels = [ok(await api.post("/labels", json={"name": n}))["id"] for n in ("canary", "beta")]
    for label in labels:
        ok(await api.put(f"/prompts/{pid}/versions/{vid}", json={"label_id": label}))
    version = ok(await api.get(f"/prompts/{pid}/versions/{vid}"))
    assert [lb["id"] for lb in version["prompt_version_labels"]] == (labels if kept else labels[1:])
    assert version["prompt_version_label_id"] == labels[1]


@pytest.mark.parametrize("name", ["gitops:support/triage · Display", "Café"])
async def test_name_chars(sb, api, name) -> None:
    ok(await api.post("/collections", json={"name": name}))
    await make_prompt(api, name=name)
    sb.quirks = {"name_chars": "ascii"}
    error(await api.post("/collections", json={"name": name}), 400, "AB01", "ASCII")
    error(await api.post("/prompts/partials", json={"name": name, "string": "s"}), 400, "AB01", "name")
    pid = (await make_prompt(api, name="gitops-support.triage - Display_1"))["id"]
    error(await api.put(f"/prompts/{pid}", json={"name": name}), 400, "AB01", "name")


async def test_tool_choice_string(sb, api) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    pid = (await make_prompt(api, tools=tools, tool_choice="required"))["id"]
    assert ok(await api.get(f"/prompts/{pid}"))["tool_choice"] == "required"
    error(await api.put(f"/prompts/{pid}", json={"patch": True, "tool_choice": "sometimes"}), 400, "AB01")
    sb.quirks = {"tool_choice_string": "refused"}
    error(await api.put(f"/prompts/{pid}", json={"patch": True, "tool_choice": "auto"}), 400, "AB01", "tool_choice")
    choice = {"type": "function", "function": {"name": "f"}}
    ok(await api.put(f"/prompts/{pid}", json={"patch": True, "tool_choice": choice}))


POLICY = {"conditions": [{"key": "api_key", "value": "k"}], "group_by": [{"key": "api_key"}]}


@pytest.mark.parametrize("kind", ["rate-limits", "usage-limits"])
async def test_policy_conditions_put(sb, api, kind) -> None:
    body = {**POLICY, "type": "tokens", "unit": "rpw", "value": 5} if kind == "rate-limits" else \
        {**POLICY, "type": "cost", "credit_limit": 10, "periodic_reset_days": 30}
    pid = ok(await api.post(f"/policies/{kind}", json=body))["id"]
    new = [{"key": "endpoint_type" if kind == "rate-limits" else "model", "value": "chatComplete"}]
    ok(await api.put(f"/policies/{kind}/{pid}", json={"conditions": new}))
    assert ok(await api.get(f"/policies/{kind}/{pid}"))["conditions"] == new
    error(await api.put(f"/policies/{kind}/{pid}", json={"group_by": [{"key": "model"}]}), 400, "AB01", "group_by")
    sb.quirks = {"policy_conditions_put": "refused"}
    error(await api.put(f"/policies/{kind}/{pid}", json={"conditions": POLICY["conditions"]}), 400, "AB01",
          "conditions")
    assert ok(await api.get(f"/policies/{kind}/{pid}"))["conditions"] == new


async def test_newer_policy_values_are_checked(api) -> None:
    usage = {**POLICY, "type": "cost", "credit_limit": 10}
    error(await api.post("/policies/usage-limits", json={**usage, "periodic_reset_days": 400}), 400, "AB01", "365")
    both = {**usage, "periodic_reset_days": 7, "periodic_reset": "weekly"}
    error(await api.post("/policies/usage-limits", json=both), 400, "AB01", "mutually exclusive")
    bad = {**usage, "conditions": [{"key": "endpoint_type", "value": "embed"}]}
    error(await api.post("/policies/usage-limits", json=bad), 400, "AB01", "conditions[0].key")


async def test_config_encoding(sb, api) -> None:
    slug = ok(await api.post("/configs", json={"name": "c", "config": {"retry": {"attempts": 2}}}))["slug"]
    got = ok(await api.get(f"/configs/{slug}"))
    assert json.loads(got["config"]) == {"retry": {"attempts": 2}} and got["is_default"] == 0
    sb.quirks = {"config_encoding": "object"}
    assert ok(await api.get(f"/configs/{slug}"))["config"] == {"retry": {"attempts": 2}}


async def test_parameters_echo(sb, api) -> None:
    pid = (await make_prompt(api, string="Hi {{name}}, {{#items}}{{.}}{{/items}}", parameters={}))["id"]
    assert ok(await api.get(f"/prompts/{pid}"))["parameters"] == {"name": "", "model": "gpt-4o-mini"}
    sb.quirks = {"parameters_echo": "off"}
    assert ok(await api.get(f"/prompts/{pid}"))["parameters"] == {}


async def test_prompt_shape(sb, api) -> None:
    vk = ok(await api.post("/virtual-keys", json={"name": "openai main", "provider": "openai", "key": "sk-x"}))
    vk_id = next(v["id"] for v in ok(await api.get("/virtual-keys"))["data"] if v["slug"] == vk["data"]["slug"])
    content = [{"role": "user", "content": [{"type": "text", "text": "Hi {{name}}"}]}]
    string = json.dumps(content)
    pid = (await make_prompt(api, string=string, virtual_key=vk_id))["id"]
    live = ok(await api.get(f"/prompts/{pid}"))
    assert live["string"] == string and json.loads(live["string"]) == content  # parts kept as sent
    assert live["is_raw_template"] == 0 and live["prompt_version_labels"] == [] and live["tools"] is None
    assert live["virtual_key"] == vk["data"]["slug"] and live["object"] == "prompt"
    sb.quirks = {"prompt_shape": "spec"}
    spec = ok(await api.get(f"/prompts/{pid}"))
    assert spec["is_raw_template"] is False and "tools" not in spec and "prompt_version_labels" not in spec
    assert spec["virtual_key"] == vk_id
