"""The published plan JSON Schema (``schemas/output/plan.schema.json``) as a validator for tests."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "output" / "plan.schema.json"


@functools.cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(document: Any) -> list[str]:
    """Where ``document`` breaks the published schema (empty when it follows it)."""
    found = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}" for e in found]


def checked(make: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``make`` (the plan JSON builder), failing the test when what it returns breaks the schema."""

    @functools.wraps(make)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        document = make(*args, **kwargs)
        broken = problems(json.loads(json.dumps(document)))
        assert not broken, "the plan JSON breaks schemas/output/plan.schema.json: " + "; ".join(broken[:5])
        return document

    return wrapper
