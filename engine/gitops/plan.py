"""The plan: data only, built by :mod:`engine.gitops.planner`, run by :mod:`engine.gitops.apply`,
drawn by :mod:`engine.gitops.render`.

These are the INTERNAL objects (Terraform's ``plans``). Their public, versioned form (Terraform's
``jsonplan``) is :mod:`engine.gitops.jsonplan`: :meth:`Plan.to_json` builds it, every output form is
drawn from it (so the terminal, the pull-request comment and the saved plan cannot disagree), and
:meth:`Plan.from_json` reads a saved one back. ``Change.payload`` (a :class:`Payload`: what apply needs
for each step) never leaves the process and is not in the digest.

After planning, :meth:`Plan.freeze` makes the plan read-only: attributes cannot be set and the lists
and maps it holds cannot change (:class:`FrozenPlanError`); the payload objects are frozen dataclasses.
Apply keeps what it learns (new ids, slugs, version numbers) in its own record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any, NoReturn

from engine.gitops.plan_format import PlanFormatError

__all__ = [
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "Action",
    "Change",
    "CollectionMove",
    "DiagnosticCode",
    "FieldDiff",
    "FrozenPlanError",
    "LabelStep",
    "Payload",
    "Plan",
    "PlanDiagnostic",
    "PlanFormatError",
    "PublishStep",
    "Reason",
    "ReasonCode",
    "Remote",
    "Risk",
    "RiskNote",
    "TextDiff",
    "VersionTarget",
    "WriteStep",
    "changes_digest",
    "load_diagnostic",
]

# 3.0: warnings are diagnostics with codes (were sentences; a new major version since a 2.0 reader of
# warnings as strings would break); every diagnostic lists its ``addresses``.
# 2.0: no payload; reasons, risk notes, errors and blocks carry codes; a replace is ["delete", "create"].
# 1.1: changes_digest and options.
FORMAT_VERSION = "3.0"
READABLE_VERSIONS = ("3.0", "2.0")  # saved plans apply --plan still reads (a 2.0 plan's warnings get code "other")


class Action(StrEnum):
    """What applying a change does to one resource. Same strings in JSON and terminal."""

    CREATE = "create"
    NEW_VERSION = "new_version"  # content changed: a new, unpublished version
    PUBLISH = "publish"  # make a version the published default
    LABEL = "label"  # attach or move labels to a version
    UPDATE = "update"  # in-place change (configs, guardrails, policies, names)
    REPLACE = "replace"  # an immutable field changed: delete, then create (public JSON: ["delete", "create"])
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


class ReasonCode(StrEnum):
    """Why a change has its actions, for machines; the prose beside it is for people."""

    NOT_IN_PORTKEY = "not_in_portkey"
    FIRST_VERSION_PUBLISHED = "first_version_published"
    ADOPTING = "adopting"
    RENAMED = "renamed"
    CONTENT_DIFFERS = "content_differs"
    NOT_PUBLISHED = "not_published"  # release.default is false
    PUBLISH_EXISTING_VERSION = "publish_existing_version"
    MOVES_COLLECTION = "moves_collection"
    CANNOT_UPDATE = "cannot_update"  # an immutable field changed: the object is replaced
    CONDITIONS_IN_PLACE = "conditions_in_place"
    LIVE_AT_ONCE = "live_at_once"
    NOT_IN_REPOSITORY = "not_in_repository"
    MOVED_AWAY = "moved_away"
    OTHER = "other"  # a reason without a code of its own


class DiagnosticCode(StrEnum):
    """What kind of problem an error, a block or a warning is."""

    INVALID_PROJECT = "invalid_project"  # the loader found an error in the project files
    BEHAVIOUR_FILE = "behaviour_file"  # .portkey/doctor.json cannot be used
    DUPLICATE_KEY = "duplicate_key"
    ADOPTION_AMBIGUOUS = "adoption_ambiguous"
    UNMANAGED_LABEL_EXISTS = "unmanaged_label_exists"
    ACCOUNT_REFUSES = "account_refuses"  # the account's behaviour cannot take what the file asks
    IMMUTABLE_PARENT = "immutable_parent"
    INCOMPLETE_LISTING = "incomplete_listing"
    PROTECTED_REPLACE = "protected_replace"
    PROTECTED_DELETE = "protected_delete"
    MASS_DELETE = "mass_delete"
    # warnings
    PROJECT_WARNING = "project_warning"  # the loader found something worth fixing in the project files
    PARTIAL_PLAN = "partial_plan"  # --changed-since: only some resources were compared; prune is off
    GIT_RENAME = "git_rename"  # git sees a resource file renamed: planned as a move
    CACHE_IGNORED = "cache_ignored"  # the warm-plan cache file could not be used (everything is read)
    CACHE_NOT_WRITTEN = "cache_not_written"
    BEHAVIOUR_NOT_TRUSTED = "behaviour_not_trusted"  # under CI, a doctor.json switch less careful than trusted
    ASSUMED_SAME = "assumed_same"  # two values taken as naming the same thing (an id and a slug)
    UNCHANGEABLE_FIELD = "unchangeable_field"  # a field the API cannot change on an existing object: left as is
    NOT_PRUNED = "not_pruned"  # managed objects no longer in the repository, kept without --prune
    OTHER = "other"


class FrozenPlanError(TypeError):
    """Something tried to change a plan after planning."""


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise FrozenPlanError("the plan is read-only after planning")


class FrozenList(list[Any]):
    """A list that refuses every change; still equal to (and serialised as) a plain list."""

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> Any:  # copies are plain, writable lists
        return list, (list(self),)


class FrozenDict(dict[str, Any]):
    """A dict that refuses every change; still equal to (and serialised as) a plain dict."""

    update = setdefault = pop = popitem = clear = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce_ex__(self, protocol: Any) -> Any:
        return dict, (dict(self),)


def _read_only(value: Any) -> Any:
    """``value`` with its lists and dicts (all the way down) made read-only."""
    if isinstance(value, dict):
        return FrozenDict({k: _read_only(v) for k, v in value.items()})
    if isinstance(value, list | tuple) and not isinstance(value, str):
        return FrozenList(_read_only(v) for v in value)
    return value


class _Freezable:
    """Dataclass base whose instances refuse attribute writes once :meth:`_freeze` ran."""

    _frozen: bool = False
    _writable: frozenset[str] = frozenset()  # fields frozen one by one instead (see Change.diff)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise FrozenPlanError(f"the plan is read-only after planning ({type(self).__name__}.{name})")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        _refuse()

    def _freeze(self) -> None:
        if self._frozen:
            return
        for item in fields(self):  # type: ignore[arg-type]
            if item.name not in self._writable:
                object.__setattr__(self, item.name, _read_only(getattr(self, item.name)))
        object.__setattr__(self, "_frozen", True)


@dataclass(frozen=True)
class Reason:
    """Why a change does what it does: a code for machines, a sentence for people."""

    code: ReasonCode
    message: str


@dataclass(frozen=True)
class RiskNote:
    """A plan-level risk sentence (what the counts do not say), with its code and the change it is about."""

    code: Risk
    message: str
    address: str | None = None


class PlanDiagnostic(str):
    """An error, a block or a warning: the full sentence as a string (so callers that print or join keep
    working), plus a code, the address it concerns (``addresses`` when there are several) and the file
    position where it has one."""

    code: DiagnosticCode
    message: str
    address: str | None
    addresses: tuple[str, ...]
    file: str | None
    line: int | None
    column: int | None

    def __new__(
        cls,
        message: str,
        *,
        code: DiagnosticCode = DiagnosticCode.OTHER,
        address: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
        addresses: tuple[str, ...] | list[str] = (),
    ) -> PlanDiagnostic:
        where = ":".join(str(p) for p in (file, line, column) if p) if file else ""
        shown = text if text is not None else ": ".join(p for p in (where, address, message) if p)
        self = super().__new__(cls, shown)
        self.code, self.message, self.address = code, message, address
        self.addresses = tuple(addresses) or ((address,) if address else ())
        self.file, self.line, self.column = file, (line or None), (column or None)
        return self

    def __reduce__(self) -> Any:
        return (
            _diagnostic,
            (str(self), self.code, self.message, self.address, self.file, self.line, self.column, self.addresses),
        )


def _diagnostic(
    text: str,
    code: DiagnosticCode,
    message: str,
    address: str | None,
    file: str | None,
    line: int | None,
    column: int | None,
    addresses: tuple[str, ...] = (),
) -> PlanDiagnostic:
    return PlanDiagnostic(
        message, code=code, address=address, file=file, line=line, column=column, text=text, addresses=addresses
    )


@dataclass
class FieldDiff(_Freezable):
    """One path-level difference; secret values are already replaced by ``"(secret)"``."""

    path: str
    op: str  # "add" | "remove" | "change"
    before: Any = None
    after: Any = None


@dataclass
class TextDiff(_Freezable):
    """A unified line diff of one long text (a message, a template, a partial body)."""

    label: str
    unified: str


class VersionTarget(Enum):
    """A version a publish or label step means that does not exist when the plan is made."""

    NEW = "new"  # the version this change's NEW_VERSION step makes
    CREATED = "created"  # version 1 of the prompt this change's CREATE step makes (Portkey publishes it at once)


@dataclass(frozen=True)
class Remote:
    """The live object a change writes to, as the plan found it (apply's record overrides it for an object
    this run created again)."""

    id: str
    slug: str | None = None


@dataclass(frozen=True)
class CollectionMove:
    """An in-place update moves the object to the collection ``key`` of the project (None: the workspace's
    default collection)."""

    key: str | None


@dataclass(frozen=True)
class WriteStep:
    """What create, the in-place update (update, move, adopt) and replace send besides the file's content."""

    name: str  # the object's name in Portkey (prefix, key or display name)
    changed: tuple[str, ...] = ()  # for kinds whose update sends some fields only when they changed
    collection: CollectionMove | None = None


