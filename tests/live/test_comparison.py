"""The engine's comparison of real answers: each evidenced shape equals the sandbox's form, and what must
still be a difference is one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from engine.gitops import kinds
from engine.gitops.live import LiveObject, LiveState
from engine.gitops.model import DesiredState, Location, Project, Resource, ResourceKind
from engine.gitops.planner import PlanOptions, build_plan
from engine.portkey import normalize
from tests.live.recorded import load

RECORDED = normalize.prompt(load("prompts-get.json"))
TEXT = json.loads(load("prompts-get.json")["string"])[0]["content"][0]["text"]


def prompt_resource(**spec: Any) -> Resource:
    """The recorded prompt as a file would say it: one user message as plain text."""
    base = {"model": "claude-sonnet-4-6", "virtual_key": "anthropic", "parameters": {},
            "messages": [{"role": "user", "content": TEXT}]}
    return Resource(ResourceKind.PROMPT, "gira-summarize-thread", {**base, **spec}, Location("p.prompt.yaml"))


def live_prompt(**changes: Any) -> LiveObject:
    latest = {**copy.deepcopy(RECORDED), **changes}
    return LiveObject(ResourceKind.PROMPT, RECORDED["id"], "gitops:gira-summarize-thread", latest=latest,
                      version=1, published_version=1)


def same(resource: Resource, obj: LiveObject) -> bool:
    return kinds.desired(resource, {}) == kinds.live(obj)


# ------------------------------------------------------------------ equal


def test_the_recorded_prompt_equals_its_file_form() -> None:
    assert same(prompt_resource(), live_prompt())


def test_text_parts_equal_a_plain_string_and_several_parts_their_joined_text() -> None:
    half = len(TEXT) // 2
    parts = [{"type": "text", "text": TEXT[:half]}, {"type": "text", "text": TEXT[half:]}]
    string = json.dumps([{"role": "user", "content": parts}])
    assert same(prompt_resource(), live_prompt(string=string))
    plain = json.dumps([{"role": "user", "content": TEXT}], indent=2)
    assert same(prompt_resource(), live_prompt(string=plain)), "the sandbox's form (a plain string)"


def test_variables_echoed_as_empty_strings_and_the_model_copy_are_not_differences() -> None:
    assert RECORDED["parameters"] == {"thread": "", "ticket_key": "", "ticket_title": "", "model": "claude-sonnet-4-6"}
    assert same(prompt_resource(parameters={"temperature": 0.2}),
                live_prompt(parameters={**RECORDED["parameters"], "temperature": 0.2}))
    # variables named only by variable_components (e.g. a partial's) are echoes too
    assert same(prompt_resource(), live_prompt(parameters={"from_partial": ""},
                                               variable_components={"variables": ["from_partial"]}))


def test_integer_booleans_are_booleans() -> None:
    assert normalize.flag(0) is False and normalize.flag(1) is True and normalize.flag("1") is True
    assert normalize.flag(2) == 2 and normalize.flag("yes") == "yes" and normalize.flag(None) is None
    config = normalize.config(load("configs-get.json"))
    obj = LiveObject(ResourceKind.CONFIG, config["id"], config["name"], slug=config["slug"], raw=config)
    wanted = Resource(ResourceKind.CONFIG, "c", {"config": json.loads(load("configs-get.json")["config"]),
                                                  "is_default": False}, Location("c.config.yaml"))
    assert kinds.live(obj) == kinds.desired(wanted, {})
    default = LiveObject(ResourceKind.CONFIG, "id", "n", raw={**load("configs-get.json"), "is_default": 1})
    assert kinds.live(default)["is_default"] is True
    assert "is_default" not in kinds.live(LiveObject(ResourceKind.CONFIG, "id", "n",
                                                     raw={**load("configs-get.json"), "is_default": "0"}))
    guardrail = LiveObject(ResourceKind.GUARDRAIL, "g", "n", raw={"checks": [{"id": "x", "is_enabled": 0}]})
    assert kinds.live(guardrail)["checks"][0]["is_enabled"] is False


def test_a_config_given_as_a_json_string_is_parsed() -> None:
    raw = load("configs-get.json")  # not normalised: the comparison parses it itself
    obj = LiveObject(ResourceKind.CONFIG, raw["id"], raw["name"], raw=raw)
    assert kinds.live(obj)["config"]["cache"] == {"mode": "simple", "max_age": 3600}


# ------------------------------------------------------------------ still different


def test_an_image_part_stays_a_difference_and_compares_as_parts() -> None:
    parts = [{"type": "text", "text": TEXT}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]
    obj = live_prompt(string=json.dumps([{"role": "user", "content": parts}]))
    assert not same(prompt_resource(), obj)
    assert kinds.live(obj)["string"][0]["content"] == parts
    cached = [{"type": "text", "text": TEXT, "cache_control": {"type": "ephemeral"}}]
    assert not same(prompt_resource(), live_prompt(string=json.dumps([{"role": "user", "content": cached}])))


def test_a_real_parameter_value_or_another_model_is_a_difference() -> None:
    assert not same(prompt_resource(), live_prompt(parameters={**RECORDED["parameters"], "thread": "real text"}))
    assert not same(prompt_resource(), live_prompt(parameters={**RECORDED["parameters"], "model": "gpt-4o"}))
    assert not same(prompt_resource(), live_prompt(parameters={**RECORDED["parameters"], "top_p": ""})), \
        "an empty value is an echo only for a template variable"
    assert not same(prompt_resource(), live_prompt(model="claude-haiku-4-5"))
    assert not same(prompt_resource(), live_prompt(string=json.dumps([{"role": "system", "content": TEXT}])))


# ------------------------------------------------------------------ virtual keys, through the planner


def _plan(resource: Resource, obj: LiveObject, virtual_keys: dict[str, str] | None = None) -> Any:
    project = Project(root=Path("."))
    state = DesiredState(project=project, resources={resource.address: resource})
    live = LiveState(objects={ResourceKind.PROMPT: [obj]}, complete={ResourceKind.PROMPT: True},
                     virtual_keys=virtual_keys or {})
    obj.key = resource.key
    obj.name = "gitops:" + resource.key
    return build_plan(state, live, PlanOptions())


VK_ID = "5679a43f-c6b6-430d-9a21-f558ecae2f51"  # the recorded "anthropic" virtual key's id


def test_a_virtual_key_given_as_an_id_compares_by_its_slug() -> None:
    plan = _plan(prompt_resource(virtual_key=VK_ID), live_prompt(), {VK_ID: "anthropic"})
    assert not plan.has_changes and not plan.warnings
    plan = _plan(prompt_resource(), live_prompt(virtual_key=VK_ID), {VK_ID: "anthropic"})
    assert not plan.has_changes and not plan.warnings


def test_an_id_with_no_listing_is_taken_as_the_same_key_and_the_plan_says_so() -> None:
    plan = _plan(prompt_resource(virtual_key=VK_ID), live_prompt())
    assert not plan.has_changes
    [warning] = [w for w in plan.warnings if "virtual_key" in w and "write the slug" in w]
    assert warning.code == "assumed_same" and warning.address == plan.changes[0].address
    assert plan.to_json()["warnings"][0]["code"] == "assumed_same"


@pytest.mark.parametrize("file_key", ["open-ai", "b0800161-93cf-4d3d-b5cc-309a9a331f42"])
def test_another_virtual_key_is_a_difference(file_key: str) -> None:
    keys = {"b0800161-93cf-4d3d-b5cc-309a9a331f42": "voyageai-prod", VK_ID: "anthropic"}
    plan = _plan(prompt_resource(virtual_key=file_key), live_prompt(), keys)
    assert plan.has_changes and [d.path for d in plan.changes[0].diff] == ["virtual_key"]
