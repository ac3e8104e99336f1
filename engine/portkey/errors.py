"""Errors raised by the Portkey client.

    PortkeyError                  base of everything below (an engine.errors.EngineError, as every layer's base)
    ├── PortkeyConfigError        bad settings (missing key, unsafe base URL); no request made
    ├── PortkeyUsageError         bad arguments (unknown parameter, unsafe id, invalid body); no request made
    ├── PortkeyRequestError       no usable HTTP answer (connect error, timeout, dropped connection)
    │   ├── PortkeyDeadlineError  the command's overall deadline (PORTKEY_DEADLINE) passed
    │   └── PortkeyAnswerTooLarge the answer grew past the size cap (PORTKEY_MAX_ANSWER_MB); reading stopped
    └── PortkeyAPIError           Portkey answered with a non-2xx status

Messages never contain the API key: only the operation, method, path and what Portkey said. What
Portkey said may echo the request body (a 400 quoting the config it refused): every message is
cleaned by :func:`clean_text` (registered secret values scrubbed, secret-named fields of echoed JSON
masked), and ``str()`` scrubs again with the values registered since.
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine import redaction
from engine.errors import EngineError

ENTERPRISE_HINT = "this operation is Enterprise-gated: Portkey returns 403 on non-Enterprise plans"


_MAX_JSON_SCAN = 100_000  # longer texts are only cleaned by value and by key/value pairs
_MAX_FAILED_PARSES = 200  # then the rest of the text is cleaned by key/value pairs only
# A quoted key, a colon and a quoted value (possibly cut off at the end of a truncated echo).
_PAIR = re.compile(
    r"""(?P<key>"(?:[^"\\\n]{1,200})"|'(?:[^'\\\n]{1,200})')(?P<colon>\s*:\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$))"""
)


def clean_text(text: str) -> str:
    """``text`` with registered secrets scrubbed and the secret-named fields of any JSON in it masked."""
    text = redaction.scrub(text)
    if len(text) <= _MAX_JSON_SCAN:
        text = _mask_json(text)
    return _PAIR.sub(_mask_pair, text)


def _mask_json(text: str) -> str:
    """Mask secret-named fields in every JSON object or array embedded in ``text``."""
    decoder = json.JSONDecoder()
    out: list[str] = []
    index, failed = 0, 0
    while failed < _MAX_FAILED_PARSES and (start := _next_opening(text, index)) >= 0:
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            failed += 1
            out.append(text[index : start + 1])
            index = start + 1
            continue
        masked = redaction.mask_fields(value)
        out.append(text[index:start])
        out.append(json.dumps(masked, ensure_ascii=False) if masked != value else text[start:end])
        index = end
    out.append(text[index:])
    return "".join(out)


def _next_opening(text: str, index: int) -> int:
    positions = [p for p in (text.find("{", index), text.find("[", index)) if p >= 0]
    return min(positions) if positions else -1


def _mask_pair(match: re.Match[str]) -> str:
    key, value = match.group("key")[1:-1], match.group("value")
    inner = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
    if not redaction.is_secret_key(key) or not inner or inner.startswith("${secret:"):
        return match.group(0)
    quote = value[0]
    return f"{match.group('key')}{match.group('colon')}{quote}{redaction.MASK}{quote}"


def _clean_any(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


class PortkeyError(EngineError):
    """Base class for every error of the Portkey client; its text never shows a registered secret."""

    def __str__(self) -> str:
        return redaction.scrub(super().__str__())


class PortkeyConfigError(PortkeyError):
    """The client settings are unusable; says which setting to fix."""


class PortkeyUsageError(PortkeyError, ValueError):
    """An operation was called with arguments that cannot be sent."""

    def __init__(self, operation: str, message: str, argument: str | None = None) -> None:
        self.operation = operation
        self.argument = argument
        super().__init__(clean_text(f"{operation}: {message}"))


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
        self.reason = reason = clean_text(reason)
        self.sent = sent
        self.attempts = attempts
        super().__init__(f"{operation} ({method} {path}): {self._headline()}: {reason}")

    def _headline(self) -> str:
        tried = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"no answer from Portkey{tried}"


class PortkeyDeadlineError(PortkeyRequestError):
    """The command ran out of time (PORTKEY_DEADLINE) before this request finished."""

    def _headline(self) -> str:
        return "stopped: the command's deadline passed (set PORTKEY_DEADLINE to allow longer)"


class PortkeyAnswerTooLarge(PortkeyRequestError):
    """Portkey's answer was larger than the cap; the client stopped reading it instead of growing."""

    def _headline(self) -> str:
        return "stopped reading Portkey's answer (raise PORTKEY_MAX_ANSWER_MB if it is expected)"


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
        self.message = clean_text(message)
        self.error_code = _clean_any(error_code)
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
