"""The Portkey Admin API as data: one :class:`Operation` per row of the operation table.

The table (:mod:`portkey_catalogue`, ``operations.tsv``) gives each operation's name, kind, HTTP method and
path, query parameters, body model name, paging and flags; this module joins each row with the Python it
names (the body model from ``bodies*``, the answer normaliser from :mod:`engine.portkey.normalize`). The
client binds one method per operation; the MCP server builds one tool per operation. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel

import portkey_catalogue
from engine.portkey import bodies, bodies_admin, bodies_observability, normalize
from engine.portkey.operation import Kind, Operation, Paging

__all__ = ["BY_NAME", "OPERATIONS", "Kind", "Operation", "Paging", "get"]

_QUERY_TYPES: Mapping[str, type] = {"string": str, "int": int, "number": float, "bool": bool}
BODY_MODULES = (bodies, bodies_admin, bodies_observability)


def _body_model(row: portkey_catalogue.Row) -> type[BaseModel] | None:
    if not row.body:
        return None
    found = [getattr(module, row.body) for module in BODY_MODULES if hasattr(module, row.body)]
    if len(found) != 1 or not (isinstance(found[0], type) and issubclass(found[0], BaseModel)):
        raise LookupError(f"{row.tool}: body {row.body!r} must name one model of engine.portkey.bodies*")
    model: type[BaseModel] = found[0]
    return model


def operation(row: portkey_catalogue.Row) -> Operation:
    """The declaration of one table row that has a path."""
    normalizer = getattr(normalize, row.normalize, None) if row.normalize else None
    if row.normalize and not callable(normalizer):
        raise LookupError(f"{row.tool}: normalize={row.normalize} is not a function of engine.portkey.normalize")
    return Operation(
        row.tool,
        row.group,
        Kind(row.kind),
        row.method,
        row.path,
        query=MappingProxyType({q.name: _QUERY_TYPES[q.type] for q in row.query}),
        required_query=tuple(q.name for q in row.query if q.required),
        body=_body_model(row),
        body_required=row.body_required,
        paging=Paging(row.paging),
        normalize=normalizer,
        creates_version=row.creates_version,
        enterprise=row.enterprise,
        in_spec=row.in_spec,
        public=row.public,
        secret_fields=row.secret_fields,
    )


OPERATIONS: tuple[Operation, ...] = tuple(operation(row) for row in portkey_catalogue.load() if row.route)

BY_NAME: Mapping[str, Operation] = MappingProxyType({op.name: op for op in OPERATIONS})


def get(name: str) -> Operation:
    """Return the operation called ``name``; raise KeyError naming close matches."""
    try:
        return BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, BY_NAME, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown Portkey operation {name!r}{hint}") from None
