"""The client's operations are the rows of the operation table, and its typed methods are current."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

import portkey_catalogue as catalogue
from engine.portkey import OPERATIONS, PortkeyClient, codegen
from engine.portkey.operations import operation

COMPOSITES = {"migrate_prompt", "promote_prompt", "validate_completion_metadata"}


def test_every_table_row_with_a_path_is_an_operation() -> None:
    rows = catalogue.load()
    assert [op.name for op in OPERATIONS] == [row.tool for row in rows if row.route]
    assert {row.tool for row in rows if not row.route} == COMPOSITES


def test_a_row_naming_missing_python_is_refused_by_name() -> None:
    row = catalogue.by_name()["create_prompt"]
    with pytest.raises(LookupError, match="create_prompt: body 'PromptCreat' must name one model"):
        operation(dataclasses.replace(row, body="PromptCreat"))
    flags = {**row.flags, "normalize": "no_such_function"}
    with pytest.raises(LookupError, match="create_prompt: normalize=no_such_function is not a function"):
        operation(dataclasses.replace(row, flags=flags))


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_operation_is_a_typed_client_method(op) -> None:
    parameters = dict(inspect.signature(getattr(PortkeyClient, op.name)).parameters)
    parameters.pop("self")
    body = {"body"} if op.body is not None else set()
    assert set(parameters) == set(op.path_params) | set(op.query) | body
    required = {name for name, p in parameters.items() if p.default is inspect.Parameter.empty}
    assert required == set(op.path_params) | set(op.required_query) | (body if op.body_required else set())


def test_the_generated_methods_are_current() -> None:
    assert codegen.TARGET.read_text(encoding="utf-8") == codegen.render(), "run python -m engine.portkey.codegen"


def test_the_generator_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "methods.py"
    stale.write_text(codegen.render().replace("async def get_prompt(", "async def get_promt("), encoding="utf-8")
    monkeypatch.setattr(codegen, "TARGET", stale)
    assert codegen.main(["--check"]) == 1
    assert codegen.main([]) == 0
    assert codegen.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == codegen.render()


def test_public_operations_are_served_without_the_key() -> None:
    assert {op.name for op in OPERATIONS if op.public} == {"get_model_pricing"}


def test_version_making_writes_are_not_blindly_retried() -> None:
    risky = {op.name for op in OPERATIONS if not op.retry_safe}
    assert {
        "create_prompt",
        "update_prompt",
        "update_config",
        "update_prompt_partial",
        "create_guardrail",
        "run_prompt_completion",
    } <= risky
    assert "render_prompt" not in risky and "publish_prompt" not in risky
