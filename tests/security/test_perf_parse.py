"""The fast YAML path (libyaml) must read every document exactly as the round-trip path does.

Same data, same key and value positions, same diagnostics; anything it cannot be sure of (aliases,
tags, merge keys, duplicate keys, scalars YAML 1.1 and 1.2 read differently, limits) is left to the
bounded round-trip parser, so issue 7's bounds hold whichever path parses.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from engine.gitops.loading import yamldoc
from engine.gitops.loading.yamldoc import MAX_DEPTH, MAX_NODES, YamlDoc, parse_yaml
from engine.gitops.model import Diagnostic

# ruamel warns of a reused anchor on the round-trip path (either path answers the same)
pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")

PROMPT = (
    "virtual_key: ${binding:openai}\nmodel: gpt-4o-mini\nparameters: {temperature: 0.2, max_tokens: 100}\n"
    "messages:\n  - role: system\n    content: 'You are bot 1. {{>part-1}}'\n  - role: user\n"
    "    content: |\n      {{question}}\n      second line\nlabels: [production, staging]\nnotes:\n"
)


def _same(text: str, offset: int = 0) -> YamlDoc | Diagnostic:
    """parse_yaml's answer, checked against the round-trip path's."""
    got = parse_yaml(text, "f.yaml", offset)
    want = yamldoc._round_trip(text, "f.yaml", offset)
    if isinstance(want, Diagnostic):
        assert isinstance(got, Diagnostic) and str(got) == str(want)
        return got
    assert isinstance(got, YamlDoc)
    assert (got.data, got.keys, got.values) == (want.data, want.keys, want.values)
    assert [type(v) for v in _leaves(got.data)] == [type(v) for v in _leaves(want.data)]
    return got


def _leaves(data: object) -> list[object]:
    if isinstance(data, dict):
        return [leaf for v in data.values() for leaf in _leaves(v)]
    if isinstance(data, list):
        return [leaf for v in data for leaf in _leaves(v)]
    return [data]


def test_a_typical_resource_file_takes_the_fast_path_with_the_same_positions() -> None:
    assert yamldoc._fast_parse(PROMPT, "f.yaml", 0) is not None
    doc = _same(PROMPT, offset=1)
    assert isinstance(doc, YamlDoc)
    assert doc.location(("messages", 1, "content")).line == 9
    assert doc.location(("parameters", "max_tokens")).column == 44


@pytest.mark.parametrize("text", [
    "a: yes\nb: on\nc: 010\nd: 0o17\ne: 1e3\nf: .inf\ng: 2024-01-01\nh: 1_000\ni: =\nj: 0x1F\n",
    "a: &x [1, 2]\nb: *x\n",
    "base: &b {k: 1}\nother:\n  <<: *b\n  j: 2\n",
    "a: !custom value\nb: !!str 3\n",
    "a: 1\na: 2\n",
    "1: one\ntrue: yes\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: [1, 2\n",
    "a: 'unterminated\n",
    "- a\n- b: c\n  d: [e, {f: g}]\n",
    "",
    "# only a comment\n",
    "just text\n",
    "a: b\n---\nc: d\n",
    "a:\n\tb: c\n",
    "? [complex, key]\n: value\n",
    "a: \"esc \\u00e9 \\/ \\x41\"\nb: >\n  folded\n  text\n",
])
def test_edge_cases_read_as_the_round_trip_path_reads_them(text: str) -> None:
    _same(text)


def test_aliases_still_meet_the_bounded_composer() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    assert yamldoc._fast_parse(bomb, "f.yaml", 0) is None
    result = parse_yaml(bomb, "f.yaml")
    assert isinstance(result, Diagnostic) and f"more than {MAX_NODES} values" in str(result)
    cycle = parse_yaml("a: &a [*a]\n", "f.yaml")
    assert isinstance(cycle, Diagnostic) and "refers to a node that contains it" in str(cycle)


def test_depth_and_size_bounds_hold_on_the_fast_path() -> None:
    deep = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2)) + "  " * (MAX_DEPTH + 2) + "v\n"
    result = _same(deep)
    assert isinstance(result, Diagnostic) and f"nested more than {MAX_DEPTH} levels deep" in str(result)
    wide = "".join(f"- {i}\n" for i in range(MAX_NODES + 5))
    result = _same(wide)
    assert isinstance(result, Diagnostic) and f"more than {MAX_NODES} values" in str(result)


_WORDS = st.sampled_from(["", "0", "1", "-3", "4.5", "true", "False", "null", "~", "yes", "no", "on", "y",
                          "0o7", "1e2", ".5", "2024-01-01", "a b", "x: y", "#c", "${binding:x}", "{{q}}",
                          "- item", "'q'", "é", "tab\there", "line\nbreak", "=", "<<", "*a", "&b", "!t"])
_TEXT = st.one_of(_WORDS, st.text(string.ascii_letters + string.digits + " .:-_#'\"{}[],&*!|>%@`\n", max_size=12))
_DATA = st.recursive(
    st.one_of(_TEXT, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
              st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_DATA, flow=st.sampled_from([False, None, True]), offset=st.integers(0, 3))
def test_any_dumped_document_reads_the_same_on_both_paths(data: object, flow: bool | None, offset: int) -> None:
    import io

    yaml = YAML(typ="rt")
    yaml.default_flow_style = flow
    out = io.StringIO()
    yaml.dump(data, out)
    _same(out.getvalue(), offset)


@settings(max_examples=100, deadline=None)
@given(text=st.text(string.ascii_letters + string.digits + " :-_#'\"{}[],&*!|>%?\n\t", max_size=60))
def test_any_text_reads_the_same_on_both_paths(text: str) -> None:
    _same(text)


_HEADS = ["a: ", "b: ", "- ", "a:", "- a: ", "", "# c", "? ", "'q': ", '"k": ', "---"]
_VALUES = ["", "x", "1", "1.5", "yes", "[a, b]", "{a: 1}", "|", ">-", "|2", "'s'", '"d\\n"', "x # c", "a: b",
           "*a", "&a x", "!t x", "[", "x y", "${binding:k}", "{{q}}", "é ü", "-1", "null", "~", "@x", "x:",
           "[a, [b, {c: d}]]", "{a: [1, 2], b: }", "http://x:80/y", "- - x", "|#", "\tx"]
_LINE = st.tuples(st.sampled_from([0, 0, 1, 2, 2, 4]), st.sampled_from(_HEADS), st.sampled_from(_VALUES))


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_LINE, min_size=1, max_size=7))
def test_any_arrangement_of_lines_reads_the_same_on_both_paths(lines: list[tuple[int, str, str]]) -> None:
    _same("\n".join(" " * indent + head + value for indent, head, value in lines) + "\n")


def test_the_example_project_loads_the_same_with_and_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pathlib import Path

    from engine.gitops.load import load_project

    root = Path(__file__).resolve().parents[2] / "examples" / "prompts"
    files = sorted(root.rglob("*.yaml"))
    assert files and all(yamldoc._fast_parse(f.read_text(), f.name, 0) is not None for f in files)
    fast = load_project(root, environ={})
    monkeypatch.setattr(yamldoc, "_fast_parse", lambda *args: None)
    slow = load_project(root, environ={})
    assert [str(d) for d in fast.errors + fast.warnings] == [str(d) for d in slow.errors + slow.warnings]
    assert fast.resources and {a: (r.spec, r.refs) for a, r in fast.resources.items()} == {
        a: (r.spec, r.refs) for a, r in slow.resources.items()
    }
