"""The drift report (``drift``) in its three forms, drawn only from :meth:`DriftReport.to_json`.

Each object says what changed, who could have changed it and the command that puts git's version
back; a stale lock is named with its evidence and the objects it cannot judge; the plan's warnings
follow (their sentences; the JSON form has them as diagnostics with codes). The terminal form
makes control characters visible, the Markdown form escapes everything from live data, and the
JSON form is ASCII-only; all three are scrubbed of registered secret values.
"""

from __future__ import annotations

from typing import Any

from engine.gitops.render import common
from engine.gitops.render.jsonform import render_json
from engine.gitops.render.markdown import _code, _escape, _md
from engine.redaction import scrub, scrub_data

NO_DRIFT = "No drift: every checked object is as git or the last apply left it."
DRIFT_HEAD = "Changed in Portkey outside git:"
STALE_HEAD = ("The lock file is stale: the account was applied by this tool after the lock was written, so what "
              "differs from the lock is not reported as drift.")
UNJUDGED_HEAD = "Objects the stale lock cannot judge:"
REFRESH = "Refresh the lock: run apply with --lock (it rewrites the file even when there is nothing to change)."
WARNINGS_HEAD = "Warnings:"


def _checked(report: dict[str, Any]) -> list[str]:
    lines = [f"Checked: {', '.join(report.get('checked') or [])}."]
    if report.get("unchecked"):
        lines.append("Not checked (they carry no stamp; give the --lock file the last apply wrote): "
                     f"{', '.join(report['unchecked'])}.")
    return lines


def _stale(report: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    lock = report.get("lock") or {}
    return [str(x) for x in lock.get("why") or []], list(lock.get("unjudged") or [])


def _restore(item: dict[str, Any]) -> str:
    effect = f" ({item['restore_effect']})" if item.get("restore_effect") else ""
    return f"{item.get('restore') or 'portkey-gitops apply'}{effect}"


def _effect(item: dict[str, Any]) -> str:
    return f" ({_md(str(item['restore_effect']))})" if item.get("restore_effect") else ""


def render_drift_json(report: dict[str, Any]) -> str:
    """``drift --json``: the report as ASCII-only, key-sorted JSON."""
    return render_json(report)


def render_drift_text(report: dict[str, Any]) -> str:
    """The terminal form: plain lines, control characters made visible, secrets scrubbed."""
    report = scrub_data(report)
    lines: list[str] = []
    items = report.get("drift") or []
    if not items:
        lines.append(NO_DRIFT)
    else:
        lines.append(DRIFT_HEAD)
        for item in items:
            lines.append(f"  {item.get('address')}: {item.get('detail')}")
            lines.append(f"    what changed: {item.get('changed')}")
            lines.append(f"    who could have: {item.get('who')}")
            lines.append(f"    put it back: {_restore(item)}")
    why, unjudged = _stale(report)
    if why:
        lines.append(STALE_HEAD)
        lines += [f"  evidence: {line}" for line in why]
        if unjudged:
            lines.append(UNJUDGED_HEAD)
            lines += [f"  {item.get('address')}: {item.get('detail')}" for item in unjudged]
        lines.append(REFRESH)
    if warnings := common.texts(report.get("warnings")):
        lines.append(WARNINGS_HEAD)
        lines += [f"  ! {line}" for line in warnings]
    lines += _checked(report)
    return scrub("".join(common.visible(line) + "\n" for line in lines))


def render_drift_markdown(report: dict[str, Any]) -> str:
    """The Markdown form (an issue or comment body): a table of what changed, by whom, and how to restore."""
    report = scrub_data(report)
    items = report.get("drift") or []
    out = ["### Portkey drift\n\n"]
    if not items:
        out.append(_escape(NO_DRIFT) + "\n\n")
    else:
        out.append(f"{common.plural(len(items), 'object')} changed in Portkey outside git.\n\n")
        out.append("| Object | What changed | Who could have changed it | Put it back |\n|---|---|---|---|\n")
        for item in items:
            out.append(f"| {_code(str(item.get('address')))} | {_md(str(item.get('changed')))}<br>"
                       f"{_md(str(item.get('detail')))} | {_md(str(item.get('who')))} | "
                       f"{_code(str(item.get('restore') or 'portkey-gitops apply'))}"
                       f"{_effect(item)} |\n")
        out.append("\n")
    why, unjudged = _stale(report)
    if why:
        out.append(f"#### Stale lock file\n\n{_escape(STALE_HEAD)}\n\n")
        out += [f"- {_md(line)}\n" for line in why]
        if unjudged:
            out.append(f"\n{_escape(UNJUDGED_HEAD)}\n\n")
            out += [f"- {_code(str(i.get('address')))}: {_md(str(i.get('detail')))}\n" for i in unjudged]
        out.append(f"\n{_escape(REFRESH)}\n\n")
    if warnings := common.texts(report.get("warnings")):
        out.append("#### Warnings\n\n")
        out += [f"- {_md(line)}\n" for line in warnings]
        out.append("\n")
    out += [_escape(line) + "\n\n" for line in _checked(report)]
    return scrub("".join(out))
