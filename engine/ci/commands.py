"""``ci plan``, ``ci apply`` and ``ci drift``: what the composite action runs, as functions of a :class:`Context`.

Each command ends the same way (:meth:`Step.finish`): outputs, then the job summary, then the sticky
comment or the drift issue, then one annotation, and only then its exit code, so a red step always
has its summary, outputs and comment. GitHub API failures while commenting are warnings: the plan or
apply result decides the step's colour.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio

from engine.ci import report
from engine.ci.context import Context
from engine.ci.github import GitHub, GitHubError
from engine.ci.outputs import add_summary, annotate, set_outputs
from engine.cli.exits import EXIT_BLOCKED, EXIT_ERROR, EXIT_OK
from engine.errors import EngineError, GitOpsError, LeaseError, LoadError, PlanBlockedError, PlanningError
from engine.portkey import PortkeyError

INVALID, BLOCKED, API_ERROR, PLAN_CHANGED = "invalid", "blocked", "api-error", "plan-changed"
DIRTY_TREE, LEASE_HELD = "dirty-tree", "lease-held"
PLAN_FILE, MARKDOWN_FILE = "plan.json", "plan.md"
PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass
class Step:
    """What one run of the action will report, gathered before anything is written."""

    ctx: Context
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    comment: str | None = None  # the sticky comment's body, when there is one to write
    comment_pr: int | None = None
    stage: str = "plan"  # what the failure title says failed: plan or apply
    notes: list[str] = field(default_factory=list)  # warnings shown after the summary

    def __post_init__(self) -> None:
        self.outputs = {"has_changes": "false", "to_create": "0", "to_update": "0", "to_delete": "0",
                        "plan_json": "", "plan_markdown": "", "failure_reason": "",
                        "artifact_name": self.ctx.artifact_name, "has_drift": "false"}

    def fail(self, reason: str, title: str, lines: list[str], markdown: str | None = None) -> int:
        """Report a failure (summary, comment, outputs) and return its exit code."""
        self.outputs["failure_reason"] = reason
        body = markdown if markdown is not None else report.failure(self.ctx, reason, title, lines, self.stage)
        self.summary = body
        if self.comment_pr is not None:
            self.comment = body
        return self.finish(EXIT_BLOCKED if reason == BLOCKED else EXIT_ERROR, "error",
                           f"{title}: {lines[0]}" if lines else title)

    def finish(self, code: int, level: str = "", message: str = "") -> int:
        """Write everything in order and return ``code``."""
        set_outputs(self.ctx.output_path, self.outputs)
        add_summary(self.ctx.summary_path, self.summary)
        if self.comment is not None and self.comment_pr is not None:
            self._post_comment()
        if self.notes:
            add_summary(self.ctx.summary_path, "".join(f"> [!WARNING]\n> {report.text(n)}\n\n" for n in self.notes))
        for note in self.notes:
            annotate("warning", note)
        if message:
            annotate(level or "notice", message)
        return code

    def _post_comment(self) -> None:
        assert self.comment is not None and self.comment_pr is not None
        try:
            with github(self.ctx) as gh:
                gh.upsert_comment(self.comment_pr, report.marker(report.PLAN_KIND, self.ctx.env_name), self.comment)
        except GitHubError as exc:
            self.notes.append(f"the pull-request comment was not written: {exc} (the workflow needs "
                              "`permissions: pull-requests: write`)")


def github(ctx: Context) -> GitHub:
    return GitHub(ctx.api_url, ctx.repository, ctx.token)


# ---------------------------------------------------------------- plan


def ci_plan(ctx: Context) -> int:
    """Plan a pull request: summary, sticky comment, plan files for the artifact, outputs."""
    step = Step(ctx)
    if ctx.event_name in PR_EVENTS and ctx.pr_number is not None and not ctx.is_fork:
        step.comment_pr = ctx.pr_number
    if (why := _validate_only_reason(ctx)) is not None:
        return validate_only(step, why)
    plan = _run(step, _plan)
    if isinstance(plan, int):
        return plan
    _save_plan(step, plan)
    if plan["errors"]:
        return step.fail(INVALID, "the project files have errors", _lines(plan["errors"]),
                         report.plan_comment(ctx, plan, heading=_failed_heading(ctx, INVALID)))
    if plan["blocked"]:
        return step.fail(BLOCKED, "the plan is blocked by a safety rule", _lines(plan["blocked"]),
                         report.plan_comment(ctx, plan, heading=_failed_heading(ctx, BLOCKED)))
    step.summary = report.full_plan(plan) + f"\nFull plan: {report.artifact_pointer(ctx)}.\n"
    if step.comment_pr is not None:
        step.comment = report.plan_comment(ctx, plan)
    total = sum(int(step.outputs[k]) for k in ("to_create", "to_update", "to_delete"))
    message = f"{ctx.env_name}: {total} change(s) planned" if plan["has_changes"] else f"{ctx.env_name}: no changes"
    return step.finish(EXIT_OK, "notice", message)


def _failed_heading(ctx: Context, reason: str) -> str:
    return f"> [!CAUTION]\n> **{report.text(ctx.env_name)}: plan failed** (failure_reason <code>{reason}</code>)"


async def _plan(ctx: Context) -> dict[str, Any]:
    from engine.cli.connect import open_client
    from engine.gitops.workflow import plan_project

    inputs = ctx.inputs
    async with open_client(sandbox=inputs.sandbox) as client:
        planned = await plan_project(client, inputs.project, env=inputs.env, prune=inputs.prune,
                                     allow_mass_delete=inputs.allow_mass_delete, lock=_lock(ctx))
    return planned.plan.to_json()


def _lock(ctx: Context) -> Any:
    from engine.gitops.lock import Lock

    if ctx.inputs.lock is None:
        return None
    try:
        return Lock.read(ctx.inputs.lock, ctx.inputs.project)
    except (ValueError, TypeError) as exc:
        raise LoadError(f"lock file {ctx.inputs.lock}: {exc}") from None


def _save_plan(step: Step, plan: dict[str, Any]) -> None:
    """Write plan.json and plan.md for the artifact and fill the count outputs."""
    from engine.cli.files import write_text
    from engine.gitops.render import render_json

    folder = plan_dir(step.ctx)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / PLAN_FILE, folder / MARKDOWN_FILE
    write_text(json_path, render_json(plan), "plan")
    write_text(md_path, report.full_plan(plan), "Markdown plan")
    counted = report.counts(plan)
    step.outputs.update(
        has_changes="true" if plan["has_changes"] else "false", to_create=str(counted["create"]),
        to_update=str(counted["update"]), to_delete=str(counted["delete"]),
        plan_json=str(json_path), plan_markdown=str(md_path),
    )


def plan_dir(ctx: Context) -> Path:
    """Where this environment's plan files go (uploaded whole as the artifact)."""
    return ctx.temp / "portkey-gitops" / ctx.artifact_name


