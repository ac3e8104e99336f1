"""The plan: data only, built by :mod:`engine.gitops.planner`, run by :mod:`engine.gitops.apply`,
drawn by :mod:`engine.gitops.render`. Every output form is made from :meth:`Plan.to_json`,
so the terminal, the pull-request comment and the saved plan cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from engine.gitops.plan_format import PlanFormatError, check_plan_json

FORMAT_VERSION = "1.1"  # 1.1: changes_digest and options
__all__ = ["FORMAT_VERSION", "Action", "Change", "FieldDiff", "Plan", "PlanFormatError", "Risk", "TextDiff",
           "changes_digest"]


class Action(StrEnum):
    """What applying a change does to one resource. Same strings in JSON and terminal."""

    CREATE = "create"
    NEW_VERSION = "new_version"  # content changed: a new, unpublished version
    PUBLISH = "publish"  # make a version the published default
    LABEL = "label"  # attach or move labels to a version
    UPDATE = "update"  # in-place change (configs, guardrails, policies, names)
    REPLACE = "replace"  # an immutable field changed: delete, then create
    MOVE = "move"  # rename keeping the remote id and slug
    ADOPT = "adopt"  # take over an unmarked remote object
    DELETE = "delete"
    ARCHIVE = "archive"  # soft delete (usage limits)
    NOOP = "noop"


SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.NEW_VERSION: "~",
    Action.PUBLISH: "^",
    Action.LABEL: "@",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.MOVE: ">",
    Action.ADOPT: "<",
    Action.DELETE: "-",
    Action.ARCHIVE: "-",
    Action.NOOP: " ",
}


class Risk(StrEnum):
    PUBLISHES_DEFAULT = "publishes_default"
    MOVES_LABEL = "moves_label"
    DELETES = "deletes"
    REPLACES = "replaces"
    AFFECTS_PROMPTS = "affects_prompts"  # publishing a partial changes prompts that use it
    LIVE_AT_ONCE = "live_at_once"  # configs, guardrails, policies: an update is live immediately
    CHANGES_SECRET = "changes_secret"


@dataclass
class FieldDiff:
    """One path-level difference; secret values are already replaced by ``"(secret)"``."""

    path: str
    op: str  # "add" | "remove" | "change"
    before: Any = None
    after: Any = None


@dataclass
class TextDiff:
    """A unified line diff of one long text (a message, a template, a partial body)."""

    label: str
    unified: str


@dataclass
class Change:
    """What the plan does to one resource."""

    address: str
    kind: str
    key: str
    actions: list[Action]
    order: int = 0  # position in apply order (dependencies first; deletes last, in reverse)
    remote: dict[str, Any] = field(default_factory=dict)  # id, slug, version, published_version
    before: Any = None  # redacted live content, None for creates
    after: Any = None  # redacted desired content, None for deletes
    diff: list[FieldDiff] = field(default_factory=list)
    text_diffs: list[TextDiff] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # addresses this resource refers to
    payload: dict[str, Any] = field(default_factory=dict)  # what apply needs (secrets as references)

    @property
    def is_noop(self) -> bool:
        return self.actions == [Action.NOOP]


@dataclass
class Plan:
    """A complete, versioned plan."""

    changes: list[Change] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    adoptable: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # safety rules that stop this plan
    risk_summary: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)  # remote object -> content hash
    incomplete: list[str] = field(default_factory=list)  # kinds whose listing was incomplete
    requests: int = 0  # HTTP requests spent reading live state
    environment: str | None = None
    workspace: str | None = None
    source: dict[str, Any] = field(default_factory=dict)  # root, git_sha, dirty, desired_hash
    created_at: str = ""
    engine_version: str = ""
    options: dict[str, bool] = field(default_factory=dict)  # prune, adopt: what apply --plan re-plans with
    changes_digest: str = ""  # as read from a saved plan; to_json always writes digest()

    @property
    def has_changes(self) -> bool:
        return any(not c.is_noop for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Count of each action across changes (noop included)."""
        return dict(Counter(action.value for change in self.changes for action in change.actions))

    def summary_by_kind(self) -> dict[str, dict[str, int]]:
        """The same counts per kind."""
        counts: dict[str, Counter[str]] = {}
        for change in self.changes:
            counts.setdefault(change.kind, Counter()).update(action.value for action in change.actions)
        return {kind: dict(per_kind) for kind, per_kind in counts.items()}

    def digest(self) -> str:
        """SHA-256 of this plan's changes and options (see :func:`changes_digest`)."""
        return changes_digest(self.changes, self.options)

    def to_json(self) -> dict[str, Any]:
        """The versioned public form (also the saved plan file)."""
        body = asdict(self)
        body["changes"] = [_change_json(c) for c in self.changes]
        body["changes_digest"] = self.digest()
        return {
            "format_version": FORMAT_VERSION,
            **body,
            "summary": self.summary(),
            "summary_by_kind": self.summary_by_kind(),
            "has_changes": self.has_changes,
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Read a saved plan; raises :class:`PlanFormatError` (a ValueError naming the bad key) on
        anything that is not a well-formed plan of this format version."""
        check_plan_json(data, FORMAT_VERSION, [a.value for a in Action], [r.value for r in Risk])
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "changes"}
        changes = []
        for raw in data["changes"]:
            raw = dict(raw)
            raw["actions"] = [Action(a) for a in raw["actions"]]
            raw["risks"] = [Risk(r) for r in raw.get("risks", [])]
            raw["diff"] = [FieldDiff(**{k: v for k, v in d.items() if k in FieldDiff.__dataclass_fields__})
                           for d in raw.get("diff", [])]
            raw["text_diffs"] = [TextDiff(label=d["label"], unified=d["unified"]) for d in raw.get("text_diffs", [])]
            changes.append(Change(**{k: v for k, v in raw.items() if k in Change.__dataclass_fields__}))
        return cls(changes=changes, **fields)


def _change_json(change: Change) -> dict[str, Any]:
    return {**asdict(change), "actions": [a.value for a in change.actions], "risks": [r.value for r in change.risks]}


def changes_digest(changes: list[Change], options: dict[str, bool]) -> str:
    """SHA-256 over the canonical JSON of every change (all of it: what apply does and what the reviewer
    read) and the plan options. Nothing volatile (time, request counts) is in it, so planning the same
    files against the same account state gives the same digest."""
    body = {"options": {k: bool(options.get(k)) for k in ("prune", "adopt")},
            "changes": [_change_json(c) for c in changes]}
    plain = json.loads(json.dumps(body, default=str))  # tuples -> lists, non-string keys -> strings
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"))  # ASCII: lone surrogates cannot break it
    return hashlib.sha256(text.encode()).hexdigest()
