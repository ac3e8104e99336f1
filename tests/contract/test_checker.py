"""Unit tests of the OpenAPI contract checker against hand-written traffic."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from .openapi_contract import (
    PARTS,
    ContractChecker,
    Deviation,
    check_request,
    check_response,
    deviation_problems,
    load_deviations,
    pointer,
)

ROOT = "http://sandbox"
BASE = ROOT + "/v1"
KEY = {"x-portkey-api-key": "pk-test", "content-type": "application/json"}
JSON = {"content-type": "application/json"}
UUID1 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
UUID2 = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"


def req(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> list[str]:
    raw = None if body is None else json.dumps(body).encode()
    return check_request(method, BASE + path, KEY if headers is None else headers, raw)


def resp(method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None) -> list[str]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return check_response(method, BASE + path, None, status, JSON if headers is None else headers, raw)


PROMPT = {
    "name": "greeter",
    "collection_id": "default",
    "string": "Hello {{name}}",
    "parameters": {"temperature": 0.2},
    "virtual_key": "openai-vk",
    "model": "gpt-4o",
}
ACTIONS = {
    "deny": True,
    "async": False,
    "on_success": {"feedback": {"value": 5, "weight": 1, "metadata": ""}},
    "on_fail": {"feedback": {"value": -5, "weight": 1, "metadata": ""}},
}


def guardrail(parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "no-secrets",
        "checks": [{"id": "default.regexMatch", "parameters": parameters}],
        "actions": ACTIONS,
    }


# --- requests ----------------------------------------------------------------------------


def test_create_prompt_request_conforms(checker: ContractChecker) -> None:
    assert req("POST", "/prompts", PROMPT) == []


def test_create_prompt_without_name_fails_naming_name(checker: ContractChecker) -> None:
    body = {k: v for k, v in PROMPT.items() if k != "name"}
    [violation] = req("POST", "/prompts", body)
    assert "POST /prompts" in violation and "request-body" in violation and "'name'" in violation


def test_request_without_api_key_fails(checker: ContractChecker) -> None:
    violations = req("POST", "/prompts", PROMPT, headers={"content-type": "application/json"})
    assert any("[header]" in v and "x-portkey-api-key" in v for v in violations)


def test_request_with_other_hosts(checker: ContractChecker) -> None:
    for host in ("https://api.portkey.ai", "http://127.0.0.1:8787"):
        assert check_request("GET", f"{host}/v1/prompts", KEY, None) == []
    [violation] = check_request("GET", "http://sandbox/prompts", KEY, None)
    assert "no operation" in violation


def test_unknown_path_reports_no_operation(checker: ContractChecker) -> None:
    [violation] = req("GET", "/no-such-thing")
    assert "no operation" in violation
    assert "no operation" in resp("GET", "/no-such-thing", 200, {})[0]
    assert checker.match("DELETE", f"{BASE}/prompts/partials").operation.label == "DELETE /prompts/{promptId}"
    assert "no operation" in req("GET", "/prompts/")[0]


def test_partials_literal_wins_over_prompt_id(checker: ContractChecker) -> None:
    assert checker.match("GET", f"{BASE}/prompts/partials").operation.label == ("GET /prompts/partials")
    match = checker.match("PUT", f"{BASE}/prompts/partials/pp-x/makeDefault")
    assert match.operation.label == "PUT /prompts/partials/{promptPartialId}/makeDefault"
    assert match.path_params == {"promptPartialId": "pp-x"}
    assert checker.match("GET", f"{BASE}/prompts/pp-1").operation.label == "GET /prompts/{promptId}"


def test_every_operation_routes_to_itself(checker: ContractChecker) -> None:
    for op in checker.iter_operations():
        url = (ROOT if op.at_root else BASE) + re.sub(r"\{[^}]+\}", UUID1, op.template)
        assert checker.match(op.method, url).operation == op


def test_public_operations_live_at_the_host_root(checker: ContractChecker) -> None:
    assert check_request("GET", f"{ROOT}/model-configs/pricing/openai/gpt-4o", {}, None) == []
    [violation] = check_request("GET", f"{BASE}/model-configs/pricing/openai/gpt-4o", {}, None)
    assert "served at the host root" in violation
    [violation] = check_request("GET", f"{ROOT}/prompts", KEY, None)
    assert "served at /v1" in violation


def test_path_parameter_format_is_enforced(checker: ContractChecker) -> None:
    assert req("GET", f"/labels/{UUID1}") == []
    [violation] = req("GET", "/labels/production")
    assert "[path]" in violation and "uuid" in violation


def test_query_parameters_are_typed_and_closed(checker: ContractChecker) -> None:
    assert req("GET", "/prompts?current_page=0&page_size=50&search=x") == []
    violations = req("GET", "/prompts?page_size=ten&pageSize=10")
    assert any("page_size" in v and "integer" in v for v in violations)
    assert any("pageSize" in v and "unexpected" in v for v in violations)


def test_query_deviations(checker: ContractChecker) -> None:
    assert req("GET", "/configs?workspace_id=ws-1") == []
    assert req("GET", "/collections?current_page=0") == []
    assert req("GET", "/prompts/pp-1?version=3") == []
    assert "integer" in req("GET", "/prompts/pp-1?version=latest")[0]
    assert "unexpected" in req("GET", "/configs?page_size=3")[0]


def test_body_on_bodiless_operation_fails(checker: ContractChecker) -> None:
    [violation] = req("DELETE", "/prompts/pp-1", {"force": True})
    assert "takes no body" in violation


# --- responses ---------------------------------------------------------------------------


def test_response_with_wrong_type_fails(checker: ContractChecker) -> None:
    good = {"id": UUID1, "slug": "pp-1", "name": "n", "prompt_version": 2, "string": "s"}
    assert resp("GET", "/prompts/pp-1", 200, good) == []
    violations = resp("GET", "/prompts/pp-1", 200, {**good, "prompt_version": "2"})
    [violation] = violations
    assert "GET /prompts/{promptId}" in violation and "response-body" in violation
    assert "prompt_version" in violation and "number" in violation


def test_response_formats_are_enforced(checker: ContractChecker) -> None:
    body = {"id": "pp-1", "created_at": "2025-01-01 10:00:00"}
    violations = resp("GET", "/prompts/pp-1", 200, body)
    assert any("$.id" in v and "uuid" in v for v in violations)
    assert any("$.created_at" in v and "date-time" in v for v in violations)


def test_undocumented_status_and_non_json_fail(checker: ContractChecker) -> None:
    assert "not documented" in resp("POST", "/labels", 201, {"id": UUID1})[0]
    assert "not JSON" in resp("GET", "/labels", 200, b"{", JSON)[0]
    assert "content-type" in resp("GET", "/labels", 200, {"data": []}, {})[0]


def test_config_flat_response_passes_by_deviation(checker: ContractChecker) -> None:
    flat = {"id": UUID1, "slug": "pc-abc-123", "version_id": UUID2, "object": "config"}
    assert resp("POST", "/configs", 200, flat) == []
    violations = resp("POST", "/configs", 200, {**flat, "version_id": 7})
    assert violations and all("deviation configs-create-flat" in v for v in violations)
    wrapped = {"success": True, "data": {"id": UUID1, "version_id": UUID2}}
    assert resp("POST", "/configs", 200, wrapped)


def test_config_get_accepts_string_or_object_config(checker: ContractChecker) -> None:
    base = {"id": UUID1, "slug": "pc-1", "name": "router", "is_default": 0}
    assert resp("GET", "/configs/pc-1", 200, {**base, "config": '{"retry": {"attempts": 3}}'}) == []
    assert resp("GET", "/configs/pc-1", 200, {**base, "config": {"retry": {"attempts": 3}}}) == []
    assert resp("GET", "/configs/pc-1", 200, {**base, "config": ["nope"]})


def test_error_envelope(checker: ContractChecker) -> None:
    assert resp("GET", "/prompts/pp-1", 404, {"errorCode": "AB08", "message": "not found"}) == []
    nested = {"success": False, "data": {"errorCode": "AB03", "message": "gone"}}
    assert resp("DELETE", "/configs/pc-1", 403, nested) == []
    assert resp("DELETE", "/admin/workspaces/ws-1", 409, {"errorCode": "AB07", "message": "x"}) == []
    [violation] = resp("GET", "/prompts/pp-1", 404, {"foo": 1})
    assert "error-body 404" in violation and "errorCode" in violation
    assert "expected a JSON body" in resp("GET", "/prompts/pp-1", 500, b"")[0]


def test_guardrail_check_parameters_by_id(checker: ContractChecker) -> None:
    assert req("POST", "/guardrails", guardrail({"rule": r"sk-[A-Za-z0-9]+", "not": False})) == []
    [violation] = req("POST", "/guardrails", guardrail({"rule": 42}))
    assert "$.checks[0].parameters.rule" in violation and "RegexMatchParameters" in violation
    assert "'rule' is a required property" in req("POST", "/guardrails", guardrail({}))[0]


def test_guardrail_spec_oneof_rejects_valid_parameters(checker: ContractChecker) -> None:
    """Why the deviation exists: the spec's own oneOf fails a valid regexMatch check."""
    check = guardrail({"rule": "a+"})["checks"][0]
    assert checker.schema_errors("#/x-original-schemas/GuardrailCheck", check)
    assert checker.schema_errors("#/components/schemas/GuardrailCheck", check) == []


