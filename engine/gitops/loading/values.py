"""``${binding:NAME}`` substitution and ``${secret:NAME}`` checks over a parsed document.

Bindings are replaced before validation (a whole-value binding keeps its type).
Secrets are never substituted: the reference string stays and its dotted path is
recorded, so nothing downstream of the loader holds a secret value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.gitops.loading.context import Context
from engine.gitops.loading.yamldoc import DataPath, YamlDoc, dotted
from engine.gitops.model import Location
from engine.gitops.templates import line_col

SECRET_KEYS = frozenset(
    {
        "api_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "vertex_service_account_json",
        "azure_ad_token",
        "credentials",
        "token",
        "password",
    }
)
BINDING = re.compile(r"\$\{binding:([^}]*)\}")
SECRET = re.compile(r"\$\{secret:([^}]*)\}")
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{(binding|secret):")
SECRET_FIELDS_HINT = (
    f"a secret field ({', '.join(sorted(SECRET_KEYS))}) inside a config's `config` or a guardrail check's `parameters`"
)

PathTest = Callable[[DataPath], bool]


def never(_path: DataPath) -> bool:
    return False


@dataclass(frozen=True)
class Rules:
    """Which paths of a document hold prose (no references) and which may hold secret fields."""

    prose: PathTest = never
    secret_zone: PathTest = never


@dataclass
class Bindings:
    """The merged bindings; ``known`` is False when portkey.yaml could not be read."""

    values: Mapping[str, Any]
    known: bool = True


def secret_name(value: Any) -> str | None:
    """NAME if ``value`` is exactly ``${secret:NAME}``."""
    if isinstance(value, str) and (match := SECRET.fullmatch(value)):
        return match.group(1)
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class Substituter:
    """Applies bindings and checks secrets in one document, reporting to the context."""

    def __init__(self, ctx: Context, bindings: Bindings, doc: YamlDoc, rules: Rules) -> None:
        self.ctx = ctx
        self.bindings = bindings
        self.doc = doc
        self.rules = rules
        self.secrets: set[str] = set()

    def run(self) -> set[str]:
        """Substitute in place; returns the dotted paths of secret references."""
        self.doc.data = self._walk(self.doc.data, ())
        return self.secrets

    def _walk(self, node: Any, path: DataPath) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key)
                if key in SECRET_KEYS and self.rules.secret_zone(child):
                    node[key] = self._secret_field(value, child)
                else:
                    node[key] = self._walk(value, child)
            return node
        if isinstance(node, list):
            return [self._walk(item, (*path, index)) for index, item in enumerate(node)]
        if isinstance(node, str):
            return self._string(node, path)
        return node

    def _secret_field(self, value: Any, path: DataPath) -> Any:
        where = self.doc.location(path)
        if isinstance(value, dict | list):
            return self._walk(value, path)
        if value is None or value == "" or isinstance(value, bool):
            return value
        name = secret_name(value)
        if name is None:
            if isinstance(value, str) and "${secret:" in value:
                detail = f"'{path[-1]}' must be exactly ${{secret:NAME}}, not part of a longer string"
            elif isinstance(value, str) and "${binding:" in value:
                detail = f"'{path[-1]}' cannot come from a binding (bindings are committed to git)"
            else:
                detail = f"'{path[-1]}' holds a literal secret"
            self.ctx.error(f"{detail}: write ${{secret:NAME}} and set NAME in the environment", where)
            return value
        if not SECRET_NAME.fullmatch(name):
            self.ctx.error(
                f"invalid secret name {name!r}: use letters, digits and '_' (an environment variable name)",
                where,
            )
        elif not self.ctx.environ.get(name):
            self.ctx.error(
                f"environment variable {name} is not set (needed by ${{secret:{name}}}): "
                "export it before planning or applying",
                where,
            )
        self.secrets.add(dotted(path))
        return value

    def _string(self, value: str, path: DataPath) -> Any:
        where = self.doc.location(path)
        if self.rules.prose(path):
            for match in _REFERENCE.finditer(value):
                self.ctx.error(_prose_message(match.group(1), dotted(path)), where)
            return value
        if "${secret:" in value:
            self.ctx.error(f"${{secret:…}} is allowed only as the whole value of {SECRET_FIELDS_HINT}", where)
            return value
        whole = BINDING.fullmatch(value)
        if whole:
            return self._lookup(whole.group(1), where, value)
        return BINDING.sub(lambda m: _text(self._lookup(m.group(1), where, m.group(0))), value)

    def _lookup(self, name: str, where: Location, original: str) -> Any:
        if name in self.bindings.values:
            return self.bindings.values[name]
        if self.bindings.known:
            self.ctx.error(
                f"unknown binding '{name}': add it under bindings in portkey.yaml or in environments/<env>.yaml",
                where,
            )
        return original


def _prose_message(kind: str, field: str) -> str:
    if kind == "secret":
        return f"${{secret:…}} is not allowed in prose ({field}); secrets belong in {SECRET_FIELDS_HINT}"
    return (
        f"${{binding:…}} is not allowed in prose ({field}): environments change bindings, never prose; "
        "write the text itself"
    )


def check_prose_text(ctx: Context, text: str, file: str, first_line: int = 1) -> None:
    """Report ``${binding:…}`` / ``${secret:…}`` in a prose file (a partial body, a content file)."""
    for match in _REFERENCE.finditer(text):
        line, column = line_col(text, match.start())
        ctx.error(_prose_message(match.group(1), "text"), Location(file, line + first_line - 1, column))


def substitute(ctx: Context, bindings: Bindings, doc: YamlDoc, rules: Rules | None = None) -> set[str]:
    """Apply bindings / check secrets in ``doc``; returns the secret paths found."""
    return Substituter(ctx, bindings, doc, rules or Rules()).run()
