"""Tool input schemas: catalogue parameter types → Python annotations and plain JSON schemas.

Optional parameters are ``T | None`` at run time but advertise a plain ``T`` (pydantic's
``WithJsonSchema``), because nullable ``anyOf`` schemas break several clients. They default
to :data:`UNSET`, so "not given" differs from an explicit ``null`` (which clears a
``string|null`` field such as ``expires_at``).

Ids and slugs (path parameters and ``*_id``/``*_slug`` arguments) are at most
:data:`MAX_ID_LENGTH` characters: a longer one is refused by argument validation, before any
request (or confirmation question) is built from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

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


def id_str(description: str) -> Any:
    """A required id or slug argument of a hand-written tool."""
    return Annotated[str, Field(max_length=MAX_ID_LENGTH, description=description)]


_FORMATS = {"uuid": ("uuid", UUID_PATTERN), "email": ("email", EMAIL_PATTERN),
            "date-time": ("date-time", None), "hex-color": (None, HEX_COLOR_PATTERN)}


def item_schema(ptype: ParamType, max_length: int | None = None) -> dict[str, Any]:
    """The JSON schema of one value (or one array item) of ``ptype``."""
    base = ptype.base
    if base == "enum":
        return {"type": "string", "enum": list(ptype.choices)}
    if base == "int":
        return {"type": "integer"}
    if base == "number":
        return {"type": "number"}
    if base == "bool":
        return {"type": "boolean"}
    if base == "object":
        return {"type": "object", "additionalProperties": True}
    schema: dict[str, Any] = {"type": "string"}
    fmt, pattern = _FORMATS.get(base, (None, None))
    if fmt:
        schema["format"] = fmt
    if pattern:
        schema["pattern"] = pattern
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def json_schema(ptype: ParamType, description: str, max_length: int | None = None) -> dict[str, Any]:
    """The advertised schema: one plain type, never a union."""
    item = item_schema(ptype, max_length)
    schema = {"type": "array", "items": item} if ptype.array else dict(item)
    if description:
        schema["description"] = description
    return schema


def _item_type(ptype: ParamType, max_length: int | None = None) -> Any:
    base = ptype.base
    if base == "enum":
        return Literal[ptype.choices]  # type: ignore[valid-type]
    if base == "int":
        return int
    if base == "number":
        return int | float
    if base == "bool":
        return bool
    if base == "object":
        return dict[str, Any]
    _, pattern = _FORMATS.get(base, (None, None))
    return Annotated[str, Field(pattern=pattern, max_length=max_length)] if pattern or max_length else str


def runtime_type(ptype: ParamType, max_length: int | None = None) -> Any:
    """What pydantic validates at run time (``None`` allowed where the type is nullable)."""
    inner = _item_type(ptype, max_length)
    value = list[inner] if ptype.array else inner  # type: ignore[valid-type]
    return value | None if ptype.nullable else value


def parameter(name: str, ptype: ParamType, *, required: bool, description: str,
              max_length: int | None = None) -> inspect.Parameter:
    """A keyword-only parameter whose schema is plain and whose absence is :data:`UNSET`.

    ``max_length`` bounds a string (or each string of an array); ids get :data:`MAX_ID_LENGTH`.
    """
    if max_length is None and id_like(name):
        max_length = MAX_ID_LENGTH
    if ptype.base in ("enum", "int", "number", "bool", "object"):
        max_length = None
    runtime = runtime_type(ptype, max_length)
    advertised = json_schema(ptype, description, max_length)
    kind = inspect.Parameter.KEYWORD_ONLY
    if required:
        annotation = Annotated[runtime, WithJsonSchema(advertised)]
        return inspect.Parameter(name, kind, annotation=annotation)
    annotation = Annotated[runtime | None, WithJsonSchema(advertised)]
    return inspect.Parameter(name, kind, annotation=annotation, default=Field(default_factory=_unset))


def plain_parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """A keyword-only parameter with an explicit annotation (paging, flags)."""
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def paging_parameters(cap: int) -> list[inspect.Parameter]:
    """``current_page``/``page_size``/``all`` shared by every list tool."""
    return [
        plain_parameter("current_page", Annotated[int, Field(
            ge=0, description="Page to return, 0 for the first page.")], 0),
        plain_parameter("page_size", Annotated[int, Field(
            ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (1-{MAX_PAGE_SIZE}).")], DEFAULT_PAGE_SIZE),
        plain_parameter("all", Annotated[bool, Field(
            description=f"Walk every page and return up to {cap} items; current_page and page_size are ignored."
        )], False),
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

def _optional(runtime: Any, schema: dict[str, Any], description: str) -> Any:
    advertised = {**schema, "description": description} if description else schema
    return Annotated[runtime | None, WithJsonSchema(advertised)]


def opt_str(description: str = "") -> Any:
    """An optional string argument."""
    return _optional(str, {"type": "string"}, description)


def opt_object(description: str = "") -> Any:
    """An optional JSON-object argument."""
    return _optional(dict[str, Any], {"type": "object", "additionalProperties": True}, description)


def opt_objects(description: str = "") -> Any:
    """An optional array-of-objects argument."""
    return _optional(list[dict[str, Any]],
                     {"type": "array", "items": {"type": "object", "additionalProperties": True}}, description)


OptStr = opt_str()
OptObject = opt_object()
