"""The public plan format (``plan --json``, ``plan --out``, the MCP ``gitops_plan`` result, the CI artifact).

Pydantic models of the versioned JSON, apart from the internal :mod:`engine.gitops.plan` objects (as
Terraform keeps ``jsonplan`` apart from ``plans``). What is public:

- every change with its ``actions`` (a replace is ``["delete", "create"]`` with ``replace_paths``), its
  redacted ``before``/``after`` and diffs, ``reasons`` as ``{code, message}``, ``risks`` as codes;
- ``errors``, ``blocked`` and ``warnings`` as diagnostics ``{code, message, text, address, addresses, file, line,
  column}``;
- never ``payload`` (what apply sends, which may hold resolved secrets).

The JSON Schema under ``schemas/output/plan.schema.json`` is generated from :class:`PlanDocument`;
regenerate it with ``python -m engine.gitops.jsonplan schemas/output``. A saved plan of format 2.0 (warnings as
sentences) is still read: its warnings become diagnostics with code ``other``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.gitops.plan import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
    Action,
    Change,
    DiagnosticCode,
    FieldDiff,
    Plan,
    PlanDiagnostic,
    Reason,
    ReasonCode,
    Risk,
    RiskNote,
    TextDiff,
)
from engine.gitops.plan_format import PlanFormatError, check_envelope

SCHEMA_FILE = "plan.schema.json"


class PublicAction(StrEnum):
    """Actions as a JSON reader sees them: the internal ones, with a replace spelt delete then create."""

    CREATE = "create"
    NEW_VERSION = "new_version"
    PUBLISH = "publish"
    LABEL = "label"
    UPDATE = "update"
    MOVE = "move"
    ADOPT = "adopt"
    DELETE = "delete"
    ARCHIVE = "archive"
    NOOP = "noop"


REPLACE_ACTIONS = [PublicAction.DELETE, PublicAction.CREATE]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class _Open(BaseModel):
    """Objects whose extra keys are informative (drift details from Portkey): kept, not checked."""

    model_config = ConfigDict(extra="allow", frozen=True)


class PublicReason(_Model):
    code: ReasonCode = Field(description="Why, for machines.")
    message: str = Field(description="Why, for people.")


class PublicDiagnostic(_Model):
    """An error, a safety block or a warning."""

    code: DiagnosticCode
    message: str = Field(description="What is wrong and what to do, without the location.")
    text: str = Field(description="The full sentence as the terminal shows it (location included).")
    address: str | None = Field(default=None, description="The resource it concerns (kind:key).")
    addresses: list[str] = Field(
        default_factory=list,
        description="Every resource it concerns: [address] for one, several for a warning about a group, [] for none.",
    )
    file: str | None = Field(default=None, description="Project file, relative to the project root.")
    line: int | None = Field(default=None, ge=1)
    column: int | None = Field(default=None, ge=1)


class PublicRiskNote(_Model):
    code: Risk
    message: str
    address: str | None = None


class PublicFieldDiff(_Model):
    path: str
    op: Literal["add", "remove", "change"]
    before: Any = None
    after: Any = None


class PublicTextDiff(_Model):
    label: str
    unified: str


class Remote(_Model):
    """The live object a change concerns, as far as the plan knows it (keys present when known)."""

    id: str | None = None
    slug: str | None = None
    name: str | None = None
    version: int | None = Field(default=None, description="Latest live version (versioned kinds).")
    published_version: int | None = Field(default=None, description="The live default version.")
    next_version: int | None = Field(default=None, description="The version this change makes or publishes.")
    labels: list[str] | None = Field(default=None, description="Labels this change moves to that version.")


class PublicChange(_Model):
    address: str = Field(description="kind:key")
    kind: str
    key: str
    actions: Annotated[list[PublicAction], Field(min_length=1)]
    order: int = Field(description="Position in apply order.")
    remote: Remote
    before: Any = Field(description="Redacted live content; null for a create.")
    after: Any = Field(description="Redacted desired content; null for a delete.")
    diff: list[PublicFieldDiff]
    text_diffs: list[PublicTextDiff]
    reasons: list[PublicReason]
    risks: list[Risk]
    depends_on: list[str]
    replace_paths: list[str] = Field(description="For a replace (delete then create): the fields that force it.")


class Options(_Model):
    prune: bool
    adopt: bool


class Source(_Model):
    root: str | None = None
    git_sha: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    desired_hash: str | None = None
    git_moves: list[Annotated[list[str], Field(min_length=2, max_length=2)]] | None = None
    changed_since: str | None = None
    scope: list[str] | None = None


class DriftRemote(_Open):
    id: str | None = None
    slug: str | None = None
    version: int | None = None


class DriftItem(_Open):
    address: str
    detail: str
    suggestion: str | None = None
    remote: DriftRemote | None = None
    fields: list[str] | None = None


class Adoptable(_Model):
    address: str
    remote: Remote


class PlanDocument(_Model):
    """A portkey-gitops plan, format 3.0."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_enum_values=True,
        json_schema_extra={"title": f"portkey-gitops plan, format {FORMAT_VERSION}"},
    )

    format_version: Literal["3.0"]
    engine_version: str
    created_at: str
    environment: str | None
    workspace: str | None
    options: Options
    source: Source
    changes: list[PublicChange]
    changes_digest: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the changes and options; apply --plan checks it."
    )
    summary: dict[str, int] = Field(description="Count per action; a replace counts once, as `replace`.")
    summary_by_kind: dict[str, dict[str, int]]
    has_changes: bool
    errors: list[PublicDiagnostic]
    blocked: list[PublicDiagnostic] = Field(description="Safety rules that stop this plan.")
    warnings: list[PublicDiagnostic] = Field(description="Worth reading; they do not stop the plan.")
    risk_summary: list[PublicRiskNote]
    drift: list[DriftItem]
    adoptable: list[Adoptable]
    incomplete: list[str] = Field(description="Kinds whose listing was incomplete.")
    fingerprints: dict[str, str] = Field(description="Remote object -> content hash at plan time.")
    requests: int = Field(ge=0)


