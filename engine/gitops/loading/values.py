"""``${binding:NAME}`` substitution and ``${secret:NAME}`` checks over a parsed document.

Bindings are replaced before validation (a whole-value binding keeps its type).
Secrets are never substituted: the reference string stays and its dotted path is
recorded, so nothing downstream of the loader holds a secret value.

Which fields hold secrets is decided by name (:func:`engine.redaction.is_secret_key`: ``api_key``,
``azure_entra_client_secret``, ``vertex_service_account_json``, ``Authorization`` …), at any depth
of a kind's secret zone and whatever the value's type: every non-empty scalar under such a field
must be exactly ``${secret:NAME}``. NAME must be declared under ``secrets:`` in ``portkey.yaml``
and may never be one of our own credentials or a CI token; the value is read only to check it is
set, and registered with :mod:`engine.redaction` so every later output scrubs it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import redaction
from engine.gitops.loading.context import Context
from engine.gitops.loading.yamldoc import DataPath, YamlDoc, dotted
from engine.gitops.model import Location
from engine.gitops.templates import line_col

BINDING = re.compile(r"\$\{binding:([^}]*)\}")
SECRET = re.compile(r"\$\{secret:([^}]*)\}")
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{(binding|secret):")
SECRET_FIELDS_HINT = (
    "a secret field (one named like key, secret, token, password, credential, authorization or service account, "
    "e.g. api_key, azure_entra_client_secret) in a config or a guardrail"
)
LITERAL_FIX = "write ${secret:NAME}, list NAME under secrets: in portkey.yaml and set NAME in the environment"
_FORBIDDEN_WHY = (
    "it is this tool's own credential or a CI token (PORTKEY_API_KEY, MCP_AUTH_TOKEN, GITHUB_TOKEN, ACTIONS_*, "
    "RUNNER_*), and a file that sends it to Portkey would leak it to anyone who can read the object"
)

PathTest = Callable[[DataPath], bool]


def never(_path: DataPath) -> bool:
    return False


def everywhere(_path: DataPath) -> bool:
    return True


def forbidden_message(name: str) -> str | None:
    """Why ``${secret:NAME}`` may never read ``name``, or None when it may."""
    if not redaction.forbidden_secret_name(name):
        return None
    return f"{name} can never be a secret of the project: {_FORBIDDEN_WHY}; use a variable of your own"


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
    """Applies bindings and checks secrets in one document, reporting to the context.

    ``declared`` are the names ``secrets:`` in portkey.yaml lists; None when it could not be read
    (then undeclared names are not reported again).
    """

    def __init__(
        self, ctx: Context, bindings: Bindings, doc: YamlDoc, rules: Rules, declared: frozenset[str] | None = None
    ) -> None:
        self.ctx = ctx
        self.bindings = bindings
        self.doc = doc
        self.rules = rules
        self.declared = declared
        self.secrets: set[str] = set()

    def run(self) -> set[str]:
        """Substitute in place; returns the dotted paths of secret references."""
        self.doc.data = self._walk(self.doc.data, ())
        return self.secrets

    def _walk(self, node: Any, path: DataPath) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key)
                if redaction.is_secret_key(key) and self.rules.secret_zone(child):
                    node[key] = self._secret_field(value, child, child)
                else:
                    node[key] = self._walk(value, child)
            return node
        if isinstance(node, list):
            return [self._walk(item, (*path, index)) for index, item in enumerate(node)]
        if isinstance(node, str):
            return self._string(node, path)
        return node

    def _secret_field(self, value: Any, path: DataPath, field: DataPath) -> Any:
        """Check everything under the secret-named field at ``field``: references only, no literals."""
        if isinstance(value, dict):
            for key, item in value.items():
                value[key] = self._secret_field(item, (*path, key), field)
            return value
        if isinstance(value, list):
            return [self._secret_field(item, (*path, index), field) for index, item in enumerate(value)]
        if value is None or value == "" or isinstance(value, bool):
            return value
        where = self.doc.location(path)
        name = secret_name(value)
        if name is None:
            self.ctx.error(f"{_literal_detail(value, path, field)}: {LITERAL_FIX}", where)
            return value
        self._reference(name, where)
        self.secrets.add(dotted(path))
        return value

    def _reference(self, name: str, where: Location) -> None:
        """Check that ``${secret:name}`` may be read and is set; register its value for scrubbing."""
        if not SECRET_NAME.fullmatch(name):
            self.ctx.error(
                f"invalid secret name {name!r}: use letters, digits and '_' (an environment variable name)", where
            )
        elif forbidden := forbidden_message(name):
            self.ctx.error(f"${{secret:{name}}} is refused: {forbidden}", where)
        elif self.declared is not None and name not in self.declared:
            self.ctx.error(
                f"${{secret:{name}}} is not declared: add {name} under secrets: in portkey.yaml "
                "(only declared environment variables are read)",
                where,
            )
        elif value := self.ctx.environ.get(name):
            redaction.register(value)
        else:
            self.ctx.error(
                f"environment variable {name} is not set (needed by ${{secret:{name}}}): "
                "export it before planning or applying",
                where,
            )

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


def _literal_detail(value: Any, path: DataPath, field: DataPath) -> str:
    """What is wrong with a non-reference value under a secret field."""
    name = f"'{field[-1]}'" if path == field else f"'{dotted(path[len(field):])}' inside '{field[-1]}'"
    if isinstance(value, str) and "${secret:" in value:
        return f"{name} must be exactly ${{secret:NAME}}, not part of a longer string"
    if isinstance(value, str) and "${binding:" in value:
        return f"{name} cannot come from a binding (bindings are committed to git)"
    return f"{name} holds a literal secret"


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


def substitute(
    ctx: Context, bindings: Bindings, doc: YamlDoc, rules: Rules | None = None, declared: frozenset[str] | None = None
) -> set[str]:
    """Apply bindings / check secrets in ``doc``; returns the secret paths found."""
    return Substituter(ctx, bindings, doc, rules or Rules(), declared).run()
