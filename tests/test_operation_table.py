"""The operation table (``portkey_catalogue/operations.tsv``): the one place a Portkey operation's method and path
are written, checked against the vendored spec, readable by the client and the sandbox without either importing
the other."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import portkey_catalogue as catalogue

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "contracts" / "openapi.yaml"
PRODUCT = ("engine", "mcp_server", "sandbox", "portkey_catalogue")
_PARAM = re.compile(r"\{[^}/]*\}")


@cache
def spec_operations() -> dict[tuple[str, str], frozenset[str]]:
    """(METHOD, shape) of every operation of the vendored spec, with its query parameter names; shapes have
    placeholder names erased."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=loader)
    found: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                params = [*item.get("parameters", []), *operation.get("parameters", [])]
                query = frozenset(p["name"] for p in params if "name" in p and p.get("in") == "query")
                found[(method.upper(), _PARAM.sub("{}", path))] = query
    return found


def spec_routes() -> frozenset[tuple[str, str]]:
    return frozenset(spec_operations())


def routes() -> list[tuple[catalogue.Row, catalogue.Route]]:
    return [(row, route) for row in catalogue.load() if row.route for route in (row.route, *row.also)]


@pytest.mark.parametrize("row", [row for row in catalogue.load() if row.route], ids=lambda row: row.tool)
def test_each_route_is_in_the_spec_unless_flagged_not_in_it(row: catalogue.Row) -> None:
    """A typo in a method or path shows here, not silently in the client and the sandbox at once."""
    assert row.route is not None
    found = (row.route.method, row.route.shape) in spec_routes()
    if row.in_spec:
        assert found, f"{row.tool}: {row.route.method} {row.route.path} is not in contracts/openapi.yaml"
    elif found:  # the request is in the spec, but not the query this tool sends (get_log)
        extra = {q.name for q in row.query} - spec_operations()[(row.route.method, row.route.shape)]
        assert extra, f"{row.tool} is in the spec: drop its not_in_spec flag"
    for other in row.also:  # forms Portkey's own tools send, documented as not in the spec
        assert (other.method, other.shape) not in spec_routes(), f"{row.tool}: {other.method} {other.path}"


def test_the_spec_check_catches_a_typo() -> None:
    good = catalogue.by_name()["get_prompt"]
    assert good.route is not None and (good.route.method, good.route.shape) in spec_routes()
    typo = catalogue.Route("GET", good.route.path.replace("prompts", "promts"))
    assert (typo.method, typo.shape) not in spec_routes()


def _literals(path: Path) -> list[str]:
    """String constants of a Python file, docstrings and comments aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_product_code_restates_a_method_or_path() -> None:
    """The client, the MCP server and the sandbox take method and path from the table and write none of their own."""
    shapes = {route.shape for _, route in routes()}
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for text in _literals(path):
                bare = _PARAM.sub("{}", text.split(" ")[-1].split(":")[-1])
                if bare in shapes:
                    found.append(f"{path.relative_to(ROOT)}: {text!r}")
    assert found == []


def test_the_table_has_no_copy() -> None:
    header = "\t".join(catalogue.COLUMNS[:6])
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listed, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    holders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in (".tsv", ".csv", ".txt", ".py", ".md") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "list_all_users\tseed\tusers\tR\tGET" in text or text.startswith(header):
                holders.append(name)
    assert holders == ["portkey_catalogue/operations.tsv"]


def test_a_path_literal_in_product_code_would_be_caught(tmp_path: Path) -> None:
    source = tmp_path / "routes.py"
    source.write_text('"""GET /prompts/{id} in prose is fine."""\nROUTE = ("GET", "/prompts/{prompt_id}/versions")\n')
    shapes = {route.shape for _, route in routes()}
    assert [t for t in _literals(source) if _PARAM.sub("{}", t) in shapes] == ["/prompts/{prompt_id}/versions"]


def test_the_table_package_imports_nothing_of_ours() -> None:
    code = (
        "import sys, portkey_catalogue; portkey_catalogue.load(); "
        "ours = [m for m in sys.modules if m.split('.')[0] in ('engine', 'mcp_server', 'sandbox')]; "
        "print(ours); sys.exit(1 if ours else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _table(*fields: str) -> str:
    row = dict(zip(catalogue.COLUMNS, ("get_x", "seed", "g", "R", "GET", "/x", "", "", "", "", "", ""), strict=True))
    for field in fields:
        key, _, value = field.partition("=")
        row[key] = value
    return "\t".join(catalogue.COLUMNS) + "\n" + "\t".join(row[c] for c in catalogue.COLUMNS) + "\n"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("path=/x?y=1",), r"path '/x\?y=1' is not"),
        (("path=https://api.portkey.ai/x",), "is not /segment"),
        (("method=FETCH",), "method 'FETCH' is not one of"),
        (("query=a(float)",), "query parameter 'a\\(float\\)'"),
        (("flags=pageing=offset",), "unknown flag 'pageing'"),
        (("flags=paging=sideways",), "paging=sideways is not one of"),
        (("required=Bad-Name",), "'Bad-Name' is not name or name"),
    ],
)
def test_a_bad_row_is_refused_naming_its_line_and_tool(fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=rf"operations.tsv line 2 \(get_x\): .*{message}"):
        catalogue.parse(_table(*fields))


def test_a_good_row_reads_back() -> None:
    (row,) = catalogue.parse(
        _table("path=/x/{x_id}", "query=page(int)*, q", "body=XBody?", "flags=paging=page also=POST:/x/reset")
    )
    assert row.route == catalogue.Route("GET", "/x/{x_id}") and row.route.params == ("x_id",)
    assert row.query == (catalogue.QueryParam("page", "int", True), catalogue.QueryParam("q", "string", False))
    assert (row.body, row.body_required, row.paging) == ("XBody", False, "page")
    assert row.also == (catalogue.Route("POST", "/x/reset"),)


def test_duplicate_tools_and_wrong_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        catalogue.parse(_table() + _table().split("\n", 1)[1])
    with pytest.raises(ValueError, match="columns must be"):
        catalogue.parse(_table().replace("flags", "flag", 1))
