"""The tool catalogue (``catalogue.tsv``, a copy of ``contracts/catalogue.tsv``) as records.

One row per tool: its name, toolset (``group``), effect (``kind``), HTTP method and path,
and the parameters users know, typed in parentheses (``version(int)``, ``role(enum:a|b)``,
``scopes(string[])``, ``label_id(string|null)``; no parentheses = string).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PARAM = re.compile(r"([a-z_][a-z0-9_]*)(?:\((.+)\))?")


@dataclass(frozen=True)
class ParamType:
    """A catalogue parameter type: a base (string, int, number, bool, object, enum, or a format),
    whether it is an array, whether null is meaningful, and the enum values."""

    base: str = "string"
    array: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> ParamType:
        if not text:
            return cls()
        nullable = text.endswith("|null")
        if nullable:
            text = text.removesuffix("|null")
        if text.startswith("enum"):
            head, _, values = text.partition(":")
            return cls("enum", head.endswith("[]"), nullable, tuple(values.split("|")))
        array = text.endswith("[]")
        return cls(text.removesuffix("[]"), array, nullable)


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    required: bool


@dataclass(frozen=True)
class Row:
    """One catalogue row."""

    tool: str
    source: str
    group: str
    kind: str
    method: str
    path: str
    params: tuple[Param, ...]
    notes: str

    @property
    def enterprise(self) -> bool:
        return "Enterprise-gated" in self.notes

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_params(text: str, *, required: bool) -> list[Param]:
    """``"name, version(int), role(enum:a|b)"`` → parameters."""
    params = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _PARAM.fullmatch(part)
        if match is None:
            raise ValueError(f"catalogue parameter {part!r} is not name or name(type)")
        params.append(Param(match.group(1), ParamType.parse(match.group(2)), required))
    return params


def read_catalogue(text: str) -> tuple[Row, ...]:
    """Parse the TSV text of the catalogue."""
    rows = []
    for raw in csv.DictReader(text.splitlines(), delimiter="\t"):
        params = parse_params(raw["required"], required=True) + parse_params(raw["optional"], required=False)
        rows.append(Row(raw["tool"], raw["source"], raw["group"], raw["kind"], raw["method"], raw["path"],
                        tuple(params), raw["notes"]))
    return tuple(rows)


def catalogue_text() -> str:
    """The catalogue shipped with the package."""
    return resources.files("mcp_server").joinpath("catalogue.tsv").read_text(encoding="utf-8")


@cache
def load_catalogue() -> tuple[Row, ...]:
    """Every catalogue row, in file order."""
    return read_catalogue(catalogue_text())
