"""Rate and usage limits: a change of conditions updates the policy in place (its id and spend counters
stay); only type and group_by replace it; under policy_conditions_put=refused conditions replace as before.
Newer values (rpw, endpoint_type, periodic_reset_days) load and go out as Portkey takes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.gitops import kinds
from engine.gitops.behaviour import DEFAULT
from engine.gitops.workflow import apply_planned, plan_project
from sandbox import Sandbox
from tests.contract.openapi_contract import check_request
from tests.gitops.fixtures import load, messages
from tests.gitops.helpers import actions, change_of, converge, edit
from tests.lease.helpers import taken
from tests.live.write_support import Shim

pytestmark = pytest.mark.anyio
RATE = "limits/per-user.rate-limit.yaml"
USAGE = "limits/monthly-budget.usage-limit.yaml"
BASE = "http://127.0.0.1/v1"
HEADERS = {"x-portkey-api-key": "k", "content-type": "application/json"}


async def test_a_conditions_change_updates_the_policy_in_place(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox, conditions_put=True)
    client, transport = shim.client()
    async with client:
        await converge(client, project)
        for path in (RATE, USAGE):
            edit(project / path, "value: ws-support", "value: ws-support-eu")
        planned = await plan_project(client, project)
        assert actions(planned.plan) == {"rate_limit:per-user": ["update"], "usage_limit:monthly-budget": ["update"]}
        reasons = change_of(planned.plan, "rate_limit:per-user").reasons
        assert any("keeps its id and usage counters" in r.message for r in reasons)
        ids = {c.address: c.remote["id"] for c in planned.plan.changes if c.kind.endswith("limit")}
        lease = await taken(client)  # the apply lease is not under test here
        sandbox.reset_requests()
        await apply_planned(client, planned, lease=lease)
        assert sorted(r.operation for r in sandbox.requests() if r.method != "GET") == [
            "update_rate_limit", "update_usage_limit"]  # no delete, no create: counters kept
        after = await plan_project(client, project)
        assert not after.plan.has_changes
        assert {c.address: c.remote["id"] for c in after.plan.changes if c.kind.endswith("limit")} == ids
    for body in shim.bodies("PUT", r"/policies/(rate|usage)-limits/.+")[-2:]:
        assert body["conditions"] == [{"key": "workspace_id", "value": "ws-support-eu"}]
    assert transport.violations("request") == []


async def test_a_value_change_does_not_send_conditions(sandbox: Sandbox, project: Path) -> None:
    """Older backends refuse conditions on PUT: a plain value change must not carry them."""
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        edit(project / RATE, "value: 30", "value: 40")
        await converge(client, project)
    [body] = shim.bodies("PUT", r"/policies/rate-limits/.+")
    assert body == {"name": "gitops:per-user", "unit": "rpm", "value": 40}


async def test_refused_conditions_put_replaces_as_before(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox)
    client, _ = shim.client()
    refused = DEFAULT.with_values(policy_conditions_put="refused")
    async with client:
        await converge(client, project, behaviour=refused)
        edit(project / RATE, "value: ws-support", "value: ws-support-eu")
        planned = await plan_project(client, project, behaviour=refused)
        change = change_of(planned.plan, "rate_limit:per-user")
        assert [a.value for a in change.actions] == ["replace"]
        assert "policy_conditions_put=refused" in change.reasons[-1].message
        await apply_planned(client, planned)
        assert not (await plan_project(client, project, behaviour=refused)).plan.has_changes


async def test_group_by_and_type_still_replace(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox, conditions_put=True)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        edit(project / RATE, "key: metadata._user", "key: api_key")
        planned = await plan_project(client, project)
        assert actions(planned.plan) == {"rate_limit:per-user": ["replace"]}


def test_newer_policy_values_load_and_match_the_contract(tmp_path: Path) -> None:
    state = load(tmp_path, {
        "limits/weekly.rate-limit.yaml": "type: requests\nunit: rpw\nvalue: 5000\n"
        "conditions: [{key: endpoint_type, value: chatComplete}]\ngroup_by: [{key: api_key}]\n",
        "limits/fortnight.usage-limit.yaml": "type: cost\ncredit_limit: 50\nperiodic_reset_days: 14\n"
        "conditions: [{key: workspace_id, value: ws}]\ngroup_by: [{key: api_key}]\n",
    })
    assert messages(state) == []
    rate, usage = state.resources["rate_limit:weekly"], state.resources["usage_limit:fortnight"]
    rate_body = kinds.create_body(rate, rate.spec, "gitops:weekly", {}, None, None)
    usage_body = kinds.create_body(usage, usage.spec, "gitops:fortnight", {}, None, None)
    assert rate_body["unit"] == "rpw" and rate_body["conditions"] == [{"key": "endpoint_type", "value": "chatComplete"}]
    assert usage_body["periodic_reset_days"] == 14 and "periodic_reset" not in usage_body
    assert check_request("POST", f"{BASE}/policies/rate-limits", HEADERS, json.dumps(rate_body).encode()) == []
    assert check_request("POST", f"{BASE}/policies/usage-limits", HEADERS, json.dumps(usage_body).encode()) == []
    # Clearing a day cadence sends the null that removes it.
    usage.spec = {**usage.spec, "periodic_reset_days": None, "periodic_reset": "weekly"}
    changed = ["periodic_reset", "periodic_reset_days"]
    update = kinds.update_body(usage, usage.spec, "gitops:fortnight", {}, changed=changed)
    assert update["periodic_reset_days"] is None and update["periodic_reset"] == "weekly"
    body = json.dumps(update).encode()
    policy = "00000000-0000-4000-8000-000000000001"
    assert check_request("PUT", f"{BASE}/policies/usage-limits/{policy}", HEADERS, body) == []


@pytest.mark.parametrize("files, error", [
    ({"limits/a.usage-limit.yaml": "type: cost\ncredit_limit: 5\nconditions: [{key: endpoint_type, value: embed}]\n"},
     "conditions.0.key: use api_key, organisation_id, workspace_id or metadata.<field> (got 'endpoint_type')"),
    ({"limits/a.usage-limit.yaml": "type: cost\ncredit_limit: 5\nperiodic_reset: weekly\nperiodic_reset_days: 3\n"},
     "periodic_reset_days: give at most one of periodic_reset and periodic_reset_days"),
    ({"limits/a.usage-limit.yaml": "type: cost\ncredit_limit: 5\nperiodic_reset_days: 366\n"},
     "periodic_reset_days: input should be less than or equal to 365"),
    ({"limits/a.rate-limit.yaml": "type: requests\nunit: rps\nvalue: 5\n"}, "unit: input should be"),
])
def test_policy_values_portkey_refuses_are_load_errors(tmp_path: Path, files: dict[str, str], error: str) -> None:
    [message] = messages(load(tmp_path, files))
    assert error in message
