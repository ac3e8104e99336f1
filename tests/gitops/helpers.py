"""Helpers shared by the engine tests: plan/apply shortcuts, file edits and account snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.gitops.plan import Change, Plan
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox


def actions(plan: Plan) -> dict[str, list[str]]:
    """Address -> action names of every change that is not a noop."""
    return {c.address: [a.value for a in c.actions] for c in plan.changes if not c.is_noop}


def change_of(plan: Plan, address: str) -> Change:
    return next(c for c in plan.changes if c.address == address)


def writes(sb: Sandbox) -> list[str]:
    """``METHOD operation`` of every write the sandbox saw (renders are reads)."""
    return [f"{r.method} {r.operation}" for r in sb.requests() if r.method != "GET"
            and r.operation != "render_prompt"]


async def converge(client: PortkeyClient, root: Path, *, environ: Mapping[str, str] | None = None,
                   **options: Any) -> Plan:
    """Plan and apply; the plan must have no errors."""
    planned = await plan_project(client, root, environ=environ, **options)
    assert not planned.plan.errors, planned.plan.errors
    assert not planned.plan.blocked, planned.plan.blocked
    await apply_planned(client, planned, environ=environ)
    return planned.plan


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


async def published(client: PortkeyClient, prompt_id: str) -> int:
    return int((await client.get_prompt(prompt_id=prompt_id))["prompt_version"])


async def prompt_versions(client: PortkeyClient, prompt_id: str) -> list[dict[str, Any]]:
    """A prompt's versions, oldest first, whatever envelope and order Portkey answers in (the live API
    wraps them in ``{data: [...]}`` newest first, the spec has a bare array oldest first)."""
    listed = _rows(await client.list_prompt_versions(prompt_id=prompt_id))
    return sorted(listed, key=lambda row: int(row["prompt_version"]))


async def version_numbers(client: PortkeyClient, prompt_id: str) -> list[int]:
    """The version numbers a prompt has, ascending."""
    return [int(row["prompt_version"]) for row in await prompt_versions(client, prompt_id)]


async def _all(client: PortkeyClient, operation: str, **params: Any) -> list[dict[str, Any]]:
    items, complete = await client.list_all(operation, **params)
    assert complete
    return items


def _rows(answer: Any) -> list[dict[str, Any]]:
    return answer if isinstance(answer, list) else answer["data"]


async def account(client: PortkeyClient) -> dict[str, dict[str, Any]]:
    """Every object of the default workspace, read with plain client calls (not the engine's reader).

    Keyed by ``kind id``; each entry holds the name, the number of versions and what callers are
    served (``served``): a prompt's or partial's published version and text and its labels, a
    config's, guardrail's or limit's live content.
    """
    labels = {row["id"]: row["name"] for row in await _all(client, "list_prompt_labels")}
    out: dict[str, dict[str, Any]] = {}
    for label in await _all(client, "list_prompt_labels"):
        out[f"label {label['id']}"] = {"name": label["name"], "served": None}
    for collection in await _all(client, "list_collections"):
        out[f"collection {collection['id']}"] = {"name": collection["name"], "served": None}
    for partial in await _all(client, "list_prompt_partials"):
        versions = _rows(await client.list_partial_versions(prompt_partial_id=partial["id"]))
        current = await client.get_prompt_partial(prompt_partial_id=partial["id"])
        out[f"partial {partial['id']}"] = {
            "name": partial["name"], "versions": len(versions),
            "served": {"version": current.get("version"), "string": current.get("string")},
        }
    for prompt in await _all(client, "list_prompts"):
        versions = _rows(await client.list_prompt_versions(prompt_id=prompt["id"]))
        current = await client.get_prompt(prompt_id=prompt["id"])
        moved = {labels[str(i)]: row["prompt_version"] for row in versions for i in row.get("label_ids") or []}
        out[f"prompt {prompt['id']}"] = {
            "name": prompt["name"], "versions": len(versions),
            "served": {"version": current["prompt_version"], "string": current["string"], "labels": moved},
        }
    for guardrail in await _all(client, "list_guardrails"):
        detail = await client.get_guardrail(guardrail_id=guardrail["id"])
        out[f"guardrail {guardrail['id']}"] = {
            "name": guardrail["name"], "served": {"checks": detail["checks"], "actions": detail["actions"]},
        }
    for config in await _all(client, "list_configs"):
        detail = await client.get_config(slug=config["slug"])
        out[f"config {config['id']}"] = {"name": config["name"], "served": detail["config"]}
    for kind, operation in (("rate_limit", "list_rate_limits"), ("usage_limit", "list_usage_limits")):
        for policy in await _all(client, operation):
            if policy.get("status", "active") != "active":
                continue
            served = {k: v for k, v in policy.items() if k not in ("id", "name", "created_at", "last_updated_at")}
            out[f"{kind} {policy['id']}"] = {"name": policy["name"], "served": served}
    return out


def served(snapshot: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What callers are served, per object."""
    return {key: entry["served"] for key, entry in snapshot.items()}


def inventory(snapshot: dict[str, dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(kind, name, version count) of every object: equal inventories mean no duplicates."""
    return sorted((key.split(" ")[0], entry["name"], entry.get("versions", 1)) for key, entry in snapshot.items())
