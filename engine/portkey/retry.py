"""When to retry a Portkey request, and how long to wait (the client's ``call`` does the looping).

Rules:
- 429 is always retried: Portkey refused the request without acting on it.
  ``Retry-After`` (seconds or HTTP date) is honoured, capped by the policy.
- A connect failure is always retried: the request never left the machine.
- 502/503/504, timeouts and dropped connections are retried only for
  operations that are safe to repeat (GET, DELETE, PUTs that make no
  version). A create (POST) is never repeated after it may have arrived,
  so retries never create duplicates.
- 500 is retried for reads (GET) only: a read has no effect to repeat, while a
  write answered 500 may have been applied (issue 12: one scripted 500 on a
  listing used to end a plan after one attempt).
- No attempt starts, and no backoff sleep begins, past the call's deadline
  (``RetryPolicy.deadline``, capped by the command's deadline): :func:`next_wait`.
- Backoff: ``Retry-After`` when Portkey sent one (capped), else exponential with full jitter
  (a uniform draw from 0 to ``backoff_base * 2 ** (attempt - 1)``, at most ``backoff_max``).
- A DELETE repeated after an attempt that may have arrived, and answered
  "not found", succeeded: the earlier attempt deleted the object (the
  client returns ``{}`` instead of a misleading 404).
- Inside :func:`shared_backoff` (apply's concurrent writers), a 429 answered to
  one request pauses them all: the wait it asks for is noted on a
  :class:`RateGate` that every worker awaits before its next request, so
  Portkey's rate limit is not hammered by the others meanwhile.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from engine.portkey.operations import Operation
from engine.portkey.settings import RetryPolicy
from engine.portkey.transport import Answer

RETRY_STATUSES = frozenset({502, 503, 504})
READ_RETRY_STATUSES = RETRY_STATUSES | {500}
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class Retryable(Exception):
    """A failed attempt that may be tried again."""

    def __init__(
        self,
        *,
        response: Answer | None = None,
        error: httpx.TransportError | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.response = response
        self.error = error
        self.retry_after = retry_after
        super().__init__("retryable failure")


@dataclass(frozen=True)
class Verdict:
    """Whether to try again, whether Portkey may have acted, and how long it asked us to wait."""

    retry: bool
    sent: bool
    retry_after: float | None = None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RateGate:
    """A pause shared by concurrent workers: set by any 429, awaited by all before their next request."""

    def __init__(self) -> None:
        self.resume_at = 0.0  # time.monotonic() before which no worker starts a request
        self.pauses = 0  # 429s that paused the workers (for reports and tests)

    def note(self, seconds: float) -> None:
        """A 429 asked for ``seconds`` of quiet: every worker holds off until then."""
        self.pauses += 1
        self.resume_at = max(self.resume_at, time.monotonic() + max(seconds, 0.0))

    async def wait(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        """Hold off while a pause is on; once more if another 429 extended it meanwhile."""
        while (left := (target := self.resume_at) - time.monotonic()) > 0:
            await sleep(left)
            if self.resume_at <= target:
                return


_GATE: ContextVar[RateGate | None] = ContextVar("portkey_rate_gate", default=None)


@contextlib.contextmanager
def shared_backoff(gate: RateGate) -> Iterator[RateGate]:
    """Within the block (and tasks started in it), a 429 on any call pauses every caller awaiting ``gate``."""
    token = _GATE.set(gate)
    try:
        yield gate
    finally:
        with contextlib.suppress(ValueError):
            _GATE.reset(token)


def judge_error(op: Operation, error: httpx.TransportError) -> Verdict:
    """Retry a transport failure? ``sent`` says whether Portkey may have acted on it."""
    never_sent = isinstance(error, _NEVER_SENT)
    return Verdict(retry=never_sent or op.retry_safe, sent=not never_sent)


def judge_response(op: Operation, response: Answer) -> Verdict:
    """Retry an error answer?"""
    if response.status_code == 429:
        return Verdict(True, True, parse_retry_after(response.headers.get("retry-after")))
    statuses = READ_RETRY_STATUSES if op.method == "GET" else RETRY_STATUSES
    if response.status_code in statuses and op.retry_safe:
        return Verdict(True, True, parse_retry_after(response.headers.get("retry-after")))
    return Verdict(False, True)


def backoff(policy: RetryPolicy, failure: Retryable, attempts: int) -> float:
    """Seconds to wait after ``attempts`` attempts ended in ``failure``; a 429 pauses the shared gate too."""
    if failure.retry_after is not None:
        seconds = min(failure.retry_after, policy.retry_after_max)
    else:
        try:
            high = min(policy.backoff_base * 2 ** (attempts - 1), policy.backoff_max)
        except OverflowError:
            high = policy.backoff_max
        seconds = random.uniform(0, max(high, 0.0))
    gate = _GATE.get()
    if gate is not None and failure.response is not None and failure.response.status_code == 429:
        gate.note(seconds)
    return seconds


def next_wait(policy: RetryPolicy, failure: Retryable, attempts: int, deadline: float) -> float | None:
    """How long to sleep before the next attempt, or None to give up: the attempts are spent
    (``max_retries + 1``) or the sleep would end at or past ``deadline`` (a ``time.monotonic()`` instant)."""
    seconds = backoff(policy, failure, attempts)
    if attempts >= policy.max_retries + 1 or time.monotonic() + seconds >= deadline:
        return None
    return seconds
