"""tool_choice: OpenAI's forms load and are checked offline; the Portkey docs example applies and
converges; an account that refuses strings gets `auto` left out and `none`/`required` refused at plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.behaviour import DEFAULT
from engine.gitops.workflow import plan_project
from sandbox import Sandbox
from tests.gitops.fixtures import load, messages
from tests.gitops.helpers import converge
from tests.live.write_support import Shim

pytestmark = pytest.mark.anyio

# The tool of Portkey's function-calling example (docs-core product/ai-gateway/multimodal-capabilities/
# function-calling.mdx), which sends it with `tool_choice: "auto"`.
WEATHER = (
    "tools:\n  - type: function\n    function:\n      name: get_current_weather\n"
    "      description: Get the current weather in a given location\n"
    "      parameters:\n        type: object\n        properties:\n"
    "          location: {type: string, description: 'The city and state, e.g. San Francisco, CA'}\n"
    "          unit: {type: string, enum: [celsius, fahrenheit]}\n        required: [location]\n"
)
PROMPT = (
    "virtual_key: openai\nmodel: gpt-4o\nmessages:\n"
    "  - role: user\n    content: \"What's the weather like in {{city}}?\"\n"
)
FORMS = ["auto", "none", "required", "{type: function, function: {name: get_current_weather}}"]


def _weather(choice: str) -> str:
    return PROMPT + WEATHER + f"tool_choice: {choice}\n"


@pytest.mark.parametrize("choice", FORMS)
def test_openai_forms_load(tmp_path: Path, choice: str) -> None:
    state = load(tmp_path, {"prompts/weather.prompt.yaml": _weather(choice)})
    assert messages(state) == []


@pytest.mark.parametrize("text, error", [
    (PROMPT + WEATHER + "tool_choice: sometimes\n", "tool_choice: use auto, none, required or {type: function"),
    (PROMPT + WEATHER + "tool_choice: {type: function, function: {name: get_forecast}}\n",
     "tool_choice: names function 'get_forecast', which is not in tools (declared: get_current_weather)"),
    (PROMPT + WEATHER + "tool_choice: {type: function, name: get_current_weather}\n", "tool_choice: use auto"),
    (PROMPT + "tool_choice: required\n", "tool_choice: 'required' needs at least one entry in tools"),
])
def test_bad_tool_choice_is_one_clear_error(tmp_path: Path, text: str, error: str) -> None:
    [message] = messages(load(tmp_path, {"prompts/weather.prompt.yaml": text}))
    assert message.startswith("prompts/weather.prompt.yaml:") and error in message


@pytest.mark.parametrize("choice", FORMS)
async def test_the_docs_example_applies_and_converges(sandbox: Sandbox, project: Path, choice: str) -> None:
    """Against an account that takes OpenAI's strings (the shim stores them as sent)."""
    (project / "prompts/weather.prompt.yaml").write_text(_weather(choice))
    shim = Shim(sandbox, string_tool_choice=True)
    client, transport = shim.client()
    async with client:
        await converge(client, project)
        assert not (await plan_project(client, project)).plan.has_changes
    [create] = [b for b in shim.bodies("POST", r"/prompts") if "weather" in b["name"]]
    assert create["tool_choice"] == (choice if not choice.startswith("{") else
                                     {"type": "function", "function": {"name": "get_current_weather"}})
    assert transport.violations("request") == []


async def test_refused_strings_leave_auto_out_and_still_converge(sandbox: Sandbox, project: Path) -> None:
    """Today's sandbox refuses string tool_choice, as such an account would: auto is not sent."""
    refused = DEFAULT.with_values(tool_choice_string="refused")
    (project / "prompts/weather.prompt.yaml").write_text(_weather("auto"))
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        await converge(client, project, behaviour=refused)
        assert not (await plan_project(client, project, behaviour=refused)).plan.has_changes
    [create] = [b for b in shim.bodies("POST", r"/prompts") if "weather" in b["name"]]
    assert "tool_choice" not in create and create["tools"]


@pytest.mark.parametrize("choice", ["none", "required"])
async def test_refused_strings_make_none_and_required_plan_errors(
    sandbox: Sandbox, project: Path, choice: str
) -> None:
    refused = DEFAULT.with_values(tool_choice_string="refused")
    (project / "prompts/weather.prompt.yaml").write_text(_weather(choice))
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        planned = await plan_project(client, project, behaviour=refused)
    assert planned.plan.errors == [
        f"prompt:weather: tool_choice {choice!r}: this account refuses tool_choice strings "
        "(tool_choice_string=refused, defaults); name a tool with {type: function, function: {name: …}} "
        "or remove tool_choice"
    ]
    assert not any(m != "GET" for m, _, _ in shim.seen)