# ---------------------------------------------------------------- validate only


class _Unread(Mapping[str, str]):
    """An environment in which every secret looks set but none is read: validation without secrets."""

    def __init__(self) -> None:
        self._value = "unread-" + secrets.token_hex(16)

    def __getitem__(self, name: str) -> str:
        return self._value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, name: object) -> bool:
        return True


def _validate_only_reason(ctx: Context) -> str | None:
    if ctx.is_fork:
        return ("This pull request comes from a fork, so it was not planned against Portkey: secrets are not "
                "given to code from forks. The files were validated only; a maintainer's run plans them.")
    if not ctx.inputs.sandbox and not ctx.has_api_key:
        return ("No Portkey API key was given (input `api-key` is empty, for example the secret is not set "
                "in this repository), so nothing was planned or applied. The files were validated only.")
    return None


def validate_only(step: Step, why: str) -> int:
    """Load the project without any secret: a summary saying why, exit 0 unless the files are invalid."""
    from engine.gitops.load import load_project

    ctx = step.ctx
    step.comment_pr = None
    state = load_project(ctx.inputs.project, env=ctx.inputs.env, environ=_Unread())
    errors = [str(d) for d in state.errors]
    step.summary = report.skipped(ctx, why, [str(d) for d in state.diagnostics])
    if errors:
        step.outputs["failure_reason"] = INVALID
        return step.finish(EXIT_ERROR, "error", f"{len(errors)} error(s) in the project files: {errors[0]}")
    return step.finish(EXIT_OK, "notice", why)


