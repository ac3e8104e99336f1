"""Fault injection: latency, 429/500/503 answers and dropped connections, seeded and scriptable.

A `FaultRule` applies to one operation (or to all, as the default). Each matching request
first consumes the next entry of the rule's `script`; once the script is spent, one random
draw decides between 429, 500, 503, a drop or no fault. The draws come from one
`random.Random(seed)`, so the same seed and the same request order give the same faults.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOMES = ("429", "500", "503", "drop", "ok")


@dataclass(frozen=True)
class FaultRule:
    """What to do to matching requests; rates are probabilities that add up to at most 1."""

    latency_ms: float = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    retry_after_s: float = 1.0
    script: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "script", tuple(self.script))
        rates = (self.rate_429, self.rate_500, self.rate_503, self.rate_drop)
        if any(r < 0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be >= 0 and add up to at most 1")
        if self.latency_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms and retry_after_s must be >= 0")
        bad = [s for s in self.script if s not in OUTCOMES]
        if bad:
            raise ValueError(f"unknown script outcome(s) {bad}; use one of {OUTCOMES}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["script"] = list(self.script)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Parse the JSON form; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault rule must be an object")
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise ValueError(f"bad fault rule: {exc}") from None


@dataclass(frozen=True)
class Decision:
    """The fault chosen for one request: `outcome` is None, "429", "500", "503" or "drop"."""

    outcome: str | None
    latency_ms: float
    retry_after_s: float


@dataclass
class Faults:
    """Fault rules: a default plus per-operation overrides (keys are catalogue operation names)."""

    default: FaultRule = field(default_factory=FaultRule)
    per_operation: dict[str, FaultRule] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._script_pos: dict[str | None, int] = {}

    @classmethod
    def uniform(cls, rate: float, seed: int = 0, latency_ms: float = 0) -> Faults:
        """Faults on every operation: `rate` split evenly over 429, 500, 503 and drop."""
        share = rate / 4
        rule = FaultRule(
            latency_ms=latency_ms,
            rate_429=share,
            rate_500=share,
            rate_503=share,
            rate_drop=share,
        )
        return cls(default=rule, seed=seed)

    def rule_for(self, operation: str | None, *aliases: str) -> tuple[str | None, FaultRule]:
        """The key and rule that govern `operation`: its own rule, else that of the first of `aliases` (other names
        of the same request) that has one, else the default."""
        for name in (operation, *aliases):
            if name is not None and name in self.per_operation:
                return name, self.per_operation[name]
        return None, self.default

    def decide(self, operation: str | None, *aliases: str) -> Decision:
        """Choose the fault for the next request to `operation`, also known as `aliases` (consumes script and
        draws)."""
        key, rule = self.rule_for(operation, *aliases)
        with self._lock:
            pos = self._script_pos.get(key, 0)
            if pos < len(rule.script):
                self._script_pos[key] = pos + 1
                step = rule.script[pos]
                outcome = None if step == "ok" else step
            else:
                outcome = self._draw(rule)
        return Decision(outcome, rule.latency_ms, rule.retry_after_s)

    def _draw(self, rule: FaultRule) -> str | None:
        rates = (rule.rate_429, rule.rate_500, rule.rate_503, rule.rate_drop)
        if not any(rates):
            return None
        roll = self._rng.random()
        for outcome, rate in zip(("429", "500", "503", "drop"), rates, strict=True):
            if roll < rate:
                return outcome
            roll -= rate
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the body of `PUT /_sandbox/faults`)."""
        return {
            "default": self.default.to_dict(),
            "per_operation": {k: v.to_dict() for k, v in self.per_operation.items()},
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """Parse the JSON form; every key is optional."""
        unknown = set(data) - {"default", "per_operation", "seed"}
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}")
        per_op = data.get("per_operation") or {}
        if not isinstance(per_op, Mapping):
            raise ValueError("per_operation must be an object")
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError("seed must be an integer")
        return cls(
            default=FaultRule.from_dict(data.get("default") or {}),
            per_operation={str(k): FaultRule.from_dict(v) for k, v in per_op.items()},
            seed=seed,
        )