@dataclass(frozen=True)
class PublishStep:
    """Make a version the published default: one this apply makes, or a live version number."""

    version: VersionTarget | int


@dataclass(frozen=True)
class LabelStep:
    """Attach ``labels`` (names) to a version: one this apply makes, or a live version number."""

    labels: tuple[str, ...]
    version: VersionTarget | int | None  # None: Portkey named no latest version (apply refuses: plan again)
    version_id: str | None = None  # the live version's id, when ``version`` is a number
    kept: tuple[str, ...] = ()  # label ids that version holds already and keeps: apply checks they survive


@dataclass(frozen=True)
class Payload:
    """What apply needs for a change's steps, beside the resource's files. Internal: never in the public plan,
    never in its digest. A step's data is None when the change has no such step."""

    remote: Remote | None = None  # None: a create (the object does not exist when planning)
    write: WriteStep | None = None  # create, update, move, adopt, replace
    publish: PublishStep | None = None
    label: LabelStep | None = None


@dataclass
class Change(_Freezable):
    """What the plan does to one resource."""

    _writable = frozenset({"diff", "text_diffs"})  # diffs: frozen one by one

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
    reasons: list[Reason] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # addresses this resource refers to
    replace_paths: list[str] = field(default_factory=list)  # for a replace: the fields that cannot change
    payload: Payload = field(default_factory=Payload)  # what apply needs; never public

    @property
    def is_noop(self) -> bool:
        return list(self.actions) == [Action.NOOP]

    def _freeze(self) -> None:
        if self._frozen:
            return
        for item in [*self.diff, *self.text_diffs]:
            item._freeze()
        object.__setattr__(self, "diff", FrozenList(self.diff))
        object.__setattr__(self, "text_diffs", FrozenList(self.text_diffs))
        super()._freeze()


