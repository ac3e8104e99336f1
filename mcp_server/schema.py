"""Tool input schemas: catalogue parameter types → Python annotations and plain JSON schemas.

The operation tools' advertised input schema is built here as a plain dict (:func:`input_schema`),
without pydantic; the argument model that validates calls is built from the same parameters at
the tool's first call. Every property has a description; the object has
``additionalProperties: false``.

Optional parameters are ``T | None`` at run time but advertise a plain ``T`` (pydantic's
``WithJsonSchema``), because nullable ``anyOf`` schemas break several clients. They default
to :data:`UNSET`, so "not given" differs from an explicit ``null`` (which clears a
``string|null`` field such as ``expires_at``); such nullable parameters advertise
``type: [X, "null"]``.

Ids and slugs (path parameters and ``*_id``/``*_slug`` arguments) are at most
:data:`MAX_ID_LENGTH` characters: a longer one is refused by argument validation, before any
request (or confirmation question) is built from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema
from pydantic.fields import FieldInfo

from mcp_server.catalogue import ParamType

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

MAX_ID_LENGTH = 256
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class _Unset:
    """The value of an optional argument the caller did not give."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def _unset() -> Any:
    return UNSET


def given(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments the caller actually passed."""
    return {k: v for k, v in args.items() if v is not UNSET}


def id_like(name: str) -> bool:
    """Whether an argument called ``name`` holds an id or slug."""
    return name in ("id", "slug") or name.endswith(("_id", "_slug"))


def id_field(description: str) -> FieldInfo:
    """The field of a required id or slug argument of a hand-written tool: ``Annotated[str, id_field(...)]``."""
    field: FieldInfo = Field(max_length=MAX_ID_LENGTH, description=description)
    return field


# Annotations built at run time from catalogue data. A type checker reads only type forms written out in
# the source, so the special forms are subscripted through these untyped names (the result is Any anyway).
_ANNOTATED: Any = Annotated
_LITERAL: Any = Literal
_LIST: Any = list


# The one type map: catalogue base type -> (run-time Python type, advertised JSON schema of one value).
# Any other base is a plain string; ``enum`` takes its choices from the parameter.
_STRING: tuple[Any, dict[str, Any]] = (str, {"type": "string"})
_TYPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "int": (int, {"type": "integer"}),
    "number": (int | float, {"type": "number"}),
    "bool": (bool, {"type": "boolean"}),
    "object": (dict[str, Any], {"type": "object", "additionalProperties": True}),
    "uuid": (str, {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}),
    "email": (str, {"type": "string", "format": "email", "pattern": EMAIL_PATTERN}),
    "date-time": (str, {"type": "string", "format": "date-time"}),
    "hex-color": (str, {"type": "string", "pattern": HEX_COLOR_PATTERN}),
}


def item_schema(ptype: ParamType, max_length: int | None = None) -> dict[str, Any]:
    """The JSON schema of one value (or one array item) of ``ptype``."""
    if ptype.base == "enum":
        return {"type": "string", "enum": list(ptype.choices)}
    schema = dict(_TYPES.get(ptype.base, _STRING)[1])
    if max_length is not None and schema["type"] == "string":
        schema["maxLength"] = max_length
    return schema


def json_schema(ptype: ParamType, description: str, max_length: int | None = None) -> dict[str, Any]:
    """The advertised schema: one type (``[X, "null"]`` when null is meaningful), never ``anyOf``."""
    item = item_schema(ptype, max_length)
    schema: dict[str, Any] = {"type": "array", "items": item} if ptype.array else dict(item)
    if ptype.nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    if description:
        schema["description"] = description
    return schema


def object_schema(properties: dict[str, dict[str, Any]], required: Iterable[str]) -> dict[str, Any]:
    """A tool's input schema: the properties, the required names, no other keys allowed."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [name for name in required if name in properties]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def paging_schema(cap: int) -> dict[str, dict[str, Any]]:
    """The advertised form of :func:`paging_parameters`."""
    return {
        "current_page": {"type": "integer", "minimum": 0, "default": 0, "description": PAGE_TEXT},
        "page_size": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PAGE_SIZE,
            "default": DEFAULT_PAGE_SIZE,
            "description": SIZE_TEXT,
        },
        "all": {"type": "boolean", "default": False, "description": ALL_TEXT.format(cap=cap)},
    }


_NULL = {"type": "null"}


def tidy_schema(schema: Any) -> Any:
    """A pydantic-made schema as the server advertises it: no titles, ``anyOf [X, null]`` as
    ``type: [X, "null"]``, and objects with properties closed (``additionalProperties: false``)
    at the top level."""
    tidy = _tidy(schema)
    if isinstance(tidy, dict) and tidy.get("type") == "object":
        tidy.setdefault("properties", {})
        tidy["additionalProperties"] = False
    return tidy


