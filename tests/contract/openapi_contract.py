"""Check Portkey Admin API traffic against Portkey's official OpenAPI spec.

The spec (``contracts/openapi.yaml``, kept verbatim) is loaded once per process. Where the
spec is known to be wrong, ``deviations.yaml`` next to this module holds one short, reasoned
entry per spec error. An entry's ``schema`` replaces the spec's schema for one part of one
operation (or for one component), so that part is still validated against what Portkey
really does; ``not_in_spec: true`` admits an operation the spec lacks (its bodies only have
to be JSON). Anything else that does not conform is reported as a violation.

Public API: :func:`check_request`, :func:`check_response`, :func:`get_checker`,
:func:`load_deviations`, :func:`deviation_problems`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry, Resource, Specification

SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "openapi.yaml"
DEVIATIONS_PATH = Path(__file__).resolve().with_name("deviations.yaml")
SPEC_URI = "https://portkey-openapi.invalid/openapi.yaml"
API_PREFIX = "/v1"
API_KEY_HEADER = "x-portkey-api-key"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PARTS = frozenset({"query", "request-body", "response-body", "error-body", "component"})
ERROR_ENVELOPE_ID = "error-envelope"
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


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """Parse the spec YAML (C loader when available: ~0.7 s instead of ~8 s)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as fh:
        return yaml.load(fh, Loader=loader)


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


def load_deviations(path: Path | None = None) -> list[Deviation]:
    """Read the deviation list (``deviations*.yaml`` beside this module, or one file).

    Structural problems are reported by :func:`deviation_problems`.
    """
    if path is None:
        files = sorted(DEVIATIONS_PATH.parent.glob("deviations*.yaml"))
        return [entry for file in files for entry in load_deviations(file)]
    with path.open("rb") as fh:
        raw = yaml.safe_load(fh) or []
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
    for dev in deviations:
        where = f"deviation {dev.id!r}"
        if not dev.id or dev.id in seen:
            problems.append(f"{where}: id missing or duplicated")
        seen.add(dev.id)
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