def test_guardrail_details_response_checks_parameters(checker: ContractChecker) -> None:
    body = {
        "id": UUID1,
        "name": "g",
        "slug": "guard_abc",
        "owner_id": UUID2,
        "created_at": "2025-01-01T10:00:00Z",
        "last_updated_at": "2025-01-01T10:00:00Z",
        **{k: v for k, v in guardrail({"rule": "x"}).items() if k != "name"},
    }
    assert resp("GET", f"/guardrails/{UUID1}", 200, body) == []
    body["checks"][0]["parameters"] = {"rule": ["x"]}
    assert "RegexMatchParameters" in resp("GET", f"/guardrails/{UUID1}", 200, body)[0]


def test_not_in_spec_operation_needs_json_only(checker: ContractChecker) -> None:
    path = f"/policies/usage-limits/{UUID1}/entities/reset"
    assert req("POST", path, {"entity_id": "e1"}) == []
    assert resp("GET", "/admin/organisation/defaults", 200, {"input_guardrails": []}) == []
    assert "not JSON" in resp("GET", "/admin/organisation/defaults", 200, b"<html>", JSON)[0]
    assert resp("PUT", "/workspace-exclusions/input-guardrails", 403, {"message": "x"})


def test_prompt_partial_version_number_accepted(checker: ContractChecker) -> None:
    item = {"prompt_partial_id": UUID1, "prompt_partial_version_id": UUID2, "version": 3}
    assert resp("GET", "/prompts/partials/pp-x/versions", 200, [item]) == []
    assert resp("GET", "/prompts/partials/pp-x/versions", 200, [{**item, "version": True}])


