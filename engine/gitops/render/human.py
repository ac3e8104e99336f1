"""The terminal form of a plan, drawn with rich from the plan JSON only."""

from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.gitops.render import common
from engine.redaction import scrub, scrub_data

_TONE_STYLE = {"create": "green", "destroy": "red", "change": "yellow", "noop": "dim"}
_DIFF_STYLE = {
    "header": "bold",
    "hunk": "cyan",
    "add": "green",
    "remove": "red",
    "note": "dim",
    "context": "",
}
_OP_STYLE = {"+": "green", "-": "red", "~": "yellow"}
_INDENT = "  "


def _clean(text: str) -> str:
    """Make control characters visible so plan content cannot drive the terminal."""
    return common.visible(text)


def _text(*parts: tuple[str, str] | str) -> Text:
    """A Text from plain strings and (string, style) pairs; never parses markup."""
    text = Text()
    for part in parts:
        if isinstance(part, str):
            text.append(_clean(part))
        else:
            text.append(_clean(part[0]), style=part[1] or None)
    return text


class _Writer:
    """A rich console writing into a string, with or without ANSI colour."""

    def __init__(self, *, color: bool, width: int) -> None:
        self._buffer = io.StringIO()
        self.console = Console(
            file=self._buffer,
            width=width,
            height=25,
            force_terminal=color,
            force_jupyter=False,
            force_interactive=False,
            color_system="standard" if color else None,
            no_color=not color,
            markup=False,
            emoji=False,
            highlight=False,
            legacy_windows=False,
        )

    def line(self, *parts: tuple[str, str] | str) -> None:
        """One line, never wrapped (diff lines keep their prefix; the terminal folds them)."""
        self.console.print(_text(*parts), soft_wrap=True)

    def blank(self) -> None:
        self.console.print()

    def bullets(self, items: list[str], *, marker: str, indent: int, style: str = "") -> None:
        """A list with a hanging indent, wrapped at the console width."""
        if not items:
            return
        grid = Table.grid(padding=0)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for item in items:
            grid.add_row(_text((" " * indent + marker + " ", style)), _text((item, style)))
        self.console.print(grid)

    def value(self) -> str:
        lines = self._buffer.getvalue().splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(line.rstrip() for line in lines) + "\n"


def render_human(plan: dict[str, Any], *, color: bool, width: int = 100, show_noop: bool = False) -> str:
    """The plan as terminal text: ANSI colours when ``color``, plain text otherwise.

    Every string from the plan is drawn as plain text (never parsed as markup) with control
    characters made visible; the result is scrubbed of registered secret values.
    """
    common.check_format(plan)
    plan = scrub_data(plan)
    out = _Writer(color=color, width=width)
    _header(out, plan)
    _problems(out, plan)
    _counts(out, plan, show_noop=show_noop)
    _risks(out, plan)
    changes = common.changes_in_order(plan, show_noop=show_noop)
    if changes:
        out.line(("Changes, in apply order:", "bold"))
        out.blank()
        for change in changes:
            _change(out, change)
    _drift(out, plan)
    _adoptable(out, plan)
    _warnings(out, plan)
    if changes:
        out.line((common.total_line(plan), "bold"))
    if plan.get("blocked"):
        count = len(plan["blocked"])
        out.line((f"Plan blocked: {common.plural(count, 'safety rule')} {'stops' if count == 1 else 'stop'} it; "
                  "nothing will be applied.", "bold red"))
    return scrub(out.value())


def _header(out: _Writer, plan: dict[str, Any]) -> None:
    fields = common.header_fields(plan)
    out.line(
        ("Environment: ", "bold"), fields["environment"], "   ",
        ("Workspace: ", "bold"), fields["workspace"], "   ",
        ("Git: ", "bold"), fields["git"],
    )
    out.line((fields["requests"], "dim"))
    out.blank()


def _problems(out: _Writer, plan: dict[str, Any]) -> None:
    if errors := plan.get("errors"):
        out.line(("Errors:", "bold red"))
        out.bullets(common.texts(errors), marker="✗", indent=2, style="red")
        out.blank()
    if blocked := plan.get("blocked"):
        out.line((common.BLOCKED_TITLE, "bold red reverse"))
        out.bullets(common.texts(blocked), marker="✗", indent=2, style="bold red")
        out.blank()


def _counts(out: _Writer, plan: dict[str, Any], *, show_noop: bool) -> None:
    columns, rows = common.count_table(plan, show_noop=show_noop)
    if rows:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("kind")
        for action in columns:
            table.add_column(_text((action, _TONE_STYLE[common.action_tone(action)])), justify="right")
        for kind, counts in rows:
            table.add_row(_text(kind), *(_text(str(n)) if n else _text(("·", "dim")) for n in counts))
        out.console.print(table)
        out.blank()
    matches = not (common.has_changes(plan) or plan.get("errors") or plan.get("blocked"))
    style = "bold green" if matches else "bold"
    out.line((common.total_line(plan), style))
    out.blank()


def _risks(out: _Writer, plan: dict[str, Any]) -> None:
    if lines := common.risk_lines(plan):
        out.line(("Risks:", "bold yellow"))
        out.bullets(lines, marker="!", indent=2, style="yellow")
        out.blank()


def _change(out: _Writer, change: dict[str, Any]) -> None:
    sym, address, actions = common.heading(change)
    style = _TONE_STYLE[common.tone(common.actions_of(change))]
    out.line((f"{sym} {address}", f"bold {style}"), "  ", (f"({actions})", style))
    if loud := common.replace_reason(change):
        out.line(_INDENT, (loud, "bold red"))
    if remote := common.remote_line(change):
        out.line(_INDENT, (remote, "dim"))
    if version := common.version_line(change):
        out.line(_INDENT, version)
    out.bullets(common.reasons(change), marker="•", indent=2)
    for label, lines in common.text_diffs(change):
        out.line(_INDENT, (label, "bold"))
        for line in lines:
            kind = common.diff_line_kind(line)
            body = line.rstrip(" \t")
            trailing = line[len(body):] if kind in ("add", "remove") else ""
            marks = trailing.replace(" ", "·").replace("\t", "→")
            out.line(_INDENT * 2, (line if not trailing else body, _DIFF_STYLE[kind]), (marks, "reverse red"))
    for op, text in common.path_diffs(change):
        out.line(_INDENT, (f"{op} {text}", _OP_STYLE.get(op, "")))
    out.blank()


def _drift(out: _Writer, plan: dict[str, Any]) -> None:
    items = common.drift_items(plan)
    if not items:
        return
    out.line((common.DRIFT_TITLE, "bold magenta"))
    for address, detail, who, suggestion in items:
        out.line(_INDENT, ("! ", "magenta"), (address, "bold"), "  ", detail)
        if who:
            out.line(_INDENT * 3, (who, "dim"))
        if suggestion:
            out.line(_INDENT * 3, "suggested: ", suggestion)
    out.blank()


def _adoptable(out: _Writer, plan: dict[str, Any]) -> None:
    items = common.adoptable_items(plan)
    if not items:
        return
    out.line((common.ADOPTABLE_TITLE, "bold cyan"))
    for address, what, command in items:
        out.line(_INDENT, ("< ", "cyan"), (address, "bold"), "  ", (what, "dim"))
        out.line(_INDENT * 3, (command, "cyan"))
    out.blank()


def _warnings(out: _Writer, plan: dict[str, Any]) -> None:
    if lines := common.warning_lines(plan):
        out.line(("Warnings:", "bold yellow"))
        out.bullets(lines, marker="!", indent=2, style="yellow")
        out.blank()
