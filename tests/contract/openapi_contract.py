"""Check Portkey Admin API traffic against Portkey's official OpenAPI spec, with openapi-core.

The spec (``contracts/openapi.yaml``, kept verbatim) is parsed once per process. Where it is known to
be wrong, ``deviations*.yaml`` beside this module hold one short, reasoned entry per spec error; they
are applied to the parsed spec (:func:`apply_deviations`) before openapi-core builds its ``OpenAPI``
object, which then validates requests and responses. An entry's ``schema`` replaces the spec's schema
for one part of one operation (or for one component), so that part is still validated against what
Portkey really does; ``not_in_spec: true`` adds an operation the spec lacks (its bodies only have to
be JSON). openapi-core leaves three things unchecked that this module checks itself: query parameters
the operation does not declare, a body sent to an operation that takes none, and guardrail check
``parameters`` by check id (deviation ``guardrail-check-parameters``).

Public API: :func:`check_request`, :func:`check_response`, :func:`get_checker`,
:func:`load_deviations`, :func:`deviation_problems`.
"""

from __future__ import annotations

import copy
import functools
import json
import operator
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema.exceptions import ValidationError, best_match
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError, ServerNotFound
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import ParameterValidationError, SecurityValidationError
from openapi_core.validation.response.exceptions import MissingData
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from ruamel.yaml import YAML

SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "openapi.yaml"
DEVIATIONS_PATH = Path(__file__).resolve().with_name("deviations.yaml")
HOST = "https://api.portkey.ai"  # every URL is checked as if sent to Portkey's own host
API_PREFIX = "/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PARTS = frozenset({"query", "request-body", "response-body", "error-body", "component"})
GUARDRAIL_CHECK_ID = "guardrail-check-parameters"
MAX_MESSAGE = 300

# Which parameter schema a guardrail check `id` selects (see deviation
# `guardrail-check-parameters`). Ids without a dedicated schema take BasicParameters.
GUARDRAIL_CHECK_PARAMETERS: dict[str, str] = {
    "default.jwt": "JWTParameters",
    "default.modelWhitelist": "ModelWhitelistParameters",
    "default.isAllLowerCase": "UppercaseParameters",
    "default.alluppercase": "UppercaseParameters",
    "default.regexMatch": "RegexMatchParameters",
    "default.sentenceCount": "SentenceCountParameters",
    "default.wordCount": "WordCountParameters",
    "default.characterCount": "CharacterCountParameters",
    "default.jsonSchema": "JSONSchemaParameters",
    "default.jsonKeys": "JSONKeysParameters",
    "default.contains": "ContainsParameters",
    "default.validUrls": "ValidUrlsParameters",
    "default.containsCode": "ContainsCodeParameters",
    "default.webhook": "WebhookParameters",
    "default.endsWith": "EndsWithParameters",
    "default.requiredMetadataKeys": "RequiredMetadataKeysParameters",
    "default.allowedRequestTypes": "AllowedRequestTypesParameters",
    "portkey.moderateContent": "PortkeyModerationParameters",
    "portkey.language": "PortkeyLanguageParameters",
    "portkey.pii": "PortkeyPIIParameters",
    "sydelabs.sydeguard": "SydeGuardParameters",
    "aporia.validateProject": "AporiaParameters",
    "pillar.scanPrompt": "PillarScanParameters",
    "pillar.scanResponse": "PillarScanParameters",
    "patronus.custom": "PatronusCustomParameters",
    "mistral.moderateContent": "MistralModerationParameters",
    "bedrock.guard": "BedrockGuardParameters",
    "promptfoo.guard": "PromptfooParameters",
    "promptfoo.pii": "PromptfooParameters",
    "promptfoo.harm": "PromptfooParameters",
    "acuvity.scan": "AcuvityScanParameters",
    "azure.contentSafety": "AzureContentSafetyParameters",
    "azure.pii": "AzurePIIParameters",
    "panw-prisma-airs.intercept": "PANWPrismaParameters",
} | {
    f"patronus.{name}": "PatronusParameters"
    for name in (
        "phi",
        "pii",
        "isConcise",
        "isHelpful",
        "isPolite",
        "noApologies",
        "noGenderBias",
        "noRacialBias",
        "retrievalAnswerRelevance",
        "toxicity",
    )
}
# Operations whose body carries guardrail checks, and which side carries them.
GUARDRAIL_CHECK_BODIES = {
    "POST /guardrails": "request",
    "PUT /guardrails/{guardrailId}": "request",
    "GET /guardrails/{guardrailId}": "response",
}