# ---------------------------------------------------------------- apply


def ci_apply(ctx: Context) -> int:
    """Apply on merge: the pull request's reviewed plan, checked unchanged (or planned again if asked)."""
    step = Step(ctx, stage="apply")
    if (why := _validate_only_reason(ctx)) is not None:
        return validate_only(step, why)
    saved: Any = None
    why_missing = ""
    try:
        pr = _merged_pull_request(ctx)
        if pr is not None:
            step.comment_pr = int(pr["number"])
            saved, why_missing = _reviewed_plan(ctx, pr)
        else:
            why_missing = f"no merged pull request contains commit {ctx.sha[:12] or '(GITHUB_SHA unset)'}"
    except GitHubError as exc:
        return step.fail(API_ERROR, "GitHub could not be read", [str(exc)])
    if (refused := _dirty_tree(step)) is not None:
        return refused
    if saved is None and not ctx.inputs.replan_on_merge:
        return step.fail(PLAN_CHANGED, "no reviewed plan to apply", [
            f"{why_missing}; nothing was applied. Re-run the pull request's plan, or set `replan-on-merge: true` "
            "to plan again and apply on merge"])
    outcome = _run(step, _apply, saved)
    if isinstance(outcome, int):
        return outcome
    return _applied(step, outcome)


def _dirty_tree(step: Step) -> int | None:
    """The CLI's ``apply`` rule under CI: a checkout with uncommitted changes is not what was reviewed, so it is
    refused (exit 1, failure_reason ``dirty-tree``, nothing applied) unless ``allow-dirty: true``, which warns."""
    from engine.gitops.gitinfo import source

    if not source(step.ctx.inputs.project)["dirty"]:
        return None
    if step.ctx.inputs.allow_dirty:
        step.notes.append("allow-dirty: applying uncommitted changes; the versions record the commit marked +dirty, "
                          "which does not describe these files")
        return None
    return step.fail(DIRTY_TREE, "the working tree has uncommitted changes", [
        "what would be applied is not a commit anyone reviewed (a step before this one changed files); nothing was "
        "applied. Commit the changes or clean the tree, or set `allow-dirty: true`"])


def _merged_pull_request(ctx: Context) -> dict[str, Any] | None:
    if not ctx.sha:
        return None
    with github(ctx) as gh:
        pulls = gh.pulls_for_commit(ctx.sha)
    merged = [pr for pr in pulls if pr.get("merged_at") and isinstance(pr.get("number"), int)]
    exact = [pr for pr in merged if pr.get("merge_commit_sha") == ctx.sha]
    found = exact or merged
    return found[0] if found else None


