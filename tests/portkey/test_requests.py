"""What the client puts on the wire: paths, queries, bodies, and what it refuses to send."""

from __future__ import annotations

import json

import pytest

from engine.portkey import PortkeyUsageError
from tests.portkey.helpers import KEY, Recorder, make_client, reply

pytestmark = pytest.mark.anyio


def ok_recorder(body: object = None) -> Recorder:
    return Recorder(lambda request: reply(200, {} if body is None else body))


async def test_key_travels_only_in_its_header() -> None:
    rec = ok_recorder({"id": "x"})
    client, _ = make_client(rec)
    await client.get_prompt(prompt_id="pp-abc")
    sent = rec.requests[0]
    assert sent.headers["x-portkey-api-key"] == KEY
    assert [name for name, value in sent.headers.items() if KEY in value] == ["x-portkey-api-key"]
    assert KEY not in str(sent.url)
    assert sent.url.path == "/v1/prompts/pp-abc"


async def test_only_what_portkey_uses_is_sent() -> None:
    rec = ok_recorder({"id": "x"})
    client, _ = make_client(rec)
    await client.get_prompt(prompt_id="pp-abc")
    await client.create_config(body={"name": "c", "config": {}})
    plain = {"host", "accept", "accept-encoding", "connection", "user-agent", "x-portkey-api-key"}
    assert set(rec.requests[0].headers) == plain
    assert set(rec.requests[1].headers) == plain | {"content-type", "content-length"}


async def test_path_params_are_encoded_as_one_segment() -> None:
    rec = ok_recorder()
    client, _ = make_client(rec)
    await client.get_prompt(prompt_id="a b%c")
    assert rec.requests[0].url.raw_path == b"/v1/prompts/a%20b%25c"


@pytest.mark.parametrize("bad", ["..", ".", "", "   ", "a/b", "x?y=1", "x#frag", "a\\b", "a\nb"])
async def test_unsafe_ids_are_refused_before_any_request(bad: str) -> None:
    rec = ok_recorder()
    client, _ = make_client(rec)
    with pytest.raises(PortkeyUsageError) as caught:
        await client.delete_prompt(prompt_id=bad)
    assert caught.value.argument == "prompt_id"
    assert rec.requests == []


async def test_second_path_param_is_checked_too() -> None:
    rec = ok_recorder()
    client, _ = make_client(rec)
    with pytest.raises(PortkeyUsageError, match="entity_id"):
        await client.reset_usage_limit_entity(limit_id="0b6d", entity_id="..")
    assert rec.requests == []


async def test_query_parameters_and_types() -> None:
    rec = ok_recorder({"data": [], "total": 0})
    client, _ = make_client(rec)
    await client.list_prompts(workspace_id="ws-1", current_page=0, page_size=5, search="tri age")
    params = rec.requests[0].url.params
    expected = {"workspace_id": "ws-1", "current_page": "0", "page_size": "5", "search": "tri age"}
    assert dict(params) == expected
    with pytest.raises(PortkeyUsageError, match="page_size must be an integer"):
        await client.call("list_prompts", page_size="5")
    with pytest.raises(PortkeyUsageError, match="unknown argument 'colection_id'"):
        await client.call("list_prompts", colection_id="c")
    with pytest.raises(TypeError, match="colection_id"):  # the typed method refuses it before any check
        await client.list_prompts(colection_id="c")  # type: ignore[call-arg]


async def test_missing_required_arguments_are_named() -> None:
    client, _ = make_client(ok_recorder())
    with pytest.raises(PortkeyUsageError, match="prompt_id is required"):
        await client.call("get_prompt")
    with pytest.raises(PortkeyUsageError, match="organisation_id is required"):
        await client.call("list_input_guardrail_workspace_exclusions")
    with pytest.raises(PortkeyUsageError, match="needs a request body"):
        await client.call("create_prompt")


async def test_body_is_validated_and_names_the_field() -> None:
    rec = ok_recorder()
    client, _ = make_client(rec)
    with pytest.raises(PortkeyUsageError, match=r"body\.type"):
        await client.create_rate_limit(
            body={"conditions": [], "group_by": [], "type": "bananas", "unit": "rpm", "value": 5}
        )
    with pytest.raises(PortkeyUsageError, match=r"body\.name"):
        await client.create_prompt(
            body={"collection_id": "c", "string": "hi", "parameters": {}, "virtual_key": "vk"}
        )
    assert rec.requests == []


async def test_body_keeps_undocumented_fields_and_sends_json() -> None:
    rec = ok_recorder({"id": "1", "slug": "pc-x", "version_id": "v"})
    client, _ = make_client(rec)
    await client.create_config(body={"name": "c", "config": {"retry": {"attempts": 2}}, "is_default": 0})
    sent = rec.requests[0]
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"name": "c", "config": {"retry": {"attempts": 2}}, "is_default": 0}


async def test_operations_without_body_refuse_one() -> None:
    client, _ = make_client(ok_recorder())
    with pytest.raises(PortkeyUsageError, match="takes no request body"):
        await client.call("delete_prompt", prompt_id="p", body={"x": 1})


async def test_empty_success_body_is_an_empty_object() -> None:
    rec = Recorder(lambda request: reply(200, None))
    client, _ = make_client(rec)
    assert await client.delete_prompt(prompt_id="pp-1") == {}


async def test_public_pricing_leaves_v1_and_the_key_out() -> None:
    rec = ok_recorder({"pay_as_you_go": {}})
    client, _ = make_client(rec)
    await client.get_model_pricing(provider="openai", model="gpt-4o")
    sent = rec.requests[0]
    assert str(sent.url) == "https://api.portkey.ai/model-configs/pricing/openai/gpt-4o"
    assert "x-portkey-api-key" not in sent.headers


async def test_decimal_query_filters_are_sent() -> None:
    rec = ok_recorder({"summary": {}, "data_points": []})
    client, _ = make_client(rec)
    await client.get_cost_analytics(workspace_slug="ws", time_of_generation_min="2026-01-01T00:00:00Z",
                                    time_of_generation_max="2026-01-02T00:00:00Z", cost_min=0.5)
    assert rec.requests[0].url.params["cost_min"] == "0.5"
    with pytest.raises(PortkeyUsageError, match="cost_min must be a number"):
        await client.get_cost_analytics(workspace_slug="ws", time_of_generation_min="a",
                                        time_of_generation_max="b", cost_min="cheap")
