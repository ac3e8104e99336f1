"""The committed JSON Schemas match the models, are valid, and accept the example project."""

from __future__ import annotations

import io
from pathlib import Path
from textwrap import dedent

import pytest
from ruamel.yaml import YAML

from engine.gitops.kinds import KIND_FILES
from engine.gitops.model import ResourceKind
from engine.gitops.schema import json_schemas, main, render_schema, schema_file_name
from tests.gitops.fixtures import VALID

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
REGENERATE = "regenerate with: python -m engine.gitops.schema schemas/"


def test_committed_schemas_are_up_to_date() -> None:
    generated = json_schemas()
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(generated), REGENERATE
    for name, schema in generated.items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == render_schema(schema), f"{name}: {REGENERATE}"


def test_main_writes_every_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(json_schemas())
    assert capsys.readouterr().out.count(".schema.json") == len(json_schemas())


def _schema_for(path: str) -> str:
    if path == "portkey.yaml":
        return "project.schema.json"
    if path.startswith("environments/"):
        return "environment.schema.json"
    for kind, (directory, suffix) in KIND_FILES.items():
        if path.startswith(f"{directory}/") and path.endswith(suffix) and kind is not ResourceKind.PARTIAL:
            return schema_file_name(kind)
    return ""


def test_example_files_validate_against_the_schemas() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schemas = json_schemas()
    checked = 0
    for path, text in VALID.items():
        name = _schema_for(path)
        if not name:
            continue
        jsonschema.Draft202012Validator.check_schema(schemas[name])
        data = YAML(typ="safe").load(io.StringIO(dedent(text))) or {}
        jsonschema.validate(data, schemas[name], cls=jsonschema.Draft202012Validator)
        checked += 1
    assert checked == 12


def test_schema_rejects_unknown_keys_and_accepts_bindings() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schemas()["rate-limit.schema.json"]
    ok = {"type": "requests", "unit": "${binding:unit}", "value": "${binding:rpm}"}
    jsonschema.validate(ok, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**ok, "valeu": 1}, schema)
