"""Fault injection: scripted and seeded faults, latency, dropped connections over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from sandbox_testkit import API_KEY, client_for, make_prompt, ok

from sandbox import FaultRule, Faults, serve, serve_in_thread

pytestmark = pytest.mark.anyio


async def test_scripted_429s_then_success(sb, api):
    sb.faults = Faults(
        per_operation={"create_prompt": FaultRule(script=("429", "429"), retry_after_s=0)}
    )
    col = ok(await api.get("/collections"))["data"][0]["id"]
    body = {"name": "p", "collection_id": col, "string": "s", "parameters": {}, "virtual_key": "vk"}
    for _ in range(2):
        response = await api.post("/prompts", json=body)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "0"
        assert response.json()["data"]["errorCode"] == "AB06"
    assert ok(await api.get("/prompts"))["total"] == 0  # faulted requests are not applied
    ok(await api.post("/prompts", json=body))
    assert ok(await api.get("/prompts"))["total"] == 1
    faults = [(r.operation, r.status, r.fault) for r in sb.requests() if r.fault]
    assert faults == [("create_prompt", 429, "429"), ("create_prompt", 429, "429")]


async def test_script_outcomes_and_default_rule(sb, api):
    sb.faults = Faults(default=FaultRule(script=("500", "ok", "503")))
    statuses = [(await api.get("/labels")).status_code for _ in range(4)]
    assert statuses == [500, 200, 503, 200]


async def _statuses(sb, seed: int) -> list[int]:
    sb.faults = Faults.uniform(0.6, seed=seed)
    out = []
    async with client_for(sb) as api:
        for _ in range(30):
            try:
                out.append((await api.get("/labels")).status_code)
            except httpx.TransportError:
                out.append(0)
    return out


async def test_seeded_random_faults_are_reproducible(sb):
    first, again = await _statuses(sb, 7), await _statuses(sb, 7)
    other = await _statuses(sb, 8)
    assert first == again
    assert first != other
    assert set(first) > {200} and set(first) <= {0, 200, 429, 500, 503}


async def test_latency_and_faults_over_the_control_route(sb, api):
    response = await api.put(
        "http://sandbox/_sandbox/faults",
        headers={},
        json={"per_operation": {"list_prompt_labels": {"latency_ms": 60}}, "seed": 3},
    )
    assert ok(response)["seed"] == 3
    started = time.perf_counter()
    ok(await api.get("/labels"))
    assert time.perf_counter() - started >= 0.05
    bad = await api.put(
        "http://sandbox/_sandbox/faults", headers={}, json={"default": {"rate_429": 2}}
    )
    assert bad.status_code == 400


async def test_drop_in_process_raises_transport_error_and_applies_nothing(sb, api):
    sb.faults = Faults(per_operation={"create_prompt_label": FaultRule(script=("drop",))})
    with pytest.raises(httpx.TransportError):
        await api.post("/labels", json={"name": "dropped"})
    assert ok(await api.get("/labels"))["total"] == 3
    assert [r.fault for r in sb.requests()] == ["drop", None]


def test_drop_over_real_uvicorn_is_a_transport_error(sb):
    sb.faults = Faults(per_operation={"create_prompt_label": FaultRule(script=("drop", "ok"))})
    with (
        serve_in_thread(sb) as base_url,
        httpx.Client(
            base_url=base_url, headers={"x-portkey-api-key": API_KEY}, timeout=5
        ) as client,
    ):
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with pytest.raises(httpx.TransportError):
            client.post("/labels", json={"name": "dropped"})
        assert client.get("/labels").json()["total"] == 3
        assert client.post("/labels", json={"name": "kept"}).status_code == 200
        assert client.get("/labels").json()["total"] == 4
        assert client.get(base_url.removesuffix("/v1") + "/_sandbox/health").status_code == 200
    ops = [(r.operation, r.status, r.fault) for r in sb.requests()]
    assert ops[0] == ("create_prompt_label", 0, "drop")


async def test_make_prompt_helper_unaffected_by_other_rules(sb, api):
    sb.faults = Faults(per_operation={"delete_prompt": FaultRule(rate_500=1.0)})
    created = await make_prompt(api)
    assert (await api.delete(f"/prompts/{created['id']}")).status_code == 500
    assert ok(await api.get(f"/prompts/{created['id']}"))["id"] == created["id"]


def test_faults_must_name_known_operations(sb):
    with pytest.raises(ValueError, match="create_promtp"):
        sb.faults = Faults(per_operation={"create_promtp": FaultRule(rate_500=1)})
    with pytest.raises(ValueError):
        FaultRule(script=("404",))
    with pytest.raises(ValueError):
        FaultRule(rate_429=0.7, rate_500=0.7)
    sb.faults = None
    assert sb.faults.default == FaultRule()


def test_faults_round_trip_as_json():
    faults = Faults(
        per_operation={"get_prompt": FaultRule(script=("drop", "ok"), latency_ms=5)}, seed=9
    )
    assert Faults.from_dict(faults.to_dict()).to_dict() == faults.to_dict()
    assert Faults.uniform(0.4).default.rate_drop == pytest.approx(0.1)


def test_serve_refuses_non_loopback_hosts():
    with pytest.raises(ValueError, match="non-loopback"):
        serve(host="0.0.0.0", port=0)


async def test_faults_follow_the_route_under_any_of_its_names_and_cover_public_routes(sb, api):
    sb.faults = Faults(per_operation={
        "get_trace": FaultRule(script=("503",)), "get_model_pricing": FaultRule(script=("429",), retry_after_s=2),
        "get_analytics_group_users": FaultRule(script=("500",)), "get_user_stats": FaultRule(script=("503",)),
    })
    log_path = "/logs/0b6d4cbb-0000-4000-8000-000000000000"
    # get_trace sends get_log's request: its rule applies to that route, once (the script), then no fault
    assert (await api.get(log_path)).status_code == 503
    assert (await api.get(log_path)).status_code == 404
    assert [r.operation for r in sb.requests()[-2:]] == ["get_log", "get_log"]
    # where both names of one route have a rule, the served row's own rule wins
    groups = "/analytics/groups/users"
    assert (await api.get(groups)).status_code == 500
    priced = await api.get("http://sandbox/model-configs/pricing/openai/gpt-4o", headers={})
    assert priced.status_code == 429 and priced.headers["retry-after"] == "2"
