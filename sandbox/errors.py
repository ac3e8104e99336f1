"""Errors the sandbox answers with, in the live API's `{"errorCode", "message"}` form.

Codes `AB01` (400 validation), `AB03` (403 forbidden or gone), `AB07` (409 conflict) and
`AB08` (404 not found) are Portkey's own. The `SB…` codes are invented by the sandbox for
answers whose live code is unknown:

- `SB401` missing or wrong `x-portkey-api-key`;
- `SB404` no such route, `SB405` method not allowed on an existing route;
- `SB429`, `SB500`, `SB503` injected faults; `SB500` also for a bug in the sandbox itself.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP status, error code and a message that names the field at fault."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return {"errorCode": self.code, "message": self.message}


def invalid(field: str, problem: str) -> ApiError:
    """400 AB01 naming `field`, e.g. `name: field required`."""
    return ApiError(400, "AB01", f"{field}: {problem}")


def not_found(what: str, ident: str) -> ApiError:
    """404 AB08 for an unknown object."""
    return ApiError(404, "AB08", f"{what} not found: {ident}")


def conflict(message: str) -> ApiError:
    """409 AB07, e.g. a duplicate name or an object that still has dependents."""
    return ApiError(409, "AB07", message)


def forbidden(message: str) -> ApiError:
    """403 AB03, e.g. changing a built-in object."""
    return ApiError(403, "AB03", message)