# --------------------------------------------------------------------------- helpers


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _absolute_refs(node: Any) -> Any:
    """Copy of a standalone schema whose ``#/…`` refs point into the spec document."""
    if isinstance(node, dict):
        return {
            k: (
                SPEC_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def _is_uri(instance: object) -> bool:
    return not isinstance(instance, str) or bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S", instance))


def _format_checker() -> FormatChecker:
    """jsonschema's formats (uuid, date-time, email, …) plus the OAS 3.0 ones, plus `uri`."""
    checker = FormatChecker()
    checker.checkers.update(oas30_format_checker.checkers)
    checker.checks("uri")(_is_uri)
    return checker


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """Turn one query/path string into the type its schema declares (if it parses)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in raw else number
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _describe(error: ValidationError, prefix: str = "$") -> str:
    path = prefix + error.json_path[1:]
    message = _shorten(error.message)
    if error.context:
        message += f" (closest: {_shorten(best_match(error.context).message)})"
    return f"{path}: {message}"


@dataclass(frozen=True)
class Operation:
    """A routable operation: a spec operation or a `not_in_spec` deviation."""

    method: str
    template: str
    pointer: str  # JSON pointer of the operation object ("" when not in the spec)
    not_in_spec: bool = False
    at_root: bool = False  # served at the host root (PublicServers), not below /v1

    @property
    def label(self) -> str:
        return _operation_key(self.method, self.template)

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


@dataclass(frozen=True)
class Match:
    """An operation matched to a concrete URL."""

    operation: Operation
    path_params: dict[str, str]
    query: dict[str, list[str]]


# --------------------------------------------------------------------------- checker


class ContractChecker:
    """Validates requests and responses against the spec with deviations applied."""

    def __init__(self, spec: dict[str, Any], deviations: list[Deviation]) -> None:
        problems = deviation_problems(spec, deviations)
        if problems:
            raise ValueError("malformed deviations: " + "; ".join(problems))
        self.deviations = {d.id: d for d in deviations}
        schemas = spec["components"]["schemas"]
        originals: dict[str, Any] = spec.setdefault("x-original-schemas", {})
        for dev in deviations:
            if dev.part == "component" and dev.component:
                originals[dev.component] = schemas[dev.component]
                schemas[dev.component] = dev.schema
        self.spec = spec
        self._overrides = {(d.operation, d.part): d for d in deviations if d.part != "component"}
        self._check_params_by_id = any(
            d.id == GUARDRAIL_CHECK_ID and d.component == "GuardrailCheck" for d in deviations
        )
        resource = Resource(contents=spec, specification=Specification.OPAQUE)
        self._registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self._format_checker = _format_checker()
        self._validators: dict[tuple[type, str], Any] = {}
        self._routes = self._build_routes(spec, deviations)

    # -- routing ---------------------------------------------------------------

    @staticmethod
    def _build_routes(
        spec: Mapping[str, Any], deviations: list[Deviation]
    ) -> dict[int, list[tuple[tuple[str, ...], dict[str, Operation]]]]:
        by_template: dict[str, dict[str, Operation]] = {}
        for template, item in spec["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    pointer = f"#/paths/{_escape(template)}/{method}"
                    servers = item[method].get("servers") or item.get("servers") or ()
                    at_root = bool(servers) and all(urlsplit(s["url"]).path in ("", "/") for s in servers)
                    by_template.setdefault(template, {})[method.upper()] = Operation(
                        method.upper(), template, pointer, at_root=at_root
                    )
        for dev in deviations:
            if dev.not_in_spec and dev.operation:
                method, template = dev.operation.split(" ", 1)
                by_template.setdefault(template, {})[method] = Operation(
                    method, template, "", not_in_spec=True
                )
        routes: dict[int, list[tuple[tuple[str, ...], dict[str, Operation]]]] = {}
        for methods in by_template.values():
            op = next(iter(methods.values()))
            routes.setdefault(len(op.segments), []).append((op.segments, methods))
        # Literal segments sort before {param} ones, leftmost first, so that
        # /prompts/partials wins over /prompts/{promptId}.
        for entries in routes.values():
            entries.sort(key=lambda e: tuple(int(s.startswith("{")) for s in e[0]))
        return routes

    def match(self, method: str, url: str) -> Match | str:
        """Find the operation for a URL, or return a violation message."""
        parts = urlsplit(url)
        path = parts.path
        below_prefix = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        rel = (path[len(API_PREFIX) :] or "/") if below_prefix else path
        segments = tuple(rel[1:].split("/"))
        for template, methods in self._routes.get(len(segments), []):
            params: dict[str, str] = {}
            for want, got in zip(template, segments, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                    params[want[1:-1]] = unquote(got)
                elif want != got:
                    break
            else:
                op = methods.get(method.upper())
                if op is None:
                    return (
                        f"{method.upper()} {rel}: no operation (path matches "
                        f"/{'/'.join(template)}, which has only {sorted(methods)})"
                    )
                if op.at_root == below_prefix:
                    where = "the host root" if op.at_root else API_PREFIX
                    return f"{method.upper()} {path}: no operation ({op.label} is served at {where})"
                return Match(op, params, parse_qs(parts.query, keep_blank_values=True))
        return f"{method.upper()} {rel}: no operation in the spec matches this path"

    # -- schema plumbing -------------------------------------------------------

    def _at(self, pointer: str) -> Any:
        node: Any = self.spec
        for raw in pointer.lstrip("#").strip("/").split("/"):
            if raw:
                key = raw.replace("~1", "/").replace("~0", "~")
                node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def _follow(self, pointer: str) -> tuple[str, Any]:
        """Pointer and object at `pointer`, following local `$ref`s."""
        node = self._at(pointer)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            pointer = node["$ref"]
            node = self._at(pointer)
        return pointer, node

    def _resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            schema = self._at(ref.removeprefix(SPEC_URI))
        return schema

    def _errors(self, cls: type, schema: dict[str, Any], instance: Any, prefix: str = "$") -> list[str]:
        key = (cls, json.dumps(schema, sort_keys=True))
        validator = self._validators.get(key)
        if validator is None:
            validator = cls(schema, registry=self._registry, format_checker=self._format_checker)
            self._validators[key] = validator
        errors = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, e.message))
        return [_describe(e, prefix) for e in errors]

    def _ref(self, pointer: str) -> dict[str, Any]:
        return {"$ref": SPEC_URI + pointer}

    def _override(self, op: Operation, part: str) -> Deviation | None:
        return self._overrides.get((op.label, part)) or self._overrides.get(("*", part))

    def _parameters(self, op: Operation) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """(name, in) -> (schema pointer, parameter object), path-level then operation-level."""
        item_pointer = op.pointer.rsplit("/", 1)[0]
        out: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        for base in (item_pointer, op.pointer):
            for i, _ in enumerate(self._at(base).get("parameters", [])):
                pointer, param = self._follow(f"{base}/parameters/{i}")
                out[(param["name"], param["in"])] = (f"{pointer}/schema", param)
        return out

    # -- request ---------------------------------------------------------------

    def check_request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> list[str]:
        """Violations of one request (empty list = conforms)."""
        match = self.match(method, url)
        if isinstance(match, str):
            return [match]
        op = match.operation
        hdrs = _lower_headers(headers)
        out = [f"{op.label} [header] {m}" for m in self._security_errors(op, hdrs)]
        if op.not_in_spec:
            return out + self._json_only(op, "request-body", hdrs, body)
        params = self._parameters(op)
        out += self._param_errors(op, "path", match.path_params, params)
        out += self._query_errors(op, match.query, params)
        out += self._param_errors(op, "header", hdrs, params)
        out += self._request_body_errors(op, hdrs, body or b"")
        return out

    def _security_errors(self, op: Operation, headers: Mapping[str, str]) -> list[str]:
        if op.not_in_spec:
            requirements: list[dict[str, Any]] = [{"Portkey-Key": []}]
        else:
            requirements = self._at(op.pointer).get("security", self.spec.get("security", []))
        if not requirements:
            return []
        schemes = self.spec["components"]["securitySchemes"]

        def satisfied(name: str) -> bool:
            scheme = schemes[name]
            if scheme["type"] == "apiKey" and scheme["in"] == "header":
                return bool(headers.get(scheme["name"].lower()))
            if scheme["type"] == "http":
                return headers.get("authorization", "").lower().startswith(scheme["scheme"] + " ")
            return True

        if any(all(satisfied(n) for n in req) for req in requirements):
            return []
        wanted = " or ".join("+".join(schemes[n].get("name", n) for n in req) for req in requirements)
        return [f"missing credentials: send {wanted}"]

    def _param_errors(
        self,
        op: Operation,
        where: str,
        values: Mapping[str, str],
        params: Mapping[tuple[str, str], tuple[str, dict[str, Any]]],
    ) -> list[str]:
        skip = {"accept", "content-type", "authorization"} if where == "header" else set()
        schema: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        instance: dict[str, Any] = {}
        for (name, loc), (pointer, param) in params.items():
            key = name.lower() if where == "header" else name
            if loc != where or key in skip:
                continue
            schema["properties"][key] = self._ref(pointer)
            if param.get("required"):
                schema["required"].append(key)
            if key in values:
                instance[key] = _coerce(values[key], self._resolve(self._at(pointer)))
        if not schema["required"]:
            del schema["required"]
        return [f"{op.label} [{where}] {m}" for m in self._errors(OAS30Validator, schema, instance)]

    def _query_errors(
        self,
        op: Operation,
        query: Mapping[str, list[str]],
        params: Mapping[tuple[str, str], tuple[str, dict[str, Any]]],
    ) -> list[str]:
        dev = self._override(op, "query")
        if dev is not None:
            schema = _absolute_refs(dev.schema)
            label = f"query (deviation {dev.id})"
        else:
            schema = {"type": "object", "properties": {}, "additionalProperties": False}
            required = []
            for (name, loc), (pointer, param) in params.items():
                if loc == "query":
                    schema["properties"][name] = self._ref(pointer)
                    if param.get("required"):
                        required.append(name)
            if required:
                schema["required"] = required
            label = "query"
        instance: dict[str, Any] = {}
        for name, raw in query.items():
            prop = self._resolve(schema.get("properties", {}).get(name, {}))
            if prop.get("type") == "array":
                item = self._resolve(prop.get("items", {}))
                instance[name] = [_coerce(v, item) for v in raw]
            else:
                instance[name] = _coerce(raw[0], prop) if len(raw) == 1 else raw
        return [f"{op.label} [{label}] {m}" for m in self._errors(OAS30Validator, schema, instance)]

    def _request_body_errors(self, op: Operation, headers: Mapping[str, str], body: bytes) -> list[str]:
        rb_pointer = f"{op.pointer}/requestBody"
        if "requestBody" not in self._at(op.pointer):
            dev = self._override(op, "request-body")
            if body and dev is not None:
                try:
                    instance = json.loads(body)
                except ValueError as exc:
                    return [f"{op.label} [request-body] not JSON: {exc}"]
                errors = self._errors(OAS30WriteValidator, _absolute_refs(dev.schema), instance)
                return [f"{op.label} [request-body (deviation {dev.id})] {m}" for m in errors]
            if body:
                return [f"{op.label} [request-body] operation takes no body, got {len(body)} bytes"]
            return []
        rb_pointer, request_body = self._follow(rb_pointer)
        if not body:
            return [f"{op.label} [request-body] body is required"] if request_body.get("required") else []
        media = _media_type(headers)
        content = request_body.get("content", {})
        if media not in content:
            return [f"{op.label} [request-body] content-type {media!r} not in {sorted(content)}"]
        if not _is_json_media(media):
            return []
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"{op.label} [request-body] not JSON: {exc}"]
        dev = self._override(op, "request-body")
        if dev is not None:
            schema, label = _absolute_refs(dev.schema), f"request-body (deviation {dev.id})"
        else:
            schema = self._ref(f"{rb_pointer}/content/{_escape(media)}/schema")
            label = "request-body"
        errors = self._errors(OAS30WriteValidator, schema, instance)
        if GUARDRAIL_CHECK_BODIES.get(op.label) == "request":
            errors += self._guardrail_check_errors(instance)
        return [f"{op.label} [{label}] {m}" for m in errors]

    def _json_only(
        self, op: Operation, part: str, headers: Mapping[str, str], body: bytes | None
    ) -> list[str]:
        """Checks for operations the spec lacks: bodies only have to be JSON."""
        if not body:
            if part == "request-body":
                return []
            return [f"{op.label} [{part}] expected a JSON body, got none"]
        media = _media_type(headers)
        if not _is_json_media(media):
            return [f"{op.label} [{part}] content-type {media!r} is not JSON"]
        try:
            json.loads(body)
        except ValueError as exc:
            return [f"{op.label} [{part}] not JSON: {exc}"]
        return []

    def _guardrail_check_errors(self, body: Any) -> list[str]:
        """Validate each check's `parameters` against the schema its `id` selects."""
        if not self._check_params_by_id or not isinstance(body, dict):
            return []
        checks = body.get("checks")
        if not isinstance(checks, list):
            return []
        out: list[str] = []
        for i, check in enumerate(checks):
            if not isinstance(check, dict) or "parameters" not in check:
                continue
            name = GUARDRAIL_CHECK_PARAMETERS.get(str(check.get("id")), "BasicParameters")
            errors = self._errors(
                OAS30Validator,
                self._ref(f"#/components/schemas/{name}"),
                check["parameters"],
                prefix=f"$.checks[{i}].parameters",
            )
            note = f"(check {check.get('id')} -> {name}, deviation {GUARDRAIL_CHECK_ID})"
            out += [f"{m} {note}" for m in errors]
        return out

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
        hdrs = _lower_headers(headers)
        error_dev = self._override(op, "error-body")
        if status >= 400 and error_dev is not None:
            return self._body_errors(
                op,
                f"error-body {status} (deviation {error_dev.id})",
                _absolute_refs(error_dev.schema),
                hdrs,
                body,
                required=True,
            )
        if op.not_in_spec:
            return self._json_only(op, f"response-body {status}", hdrs, body)
        responses = self._at(op.pointer).get("responses", {})
        key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
        if key is None:
            return [f"{op.label} [status] {status} is not documented (documented: {sorted(responses)})"]
        resp_pointer, response = self._follow(f"{op.pointer}/responses/{key}")
        content = response.get("content") or {}
        media = next((m for m in content if _is_json_media(m)), None)
        if media is None:
            return []  # no JSON body documented: nothing to check
        dev = self._override(op, "response-body") if 200 <= status < 300 else None
        if dev is not None:
            schema, label = _absolute_refs(dev.schema), f"response-body {status} (deviation {dev.id})"
        else:
            schema = self._ref(f"{resp_pointer}/content/{_escape(media)}/schema")
            label = f"response-body {status}"
        errors = self._body_errors(op, label, schema, hdrs, body, required=True)
        if not errors and GUARDRAIL_CHECK_BODIES.get(op.label) == "response":
            errors = [f"{op.label} [{label}] {m}" for m in self._guardrail_check_errors(json.loads(body))]
        return errors

    def _body_errors(
        self,
        op: Operation,
        label: str,
        schema: dict[str, Any],
        headers: Mapping[str, str],
        body: bytes,
        *,
        required: bool,
    ) -> list[str]:
        if not body:
            return [f"{op.label} [{label}] expected a JSON body, got none"] if required else []
        media = _media_type(headers)
        if not _is_json_media(media):
            return [f"{op.label} [{label}] content-type {media!r} is not JSON"]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"{op.label} [{label}] not JSON: {exc}"]
        return [f"{op.label} [{label}] {m}" for m in self._errors(OAS30ReadValidator, schema, instance)]

    def iter_operations(self) -> Iterator[Operation]:
        """All routable operations (spec and `not_in_spec`)."""
        for entries in self._routes.values():
            for _, methods in entries:
                yield from methods.values()


# --------------------------------------------------------------------------- module API


@functools.cache
def get_checker() -> ContractChecker:
    """The process-wide checker (spec parsed once, ~1 s)."""
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
