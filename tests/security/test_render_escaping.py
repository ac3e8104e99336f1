"""Every plan renderer (terminal, Markdown, JSON) escapes what comes from live data and scrubs secrets.

A plan is built whose every free-text field (addresses, remote ids and slugs, reasons, diff text,
field paths and values, drift, adoptable names, warnings, errors, blocked rules) carries terminal
escapes, control and bidi characters, Rich markup, Markdown/HTML injection and a registered secret;
each rendered form must show none of it raw.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from engine import redaction
from engine.gitops.plan import Action, Change, FieldDiff, Plan, PlanDiagnostic, Risk, RiskNote, TextDiff
from engine.gitops.render import render_human, render_json, render_markdown
from engine.gitops.render.common import visible

SECRET = "sk-render-PLANTED-7f3e9a1c"
EVIL = [
    "\x1b[31mred\x1b[0m", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "\x1b[2J", "over\rwrite", "back\bspace",
    "bell\x07", "c1\x9bcsi", "nl\nnext", "\u202eevil\u202c", "iso\u2066x\u2069", "sep\u2028line",
    "[link=http://evil]x[/link]", "[bold red]loud[/]", "pipe|cell", "tick`s", "```fence", "<img src=x onerror=1>",
    "[click](http://evil)", "![img](http://evil/x.png)", SECRET,
]
NAME = "".join(EVIL)
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@pytest.fixture(autouse=True)
def _planted_secret() -> None:
    redaction.register(SECRET)


def hostile_plan() -> dict[str, Any]:
    diff = "\n".join(["--- live", "+++ git", "@@ -1 +1 @@", f"-old {NAME}", f"+new {NAME}", "+````more ticks````"])
    change = Change(
        address=f"config:{NAME}", kind="config", key=NAME, actions=[Action.UPDATE, Action.NEW_VERSION],
        remote={"id": NAME, "slug": NAME, "version": 2, "published_version": 1, "labels": [NAME]},
        diff=[FieldDiff(path=f"config.{NAME}", op="change", before=NAME, after=f"x{NAME}")],
        text_diffs=[TextDiff(label=NAME, unified=diff)], reasons=[NAME, f"`{NAME}`"],
    )
    replace = Change(address=f"prompt:{NAME}", kind="prompt", key=NAME, actions=[Action.REPLACE],
                     reasons=[NAME], order=1)
    return Plan(
        changes=[change, replace],
        drift=[{"address": f"config:{NAME}", "detail": NAME, "updated_by": NAME, "suggestion": NAME}],
        adoptable=[{"address": f"config:{NAME}", "remote": {"id": NAME, "slug": NAME, "name": NAME}}],
        warnings=[NAME], errors=[NAME, PlanDiagnostic(NAME, address=NAME, file=NAME, line=2)], blocked=[NAME],
        risk_summary=[RiskNote(Risk.AFFECTS_PROMPTS, NAME, NAME)], incomplete=[NAME],
        environment=NAME, workspace=NAME, source={"git_sha": NAME, "dirty": True}, requests=3,
    ).to_json()


def assert_no_raw(text: str) -> None:
    found = RAW.findall(text)
    assert not found, [hex(ord(c)) for c in found]
    assert SECRET not in text


def test_terminal_plan_shows_escapes_and_no_markup() -> None:
    plain = render_human(hostile_plan(), color=False, width=100)
    assert_no_raw(plain)
    assert "\\x1b[31mred" in plain and "\\u202e" in plain and "over\\x0dwrite" in plain
    assert "[link=http://evil]x[/link]" in plain and "[bold red]loud[/]" in plain  # printed, not interpreted
    assert redaction.SCRUBBED in plain


def test_coloured_terminal_plan_has_only_its_own_colour_codes() -> None:
    coloured = render_human(hostile_plan(), color=True, width=100)
    assert SECRET not in coloured
    own = re.sub(r"\x1b\[[0-9;]*m", "", coloured)  # the renderer's SGR colours are the only escapes
    assert_no_raw(own)
    assert "\x1b]8" not in coloured and "\x1b[2J" not in coloured and "\x1b[31mred" not in coloured


def test_markdown_plan_escapes_cells_links_html_and_fences() -> None:
    md = render_markdown(hostile_plan())
    assert_no_raw(md)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    inline = [child for token in tokens if token.children for child in token.children]
    assert not [t for t in inline if t.type in ("link_open", "image")]
    assert not [t for t in inline if t.type == "html_inline" and "<img" in t.content]
    assert not [t for t in tokens if t.type == "html_block" and "<img" in t.content]
    fences = [t for t in tokens if t.type == "fence"]
    diff_fences = [t for t in fences if t.info == "diff" and "new " in t.content]
    assert diff_fences, "the text diff stays one fenced block"
    assert "+````more ticks````" in diff_fences[0].content  # a fence inside content does not close the block
    assert "\\x1b[31mred" in diff_fences[0].content


def test_json_plan_is_ascii_and_scrubbed() -> None:
    text = render_json(hostile_plan())
    assert text.isascii()
    assert_no_raw(text)
    assert "\\u001b[31mred" in text
    assert json.loads(text)["environment"].startswith("\x1b[31mred")  # still the same data once parsed


def test_plan_json_cli_output_goes_through_render_json(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.options import write_outputs

    write_outputs(hostile_plan(), None, True, None)
    out = capsys.readouterr().out
    assert out.isascii() and SECRET not in out and "\x1b" not in out


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=40))
def test_visible_never_leaves_a_control_and_keeps_printable_text(text: str) -> None:
    shown = visible(text)
    assert not [c for c in shown if c != "\t" and unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs"}]
    if text.isprintable():
        assert shown == text


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_any_live_name_renders_without_raw_controls(name: str) -> None:
    plan = Plan(changes=[Change(address=f"config:{name}", kind="config", key=name, actions=[Action.UPDATE],
                                reasons=[name], text_diffs=[TextDiff(label=name, unified=f"+{name}")])],
                warnings=[name]).to_json()
    for text in (render_human(plan, color=False), render_markdown(plan), render_json(plan)):
        assert not [c for c in text if c not in "\n\t" and unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"}]