# ---------------------------------------------------------------- internal -> public


def public_actions(actions: list[Action]) -> list[PublicAction]:
    out: list[PublicAction] = []
    for action in actions:
        out.extend(REPLACE_ACTIONS if action is Action.REPLACE else [PublicAction(action.value)])
    return out


def _reason(reason: Reason | str) -> PublicReason:
    if isinstance(reason, Reason):
        return PublicReason(code=reason.code, message=reason.message)
    return PublicReason(code=ReasonCode.OTHER, message=str(reason))


def _diagnostic(item: PlanDiagnostic | str) -> PublicDiagnostic:
    if isinstance(item, PlanDiagnostic):
        return PublicDiagnostic(
            code=item.code,
            message=item.message,
            text=str(item),
            address=item.address,
            addresses=list(item.addresses),
            file=item.file,
            line=item.line,
            column=item.column,
        )
    return PublicDiagnostic(code=DiagnosticCode.OTHER, message=str(item), text=str(item), addresses=[])


def diagnostic_json(item: PlanDiagnostic | str) -> dict[str, Any]:
    """One error, block or warning as the plan JSON carries it (the drift report and MCP results use it too)."""
    return _dump(_diagnostic(item))


def _risk_note(note: RiskNote) -> PublicRiskNote:
    return PublicRiskNote(code=note.code, message=note.message, address=note.address)


def public_change(change: Change) -> PublicChange:
    return PublicChange(
        address=change.address,
        kind=change.kind,
        key=change.key,
        actions=public_actions(list(change.actions)),
        order=change.order,
        remote=Remote.model_validate(dict(change.remote)),
        before=change.before,
        after=change.after,
        diff=[PublicFieldDiff(path=d.path, op=d.op, before=d.before, after=d.after) for d in change.diff],  # type: ignore[arg-type]
        text_diffs=[PublicTextDiff(label=d.label, unified=d.unified) for d in change.text_diffs],
        reasons=[_reason(r) for r in change.reasons],
        risks=list(change.risks),
        depends_on=list(change.depends_on),
        replace_paths=list(change.replace_paths),
    )


