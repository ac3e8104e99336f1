"""Secrets by schema and by value: which fields hold secrets, and scrubbing of known values.

Two nets, used together by every output (terminal, Markdown, JSON, files, MCP results, logs):

* **By schema**: :func:`is_secret_key` says whether a field name holds a secret (``api_key``,
  ``azure_entra_client_secret``, ``vertex_service_account_json``, an ``Authorization`` header,
  ``x-api-key`` …), whatever the nesting or value type. :func:`mask_fields` masks them in data.
* **By value**: every secret value the process learns (the Portkey API key, the MCP token,
  each resolved ``${secret:NAME}``, one-time secrets an API returned) is :func:`register`-ed;
  :func:`scrub` replaces each occurrence in any text, as CI systems mask registered secrets.

:func:`forbidden_secret_name` lists the environment variables that ``${secret:…}`` may never
resolve (the tool's own credentials and well-known CI tokens).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
from collections.abc import Iterable
from typing import Any, TextIO

MASK = "(secret)"
SCRUBBED = "[redacted]"
MIN_LENGTH = 4  # shorter values are not scrubbed by value (they would mangle ordinary text)

# Words that make any field a secret wherever they appear in its name.
_SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "password", "passwd", "passphrase", "credential", "credentials",
    "authorization", "cookie", "apikey", "privatekey", "pwd",
})
# ``<word>_key`` is a secret for these words (``api_key``, ``access_key_id``, ``private_key``);
# ``virtual_key`` (a slug) and a bare ``key`` are not.
_KEY_QUALIFIERS = frozenset({
    "api", "access", "private", "secret", "subscription", "signing", "encryption", "client", "master",
    "auth", "account", "session", "provider", "admin", "service", "shared", "x",
})
# A last word that makes the field *about* a secret rather than the secret itself
# (``api_key_id``, ``token_count``, ``secret_references``, ``token_url``).
_METADATA_WORDS = frozenset({
    "id", "ids", "count", "counts", "name", "names", "type", "types", "path", "paths", "ref", "refs",
    "reference", "references", "slug", "slugs", "expiry", "expires", "expiration", "at", "enabled",
    "required", "hint", "prefix", "suffix", "length", "masked", "last4", "status", "url", "uri", "endpoint",
    "limit", "limits", "usage", "mode", "version", "header", "field", "fields", "provider",
})
_ALWAYS = frozenset({"aws_access_key_id"})
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

FORBIDDEN_EXACT = frozenset({"PORTKEY_API_KEY", "MCP_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"})
FORBIDDEN_PREFIXES = ("ACTIONS_", "RUNNER_")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _SPLIT.split(name) if w]


def is_secret_key(name: object) -> bool:
    """Whether a field called ``name`` holds a secret (by its name alone)."""
    if not isinstance(name, str) or not name:
        return False
    words = _words(name)
    if "_".join(words) in _ALWAYS:
        return True
    if len(words) > 1 and words[-1] in _METADATA_WORDS:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    if any(a == "service" and b == "account" for a, b in itertools.pairwise(words)):
        return True
    return any(w == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


def forbidden_secret_name(name: str) -> bool:
    """True for variables ``${secret:…}`` must never resolve: our credentials and CI tokens."""
    upper = name.upper()
    return upper in FORBIDDEN_EXACT or upper.startswith(FORBIDDEN_PREFIXES)


def mask_fields(value: Any, mask: str = MASK) -> Any:
    """A copy of ``value`` with every secret-named field's non-empty value replaced by ``mask``.

    ``${secret:NAME}`` references are kept: they name a variable, not a value.
    """
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if is_secret_key(key) and item not in (None, "", {}, []) and not _is_reference(item):
                out[key] = mask
            else:
                out[key] = mask_fields(item, mask)
        return out
    if isinstance(value, list):
        return [mask_fields(item, mask) for item in value]
    return value


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${secret:") and value.endswith("}")


class Registry:
    """Secret values known to this process; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._ordered: list[str] = []

    def register(self, value: object) -> None:
        """Scrub ``value`` (and its common encodings) from every later output."""
        if not isinstance(value, str) or len(value) < MIN_LENGTH:
            return
        forms = {value, value.strip()}
        forms |= {_json_escaped(v) for v in list(forms)}
        with self._lock:
            new = {f for f in forms if len(f) >= MIN_LENGTH} - self._values
            if new:
                self._values |= new
                self._ordered = sorted(self._values, key=len, reverse=True)

    def register_all(self, values: Iterable[object]) -> None:
        for value in values:
            self.register(value)

    def values(self) -> list[str]:
        with self._lock:
            return list(self._ordered)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._ordered = []

    def scrub(self, text: str) -> str:
        for value in self.values():
            if value in text:
                text = text.replace(value, SCRUBBED)
        return text


def _json_escaped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


REGISTRY = Registry()


def register(value: object) -> None:
    REGISTRY.register(value)


def register_all(values: Iterable[object]) -> None:
    REGISTRY.register_all(values)


def scrub(text: str) -> str:
    """``text`` with every registered secret value replaced by ``[redacted]``."""
    return REGISTRY.scrub(text)


def scrub_data(value: Any) -> Any:
    """A copy of JSON-like data with registered secret values scrubbed from every string (keys too)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_data(k): scrub_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v) for v in value]
    return value


class ScrubbingStream(io.TextIOBase):
    """A text stream that scrubs registered secrets from whatever is written through it.

    Writes are buffered per line so a secret split across two ``write`` calls is still caught.
    """

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, _, self._pending = self._pending.rpartition("\n")
            self.inner.write(scrub(complete + "\n"))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.inner.write(scrub(self._pending))
            self._pending = ""
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", "utf-8")

    def writable(self) -> bool:
        return True
