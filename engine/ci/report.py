"""The Markdown the action writes: the sticky pull-request comment, the job summary and the drift issue.

The plan itself is drawn by :func:`engine.gitops.render.render_markdown`; this module adds the
per-environment marker (the sticky comment and the drift issue are found by it), the pointer to the
plan artifact and run, and the short texts for failures, applies and drift.
"""

from __future__ import annotations

import html
import re
from typing import Any

from engine.ci.context import Context, safe_name
from engine.gitops.render import render_markdown
from engine.gitops.render.common import visible
from engine.redaction import scrub

COMMENT_LIMIT = 65_536  # GitHub refuses a comment (or issue body) longer than this
_MARGIN = 500  # room for the marker and the artifact pointer around the plan
FULL_LIMIT = 900_000  # the job summary and the Markdown artifact: the whole plan

_MD_SPECIAL = frozenset("\\`*_[]|~!")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
PLAN_KIND = "plan"
DRIFT_KIND = "drift"


def marker(kind: str, env_name: str) -> str:
    """The hidden first line that identifies our comment (or issue) for ``env_name``."""
    return f"<!-- portkey-gitops:{kind} env={safe_name(env_name)} -->"


def text(value: Any) -> str:
    """One line of untrusted text (an error message, a path) safe inside Markdown: HTML escaped, every
    character Markdown gives a meaning backslash-escaped, controls shown."""
    line = html.escape(visible(" ".join(str(value).splitlines())), quote=False)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in line)


def inline(value: Any) -> str:
    """Like :func:`text`, but balanced `code` spans (in the tool's own messages) stay code."""
    parts = _CODE_SPAN.split(" ".join(str(value).splitlines()))
    return "".join(f"<code>{text(part)}</code>" if i % 2 else text(part) for i, part in enumerate(parts))


def counts(plan: dict[str, Any]) -> dict[str, int]:
    """Changes by what they do to the object: create, update (anything in place, a replace too) or delete."""
    out = {"create": 0, "update": 0, "delete": 0}
    for change in plan.get("changes", []):
        actions = set(change.get("actions", []))
        if actions <= {"noop"}:
            continue
        if actions >= {"delete", "create"}:  # a replace
            out["update"] += 1
        elif "create" in actions:
            out["create"] += 1
        elif actions & {"delete", "archive"}:
            out["delete"] += 1
        else:
            out["update"] += 1
    return out


def run_link(ctx: Context) -> str:
    return f"[run {text(ctx.run_id)}]({ctx.run_url})" if ctx.run_url else "this workflow run"


def artifact_pointer(ctx: Context) -> str:
    return f"the artifact <code>{text(ctx.artifact_name)}</code> of {run_link(ctx)}"


def full_plan(plan: dict[str, Any]) -> str:
    """The whole plan as Markdown (job summary, artifact)."""
    return render_markdown(plan, limit=FULL_LIMIT)


def plan_comment(ctx: Context, plan: dict[str, Any], *, heading: str = "", limit: int = COMMENT_LIMIT) -> str:
    """The sticky comment for a plan; past GitHub's limit the details are cut and the artifact named."""
    head = marker(PLAN_KIND, ctx.env_name) + "\n" + (heading + "\n\n" if heading else "")
    whole = full_plan(plan)
    footer = f"\n---\n_Full plan (JSON and Markdown): {artifact_pointer(ctx)}._\n"
    room = limit - len(head) - _MARGIN
    if len(head) + len(whole) + len(footer) <= limit - _MARGIN:
        return scrub(head + whole + footer)
    cut = render_markdown(plan, limit=room)
    note = (f"\n> [!NOTE]\n> This plan is longer than GitHub's {COMMENT_LIMIT:,}-character comment limit, so it "
            f"is shortened here. The full plan is in {artifact_pointer(ctx)} and in the job summary.\n")
    return scrub(head + cut + note + footer)


def failure(ctx: Context, reason: str, title: str, lines: list[str], stage: str = "plan") -> str:
    """A short comment/summary for a failure: what failed, where, and what to do."""
    body = [marker(PLAN_KIND, ctx.env_name), f"### Portkey {stage} — {text(ctx.env_name)}: {inline(title)}", "",
            "> [!CAUTION]", f"> **failure_reason:** <code>{text(reason)}</code>", ">"]
    body += [f"> - {inline(line)}" for line in lines[:50]]
    if len(lines) > 50:
        body.append(f"> - …and {len(lines) - 50} more; see the job log")
    body += ["", f"_See {run_link(ctx)}._", ""]
    return scrub("\n".join(body))


def applied(ctx: Context, plan: dict[str, Any], steps: list[Any], *, writes: int, replanned: bool) -> str:
    """What apply wrote, for the pull request's comment and the job summary."""
    source = ("planned again on merge (`replan-on-merge`)" if replanned
              else "the plan reviewed on the pull request, checked unchanged")
    head = [marker(PLAN_KIND, ctx.env_name),
            f"### Portkey apply — {text(ctx.env_name)}: {writes} write(s) done",
            "", f"Applied {source}, in {run_link(ctx)}.", ""]
    if steps:
        head += ["| action | resource | result |", "| --- | --- | --- |"]
        head += [f"| {text(step.action.value)} | <code>{text(step.address)}</code> | "
                 f"{'ok' if step.ok else 'FAILED'}{' — ' + text(step.detail) if step.detail else ''} |"
                 for step in steps[:300]]
        if len(steps) > 300:
            head.append(f"| … | {len(steps) - 300} more | see the job log |")
    else:
        head.append("Nothing to write: Portkey already matched the repository.")
    return scrub("\n".join(head) + "\n")


def skipped(ctx: Context, why: str, diagnostics: list[str]) -> str:
    """The summary of a validate-only run (fork pull request, no API key)."""
    lines = [f"### Portkey plan — {text(ctx.env_name)}: validated only", "", f"> [!NOTE]\n> {text(why)}", ""]
    if diagnostics:
        lines += ["**Problems found in the files:**", ""] + [f"- {text(d)}" for d in diagnostics[:200]]
    else:
        lines.append("The project files are valid.")
    return scrub("\n".join(lines) + "\n")


def drift_body(ctx: Context, found: dict[str, Any]) -> str:
    """The drift issue's body: under the marker and a link to the run, the drift report's Markdown form, as
    ``portkey-gitops drift --markdown`` writes it (per object what changed, who could have changed it and the
    command that puts it back; the kinds checked; a stale lock)."""
    from engine.gitops.render.drift import render_drift_markdown

    head = "\n".join([marker(DRIFT_KIND, ctx.env_name),
                      f"Portkey objects of environment <code>{text(ctx.env_name)}</code> changed outside git, "
                      f"found by {run_link(ctx)}.", "",
                      "Bring them back with a pull request (or run the command under *Put it back*), or copy the "
                      "change into the repository.", "", ""])
    body = head + render_drift_markdown(found)
    limit = COMMENT_LIMIT - _MARGIN
    if len(body) > limit:
        body = body[:limit] + "\n\n…cut here: the job summary of the run has the whole report.\n"
    return scrub(body)


def drift_title(ctx: Context) -> str:
    return f"Portkey drift in {safe_name(ctx.env_name)}"