def _dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict; optional keys the plan never set stay out (as in the internal dicts)."""
    return model.model_dump(mode="json", exclude_unset=True)


def plan_document(plan: Plan) -> PlanDocument:
    changes = [public_change(c) for c in plan.changes]
    return PlanDocument(
        format_version=FORMAT_VERSION,  # type: ignore[arg-type]
        engine_version=plan.engine_version,
        created_at=plan.created_at,
        environment=plan.environment,
        workspace=plan.workspace,
        options=Options(prune=bool(plan.options.get("prune")), adopt=bool(plan.options.get("adopt"))),
        source=Source.model_validate(dict(plan.source)),
        changes=changes,
        changes_digest=_digest(changes, plan.options),
        summary=plan.summary(),
        summary_by_kind=plan.summary_by_kind(),
        has_changes=plan.has_changes,
        errors=[_diagnostic(e) for e in plan.errors],
        blocked=[_diagnostic(b) for b in plan.blocked],
        warnings=[_diagnostic(w) for w in plan.warnings],
        risk_summary=[_risk_note(n) for n in plan.risk_summary],
        drift=[DriftItem.model_validate(_plain(d)) for d in plan.drift],
        adoptable=[Adoptable.model_validate(_plain(a)) for a in plan.adoptable],
        incomplete=list(plan.incomplete),
        fingerprints=dict(plan.fingerprints),
        requests=plan.requests,
    )


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def plan_json(plan: Plan) -> dict[str, Any]:
    """The public JSON of ``plan`` (see :class:`PlanDocument`)."""
    return _dump(plan_document(plan))


def _digest(changes: list[PublicChange], options: dict[str, bool]) -> str:
    body = {"options": {k: bool(options.get(k)) for k in ("prune", "adopt")}, "changes": [_dump(c) for c in changes]}
    plain = json.loads(json.dumps(body, default=str))  # tuples -> lists, non-string keys -> strings
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"))  # ASCII: lone surrogates cannot break it
    return hashlib.sha256(text.encode()).hexdigest()


def changes_digest(changes: list[Change], options: dict[str, bool]) -> str:
    """See :func:`engine.gitops.plan.changes_digest`."""
    return _digest([public_change(c) for c in changes], options)


# ---------------------------------------------------------------- public -> internal (saved plans)


def _internal_actions(actions: list[str]) -> list[Action]:
    if sorted(actions) == sorted(a.value for a in REPLACE_ACTIONS):
        return [Action.REPLACE]
    return [Action(a) for a in actions]


def _internal_change(item: PublicChange) -> Change:
    remote = item.remote.model_dump(mode="json", exclude_unset=True)
    return Change(
        address=item.address,
        kind=item.kind,
        key=item.key,
        actions=_internal_actions(list(item.actions)),
        order=item.order,
        remote=remote,
        before=item.before,
        after=item.after,
        diff=[FieldDiff(path=d.path, op=d.op, before=d.before, after=d.after) for d in item.diff],
        text_diffs=[TextDiff(label=d.label, unified=d.unified) for d in item.text_diffs],
        reasons=[Reason(ReasonCode(r.code), r.message) for r in item.reasons],
        risks=[Risk(r) for r in item.risks],
        depends_on=list(item.depends_on),
        replace_paths=list(item.replace_paths),
    )


def _internal_diagnostic(item: PublicDiagnostic) -> PlanDiagnostic:
    return PlanDiagnostic(
        item.message,
        code=DiagnosticCode(item.code),
        address=item.address,
        addresses=list(item.addresses),
        file=item.file,
        line=item.line,
        column=item.column,
        text=item.text,
    )


def _where(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "the plan"


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A format 2.0 plan in the current format: each warning sentence becomes a diagnostic with code ``other``
    (anything else in its warnings is left for validation to refuse)."""
    if data.get("format_version") != "2.0":
        return data
    upgraded = {**data, "format_version": FORMAT_VERSION}
    if isinstance(warnings := data.get("warnings"), list):
        upgraded["warnings"] = [
            {"code": DiagnosticCode.OTHER.value, "message": w, "text": w} if isinstance(w, str) else w for w in warnings
        ]
    return upgraded


def read_plan(data: Any) -> Plan:
    """A saved plan's JSON as a frozen internal :class:`Plan`; :class:`PlanFormatError` names the first bad key
    (never a value from the file: it may hold terminal escapes or markup)."""
    check_envelope(data, FORMAT_VERSION, *READABLE_VERSIONS)
    data = _upgrade(data)
    try:
        # Strict, from JSON text: "1" is not an order, 1.0 not a version; nothing is coerced into a match.
        doc = PlanDocument.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        kind = first.get("type", "")
        what = (
            "is missing"
            if kind == "missing"
            else ("is not a known key" if kind == "extra_forbidden" else f"is invalid ({first.get('msg', kind)})")
        )
        raise PlanFormatError(f"{_where(tuple(first.get('loc', ())))} {what}") from None
    plan = Plan(
        changes=[_internal_change(c) for c in doc.changes],
        drift=[d.model_dump(mode="json", exclude_unset=True) for d in doc.drift],
        adoptable=[a.model_dump(mode="json", exclude_unset=True) for a in doc.adoptable],
        warnings=[_internal_diagnostic(w) for w in doc.warnings],
        errors=[_internal_diagnostic(e) for e in doc.errors],
        blocked=[_internal_diagnostic(b) for b in doc.blocked],
        risk_summary=[RiskNote(Risk(n.code), n.message, n.address) for n in doc.risk_summary],
        fingerprints=dict(doc.fingerprints),
        incomplete=list(doc.incomplete),
        requests=doc.requests,
        environment=doc.environment,
        workspace=doc.workspace,
        source=doc.source.model_dump(mode="json", exclude_unset=True),
        created_at=doc.created_at,
        engine_version=doc.engine_version,
        options=doc.options.model_dump(),
        changes_digest=doc.changes_digest,
    )
    return plan.freeze()


# ---------------------------------------------------------------- schema


def json_schema() -> dict[str, Any]:
    schema = PlanDocument.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_schema() -> str:
    """The exact text committed as ``schemas/output/plan.schema.json``."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.gitops.jsonplan [DIR]``: regenerate the plan JSON Schema (default ``schemas/output``)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "schemas/output")
    target.mkdir(parents=True, exist_ok=True)
    (target / SCHEMA_FILE).write_text(render_schema(), encoding="utf-8")
    print(f"wrote {target / SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