def _tidy(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _tidy(sub) for name, sub in value.items()}
        else:
            out[key] = _tidy(value)
    any_of = out.get("anyOf")
    if isinstance(any_of, list) and len(any_of) == 2 and _NULL in any_of:
        other = next(part for part in any_of if part != _NULL)
        if isinstance(other.get("type"), str):
            del out["anyOf"]
            out = {**other, **out, "type": [other["type"], "null"]}
    return out


def _item_type(ptype: ParamType, max_length: int | None = None) -> Any:
    if ptype.base == "enum":
        return _LITERAL[ptype.choices]
    runtime, schema = _TYPES.get(ptype.base, _STRING)
    pattern = schema.get("pattern")
    if runtime is str and (pattern or max_length):
        return _ANNOTATED[str, Field(pattern=pattern, max_length=max_length)]
    return runtime


def runtime_type(ptype: ParamType, max_length: int | None = None) -> Any:
    """What pydantic validates at run time (``None`` allowed where the type is nullable)."""
    inner = _item_type(ptype, max_length)
    value = _LIST[inner] if ptype.array else inner
    return value | None if ptype.nullable else value


def _bound(name: str, ptype: ParamType, max_length: int | None) -> int | None:
    if max_length is None and id_like(name):
        max_length = MAX_ID_LENGTH
    if ptype.base in ("enum", "int", "number", "bool", "object"):
        max_length = None
    return max_length


def parameter_schema(name: str, ptype: ParamType, description: str, max_length: int | None = None) -> dict[str, Any]:
    """The advertised schema of the parameter :func:`parameter` makes."""
    return json_schema(ptype, description, _bound(name, ptype, max_length))


def parameter(
    name: str, ptype: ParamType, *, required: bool, description: str, max_length: int | None = None
) -> inspect.Parameter:
    """A keyword-only parameter whose schema is plain and whose absence is :data:`UNSET`.

    ``max_length`` bounds a string (or each string of an array); ids get :data:`MAX_ID_LENGTH`.
    """
    max_length = _bound(name, ptype, max_length)
    runtime = runtime_type(ptype, max_length)
    advertised = json_schema(ptype, description, max_length)
    kind = inspect.Parameter.KEYWORD_ONLY
    if required:
        return inspect.Parameter(name, kind, annotation=_ANNOTATED[runtime, WithJsonSchema(advertised)])
    annotation = _ANNOTATED[runtime | None, WithJsonSchema(advertised)]
    return inspect.Parameter(name, kind, annotation=annotation, default=Field(default_factory=_unset))


def plain_parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """A keyword-only parameter with an explicit annotation (paging, flags)."""
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


PAGE_TEXT = "Page to return, 0 for the first page."
SIZE_TEXT = f"Items per page (1-{MAX_PAGE_SIZE})."
ALL_TEXT = "Walk every page and return up to {cap} items; current_page and page_size are ignored."


def paging_parameters(cap: int) -> list[inspect.Parameter]:
    """``current_page``/``page_size``/``all`` shared by every list tool."""
    return [
        plain_parameter("current_page", Annotated[int, Field(ge=0, description=PAGE_TEXT)], 0),
        plain_parameter(
            "page_size", Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description=SIZE_TEXT)], DEFAULT_PAGE_SIZE
        ),
        plain_parameter("all", Annotated[bool, Field(description=ALL_TEXT.format(cap=cap))], False),
    ]


def bind_signature(
    fn: Callable[..., Any], params: Iterable[inspect.Parameter], return_annotation: Any = inspect.Signature.empty
) -> None:
    """Give ``fn`` (a ``**kwargs`` function) the signature the SDK reads to build the tool schema."""
    params = list(params)
    fn.__signature__ = inspect.Signature(params, return_annotation=return_annotation)  # type: ignore[attr-defined]
    annotations = {p.name: p.annotation for p in params}
    if return_annotation is not inspect.Signature.empty:
        annotations["return"] = return_annotation
    fn.__annotations__ = annotations


# Optional arguments of the hand-written tools: ``None`` means "not given"; the schema is a plain type.
# Each helper is the advertised schema of one such argument, e.g. ``Annotated[str | None, opt_str("...")]``.


def _optional(schema: dict[str, Any], description: str) -> WithJsonSchema:
    return WithJsonSchema({**schema, "description": description} if description else schema)


def opt_str(description: str = "") -> WithJsonSchema:
    """The schema of an optional string argument (``str | None``)."""
    return _optional({"type": "string"}, description)


def opt_object(description: str = "") -> WithJsonSchema:
    """The schema of an optional JSON-object argument (``dict[str, Any] | None``)."""
    return _optional({"type": "object", "additionalProperties": True}, description)


def opt_objects(description: str = "") -> WithJsonSchema:
    """The schema of an optional array-of-objects argument (``list[dict[str, Any]] | None``)."""
    return _optional({"type": "array", "items": {"type": "object", "additionalProperties": True}}, description)


OptStr = Annotated[str | None, opt_str()]
OptObject = Annotated[dict[str, Any] | None, opt_object()]
