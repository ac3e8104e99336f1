"""The pull-request comment form of a plan, drawn from the plan JSON only.

GitHub refuses comments over 65,536 characters, so the result never exceeds
``limit``: past it, per-change details are dropped (first-fit, in apply order)
while the header, counts, risks and a one-line summary of every change stay.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from engine.gitops.render import common
from engine.redaction import scrub, scrub_data

MARKER = "<!-- portkey-gitops-plan -->"
DEFAULT_LIMIT = 60_000
_SEE_ALSO = "see the job summary / plan.json artifact"
_MD_SPECIAL = frozenset("\\`*_[]|~!")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_BACKTICKS = re.compile(r"`+")


# ---------------------------------------------------------------- escaping


def _escape(text: str) -> str:
    """Text safe inside a markdown paragraph, list item or table cell (one line).

    Controls are made visible, HTML is escaped and every character markdown gives a meaning
    (links, emphasis, code, table cells) is backslash-escaped.
    """
    text = html.escape(common.visible(" ".join(str(text).splitlines())), quote=False)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def _md(text: str) -> str:
    """Escaped inline text; balanced ``code`` spans become ``<code>`` so they keep their look."""
    parts = _CODE_SPAN.split(str(text))
    return "".join(_code(part) if i % 2 else _escape(part) for i, part in enumerate(parts))


def _code(text: str) -> str:
    """Inline code inside markdown (its content is still parsed, hence the escaping)."""
    return f"<code>{_escape(text)}</code>"


def _html(text: str) -> str:
    """Text inside a raw HTML line such as ``<summary>``, where markdown is not parsed."""
    return html.escape(common.visible(" ".join(str(text).splitlines())), quote=False)


def _fenced(lines: list[str], info: str) -> str:
    """A code block whose fence is longer than any backtick run inside, so nothing can close it.

    Lines keep their text (a diff stays a diff) but controls are made visible.
    """
    lines = [common.visible(line) for line in lines]
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + info, *lines, fence]) + "\n\n"


def _tidy(text: str) -> str:
    """Collapse runs of blank lines outside fenced blocks (chunks each bring their own spacing)."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if fence:
            if line.startswith(fence) and not line.strip("`").strip():
                fence = ""
        elif line.startswith("```"):
            fence = line[: len(line) - len(line.lstrip("`"))]
        elif not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------- sections


def _head(plan: dict[str, Any]) -> str:
    fields = common.header_fields(plan)
    git = _code(fields["sha"]) + (" " + fields["dirty"] if fields["dirty"] else "")
    out = [
        f"{MARKER}\n### Portkey plan\n\n",
        f"**Environment:** {_code(fields['environment'])} · **Workspace:** {_code(fields['workspace'])}"
        f" · **Git:** {git} · {_escape(fields['requests'])}\n\n",
    ]
    caution: list[str] = []
    for title, items in ((common.BLOCKED_TITLE, plan.get("blocked")), ("Errors:", plan.get("errors"))):
        if items:
            if caution:
                caution.append(">")
            caution.append(f"> **{_escape(title)}**")
            caution += [f"> - {_md(item)}" for item in common.texts(items)]
    if caution:
        out.append("> [!CAUTION]\n" + "\n".join(caution) + "\n\n")
    columns, rows = common.count_table(plan)
    if rows:
        table = ["| kind | " + " | ".join(_escape(c) for c in columns) + " |",
                 "| --- |" + " ---: |" * len(columns)]
        table += [
            f"| {_escape(kind)} | " + " | ".join(str(n) if n else "" for n in counts) + " |"
            for kind, counts in rows
        ]
        out.append("\n".join(table) + "\n\n")
    out.append(f"**{_escape(common.total_line(plan))}**\n\n")
    if risks := common.risk_lines(plan):
        out.append("**Risks**\n\n" + "".join(f"- **{_md(line)}**\n" for line in risks) + "\n")
    return "".join(out)


def _summary_line(change: dict[str, Any], *, cut: bool) -> str:
    sym, address, actions = common.heading(change)
    suffix = " — _details cut_" if cut else ""
    return f"- {_code(f'{sym} {address}')} — {_escape(actions)}{suffix}\n"


def _details(change: dict[str, Any]) -> str:
    sym, address, actions = common.heading(change)
    summary = f"<code>{_html(f'{sym} {address}')}</code> — {_html(actions)}"
    if common.replace_reason(change):
        summary += " — <b>must be replaced</b>"
    body = [f"\n<details><summary>{summary}</summary>\n\n"]
    if loud := common.replace_reason(change):
        body.append(f"**{_md(loud)}**\n\n")
    facts = [_code(r) for r in [common.remote_line(change)] if r]
    if version := common.version_line(change):
        facts.append(_md(version))
    if facts:
        body.append(" · ".join(facts) + "\n\n")
    if reasons := common.reasons(change):
        body.append("".join(f"- {_md(r)}\n" for r in reasons) + "\n")
    for label, lines in common.text_diffs(change):
        body.append(f"**{_md(label)}**\n\n" + _fenced(lines, "diff"))
    if paths := common.path_diffs(change):
        body.append("**Fields**\n\n" + _fenced([f"{op} {text}" for op, text in paths], "diff"))
    body.append("</details>\n\n")
    return "".join(body)


