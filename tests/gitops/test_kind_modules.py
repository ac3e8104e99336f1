"""Each resource kind lives in its own module under engine/gitops/kinds/; nothing else names a kind.

A module outside the package that tests ``ResourceKind.PROMPT`` (or any member) by name is a switch the
kind object should answer instead. So is a kind's value written as a string where it means a kind:
``kind == "prompt"``, a table keyed ``{"prompt": …, "label": …}``, ``KINDS["prompt"]``,
``kind_of("prompt")``, ``kind="prompt"`` or ``"prompt"`` passed where a function takes its ``kind``.
The same words elsewhere are other things and are left alone: a tool argument (``args["config"]``), a
behaviour value (``"partial"``), a payload field (``payload["collection"]``). An address written with a
kind's name is a kind named too: a string or an f-string whose text starts ``label:`` (``f"label:{name}"``,
``startswith("partial:")``); ask the kind for it (``kind.address_of(key)``, ``kind.key_in(target)``, the
parts in engine.gitops.kinds.roles). Prose that says ``label: …`` (a space after the colon) is not an
address. ``STILL_SWITCHING`` lists the modules not converted yet; it only shrinks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from engine.gitops.kinds import HOLDERS, INCLUDED, KINDS, VERSION_LABELS, Kind
from engine.gitops.model import ResourceKind, split_address

ROOT = Path(__file__).resolve().parents[2]
KIND_PACKAGE = ROOT / "engine" / "gitops" / "kinds"
PACKAGES = ("engine", "mcp_server")
MEMBERS = {member.name for member in ResourceKind}
VALUES = {member.value for member in ResourceKind}
# A kind's value, a colon and no space: the head of an address (``prompt:support/triage``, ``"label:"``).
ADDRESS_HEAD = re.compile(rf"({'|'.join(sorted(VALUES))}):(?!\s)")

# Modules (relative to the repository root) that still name a kind: none since every consumer asks the kind
# object. Keep it empty; a module named here would have to explain why it cannot ask the kind.
STILL_SWITCHING: set[str] = set()

Hit = tuple[int, str]  # (line, the member or the kind value named)
Positions = dict[str, set[int]]  # callable name -> positional indexes (as called) of parameters that take a kind


def named_kinds(source: str, positions: Positions | None = None) -> list[Hit]:
    """(line, member) of every ``ResourceKind.<MEMBER>`` in ``source``, and (line, value) of every kind value
    written as a string where it means a kind. ``positions`` defaults to the project's kind parameters."""
    tree = ast.parse(source)
    if positions is None:
        positions = merged(project_positions(), kind_parameters(tree))
    hits = [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "ResourceKind"
        and node.attr in MEMBERS
    ]
    return sorted(hits + string_kinds(tree, positions) + address_heads(tree))


# ---- kind values written as strings ----------------------------------------------------------------------


def holds_kind(node: ast.expr) -> bool:
    """An expression whose name says it holds a kind: ``kind``, ``made.kind``, ``KINDS``, ``row["kind"]``,
    ``kind.value``."""
    if isinstance(node, ast.Name):
        return "kind" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "kind" in node.attr.lower() or (node.attr in ("value", "name") and holds_kind(node.value))
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and "kind" in key.value.lower()
    return False


