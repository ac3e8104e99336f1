"""The sandbox's Mustache: pystache rendering with Portkey's `{{>slug@N}}` partials and prompt rules."""

from __future__ import annotations

import pytest
from sandbox_testkit import error, make_prompt, ok

from sandbox.mustache import TemplateError, render, template_names

pytestmark = pytest.mark.anyio

PARTIALS = {"tone": "Be {{mood}}.", "tone@2": "Be very {{mood}}.", "outer": "[{{>tone@2}}]", "loop": "{{>loop}}"}


def test_partials_with_and_without_pins_use_the_prompt_variables() -> None:
    text = render("{{>tone}} {{> tone@2 }} {{>outer}}", {"mood": "kind"}, PARTIALS.__getitem__)
    assert text == "Be kind. Be very kind. [Be very kind.]"


def test_sections_comments_and_values() -> None:
    template = "{{! not shown }}{{#items}}<{{name}}>{{/items}}{{^none}}empty{{/none}}{{#off}}no{{/off}} {{obj}} {{yes}}"
    variables = {"items": [{"name": "a"}, {"name": "b"}], "off": "false", "obj": {"k": [1]}, "yes": True}
    assert render(template, variables) == '<a><b>empty {"k": [1]} true'
    assert render("{{=<% %>=}}<%a.b%>", {"a": {"b": "x"}}) == "x"
    assert render("{{a.b}}|{{missing}}|{{{raw}}}|{{&raw}}", {"a": {"b": "x"}, "raw": "<&>"}) == "x||<&>|<&>"


def test_unknown_partial_fails_even_in_a_hidden_section() -> None:
    with pytest.raises(KeyError):
        render("{{#hidden}}{{>nope}}{{/hidden}}", {}, PARTIALS.__getitem__)


@pytest.mark.parametrize(
    ("template", "needle"),
    [("{{#a}}open", "{{#a}}"), ("{{/a}}", "{{/a}}"), ("{{#a}}{{/b}}", "{{/b}}")],
)
def test_malformed_templates_raise_template_error(template: str, needle: str) -> None:
    with pytest.raises(TemplateError, match="not a valid Mustache template") as caught:
        render(template, {})
    assert needle in str(caught.value)


def test_partial_that_includes_itself_is_refused() -> None:
    with pytest.raises(TemplateError, match="nested too deeply"):
        render("{{>loop}}", {}, PARTIALS.__getitem__)


def test_template_names_in_order_of_first_use() -> None:
    names = template_names("{{b}}{{#s}}{{a}}{{{b}}}{{/s}}{{^t}}{{/t}}{{>p@2}}{{! c }}{{.}}")
    assert names == {"variables": ["b", "a"], "sections": ["s", "t"], "partials": ["p@2"]}
    assert template_names("{{#broken}}") == {"variables": [], "sections": [], "partials": []}


async def test_render_of_a_malformed_template_is_a_400_naming_the_tag(api) -> None:
    pid = (await make_prompt(api, string="Hi {{#name}}"))["id"]
    error(await api.post(f"/prompts/{pid}/render", json={"variables": {}}), 400, "AB01", "{{#name}}")
    pid2 = (await make_prompt(api, "p2", string="{{#on}}x{{/on}}"))["id"]
    answer = ok(await api.post(f"/prompts/{pid2}/render", json={"variables": {"on": "false"}}))
    assert answer["data"]["prompt"] == ""