def _section(title: str, lines: list[str], intro: str = "") -> str:
    if not lines:
        return ""
    return f"\n#### {title}\n\n" + (intro + "\n\n" if intro else "") + "".join(f"- {x}\n" for x in lines)


def _compact(title: str, count: int, noun: str) -> str:
    if not count:
        return ""
    return f"\n#### {title}\n\n{common.plural(count, noun)}; {_SEE_ALSO}.\n"


def _tail(plan: dict[str, Any], *, compact: bool) -> str:
    drift = common.drift_items(plan)
    adoptable = common.adoptable_items(plan)
    warnings = common.warning_lines(plan)
    drift_title = common.DRIFT_TITLE.rstrip(":")
    adopt_title = "Unmanaged objects that match a resource"
    if compact:
        return (
            _compact(drift_title, len(drift), "object")
            + _compact(adopt_title, len(adoptable), "object")
            + _compact("Warnings", len(warnings), "warning")
        )
    drift_lines = []
    for address, detail, who, suggestion in drift:
        line = f"{_code(address)}: {_md(detail)}"
        if who:
            line += f" ({_escape(who)})"
        if suggestion:
            line += f"; suggested: {_md(suggestion)}"
        drift_lines.append(line)
    adopt_lines = [f"{_code(address)} ({_escape(what)}): {_code(cmd)}" for address, what, cmd in adoptable]
    return (
        _section(drift_title, drift_lines)
        + _section(adopt_title, adopt_lines, f"Run {_code(common.IMPORT_HINT)} to adopt one:")
        + _section("Warnings", [_md(w) for w in warnings])
    )


def _cut_note(cut: int) -> str:
    what = "1 resource's details were cut" if cut == 1 else f"{cut} resource details were cut"
    return f"\n_{what} to stay under the comment limit; {_SEE_ALSO}._\n"


# ---------------------------------------------------------------- budget


@dataclass
class _Block:
    full: str  # the <details> block (or the summary line when there is nothing more to show)
    short: str  # the one-line summary kept when details are cut


def _fit(head: str, blocks: list[_Block], tails: tuple[str, str], limit: int) -> str:
    """The fullest comment that fits: all details, else first-fit details, else fewer lines."""
    full = head + "".join(b.full for b in blocks) + tails[0]
    if len(full) <= limit:
        return full
    note_room = len(_cut_note(len(blocks)))
    for tail in tails:
        budget = limit - len(head) - len(tail) - note_room - sum(len(b.short) for b in blocks)
        if budget < 0:
            continue
        chosen, cut = [], 0
        for block in blocks:
            extra = len(block.full) - len(block.short)
            if extra <= budget:
                chosen.append(block.full)
                budget -= extra
            else:
                chosen.append(block.short)
                cut += 1
        return head + "".join(chosen) + tail + (_cut_note(cut) if cut else "")
    # Not even one line per change fits: keep as many lines as do, then say how many are missing.
    more_room = len(_more_note(len(blocks)))
    budget = limit - len(head) - len(tails[1]) - note_room - more_room
    kept: list[str] = []
    for block in blocks:
        if len(block.short) > budget:
            break
        kept.append(block.short)
        budget -= len(block.short)
    missing = len(blocks) - len(kept)
    text = head + "".join(kept) + (_more_note(missing) if missing else "") + tails[1] + _cut_note(len(blocks))
    return _hard_cut(text, limit)


def _more_note(missing: int) -> str:
    return f"\n_…and {common.plural(missing, 'more change')}; {_SEE_ALSO}._\n"


def _hard_cut(text: str, limit: int) -> str:
    """Last resort (a header alone over the limit): cut at a line end and say so."""
    if len(text) <= limit:
        return text
    note = f"\n_…cut to stay under the comment limit; {_SEE_ALSO}._\n"
    if limit <= len(note):
        return text[:limit]
    room = text[: limit - len(note)]
    return (room[: room.rfind("\n")] if "\n" in room else room) + note


def render_markdown(plan: dict[str, Any], *, limit: int = DEFAULT_LIMIT) -> str:
    """The plan as a GitHub comment (one sticky comment found by its marker), at most ``limit`` chars.

    Registered secret values are scrubbed from the plan before drawing and from the result.
    """
    common.check_format(plan)
    plan = scrub_data(plan)
    head = _head(plan)
    blocks = []
    changes = common.changes_in_order(plan)
    if changes:
        head += "#### Changes, in apply order\n\n"
    for change in changes:
        short = _summary_line(change, cut=False)
        if common.has_details(change):
            blocks.append(_Block(full=_details(change), short=_summary_line(change, cut=True)))
        else:
            blocks.append(_Block(full=short, short=short))
    tails = (_tail(plan, compact=False), _tail(plan, compact=True))
    text = scrub(_tidy(_fit(head, blocks, tails, limit)).rstrip("\n") + "\n")
    return text if len(text) <= limit else text[:limit]