def kind_values(node: ast.expr | None) -> list[str]:
    """The kind values a string literal, or a tuple/list/set of them, holds."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in VALUES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [value for element in node.elts for value in kind_values(element)]
    return []


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def string_kinds(tree: ast.AST, positions: Positions) -> list[Hit]:
    """(line, value) of each kind value used as a kind in ``tree``."""
    hits: list[Hit] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Match) and holds_kind(node.subject):  # match kind: case "prompt":
            hits += [
                (p.lineno, v)
                for case in node.cases
                for p in ast.walk(case.pattern)
                if isinstance(p, ast.MatchValue)
                for v in kind_values(p.value)
            ]
        hits += [(getattr(node, "lineno", 0), value) for value in _kind_strings(node, positions)]
    return hits


def _kind_strings(node: ast.AST, positions: Positions) -> list[str]:
    if isinstance(node, ast.Compare):  # kind == "prompt", kind in ("prompt", "partial"), "label" != row["kind"]
        operands = [node.left, *node.comparators]
        return [v for o in operands for v in kind_values(o)] if any(holds_kind(o) for o in operands) else []
    if isinstance(node, ast.Subscript) and holds_kind(node.value):  # KINDS["prompt"]
        return kind_values(node.slice) if isinstance(node.slice, ast.Constant) else []
    if isinstance(node, ast.Dict):
        return _table_keys(node)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return _table_column(node)
    if isinstance(node, ast.Call):
        return _call_kinds(node, positions)
    return []


def _table_keys(node: ast.Dict) -> list[str]:
    """A dict literal keyed by kinds: two kinds or more and no other key (a payload with ``"collection"`` and
    ``"prompt"`` fields among others is not)."""
    found = [value for key in node.keys if isinstance(key, ast.Constant) for value in kind_values(key)]
    return found if len(set(found)) >= 2 and len(found) == len(node.keys) else []


def _table_column(node: ast.List | ast.Tuple | ast.Set) -> list[str]:
    """Rows of a literal table (tuples in a list) with a column holding two kinds or more."""
    rows = [row for row in node.elts if isinstance(row, ast.Tuple)]
    found: list[str] = []
    for column in range(max((len(row.elts) for row in rows), default=0)):
        cells = [row.elts[column] for row in rows if column < len(row.elts)]
        values = [value for cell in cells if isinstance(cell, ast.Constant) for value in kind_values(cell)]
        found += values if len(set(values)) >= 2 else []
    return found


def _call_kinds(node: ast.Call, positions: Positions) -> list[str]:
    """``ResourceKind("prompt")``, ``kind_of("prompt")``, ``KINDS.get("prompt")``, ``kind="prompt"`` and a
    literal at a position where the called function (or dataclass) takes a kind."""
    name = called_name(node)
    found: list[str] = []
    first = node.args[0] if node.args else None
    is_get = name == "get" and isinstance(node.func, ast.Attribute) and holds_kind(node.func.value)
    if isinstance(first, ast.Constant) and ("kind" in name.lower() or is_get):
        found += kind_values(first)
    for index in positions.get(name, set()):
        if index < len(node.args) and isinstance(node.args[index], ast.Constant):
            found += kind_values(node.args[index])
    for keyword in node.keywords:
        if keyword.arg and "kind" in keyword.arg.lower() and isinstance(keyword.value, ast.Constant):
            found += kind_values(keyword.value)
    return found


# ---- addresses written with a kind's name -----------------------------------------------------------------


def address_heads(tree: ast.AST) -> list[Hit]:
    """(line, ``"<value>:"``) of each string literal, and each literal part of an f-string (its head above all:
    ``f"label:{name}"``), that starts like an address of a kind."""
    hits: list[Hit] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = ADDRESS_HEAD.match(node.value)
            if head:
                hits.append((node.lineno, f"{head.group(1)}:"))
    return hits


# ---- which calls take a kind where --------------------------------------------------------------------------


def kind_parameters(tree: ast.AST) -> Positions:
    """For each function, method and dataclass-like class defined in ``tree``, the positional indexes (as a
    caller counts them: ``self``/``cls`` left out) of parameters and fields named like a kind."""
    found: Positions = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            if names and names[0] in ("self", "cls"):
                names = names[1:]
        elif isinstance(node, ast.ClassDef):
            names = [
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign)
                and isinstance(s.target, ast.Name)
                and "ClassVar" not in ast.unparse(s.annotation)
            ]
        indexes = {i for i, name in enumerate(names) if "kind" in name.lower()}
        if indexes:
            found.setdefault(getattr(node, "name", ""), set()).update(indexes)
    return found


def merged(*tables: Positions) -> Positions:
    out: Positions = {}
    for table in tables:
        for name, indexes in table.items():
            out.setdefault(name, set()).update(indexes)
    return out


def modules() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


@cache
def project_positions() -> Positions:
    """Kind parameters of every function in engine/ and mcp_server/ (the kind package included)."""
    return merged(*(kind_parameters(ast.parse(path.read_text(encoding="utf-8"))) for path in modules()))


def switching_modules() -> dict[str, list[Hit]]:
    found: dict[str, list[Hit]] = {}
    for path in modules():
        if KIND_PACKAGE in path.parents:
            continue
        hits = named_kinds(path.read_text(encoding="utf-8"))
        if hits:
            found[path.relative_to(ROOT).as_posix()] = hits
    return found


# ---- the guard ---------------------------------------------------------------------------------------------


def test_no_module_outside_the_kind_package_names_a_kind() -> None:
    found = switching_modules()
    new = {module: hits for module, hits in found.items() if module not in STILL_SWITCHING}
    assert not new, (
        "ask the kind object (engine.gitops.kinds.KINDS; for an address, kind.address_of/key_in and the parts in "
        f"engine.gitops.kinds.roles) instead of naming a kind: {new}"
    )


def test_the_allow_list_names_only_modules_that_still_switch() -> None:
    stale = STILL_SWITCHING - set(switching_modules())
    assert not stale, f"these modules no longer name a kind; remove them from STILL_SWITCHING: {sorted(stale)}"


def test_the_scan_sees_a_planted_switch() -> None:
    assert named_kinds("if kind is ResourceKind.PROMPT:\n    pass\n") == [(1, "PROMPT")]
    assert named_kinds("ResourceKind(kind)\nkinds.KINDS[kind]\n") == []


def test_the_scan_sees_a_kind_written_as_a_string() -> None:
    planted = {
        'if kind == "prompt":\n    pass\n': [(1, "prompt")],
        'ok = "collection" != made.kind\n': [(1, "collection")],
        'ok = obj.kind.value in ("prompt", "partial")\n': [(1, "partial"), (1, "prompt")],
        'ok = row["kind"] == "label"\n': [(1, "label")],
        'match kind:\n    case "config":\n        pass\n': [(2, "config")],
        'DELETES = {"prompt": ("delete_prompt", "prompt_id"), "label": ("delete_prompt_label", "label_id")}\n': [
            (1, "label"),
            (1, "prompt"),
        ],
        'SWEEPS = [("label", "list_prompt_labels"), ("rate_limit", "list_rate_limits")]\n': [
            (1, "label"),
            (1, "rate_limit"),
        ],
        'k = KINDS["guardrail"]\n': [(1, "guardrail")],
        'k = KINDS.get("guardrail")\n': [(1, "guardrail")],
        'k = ResourceKind("usage_limit")\n': [(1, "usage_limit")],
        'k = kind_of("prompt")\nk = kind_named("label")\n': [(1, "prompt"), (2, "label")],
        'Made(kind="prompt", id="1", name="x")\n': [(1, "prompt")],
    }
    for source, hits in planted.items():
        assert named_kinds(source, {}) == hits, source


def test_the_scan_sees_an_address_written_with_a_kind_s_name() -> None:
    planted = {
        'label_id = self.refs.get(f"label:{label}")\n': [(1, "label:")],
        'if ref.startswith("partial:"):\n    key = ref.removeprefix("partial:")\n': [(1, "partial:"), (2, "partial:")],
        'refs.setdefault(f"collection:{parent}/{child}", cid)\n': [(1, "collection:")],
        'DEFAULT = "config:default"\n': [(1, "config:")],
        'target = "rate_limit:" + key\n': [(1, "rate_limit:")],
        'uses = {f"usage_limit:{k}" for k in keys}\n': [(1, "usage_limit:")],
    }
    for source, hits in planted.items():
        assert named_kinds(source, {}) == hits, source


def test_prose_and_other_words_with_a_colon_are_not_addresses() -> None:
    prose = [
        'ctx.error(f"label: {name} is reserved; choose another name")\n',  # a space after the colon
        'print("prompt:\\n  the template")\n',  # a heading, not an address
        'msg = f"{target!r} is not an address like prompt:support/triage"\n',  # not at the start
        'line = f"{kind.value}:{key}"\n',  # the kind says its own name
        'KEYS = ("labels:", "prompts:", "configuration:")\n',  # other words
        'url = "https://example.com/prompt:1"\n',
    ]
    for source in prose:
        assert named_kinds(source, {}) == [], source


def test_the_scan_sees_a_kind_passed_where_a_function_takes_one() -> None:
    source = (
        "class Scratch:\n"
        "    async def create(self, kind, operation, name, body):\n"
        "        pass\n"
        "async def run(s):\n"
        '    await s.create("prompt", "create_prompt", "x", {})\n'
        "@dataclass\n"
        "class Made:\n"
        "    kind: str\n"
        "    id: str\n"
        'Made("label", "1")\n'
    )
    assert named_kinds(source, kind_parameters(ast.parse(source))) == [(5, "prompt"), (10, "label")]


def test_the_project_s_own_signatures_say_where_a_kind_goes() -> None:
    """Scratch.create (engine/gitops/doctor.py) and Made take their kind first: a literal there is caught."""
    assert named_kinds('await self.s.create("prompt", name, body)\n') == [(1, "prompt")]
    assert named_kinds('Made("label", "1", "gitops-doctor-x")\n') == [(1, "label")]


def test_the_same_words_meaning_something_else_are_not_kinds() -> None:
    other_words = [
        'args["config"] = config_from_flat(taken, ctx)\n',  # a tool argument
        'SWITCH = ("versions_template", ("full", "partial", "absent"), "full")\n',  # behaviour values
        'self.found("versions_template", "lacks tools", "partial")\n',  # a switch value
        'if "collection" in change.payload:\n    collection = change.payload["collection"]\n',  # a field
        'body = {"name": name, "collection": key, "prompt": text}\n',  # fields of a payload
        'n = counts.get("label", 0)\n',  # a plan action
        'ROWS = [("label", "{n} label move"), ("create", "{n} to create")]\n',  # one kind word in a column
    ]
    for source in other_words:
        assert named_kinds(source, {"found": {0}}) == [], source


def test_every_kind_has_its_own_module_and_one_object_in_the_table() -> None:
    assert list(KINDS) == list(ResourceKind)
    for kind, obj in KINDS.items():
        assert isinstance(obj, Kind) and obj.kind is kind
        assert (KIND_PACKAGE / f"{kind.value}.py").is_file(), kind
        assert type(obj).__module__ == f"engine.gitops.kinds.{kind.value}", kind


def test_a_kind_writes_and_reads_its_own_addresses() -> None:
    for kind in KINDS.values():
        target = kind.address_of("team/one")
        assert split_address(target) == (kind.kind, "team/one")
        assert kind.key_in(target) == "team/one"
        assert [other.key_in(target) for other in KINDS.values() if other is not kind] == [None] * (len(KINDS) - 1)


def test_each_part_is_played_by_the_kind_whose_files_say_so() -> None:
    """A prompt's release.labels name labels, its collection a collection, its {{>key}} a partial."""
    assert VERSION_LABELS.directory == "labels" and VERSION_LABELS.created_refs("prod", "L1") == {
        VERSION_LABELS.address_of("prod"): "L1"
    }
    assert HOLDERS.directory == "collections"
    assert INCLUDED.directory == "partials"
