"""The public plan format 3.0 (engine/gitops/jsonplan.py): its schema, golden plans of the example project,
replace as delete+create, codes beside the prose, diagnostics with file:line, no payload, read-only plans.

``UPDATE_GOLDEN=1`` rewrites the golden plans; regenerate the schema with
``python -m engine.gitops.jsonplan schemas/output``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from engine.gitops.jsonplan import render_schema
from engine.gitops.plan import (
    FORMAT_VERSION,
    Action,
    Change,
    FrozenPlanError,
    Payload,
    Plan,
    PlanFormatError,
    Reason,
    ReasonCode,
    VersionTarget,
)
from engine.gitops.render import render_human
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from tests.gitops.helpers import change_of, converge, edit
from tests.plan_schema import SCHEMA, problems

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).parent / "golden" / "plan_json"
REGENERATE = "regenerate with: python -m engine.gitops.jsonplan schemas/output"
SECRET = "sk-live-PLAN-FORMAT-DO-NOT-LEAK-9c1e"


def test_the_checked_in_schema_is_generated_from_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_schema(), REGENERATE


def test_the_schema_refuses_what_format_2_left_out() -> None:
    plan = Plan(changes=[Change(address="config:x", kind="config", key="x", actions=[Action.CREATE])]).to_json()
    assert problems(plan) == []
    assert problems({**plan, "changes": [{**plan["changes"][0], "payload": {"name": "x"}}]})
    assert problems({**plan, "changes": [{**plan["changes"][0], "actions": ["replace"]}]})
    assert problems({**plan, "errors": ["a bare string"]})
    assert problems({**plan, "warnings": ["a bare string"]})  # 3.0: warnings are diagnostics too
    assert problems({**plan, "format_version": "1.1"})


# ---------------------------------------------------------------- golden plans of the example project


def _normalised(plan: dict[str, Any], project: Path) -> dict[str, Any]:
    """The plan with what differs from run to run (time, version, paths, sandbox ids, hashes) named stably."""
    ids: dict[str, str] = {}
    for change in plan["changes"]:
        for key in ("id", "slug"):
            value = change["remote"].get(key)
            if isinstance(value, str) and value not in ids:
                ids[value] = f"<{key}-{len(ids) + 1}>"
    text = json.dumps(plan, sort_keys=True)
    for value, name in sorted(ids.items(), key=lambda item: -len(item[0])):
        text = text.replace(value, name)
    data: dict[str, Any] = json.loads(text)
    data.update(created_at="<time>", engine_version="<version>", changes_digest="<digest>")
    data["source"].update(root="<project>", desired_hash="<hash>")
    data["fingerprints"] = {re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>", k): "<hash>" for k in data["fingerprints"]}
    assert str(project) not in json.dumps(data)
    return data


def check_golden(name: str, plan: dict[str, Any], project: Path) -> None:
    """Compare with ``golden/plan_json/<name>.json``; ``UPDATE_GOLDEN=1`` rewrites it, a missing file fails."""
    assert problems(plan) == []
    text = json.dumps(_normalised(plan, project), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden plan {path}; run with UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8") == text, f"{name}: the plan JSON changed; review, then UPDATE_GOLDEN=1"


async def test_golden_plan_of_the_example_project_from_scratch(client: PortkeyClient, project: Path) -> None:
    planned = await plan_project(client, project)
    plan = planned.plan.to_json()
    assert plan["format_version"] == FORMAT_VERSION == "3.0"
    check_golden("create", plan, project)


async def test_golden_plan_with_update_replace_new_version_and_delete(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    edit(project / "configs/support-routing.config.yaml", "attempts: 3", "attempts: 5")
    edit(project / "limits/per-user.rate-limit.yaml", "type: requests", "type: tokens")
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Mail")
    (project / "labels/canary.label.yaml").unlink()
    edit(project / "prompts/support/triage.prompt.yaml", "labels: [canary]", "labels: []")
    (project / "limits/monthly-budget.usage-limit.yaml").unlink()
    planned = await plan_project(client, project, prune=True)
    assert not planned.plan.errors and not planned.plan.blocked, (planned.plan.errors, planned.plan.blocked)
    check_golden("changes", planned.plan.to_json(), project)


# ---------------------------------------------------------------- what a JSON reader sees


async def test_a_replace_is_a_delete_then_a_create_with_its_paths(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    edit(project / "limits/per-user.rate-limit.yaml", "type: requests", "type: tokens")
    planned = await plan_project(client, project)
    assert change_of(planned.plan, "rate_limit:per-user").actions == [Action.REPLACE]  # apply still sees one step
    data = planned.plan.to_json()
    limit = next(c for c in data["changes"] if c["address"] == "rate_limit:per-user")
    assert limit["actions"] == ["delete", "create"] and limit["replace_paths"] == ["type"]
    assert [r["code"] for r in limit["reasons"]] == ["cannot_update"] and limit["risks"] == ["replaces"]
    assert data["summary"] == {"noop": 11, "replace": 1}
    human = render_human(data, color=False)
    assert "-/+ rate_limit:per-user  (replace: delete, then create)" in human
    assert "1 to replace" in human
    saved = Plan.from_json(json.loads(json.dumps(data)))
    assert change_of(saved, "rate_limit:per-user").actions == [Action.REPLACE]
    assert saved.digest() == data["changes_digest"] and saved.to_json()["changes"] == data["changes"]


async def test_every_reason_has_a_code_beside_its_sentence(client: PortkeyClient, project: Path) -> None:
    data = (await plan_project(client, project)).plan.to_json()
    triage = next(c for c in data["changes"] if c["address"] == "prompt:support/triage")
    assert triage["reasons"] == [
        {"code": "not_in_portkey", "message": "not in Portkey yet"},
        {"code": "first_version_published", "message": "Portkey publishes version 1 of a new prompt at once"},
    ]
    codes = {r["code"] for c in data["changes"] for r in c["reasons"]}
    assert codes and "other" not in codes


async def test_no_payload_and_no_secret_in_any_json_plan(client: PortkeyClient, project: Path) -> None:
    edit(project / "portkey.yaml", "version: 1\n", "version: 1\nsecrets: [OPENAI_KEY]\n")
    edit(
        project / "configs/support-routing.config.yaml",
        "      override_params: {model: gpt-4o}\n",
        "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n",
    )
    planned = await plan_project(client, project, environ={"OPENAI_KEY": SECRET})
    text = json.dumps(planned.plan.to_json())
    assert SECRET not in text and '"payload"' not in text
    assert SECRET not in json.dumps(Plan.from_json(json.loads(text)).to_json())


async def test_errors_are_diagnostics_with_their_file_and_line(client: PortkeyClient, project: Path) -> None:
    with (project / "configs/support-routing.config.yaml").open("a") as handle:
        handle.write("colour: red\n")
    data = (await plan_project(client, project)).plan.to_json()
    assert data["errors"], data
    error = data["errors"][0]
    assert error["code"] == "invalid_project" and error["file"] == "configs/support-routing.config.yaml"
    assert (error["line"], error["column"]) == (13, 1) and error["address"] is None
    assert error["text"] == "configs/support-routing.config.yaml:13:1: error: " + error["message"]
    assert error["message"].startswith("unknown key 'colour'")


async def test_blocks_name_their_rule_and_the_file_of_the_resource(client: PortkeyClient, project: Path) -> None:
    edit(project / "portkey.yaml", "protected:\n", "protected:\n  - rate_limit:per-user\n")
    await converge(client, project)
    edit(project / "limits/per-user.rate-limit.yaml", "type: requests", "type: tokens")
    data = (await plan_project(client, project)).plan.to_json()
    [block] = data["blocked"]
    assert block["code"] == "protected_replace" and block["address"] == "rate_limit:per-user"
    assert block["file"] == "limits/per-user.rate-limit.yaml"
    assert block["text"].startswith("rate_limit:per-user is protected and changing type")


# ---------------------------------------------------------------- the internal plan after planning


async def test_a_plan_is_read_only_after_planning(client: PortkeyClient, project: Path) -> None:
    plan = (await plan_project(client, project)).plan
    triage = change_of(plan, "prompt:support/triage")
    with pytest.raises(FrozenPlanError):
        plan.errors.append("late")  # type: ignore[arg-type]
    with pytest.raises(FrozenPlanError):
        plan.changes = []
    with pytest.raises(FrozenPlanError):
        triage.actions.append(Action.DELETE)
    with pytest.raises(FrozenPlanError):
        triage.reasons.append(Reason(ReasonCode.OTHER, "late"))
    with pytest.raises(FrozenPlanError):
        triage.remote["id"] = "someone-else"
    with pytest.raises(FrozenPlanError):
        plan.changes[0].diff.append(None)  # type: ignore[arg-type]
    with pytest.raises(FrozenPlanError):
        triage.payload = Payload()  # apply keeps what it learns in its own record
    write, label = triage.payload.write, triage.payload.label
    assert write is not None and label is not None and label.version is VersionTarget.CREATED
    with pytest.raises(FrozenInstanceError):
        write.name = "someone else's"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        label.version = 1  # type: ignore[misc]
    assert isinstance(label.labels, tuple)  # not a list anyone could append to
    assert Plan.from_json(plan.to_json()).frozen


def test_saved_plans_of_another_format_are_refused_with_what_to_do() -> None:
    plan = Plan(changes=[Change(address="config:x", kind="config", key="x", actions=[Action.CREATE])]).to_json()
    assert Plan.from_json(plan).digest() == plan["changes_digest"]
    for version in ("1.1", "2.1", "3.1", "4.0"):
        with pytest.raises(
            PlanFormatError,
            match=rf"plan format {re.escape(version)} is not supported "
            r"\(expected 3\.0\); plan again",
        ):
            Plan.from_json({**plan, "format_version": version})
    with pytest.raises(PlanFormatError, match="changes_digest is missing"):
        Plan.from_json({k: v for k, v in plan.items() if k != "changes_digest"})


def test_the_format_document_names_every_code() -> None:
    from engine.gitops.jsonplan import PublicAction
    from engine.gitops.plan import DiagnosticCode, Risk

    text = (Path(__file__).resolve().parents[2] / "docs" / "plan-format.md").read_text(encoding="utf-8")
    for enum in (PublicAction, ReasonCode, DiagnosticCode, Risk):
        missing = [member.value for member in enum if f"`{member.value}`" not in text]
        assert not missing, f"docs/plan-format.md does not name {enum.__name__} {missing}"