# --------------------------------------------------------------------------- loading


def _yaml() -> YAML:
    # ruamel's own parser: ~2.5 s of CPU for the 1.2 MB spec, once per process. ruamel.yaml.clib would
    # make it ~0.6 s but switches every YAML(typ="safe") in the tests to libyaml's YAML 1.1 rules.
    return YAML(typ="safe")


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """Parse the spec YAML."""
    with path.open("rb") as fh:
        return _yaml().load(fh)


@dataclass(frozen=True)
class Deviation:
    """One known spec error and what Portkey really does instead."""

    id: str
    part: str
    reason: str
    operation: str | None = None
    component: str | None = None
    schema: dict[str, Any] | None = None
    not_in_spec: bool = False

    @property
    def target(self) -> tuple[str | None, str]:
        """What the entry replaces: (operation or component, part)."""
        return (self.component if self.part == "component" else self.operation), self.part


def load_deviations(path: Path | None = None) -> list[Deviation]:
    """Read the deviation list (``deviations*.yaml`` beside this module, or one file).

    Structural problems are reported by :func:`deviation_problems`.
    """
    if path is None:
        files = sorted(DEVIATIONS_PATH.parent.glob("deviations*.yaml"))
        return [entry for file in files for entry in load_deviations(file)]
    with path.open("rb") as fh:
        raw = _yaml().load(fh) or []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of deviation entries")
    known = {f.name for f in Deviation.__dataclass_fields__.values()}
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) - known:
            raise ValueError(f"{path}: bad entry {entry!r} (allowed keys: {sorted(known)})")
        out.append(Deviation(**entry))
    return out


def _operation_key(method: str, template: str) -> str:
    return f"{method.upper()} {template}"


