"""Errors the sandbox answers with, in the live API's `{success: false, data: {message, errorCode}}` form.

The codes are Portkey's own (docs-core `api-reference/admin-api/error.mdx`, "Admin API Error Codes"):
`AB01` 400 validation, `AB02` 404 request validation, `AB03` 403 not allowed (or gone), `AB04` 500
internal error, `AB05` 401 unauthorised (missing or wrong `x-portkey-api-key`), `AB06` 429 rate limit
(injected fault), `AB07` 409 conflict, `AB08` 404 not found, `AB09` 402 subscription exhausted.
The body shape `{success:false, data:{message, errorCode}}` is one the Terraform provider and the
Python SDK read (reference/portkey-api.md §3). The `SB…` codes are the sandbox's own, for answers
Portkey's table has no code for:

- `SB404` no such route, `SB405` method not allowed on an existing route;
- `SB503` an injected 503 fault.
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
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    """`{success: false, data: {message, errorCode}}`: the live error envelope."""
    return {"success": False, "data": {"message": message, "errorCode": code}}


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
