"""The operation declarations agree with the catalogue users already know."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from engine.portkey import OPERATIONS, Kind, PortkeyClient

CATALOGUE = Path(__file__).resolve().parents[2] / "contracts" / "catalogue.tsv"
COMPOSITES = {"migrate_prompt", "promote_prompt", "validate_completion_metadata"}


def catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open(newline="") as handle:
        return {row["tool"]: row for row in csv.DictReader(handle, delimiter="\t")}


def shape(path: str) -> str:
    """A path with host and query dropped and placeholder names erased."""
    path = re.sub(r"^https://[^/]+", "", path.split("?")[0])
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_catalogue_row_that_calls_portkey_has_a_declaration() -> None:
    declared = {op.name for op in OPERATIONS}
    wanted = {name for name, row in catalogue().items() if row["kind"] != "L" and name not in COMPOSITES}
    assert wanted - declared == set()
    assert declared - set(catalogue()) == set()


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_declaration_matches_its_catalogue_row(op) -> None:
    row = catalogue()[op.name]
    assert op.group == row["group"]
    assert op.kind == Kind(row["kind"])
    assert op.method == row["method"]
    assert shape(op.path) == shape(row["path"])
    assert op.enterprise == ("Enterprise-gated" in row["notes"])
    required = [p.split("(")[0] for p in row["required"].split(", ") if p]
    for name in op.path_params:
        assert name in required, f"path parameter {name} is not a catalogue parameter"


def test_every_declaration_is_a_client_method() -> None:
    for op in OPERATIONS:
        assert callable(getattr(PortkeyClient, op.name))
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)


def test_public_operations_are_served_without_the_key() -> None:
    assert {op.name for op in OPERATIONS if op.public} == {"get_model_pricing"}


def test_version_making_writes_are_not_blindly_retried() -> None:
    risky = {op.name for op in OPERATIONS if not op.retry_safe}
    assert {"create_prompt", "update_prompt", "update_config", "update_prompt_partial",
            "create_guardrail", "run_prompt_completion"} <= risky
    assert "render_prompt" not in risky and "publish_prompt" not in risky
