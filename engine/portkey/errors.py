"""Errors raised by the Portkey client.

    PortkeyError                  base of everything below
    ├── PortkeyConfigError        bad settings (missing key, unsafe base URL); no request made
    ├── PortkeyUsageError         bad arguments (unknown parameter, unsafe id, invalid body); no request made
    ├── PortkeyRequestError       no HTTP answer (connect error, timeout, dropped connection)
    └── PortkeyAPIError           Portkey answered with a non-2xx status

Messages never contain the API key: only the operation, method, path and what Portkey said.
"""

from __future__ import annotations

ENTERPRISE_HINT = "this operation is Enterprise-gated: Portkey returns 403 on non-Enterprise plans"


class PortkeyError(Exception):
    """Base class for every error of the Portkey client."""


class PortkeyConfigError(PortkeyError):
    """The client settings are unusable; says which setting to fix."""


class PortkeyUsageError(PortkeyError, ValueError):
    """An operation was called with arguments that cannot be sent."""

    def __init__(self, operation: str, message: str, argument: str | None = None) -> None:
        self.operation = operation
        self.argument = argument
        super().__init__(f"{operation}: {message}")


class PortkeyRequestError(PortkeyError):
    """No usable HTTP answer arrived.

    ``sent`` is False when the request provably never reached Portkey (connect
    failure), True when it may have been processed (read timeout, dropped
    connection).
    """

    def __init__(
        self, operation: str, method: str, path: str, reason: str, *, sent: bool, attempts: int
    ) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.reason = reason
        self.sent = sent
        self.attempts = attempts
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{operation} ({method} {path}): no answer from Portkey{tried}: {reason}")


class PortkeyAPIError(PortkeyError):
    """Portkey answered with an error status."""

    def __init__(
        self,
        operation: str,
        method: str,
        path: str,
        status: int,
        message: str,
        error_code: str | None = None,
        *,
        attempts: int = 1,
        enterprise_gated: bool = False,
    ) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.error_code = error_code
        self.attempts = attempts
        self.enterprise_gated = enterprise_gated
        super().__init__(self._describe())

    @property
    def not_found(self) -> bool:
        """True when the object is missing (Portkey says 404, or 403/AB03 on some endpoints)."""
        return self.status == 404 or (self.status == 403 and self.error_code == "AB03")

    def _describe(self) -> str:
        code = f" {self.error_code}" if self.error_code else ""
        text = f"{self.operation} ({self.method} {self.path}): HTTP {self.status}{code}: {self.message}"
        if self.status == 403 and self.enterprise_gated:
            text += f" ({ENTERPRISE_HINT})"
        if self.status == 429 and self.attempts > 1:
            text += f" (still rate limited after {self.attempts} attempts)"
        return text