def spec_operations(spec: Mapping[str, Any]) -> set[str]:
    """Every ``METHOD /path-template`` the spec declares."""
    return {
        _operation_key(method, template)
        for template, item in spec["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def deviation_problems(spec: Mapping[str, Any], deviations: list[Deviation]) -> list[str]:
    """List what is wrong with the deviation entries themselves (empty = well-formed)."""
    problems: list[str] = []
    ops = spec_operations(spec)
    seen: set[str] = set()
    targets: dict[tuple[str | None, str], str] = {}
    for dev in deviations:
        where = f"deviation {dev.id!r}"
        if not dev.id or dev.id in seen:
            problems.append(f"{where}: id missing or duplicated")
        seen.add(dev.id)
        if dev.target in targets:  # two replacements of one part: the second would hide the first
            problems.append(f"{where}: replaces the same {dev.part} as deviation {targets[dev.target]!r}")
        targets.setdefault(dev.target, dev.id)
        if not isinstance(dev.reason, str) or not dev.reason.strip():
            problems.append(f"{where}: empty reason")
        if dev.part not in PARTS:
            problems.append(f"{where}: unknown part {dev.part!r}")
        if dev.not_in_spec == (dev.schema is not None):
            problems.append(f"{where}: needs exactly one of `schema` and `not_in_spec: true`")
        if dev.schema is not None and not isinstance(dev.schema, dict):
            problems.append(f"{where}: schema must be a mapping")
        if dev.part == "component":
            if dev.operation or dev.component not in spec["components"]["schemas"]:
                problems.append(f"{where}: needs `component` naming a spec schema, no operation")
            continue
        if dev.component:
            problems.append(f"{where}: `component` only goes with part `component`")
        if dev.operation == "*":
            if dev.part != "error-body":
                problems.append(f"{where}: operation '*' is only allowed for error-body")
            continue
        if not isinstance(dev.operation, str) or not re.fullmatch(r"[A-Z]+ /\S*", dev.operation):
            problems.append(f"{where}: operation must look like 'METHOD /path-template'")
        elif dev.not_in_spec and dev.operation in ops:
            problems.append(f"{where}: {dev.operation} is in the spec; not_in_spec is wrong")
        elif not dev.not_in_spec and dev.operation not in ops:
            problems.append(f"{where}: {dev.operation} is not an operation of the spec")
    return problems


# --------------------------------------------------------------------------- the overlay


def pointer(spec: Any, ref: str) -> Any:
    """The node a local ``#/a/b`` reference points at."""
    node = spec
    for raw in ref.removeprefix("#").strip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _deref(spec: Any, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = pointer(spec, node["$ref"])
    return node


def _json(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _rebased(schema: Any) -> Any:
    """A deviation schema whose ``#/paths/…`` refs mean the spec as written (``#/x-original-paths/…``):
    replaced in place, a part that refers to its own original would refer to itself."""
    if isinstance(schema, dict):
        return {
            k: "#/x-original-paths/" + v.removeprefix("#/paths/")
            if k == "$ref" and isinstance(v, str) and v.startswith("#/paths/")
            else _rebased(v)
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(v) for v in schema]
    return schema


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for template, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), template, item, item[method]


def apply_deviations(spec: dict[str, Any], deviations: list[Deviation]) -> dict[str, Any]:
    """A copy of ``spec`` with every deviation applied. A component as the spec wrote it stays reachable as
    ``#/x-original-schemas/<Name>``, an operation's part as ``#/x-original-paths/…``; servers that are not
    URLs (self-hosting placeholders) are dropped."""
    spec = copy.deepcopy(spec)
    spec.pop("x-server-groups", None)
    spec["x-original-paths"] = copy.deepcopy(spec["paths"])
    deviations = [replace(d, schema=_rebased(d.schema)) for d in deviations]
    schemas = spec["components"]["schemas"]
    originals = spec.setdefault("x-original-schemas", {})
    for dev in deviations:
        if dev.part == "component" and dev.component:
            originals.setdefault(dev.component, schemas[dev.component])
            schemas[dev.component] = dev.schema
        elif dev.not_in_spec and dev.operation:
            method, template = dev.operation.split(" ", 1)
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"\{([^}]+)\}", template)
            ]
            spec["paths"].setdefault(template, {})[method.lower()] = {
                "parameters": params,
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {"default": _json({}, f"deviation {dev.id}")},
            }
    overrides = {(d.operation, d.part): d for d in deviations if d.schema is not None and d.part != "component"}
    for method, template, item, op in _operations(spec):
        for holder in (item, op):
            if "servers" in holder:
                holder["servers"] = [s for s in holder["servers"] if re.match(r"https?://", s["url"])]
        label = _operation_key(method, template)
        responses = op.setdefault("responses", {})
        dev = overrides.get((label, "response-body"))
        if dev is not None:
            responses.update({key: _json(dev.schema, dev.id) for key in responses if key.startswith("2")})
        dev = overrides.get((label, "error-body")) or overrides.get(("*", "error-body"))
        if dev is not None:
            op["responses"] = {k: v for k, v in responses.items() if not k.startswith(("4", "5"))}
            op["responses"] |= {"4XX": _json(dev.schema, dev.id), "5XX": _json(dev.schema, dev.id)}
        dev = overrides.get((label, "request-body"))
        if dev is not None:
            required = bool(_deref(spec, op.get("requestBody", {})).get("required"))
            op["requestBody"] = {"required": required, "content": {"application/json": {"schema": dev.schema}}}
        dev = overrides.get((label, "query"))
        if dev is not None and dev.schema is not None:
            kept = [p for p in op.get("parameters", []) if _deref(spec, p)["in"] != "query"]
            wanted = set(dev.schema.get("required", []))
            op["parameters"] = kept + [
                {"name": name, "in": "query", "required": name in wanted, "schema": schema}
                for name, schema in dev.schema.get("properties", {}).items()
            ]
    return spec


# --------------------------------------------------------------------------- messages


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _describe(error: ValidationError, prefix: str = "$") -> str:
    path = prefix + error.json_path[1:]
    message = _shorten(error.message)
    if error.context:
        message += f" (closest: {_shorten(best_match(error.context).message)})"
    return f"{path}: {message}"


def _messages(error: BaseException, prefix: str = "$") -> list[str]:
    """One line per schema error under ``error`` (openapi-core keeps them on the cause), else its text."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return [_describe(e, prefix) for e in sorted(schema_errors, key=lambda e: (e.json_path, e.message))]
    return [_shorten(str(cause or error))]


@dataclass(frozen=True)
class Operation:
    """A routable operation: a spec operation or a `not_in_spec` deviation."""

    method: str
    template: str
    not_in_spec: bool = False
    at_root: bool = False  # served at the host root (PublicServers), not below /v1

    @property
    def label(self) -> str:
        return _operation_key(self.method, self.template)


@dataclass(frozen=True)
class Match:
    """An operation matched to a concrete URL."""

    operation: Operation
    path_params: dict[str, str]
    query: list[tuple[str, str]]


# --------------------------------------------------------------------------- checker


class ContractChecker:
    """Validates requests and responses against the spec with deviations applied (by openapi-core)."""

    def __init__(self, spec: dict[str, Any], deviations: list[Deviation]) -> None:
        problems = deviation_problems(spec, deviations)
        if problems:
            raise ValueError("malformed deviations: " + "; ".join(problems))
        self.deviations = {d.id: d for d in deviations}
        self.source_spec = spec  # as written, for deviation_problems
        self.spec = apply_deviations(spec, deviations)
        self._overrides = {(d.operation, d.part): d for d in deviations if d.part != "component"}
        self._check_params_by_id = any(
            d.id == GUARDRAIL_CHECK_ID and d.component == "GuardrailCheck" for d in deviations
        )
        self._formats = {
            "uri": lambda value: not isinstance(value, str) or bool(re.match(r"[A-Za-z][\w+.-]*:\S", value))
        }
        self.api = OpenAPI.from_dict(
            self.spec, config=Config(spec_validator_cls=None, extra_format_validators=self._formats)
        )
        self._finder = APICallPathFinder(self.api.spec)
        not_in_spec = {d.operation for d in deviations if d.not_in_spec}
        self._operations = {}
        for method, template, _, op in _operations(self.spec):
            servers = op.get("servers") or self.spec["paths"][template].get("servers") or ()
            at_root = bool(servers) and all(urlsplit(s["url"]).path in ("", "/") for s in servers)
            label = _operation_key(method, template)
            self._operations[label] = Operation(method, template, label in not_in_spec, at_root)

    # -- routing ---------------------------------------------------------------

    def match(self, method: str, url: str) -> Match | str:
        """Find the operation for a URL, or return a violation message."""
        parts = urlsplit(url)
        path = parts.path
        try:
            found = self._finder.find(method.lower(), HOST + path)
        except ServerNotFound:
            below = path == API_PREFIX or path.startswith(API_PREFIX + "/")
            other = (path[len(API_PREFIX) :] or "/") if below else API_PREFIX + path
            try:
                found = self._finder.find(method.lower(), HOST + other)
            except PathError:
                return f"{method.upper()} {path}: no operation in the spec matches this path"
            op = self._operation_of(method, found)
            where = "the host root" if op.at_root else API_PREFIX
            return f"{method.upper()} {path}: no operation ({op.label} is served at {where})"
        except PathError:
            return f"{method.upper()} {path}: no operation in the spec matches this path"
        if "" in found.path_result.variables.values():  # /prompts/ names no prompt
            return f"{method.upper()} {path}: no operation in the spec matches this path"
        params = dict(found.path_result.variables)
        return Match(self._operation_of(method, found), params, parse_qsl(parts.query, keep_blank_values=True))

    def _operation_of(self, method: str, found: Any) -> Operation:
        return self._operations[_operation_key(method, found.path.parts[-1])]

    def iter_operations(self) -> Iterator[Operation]:
        """All routable operations (spec and `not_in_spec`)."""
        return iter(self._operations.values())

    def _deviation(self, op: Operation, part: str) -> Deviation | None:
        return self._overrides.get((op.label, part)) or (
            self._overrides.get(("*", part)) if part == "error-body" else None
        )

    def _label(self, op: Operation, part: str, text: str | None = None) -> str:
        dev = self._deviation(op, part)
        return f"{text or part} (deviation {dev.id})" if dev else (text or part)

    # -- request ---------------------------------------------------------------

    def check_request(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> list[str]:
        """Violations of one request (empty list = conforms)."""
        match = self.match(method, url)
        if isinstance(match, str):
            return [match]
        op = match.operation
        hdrs = {k.lower(): v for k, v in headers.items()}
        request = MockRequest(
            HOST,
            method,
            urlsplit(url).path,
            args=match.query,  # type: ignore[arg-type]  # pairs: a name may repeat
            headers=hdrs,
            data=body or None,
            content_type=hdrs.get("content-type", ""),
        )
        out: list[str] = []
        for error in self.api.request_validator.iter_errors(request):
            if isinstance(error, SecurityValidationError):
                out.append(f"{op.label} [header] missing credentials: send {self._credentials(op)}")
            elif isinstance(error, ParameterValidationError):
                where = self._label(op, "query") if error.location == "query" else error.location
                messages = _messages(error, f"$.{error.name}")
                if not messages[0].startswith("$"):  # a cast or a missing parameter: no schema path
                    messages = [f"$.{error.name}: {messages[0]}"]
                out += [f"{op.label} [{where}] {m}" for m in messages]
            else:
                out += [f"{op.label} [{self._label(op, 'request-body')}] {m}" for m in _messages(error)]
        return out + self._unchecked_request_parts(op, match, body)

    def _credentials(self, op: Operation) -> str:
        node = self.spec["paths"][op.template][op.method.lower()]
        requirements = node.get("security", self.spec.get("security", []))
        schemes = self.spec["components"]["securitySchemes"]
        return " or ".join("+".join(schemes[n].get("name", n) for n in req) for req in requirements)

    def _unchecked_request_parts(self, op: Operation, match: Match, body: bytes | None) -> list[str]:
        """What openapi-core does not check: undeclared query names, a body where none is taken,
        guardrail check parameters by check id."""
        item = self.spec["paths"][op.template]
        node = item[op.method.lower()]
        params = [_deref(self.spec, p) for p in [*item.get("parameters", []), *node.get("parameters", [])]]
        declared = sorted(p["name"] for p in params if p["in"] == "query")
        out = [
            f"{op.label} [{self._label(op, 'query')}] $: unexpected query parameter {name!r} (declared: {declared})"
            for name in dict.fromkeys(name for name, _ in match.query)
            if name not in declared and not op.not_in_spec  # the spec says nothing of a not_in_spec query
        ]
        if body and "requestBody" not in node:
            out.append(f"{op.label} [request-body] operation takes no body, got {len(body)} bytes")
        elif body and GUARDRAIL_CHECK_BODIES.get(op.label) == "request":
            out += [f"{op.label} [request-body] {m}" for m in self._guardrail_check_errors(_loads(body))]
        return out

    def _guardrail_check_errors(self, body: Any) -> list[str]:
        """Validate each check's `parameters` against the schema its `id` selects."""
        if not self._check_params_by_id or not isinstance(body, dict) or not isinstance(body.get("checks"), list):
            return []
        out: list[str] = []
        for i, check in enumerate(body["checks"]):
            if not isinstance(check, dict) or "parameters" not in check:
                continue
            name = GUARDRAIL_CHECK_PARAMETERS.get(str(check.get("id")), "BasicParameters")
            note = f"(check {check.get('id')} -> {name}, deviation {GUARDRAIL_CHECK_ID})"
            out += [
                f"{m} {note}"
                for m in self.schema_errors(
                    f"#/components/schemas/{name}", check["parameters"], f"$.checks[{i}].parameters"
                )
            ]
        return out

    def schema_errors(self, ref: str, instance: Any, prefix: str = "$") -> list[str]:
        """Violations of ``instance`` against the schema at ``#/…`` ref in the overlaid spec, by openapi-core."""
        schema = functools.reduce(operator.truediv, ref.removeprefix("#/").split("/"), self.api.spec)
        factory = self.api.request_validator.schema_validators_factory
        validator = factory.create(self.api.spec, schema, extra_format_validators=self._formats)
        try:
            validator.validate(instance)
        except InvalidSchemaValue as exc:
            return [_describe(e, prefix) for e in sorted(exc.schema_errors, key=lambda e: (e.json_path, e.message))]
        return []

    # -- response --------------------------------------------------------------

    def check_response(
        self,
        method: str,
        url: str,
        request_body: bytes | None,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        """Violations of one response (empty list = conforms); `request_body` is context only."""
        del request_body  # the spec's responses do not depend on the request here
        match = self.match(method, url)
        if isinstance(match, str):
            return [match]
        op = match.operation
        hdrs = {k.lower(): v for k, v in headers.items()}
        part = "error-body" if status >= 400 else "response-body"
        label = f"{op.label} [{self._label(op, part, f'{part} {status}')}]"
        media = hdrs.get("content-type", "").split(";")[0].strip().lower()
        request = MockRequest(HOST, method, urlsplit(url).path, headers={"x-portkey-api-key": "-"})
        response = MockResponse(body, status_code=status, headers=hdrs, content_type=media)
        out: list[str] = []
        for error in self.api.response_validator.iter_errors(request, response):
            if isinstance(error, ResponseNotFound):
                documented = sorted(self.spec["paths"][op.template][op.method.lower()]["responses"])
                out.append(f"{op.label} [status] {status} is not documented (documented: {documented})")
            elif isinstance(error, MissingData):
                out.append(f"{label} expected a JSON body, got none")
            elif isinstance(error.__cause__, MediaTypeNotFound):
                out.append(f"{label} content-type {media!r} is not documented ({error.__cause__.availableMimetypes})")
            elif isinstance(error.__cause__, MediaTypeDeserializeError):
                out.append(f"{label} not JSON: {_shorten(str(error.__cause__))}")
            else:
                out += [f"{label} {m}" for m in _messages(error)]
        if not out and 200 <= status < 300 and GUARDRAIL_CHECK_BODIES.get(op.label) == "response":
            out = [f"{label} {m}" for m in self._guardrail_check_errors(_loads(body))]
        return out


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


# --------------------------------------------------------------------------- module API


@functools.cache
def get_checker() -> ContractChecker:
    """The process-wide checker (spec parsed once, ~3 s)."""
    return ContractChecker(load_spec(), load_deviations())


def check_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> list[str]:
    """Violations of a request against the spec + deviations (empty = conforms)."""
    return get_checker().check_request(method, url, headers, body)


def check_response(
    method: str,
    url: str,
    request_body: bytes | None,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> list[str]:
    """Violations of a response against the spec + deviations (empty = conforms)."""
    return get_checker().check_response(method, url, request_body, status, headers, body)
