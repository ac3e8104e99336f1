"""Mustache scanning (engine.gitops.templates) and the variable checks built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.templates import line_col, scan
from tests.gitops.fixtures import load, messages


def test_scan_finds_every_tag_form() -> None:
    result = scan("{{a}} {{{b}}} {{& c}} {{#d}}{{e.f}}{{/d}} {{^g}}{{h}}{{/g}} {{! {{not}} }} {{>p}} {{> q@3}} {{.}}")
    assert result.variables == {"a", "b", "c", "d", "e", "g", "h"}
    assert result.top_level == {"a", "b", "c", "d", "g", "h"}  # e is read inside section d
    assert [(p.name, p.version) for p in result.partials] == [("p", None), ("q", "3")]
    assert result.problems == []


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{{#a}}x", "section {{#a}} is never closed: add {{/a}}"),
        ("x{{/a}}", "{{/a}} closes no open section"),
        ("{{#a}}{{#b}}{{/a}}", "{{/a}} does not match the open section {{#b}}: close it with {{/b}} first"),
        ("{{=<% %>=}}", "changing Mustache delimiters ({{=...=}}) is not supported"),
        ("{{ }}", "empty tag {{ }}"),
        ("{{>tone@latest}}", "bad partial reference {{>tone@latest}}: write {{>key}} or {{>key@N}}"),
        ("{{> two words}}", "bad partial reference {{> two words}}: write {{>key}} or {{>key@N}}"),
    ],
)
def test_scan_problems(text: str, problem: str) -> None:
    assert [p.message for p in scan(text).problems] == [problem]


def test_line_col() -> None:
    text = "ab\ncd{{x}}"
    assert line_col(text, text.index("{{")) == (2, 3)
    assert line_col(text, 0) == (1, 1)


def test_variables_checked_against_declaration_including_partials(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "partials/greet.partial.md": "Hi {{name}} {{>sign}}\n",
            "partials/sign.partial.md": "-- {{agent}}\n",
            "prompts/p.prompt.yaml": """\
                virtual_key: vk
                messages:
                  - {role: system, content: "{{>greet}}"}
                  - {role: user, content: "{{question}} {{#items}}{{title}}{{/items}} {{ticket}}"}
                variables: [name, question, items, unused]
                """,
        },
    )
    assert messages(state) == [
        "prompts/p.prompt.yaml:5:1: warning: variable agent is used but not declared: add it to `variables`",
        "prompts/p.prompt.yaml:5:1: warning: variable ticket is used but not declared: add it to `variables`",
        "prompts/p.prompt.yaml:5:36: warning: variable unused is declared but not used: remove it from "
        "`variables` or use {{unused}}",
    ]
    assert state.warnings == state.diagnostics
    assert state.resources["prompt:p"].refs == {"partial:greet"}
    assert state.resources["partial:greet"].refs == {"partial:sign"}


def test_no_variable_warnings_without_declaration(tmp_path: Path) -> None:
    state = load(tmp_path, {"prompts/p.prompt.yaml": "virtual_key: vk\ntemplate: '{{a}} {{b}}'\n"})
    assert messages(state) == []


def test_partial_cycle_is_an_error(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "partials/a.partial.md": "{{x}} {{>b}}\n",
            "partials/b.partial.md": "{{y}} {{>a}}\n",
            "partials/c.partial.md": "{{>c}}\n",
            "prompts/p.prompt.yaml": "virtual_key: vk\ntemplate: '{{>a}}'\nvariables: [x, y]\n",
        },
    )
    assert messages(state) == [
        "partials/a.partial.md:1:1: error: partials include each other in a cycle (a -> b -> a): break the cycle",
        "partials/c.partial.md:1:1: error: partials include each other in a cycle (c -> c): break the cycle",
    ]


def test_a_leading_horizontal_rule_is_not_front_matter(tmp_path: Path) -> None:
    state = load(tmp_path, {"partials/a.partial.md": "----\ntext\n"})
    assert messages(state) == []
    assert state.resources["partial:a"].spec["string"] == "----\ntext"


def test_partial_body_is_exact_text_minus_one_newline(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "partials/a.partial.md": b"---\r\npublish: false\r\n---\r\n  Line one\r\n\r\nLine three\r\n\r\n",
            "partials/b.partial.md": "no front matter\n---\nnot front matter either\n",
        },
    )
    assert messages(state) == []
    assert state.resources["partial:a"].spec == {
        "name": "a",
        "string": "  Line one\n\nLine three\n",
        "version_description": None,
        "publish": False,
    }
    assert state.resources["partial:b"].spec["string"] == "no front matter\n---\nnot front matter either"


def test_content_file_keeps_text_minus_one_newline(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "prompts/p.prompt.yaml": "virtual_key: vk\nmessages:\n  - {role: user, content_file: texts/p.md}\n",
            "prompts/texts/p.md": "Hello\n\n",
        },
    )
    assert messages(state) == []
    assert state.resources["prompt:p"].spec["messages"] == [{"role": "user", "content": "Hello\n"}]
    assert "prompts/texts/p.md" in state.files


def test_scanned_partials_are_the_ones_references_resolve() -> None:
    """The loader's scan and the plan's resolution of ``{{>key@N}}`` read the same tags, pins kept."""
    from engine.gitops.kinds import floating_partials, resolve_partials

    text = "{{#s}}{{>tone}}{{/s}} {{ > sign@2 }} {{! {{>not-a-tag}} }}"
    assert [(p.name, p.version) for p in scan(text).partials] == [("tone", None), ("sign", "2")]
    assert floating_partials(text) == {"tone"}
    resolved = resolve_partials(text, {"partial:tone": "pp-tone-1", "partial:sign": "pp-sign-2"})
    assert resolved.startswith("{{#s}}{{>pp-tone-1}}{{/s}} {{>pp-sign-2@2}}")


def test_bad_partial_reference_is_an_error_at_its_place(tmp_path: Path) -> None:
    state = load(tmp_path, {"prompts/p.prompt.yaml": "virtual_key: vk\ntemplate: 'Hi {{>tone@latest}}'\n"})
    assert messages(state) == [
        "prompts/p.prompt.yaml:2:11: error: bad partial reference {{>tone@latest}}: write {{>key}} or {{>key@N}}"
    ]