@dataclass
class Plan(_Freezable):
    """A complete plan."""

    changes: list[Change] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    adoptable: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[PlanDiagnostic] = field(default_factory=list)  # worth reading; nothing stops the plan
    errors: list[PlanDiagnostic] = field(default_factory=list)
    blocked: list[PlanDiagnostic] = field(default_factory=list)  # safety rules that stop this plan
    risk_summary: list[RiskNote] = field(default_factory=list)
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

    _writable = frozenset({"changes"})  # frozen change by change

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> Plan:
        """Make the plan read-only (planning is over); returns it."""
        if not self._frozen:
            for change in self.changes:
                change._freeze()
            object.__setattr__(self, "changes", FrozenList(self.changes))
            self._freeze()
        return self

    @property
    def has_changes(self) -> bool:
        return any(not c.is_noop for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Count of each action across changes (noop included; a replace counts once, as ``replace``)."""
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
        """The versioned public form (also the saved plan file): :class:`engine.gitops.jsonplan.PlanDocument`."""
        from engine.gitops.jsonplan import plan_json

        return plan_json(self)

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Read a saved plan (frozen); raises :class:`PlanFormatError` (a ValueError naming the bad key) on
        anything that is not a well-formed plan of this format version."""
        from engine.gitops.jsonplan import read_plan

        return read_plan(data)


def changes_digest(changes: list[Change], options: dict[str, bool]) -> str:
    """SHA-256 over the canonical JSON of every change's public form (what the reviewer read) and the plan
    options. Nothing volatile (time, request counts) is in it, so planning the same files against the same
    account state gives the same digest. The payload is not in it: it is derived from the files and the
    account, which the saved-plan check compares by ``desired_hash`` and ``fingerprints``."""
    from engine.gitops.jsonplan import changes_digest as digest

    return digest(changes, options)


def load_diagnostic(diagnostic: Any) -> PlanDiagnostic:
    """A loader :class:`~engine.gitops.model.Diagnostic` as a plan error (or, for a loader warning, a plan
    warning with code ``project_warning``), keeping its file position and its sentence."""
    where = diagnostic.location
    warning = str(getattr(diagnostic, "severity", "")) == "warning"
    return PlanDiagnostic(
        diagnostic.message,
        code=DiagnosticCode.PROJECT_WARNING if warning else DiagnosticCode.INVALID_PROJECT,
        file=where.file if where else None,
        line=where.line if where else None,
        column=where.column if where else None,
        text=str(diagnostic),
    )
