"""Logging to stderr with secrets redacted.

stdout is the stdio transport, so logs go to stderr only. Every log record, from our code or
the SDK, passes :func:`redact` when it is created (a log-record factory, so handlers added
later, pytest's caplog included, see redacted text too): every value in the process-wide secret
registry of :mod:`engine.redaction` (the Portkey API key, the MCP token, every one-time secret a
tool returned) and the value of any name ending in ``key``, ``token``, ``secret`` or
``password`` (``api_key``, ``x-portkey-api-key``, ``aws_secret_access_key``, ``vault_token``) and
of an ``Authorization`` header are replaced by ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

from engine import redaction

REDACTED = redaction.SCRUBBED
_lock = threading.Lock()
_installed = False

_KEY_VALUE = re.compile(
    r"""(?ix)
    (["']?\b(?:[\w-]*[_-])?(?:key|token|secret|password|authorization)["']?\s*[:=]\s*)  # name, separator
    (?:"[^"]*"|'[^']*'|(?:bearer\s+)?[^\s,;}\]'"]+)                               # the value
    """
)


def remember_secret(value: str) -> None:
    """Redact ``value`` from every later log record (and every output that uses the shared registry)."""
    redaction.register(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and key-like values replaced."""
    return _KEY_VALUE.sub(lambda m: m.group(1) + REDACTED, redaction.scrub(text))


def install_redaction() -> None:
    """Wrap the log-record factory once per process so every record is redacted at creation."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave the record as it is
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)


def configure_logging(level: str = "WARNING") -> None:
    """Send our and the SDK's logs to stderr at ``level``, redacted."""
    install_redaction()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_portkey_admin_mcp", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler._portkey_admin_mcp = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
