"""HTTP behaviour: auth, errors, paging, persistence, concurrency and the route table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from sandbox_testkit import API_KEY, client_for, error, make_prompt, ok

import portkey_catalogue as catalogue
from sandbox import Sandbox
from sandbox.errors import ApiError
from sandbox.routes import OPERATIONS, PUBLIC_OPERATIONS, UNSERVED, Router, build_routes
from sandbox.store import Store

pytestmark = pytest.mark.anyio


async def test_missing_or_wrong_key_is_401_without_echo(sb):
    async with client_for(sb, headers={}) as anon:
        error(await anon.get("/prompts"), 401, "AB05")
    async with client_for(sb, headers={"x-portkey-api-key": "wrong-secret"}) as bad:
        body = error(await bad.post("/labels", json={"name": "x"}), 401, "AB05")
        assert "wrong-secret" not in body["message"]
    async with client_for(sb) as api:
        assert ok(await api.get("/labels"))["total"] == 3  # nothing was created


async def test_error_answers(api):
    error(await api.get("/prompts/pp-nope-000000"), 404, "AB08", "pp-nope-000000")
    error(await api.get("/labels/not-a-uuid"), 404, "AB08")
    error(await api.get("/no/such/route"), 404, "SB404")
    response = await api.patch("/prompts")
    error(response, 405, "SB405")
    assert response.headers["allow"] == "GET, POST"
    response = await api.post(
        "/labels", content=b"{not json", headers={"content-type": "application/json"}
    )
    error(response, 400, "AB01", "body")
    error(await api.post("/labels", json=[1, 2]), 400, "AB01", "body")
    response = await api.get("http://sandbox/elsewhere")
    assert response.status_code == 404 and response.json()["data"]["errorCode"] == "SB404"


async def test_paging_over_several_pages(api):
    names = [f"Prompt {i:02d}" for i in range(7)]
    for name in names:
        await make_prompt(api, name)
    seen = []
    for current in range(4):
        page = ok(await api.get("/prompts", params={"current_page": current, "page_size": 3}))
        assert page["total"] == 7
        seen.extend(p["name"] for p in page["data"])
        assert len(page["data"]) == [3, 3, 1, 0][current]
    assert seen == names
    for params, name in (
        ({"current_page": -1}, "current_page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"current_page": "1.5"}, "current_page"),
    ):
        error(await api.get("/prompts", params=params), 400, "AB01", name)
    labels = ok(await api.get("/labels", params={"page_size": 2, "current_page": 1}))
    assert labels["total"] == 3 and len(labels["data"]) == 1


async def test_state_survives_reopening_a_file_database(tmp_path):
    path = tmp_path / "sandbox.db"
    first = Sandbox(db=path, api_key=API_KEY)
    async with client_for(first) as api:
        created = await make_prompt(api)
        ok(await api.put(f"/prompts/{created['id']}", json={"patch": True, "string": "v2"}))
        broken = await api.put(f"/prompts/{created['id']}", json={"string": "no params"})
        assert broken.status_code == 400
    workspace = first.default_workspace_id
    first.close()

    second = Sandbox(db=str(path), api_key=API_KEY)
    assert second.default_workspace_id == workspace
    async with client_for(second) as api:
        prompt = ok(await api.get(f"/prompts/{created['slug']}"))
        assert prompt["prompt_version_id"] == created["version_id"]
        ok(await api.put(f"/prompts/{created['id']}", json={"patch": True, "string": "v3"}))
        versions = ok(await api.get(f"/prompts/{created['id']}/versions"))["data"]  # newest first
        assert [v["prompt_version"] for v in versions] == [3, 2, 1]
        assert ok(await api.get("/labels"))["total"] == 3  # seeded once
    second.close()


async def test_failed_request_writes_nothing(api):
    pid = (await make_prompt(api))["id"]
    error(await api.put(f"/prompts/{pid}", json={"name": "Changed", "string": "x"}), 400, "AB01")
    assert ok(await api.get(f"/prompts/{pid}"))["name"] == "Welcome"


def test_transaction_rolls_back_on_error():
    store = Store(":memory:")
    with pytest.raises(ApiError), store.transaction() as tx:
        tx.put("thing", {"id": "a"})
        raise ApiError(400, "AB01", "x: bad")
    with store.transaction() as tx:
        assert tx.get("thing", "a") is None
    store.close()


async def test_concurrent_creates_all_succeed_with_distinct_ids(api):
    results: list[dict] = []

    async def create(i: int) -> None:
        results.append(await make_prompt(api, f"Concurrent {i}"))

    async with anyio.create_task_group() as group:
        for i in range(50):
            group.start_soon(create, i)
    assert len({r["id"] for r in results}) == 50
    assert len({r["slug"] for r in results}) == 50
    assert ok(await api.get("/prompts", params={"page_size": 100}))["total"] == 50


async def test_request_log_names_operations_and_resets(sb, api):
    sb.reset_requests()
    await api.get("/prompts/partials")
    await api.get("/prompts/pp-x-123456")
    await api.get("/nowhere")
    await api.get("http://sandbox/elsewhere")
    records = sb.requests()
    assert [(r.operation, r.status, r.path) for r in records] == [
        ("list_prompt_partials", 200, "/v1/prompts/partials"),
        ("get_prompt", 404, "/v1/prompts/pp-x-123456"),
        (None, 404, "/v1/nowhere"),
        (None, 404, "/elsewhere"),
    ]
    assert records[0].method == "GET" and records[0].path == "/v1/prompts/partials"
    assert records[0].fault is None and records[0].duration_ms >= 0
    over_http = ok(await api.get("http://sandbox/_sandbox/requests", headers={}))
    assert [r["operation"] for r in over_http] == ["list_prompt_partials", "get_prompt", None, None]
    ok(await api.delete("http://sandbox/_sandbox/requests", headers={}))
    assert sb.requests() == []
    assert ok(await api.get("http://sandbox/_sandbox/health"))["status"] == "ok"
    assert sb.requests() == []  # /_sandbox routes are not logged


async def test_request_log_covers_public_routes_and_names_shared_routes_by_their_served_row(sb, api):
    sb.reset_requests()
    async with client_for(sb, headers={}) as anon:
        ok(await anon.get("http://sandbox/model-configs/pricing/openai/gpt-4o"))
    # get_log and get_trace send this same request: the sandbox names it after the row it serves
    await api.get("/logs/0b6d4cbb-0000-4000-8000-000000000000")
    await api.get("/logs/0b6d4cbb-0000-4000-8000-000000000000", params={"path_format": "x"})
    await api.get("/prompts/pp-none")
    records = sb.requests()
    assert [(r.operation, r.status) for r in records] == [
        ("get_model_pricing", 200), ("get_log", 404), ("get_log", 404), ("get_prompt", 404)
    ]
    assert records[0].path == "/model-configs/pricing/openai/gpt-4o"


def test_every_table_row_is_routed_aliased_or_listed_as_unserved():
    routed = {name for op in OPERATIONS + PUBLIC_OPERATIONS for name in op.names}
    with_path = {row.tool for row in catalogue.load() if row.route}
    assert with_path - routed == set(UNSERVED)
    assert routed <= with_path
    aliases = {alias: op.name for op in OPERATIONS for alias in op.aliases}
    assert aliases == {"get_trace": "get_log", "get_user_stats": "get_analytics_group_users"}
    # the table's `also` form of a reset reaches the same handler as the spec's form
    resets = [op for op in OPERATIONS if op.name == "reset_usage_limit_entity"]
    assert sorted(op.method for op in resets) == ["POST", "PUT"] and len({op.handler for op in resets}) == 1


def _rows(*lines: str) -> tuple[catalogue.Row, ...]:
    header = "\t".join(catalogue.COLUMNS)
    return catalogue.parse("\n".join([header, *("\t".join(line.split("|")) + "\t" * 3 for line in lines)]))


def test_routes_come_from_the_table_and_handlers_by_name():
    api_routes, public = build_routes(_rows("get_prompt|seed|prompts|R|GET|/prompts/{x}|||"))
    assert [(op.name, op.method, op.path, op.handler.__name__) for op in api_routes] == [
        ("get_prompt", "GET", "/prompts/{x}", "get_prompt")
    ]
    assert public == ()
    match = Router(api_routes).match("GET", "/prompts/pp-1")
    assert match.operation is not None and match.params == {"x": "pp-1"}
    with pytest.raises(LookupError, match="no sandbox handler for get_nothing"):
        build_routes(_rows("get_nothing|seed|prompts|R|GET|/nothing|||"))
    with pytest.raises(LookupError, match="get_prompt and get_config send the same request"):
        build_routes(_rows("get_prompt|seed|p|R|GET|/prompts/{a}|||", "get_config|seed|c|R|GET|/prompts/{b}|||"))


def test_sandbox_imports_neither_engine_nor_mcp_server():
    code = (
        "import sys, sandbox, sandbox.serve; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('engine', 'mcp_server')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sources = (Path(__file__).resolve().parents[2] / "sandbox").rglob("*.py")
    for source in sources:
        text = source.read_text()
        assert not re.search(r"^\s*(from|import)\s+(engine|mcp_server)\b", text, re.M), source


async def test_filtered_listings_page_and_count_only_what_matches(api):
    other = ok(await api.post("/collections", json={"name": "Other"}))
    for i in range(5):
        await make_prompt(api, f"Billing {i}", collection_id=other["id"])
        await make_prompt(api, f"Refund {i}")
    page = ok(await api.get("/prompts", params={"search": "BILLING", "current_page": 1, "page_size": 2}))
    assert page["total"] == 5 and [p["name"] for p in page["data"]] == ["Billing 2", "Billing 3"]
    page = ok(await api.get("/prompts", params={"collection_id": other["slug"], "search": "3"}))
    assert page["total"] == 1 and [p["name"] for p in page["data"]] == ["Billing 3"]
    page = ok(await api.get("/prompts", params={"collection_id": other["id"], "current_page": 2, "page_size": 2}))
    assert page["total"] == 5 and [p["name"] for p in page["data"]] == ["Billing 4"]
    billing = ok(await api.get("/prompts", params={"collection_id": other["id"]}))["data"]
    details = {c["name"]: c["collection_details"] for c in ok(await api.get("/collections"))["data"]}
    assert details["Other"]["prompts_count"] == 5
    assert details["Other"]["prompts_last_updated_at"] == max(p["last_updated_at"] for p in billing)
    assert ok(await api.get("/collections", params={"search": "oth"}))["total"] == 1
