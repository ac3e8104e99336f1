"""Client settings: API key, base URL, deadlines, answer cap and retry policy, read from the environment.

Three clocks bound the time spent waiting on Portkey:
- ``timeout`` (PORTKEY_TIMEOUT): one attempt, from sending to the last byte of the answer. httpx's own
  read timeout restarts with every chunk, so a body trickling at one byte a second would never trip it;
  the client enforces this total itself.
- ``retry.deadline``: one call, all its attempts and backoff sleeps included.
- ``deadline`` (PORTKEY_DEADLINE): one command (``async with PortkeyClient(...)`` or
  :meth:`PortkeyClient.command_deadline`); 0 turns it off.
"""

from __future__ import annotations

import ipaddress
import math
import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from engine import redaction
from engine.portkey.errors import PortkeyConfigError

DEFAULT_BASE_URL = "https://api.portkey.ai/v1"
ENV_API_KEY = "PORTKEY_API_KEY"
ENV_BASE_URL = "PORTKEY_BASE_URL"
ENV_TIMEOUT = "PORTKEY_TIMEOUT"
ENV_MAX_RETRIES = "PORTKEY_MAX_RETRIES"
ENV_DEADLINE = "PORTKEY_DEADLINE"
ENV_MAX_ANSWER_MB = "PORTKEY_MAX_ANSWER_MB"
DEFAULT_DEADLINE = 3600.0  # generous: a cold apply of 1,000 prompts took 180 s (issue 12)
DEFAULT_MAX_ANSWER_MB = 32  # a listing page of 100 prompts is well under 1 MiB
MIB = 1024 * 1024


class Secret:
    """A string that never shows itself in repr, str or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback IP addresses."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Return the URL without a trailing slash, or raise if it is not safe to send a key to."""
    _check_characters(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise PortkeyConfigError(f"{ENV_BASE_URL} is not a valid URL ({exc}): {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PortkeyConfigError(
            f"{ENV_BASE_URL} must be an http(s) URL such as {DEFAULT_BASE_URL}, got {url!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise PortkeyConfigError(
            f"{ENV_BASE_URL} must not carry a user name or password; the API key goes in {ENV_API_KEY}"
        )
    if port == 0:
        raise PortkeyConfigError(f"{ENV_BASE_URL} has port 0; use a port from 1 to 65535: {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise PortkeyConfigError(
            f"{ENV_BASE_URL} uses plain http to {parts.hostname}: the API key would travel "
            "unencrypted. Use https, or a loopback address (127.0.0.1, localhost) for a local sandbox."
        )
    if parts.query or parts.fragment:
        raise PortkeyConfigError(f"{ENV_BASE_URL} must not carry a query or fragment: {url!r}")
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise PortkeyConfigError(f"{ENV_BASE_URL} is not a valid URL ({exc}): {url!r}") from None
    return url.rstrip("/")


def _check_characters(url: str) -> None:
    """Refuse whitespace and control characters anywhere in the base URL (a pasted tab or newline)."""
    for position, char in enumerate(url):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            raise PortkeyConfigError(
                f"{ENV_BASE_URL} contains {_name(char)} at position {position}; remove it: {url!r}"
            )


def _name(char: str) -> str:
    names = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return", " ": "a space"}
    return names.get(char, f"the character U+{ord(char):04X}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    retry_after_max: float = 60.0
    deadline: float = 120.0  # one call, every attempt and sleep included; no retry starts past it


@dataclass(frozen=True)
class Settings:
    """Everything the client needs to talk to Portkey."""

    api_key: Secret
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0  # one attempt, body included
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    deadline: float = DEFAULT_DEADLINE  # one command; 0 means none
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_MB * MIB

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if not self.api_key:
            raise PortkeyConfigError(f"{ENV_API_KEY} is empty: set it to a Portkey API key")
        if self.timeout <= 0:
            raise PortkeyConfigError(f"{ENV_TIMEOUT} must be a positive number of seconds")
        if self.deadline < 0:
            raise PortkeyConfigError(f"{ENV_DEADLINE} must be a number of seconds (0 for none)")
        if self.max_answer_bytes <= 0:
            raise PortkeyConfigError(f"{ENV_MAX_ANSWER_MB} must be a positive number of MiB")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from PORTKEY_* variables; raise a clear error when one is wrong."""
        env = os.environ if env is None else env
        key = env.get(ENV_API_KEY, "").strip()
        if not key:
            raise PortkeyConfigError(
                f"{ENV_API_KEY} is not set: export it, or use --sandbox to run against the "
                "embedded Portkey sandbox"
            )
        redaction.register(key)
        return cls(
            api_key=Secret(key),
            base_url=env.get(ENV_BASE_URL, DEFAULT_BASE_URL) or DEFAULT_BASE_URL,
            timeout=_number(env, ENV_TIMEOUT, 30.0, float),
            retry=RetryPolicy(max_retries=_number(env, ENV_MAX_RETRIES, 4, int)),
            deadline=_number(env, ENV_DEADLINE, DEFAULT_DEADLINE, float),
            max_answer_bytes=int(_number(env, ENV_MAX_ANSWER_MB, float(DEFAULT_MAX_ANSWER_MB), float) * MIB),
        )


_N = TypeVar("_N", int, float)


def _number(env: Mapping[str, str], name: str, default: _N, kind: Callable[[str], _N]) -> _N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise PortkeyConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise PortkeyConfigError(f"{name} must be a finite number, got {raw!r}")
    if value < 0:
        raise PortkeyConfigError(f"{name} must not be negative, got {raw!r}")
    return value