def _reviewed_plan(ctx: Context, pr: dict[str, Any]) -> tuple[Any, str]:
    """The plan saved by the pull request's newest successful run for its head commit (None and why)."""
    from engine.gitops.plan import Plan

    head = str((pr.get("head") or {}).get("sha") or "")
    where = f"pull request #{pr['number']}"
    if not head:
        return None, f"{where} has no head commit"
    with github(ctx) as gh:
        for run in gh.successful_runs(head):
            artifact = gh.run_artifact(int(run["id"]), ctx.artifact_name)
            if artifact is None:
                continue
            raw = gh.download_file(int(artifact["id"]), PLAN_FILE)
            try:
                saved = Plan.from_json(json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                return None, f"the plan in artifact {ctx.artifact_name} of run {run['id']} cannot be read ({exc})"
            if (saved.environment or None) != ctx.inputs.env:
                return None, f"the plan in artifact {ctx.artifact_name} was made for another environment"
            return saved, ""
    return None, (f"no successful run of {where} (head {head[:12]}) has an artifact named {ctx.artifact_name}")


@dataclass
class _Done:
    plan: dict[str, Any]
    steps: list[Any]
    writes: int
    replanned: bool
    lock: Any = None
    note: str = ""


async def _apply(ctx: Context, saved: Any) -> _Done:
    from engine.cli.connect import open_client
    from engine.gitops.workflow import (
        SavedPlanBlockedError,
        StalePlanError,
        apply_planned,
        check_saved_plan,
        current_lock,
        plan_project,
    )

    inputs = ctx.inputs
    replanned, note = saved is None, ""
    async with open_client(sandbox=inputs.sandbox) as client:
        planned = None
        if saved is not None:
            try:
                planned = await check_saved_plan(client, saved, inputs.project,
                                                 allow_mass_delete=inputs.allow_mass_delete)
            except SavedPlanBlockedError:
                raise
            except StalePlanError as exc:
                if not inputs.replan_on_merge:
                    raise
                replanned, note = True, f"the reviewed plan was stale ({_describe(exc)}); planned again"
        if planned is None:
            planned = await plan_project(client, inputs.project, env=inputs.env, prune=inputs.prune,
                                         allow_mass_delete=inputs.allow_mass_delete, lock=_lock(ctx))
        plan = planned.plan.to_json()
        if plan["errors"] or plan["blocked"]:
            return _Done(plan, [], 0, replanned, note=note)
        if not plan["has_changes"]:
            return _Done(plan, [], 0, replanned, current_lock(planned), note)
        result = await apply_planned(client, planned)
        return _Done(plan, result.steps, result.writes, replanned, result.lock, note)


T = TypeVar("T")


def _run(step: Step, work: Callable[..., Awaitable[T]], *args: Any) -> T | int:
    """``work(ctx, *args)`` to its end; when an engine or OS error ends it, the failure is reported on ``step``
    (:func:`_failed`) and its exit code is returned instead."""
    try:
        return anyio.run(work, step.ctx, *args)
    except (EngineError, OSError) as exc:
        return _failed(step, exc)


def _failed(step: Step, exc: EngineError | OSError) -> int:
    """Report an error that ended a command; its ``failure_reason`` follows its class (engine.errors). The engine's
    refusals say what they are (blocked, plan-changed, invalid, lease-held); ``api-error`` is left for Portkey or
    the runner failing, an apply stopped part-way, and a lease whose labels Portkey did not take."""
    from engine.gitops.apply import ApplyError

    message = _describe(exc)
    for kind, reason, title, advice in _refusals():
        if isinstance(exc, kind):
            return step.fail(reason, title, [message, *advice])
    if isinstance(exc, ApplyError):
        done = [f"{s.action.value} {s.address}: {'ok' if s.ok else 'FAILED'}" for s in exc.result.steps]
        return step.fail(API_ERROR, f"apply stopped after {exc.result.writes} write(s)", [message, *done,
                         "those writes are in Portkey; fix the cause and re-run this job to finish"])
    if isinstance(exc, GitOpsError):
        title = f"{step.stage} failed"
    elif step.stage != "apply":
        title = "Portkey could not be read"
    else:
        title = "Portkey refused the request" if isinstance(exc, PortkeyError) else "apply failed"
    return step.fail(API_ERROR, title, [message])


def _refusals() -> list[tuple[type[EngineError], str, str, list[str]]]:
    """The engine's refusals, most specific first: (class, failure_reason, title, advice after the message)."""
    from engine.gitops.lease import LeaseHeldError
    from engine.gitops.workflow import SavedPlanBlockedError, StalePlanError

    return [
        (SavedPlanBlockedError, BLOCKED, "the reviewed plan is blocked by a safety rule now", []),
        (PlanBlockedError, BLOCKED, "the plan is blocked by a safety rule", []),
        (StalePlanError, PLAN_CHANGED, "Portkey or the files changed since the plan was reviewed",
         ["nothing was applied: re-run the plan on a new pull request (or set `replan-on-merge: true`)"]),
        (PlanningError, PLAN_CHANGED, "no usable plan", []),
        (LoadError, INVALID, "the project cannot be loaded", []),
        (LeaseHeldError, LEASE_HELD, "another apply holds the apply lease",
         ["give the apply jobs of one environment a `concurrency` group, and re-run this job"]),
        (LeaseError, API_ERROR, "the apply lease could not be taken", []),
    ]


def _applied(step: Step, done: _Done) -> int:
    ctx, plan = step.ctx, done.plan
    _save_plan(step, plan)
    if plan["errors"]:
        return step.fail(INVALID, "the project files have errors", _lines(plan["errors"]))
    if plan["blocked"]:
        return step.fail(BLOCKED, "the plan is blocked by a safety rule", _lines(plan["blocked"]))
    if done.note:
        step.notes.append(done.note)
    if ctx.inputs.lock is not None and done.lock is not None:
        _write_lock(step, done.lock)
    body = report.applied(ctx, plan, done.steps, writes=done.writes, replanned=done.replanned)
    step.summary = body
    if step.comment_pr is not None:
        step.comment = body
    return step.finish(EXIT_OK, "notice", f"{ctx.env_name}: applied, {done.writes} write(s)")


def _write_lock(step: Step, lock: Any) -> None:
    from engine.cli.files import OutputError, write_text

    assert step.ctx.inputs.lock is not None
    try:
        write_text(step.ctx.inputs.lock, lock.text(), "lock file")
    except OutputError as exc:
        step.notes.append(f"the lock file was not written: {exc}")


# ---------------------------------------------------------------- drift


def ci_drift(ctx: Context) -> int:
    """Scheduled drift check (:func:`engine.gitops.drift.find_drift`, the CLI's ``drift``): the report in the
    summary, and one open issue per environment while drift lasts."""
    step = Step(ctx, stage="drift check")
    if (why := _validate_only_reason(ctx)) is not None:
        return validate_only(step, why)
    found = _run(step, _drift)
    if isinstance(found, int):
        return found
    if found.errors:
        return step.fail(INVALID, "the project files have errors", _lines(found.errors))
    from engine.gitops.render.drift import render_drift_markdown

    body = found.to_json()
    items = body["drift"]
    step.outputs["has_drift"] = "true" if items else "false"
    marker = report.marker(report.DRIFT_KIND, ctx.env_name)
    issue = report.drift_body(ctx, body) if items else ""
    step.summary = (f"### {report.text(report.drift_title(ctx))}\n\n" if items else "") + render_drift_markdown(body)
    if found.stale:
        step.notes.append("the lock file is stale (an apply ran without it since it was written): what differs from "
                          "it is not reported as drift; apply with the lock to refresh it")
    try:
        with github(ctx) as gh:
            _sync_issue(ctx, gh, marker, issue)
    except GitHubError as exc:
        step.notes.append(f"the drift issue was not updated: {exc} (the workflow needs `permissions: issues: write`)")
    message = f"{ctx.env_name}: {len(items)} object(s) changed outside git" if items else f"{ctx.env_name}: no drift"
    return step.finish(EXIT_OK, "warning" if items else "notice", message)


async def _drift(ctx: Context) -> Any:
    from engine.cli.connect import open_client
    from engine.gitops.drift import find_drift

    inputs = ctx.inputs
    async with open_client(sandbox=inputs.sandbox) as client:
        return await find_drift(client, inputs.project, env=inputs.env, lock=_lock(ctx), lock_path=inputs.lock)


def _sync_issue(ctx: Context, gh: GitHub, marker: str, body: str) -> None:
    found = gh.find_issue(marker)
    if body:
        if found is None:
            gh.create_issue(report.drift_title(ctx), body)
        else:
            gh.update_issue(int(found["number"]), title=report.drift_title(ctx), body=body)
    elif found is not None:
        gh.comment_issue(int(found["number"]), f"No drift any more, as found by {report.run_link(ctx)}; closing.")
        gh.update_issue(int(found["number"]), state="closed", state_reason="completed")


def _describe(exc: BaseException) -> str:
    from engine.cli.main import describe_failure

    return describe_failure(exc)


def _lines(diagnostics: list[Any]) -> list[str]:
    """A plan's errors or blocks (diagnostics in the plan JSON) as the sentences the terminal shows."""
    from engine.gitops.render.common import texts

    return texts(diagnostics)