# --- the deviation list ------------------------------------------------------------------


def test_deviations_file_is_well_formed(checker: ContractChecker) -> None:
    deviations = load_deviations()
    assert deviation_problems(checker.source_spec, deviations) == []
    for dev in deviations:
        assert dev.reason.strip() and dev.part in PARTS
        assert len(dev.reason) < 400, f"{dev.id}: keep reasons to one sentence"
        if dev.schema is not None:
            OAS30Validator.check_schema(dev.schema)


def test_deviation_problems_are_detected(checker: ContractChecker) -> None:
    bad = [
        Deviation(id="a", part="response-body", reason=" ", operation="GET /nope", schema={}),
        Deviation(id="b", part="somewhere", reason="r", operation="GET /prompts", schema={}),
        Deviation(id="c", part="request-body", reason="r", operation="POST /prompts", not_in_spec=True),
        Deviation(id="d", part="component", reason="r", component="NoSuchSchema", schema={}),
    ]
    problems = deviation_problems(checker.source_spec, bad)
    for needle in ("empty reason", "not an operation", "unknown part", "is in the spec", "component"):
        assert any(needle in p for p in problems), needle


def test_deviation_refs_resolve(checker: ContractChecker) -> None:
    """Every `$ref` inside the deviation schemas resolves in the spec."""
    for dev in load_deviations():
        for ref in _refs(dev.schema):
            assert pointer(checker.spec, ref) is not None, f"{dev.id}: {ref}"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500, 503])
def test_error_envelope_applies_to_every_error_status(checker: ContractChecker, status: int) -> None:
    assert resp("PUT", f"/labels/{UUID1}", status, {"errorCode": "AB01", "message": "m"}) == []


def test_two_deviations_of_one_part_are_refused(checker: ContractChecker) -> None:
    """Applied one after the other, the second would replace the first and could refer to itself
    (this once ended in a RecursionError); the checker refuses the list instead."""
    original = {"$ref": "#/x-original-schemas/GuardrailCheck"}
    twice = [
        Deviation(id=f"g{i}", part="component", reason="r", component="GuardrailCheck", schema=original) for i in (1, 2)
    ]
    assert "deviation 'g2': replaces the same component as deviation 'g1'" in deviation_problems(
        checker.source_spec, twice
    )
    with pytest.raises(ValueError, match="malformed deviations"):
        ContractChecker(checker.source_spec, twice)


def test_a_deviation_may_refer_to_the_part_it_replaces(checker: ContractChecker) -> None:
    """`#/paths/…` refs in a deviation schema mean the spec as written, not the replaced part."""
    [dev] = [d for d in load_deviations() if d.operation == "POST /prompts" and d.part == "request-body"]
    assert "#/paths/~1prompts/post/requestBody" in json.dumps(dev.schema)
    assert req("POST", "/prompts", PROMPT) == []
    assert "$.name" in req("POST", "/prompts", {**PROMPT, "name": None})[0]
