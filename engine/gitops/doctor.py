"""``portkey-gitops doctor``: try each assumption the engine depends on against one account.

Everything the doctor makes lives in one scratch collection named ``gitops-doctor-<random>``;
labels and policies, which are not in collections, carry that name as their prefix. All of it is
deleted at the end, also after a failure: the cleanup deletes what the run recorded plus anything
listed under the scratch name (a create whose answer was lost), carries on past single failures
and reports what it could not delete by id. The checks themselves are in
:mod:`engine.gitops.doctor_checks`; the switches they set are :mod:`engine.gitops.behaviour`'s.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from engine.gitops.behaviour import BY_NAME, DOCTOR_FORMAT
from engine.portkey import PortkeyClient, PortkeyError
from engine.portkey.errors import PortkeyAPIError
from engine.redaction import scrub

SCRATCH_PREFIX = "gitops-doctor-"

# kind -> (delete operation, its id argument); deleted in this order (the collection must be empty last)
DELETES: dict[str, tuple[str, str]] = {
    "prompt": ("delete_prompt", "prompt_id"),
    "label": ("delete_prompt_label", "label_id"),
    "rate_limit": ("delete_rate_limit", "id"),
    "collection": ("delete_collection", "collection_id"),
}


class CheckFailed(Exception):
    """A check that could not reach a verdict; the message says why."""


@dataclass
class Finding:
    """What one check found: the assumption, what Portkey did and what the engine will do about it."""

    check: str
    assumption: str
    observed: str = ""
    engine: str = ""
    switch: str | None = None
    value: str | None = None  # the switch value found (None when the check could not run)
    expected: bool | None = None  # Portkey did what the engine assumes by default
    ran: bool = True
    problem: str | None = None  # why the check could not run


@dataclass(frozen=True)
class Made:
    """One object the doctor made (or found under its scratch name)."""

    kind: str
    id: str
    name: str


@dataclass
class DoctorReport:
    """Every finding, the scratch objects' fate and the requests spent."""

    scratch: str
    workspace_id: str | None
    findings: list[Finding] = field(default_factory=list)
    deleted: list[Made] = field(default_factory=list)
    leftovers: list[tuple[Made, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def switches(self) -> dict[str, str]:
        """The switch values the checks found (switches whose check did not run are left out)."""
        return {f.switch: f.value for f in self.findings if f.ran and f.switch and f.value}

    @property
    def not_run(self) -> list[Finding]:
        return [f for f in self.findings if not f.ran]

    @property
    def clean(self) -> bool:
        """Every check ran and everything made was deleted."""
        return not self.not_run and not self.leftovers

    def to_json(self) -> dict[str, Any]:
        """The ``.portkey/doctor.json`` document (format 1), also printed by ``--json``."""
        return {
            "format": DOCTOR_FORMAT,
            "switches": self.switches,
            "checked_at": self.checked_at,
            "findings": [asdict(f) for f in self.findings],
            "scratch": self.scratch,
            "workspace_id": self.workspace_id,
            "requests": self.requests,
            "deleted": [asdict(m) for m in self.deleted],
            "leftovers": [{**asdict(m), "error": error} for m, error in self.leftovers],
            "notes": self.notes,
        }


def describe(exc: BaseException) -> str:
    """One scrubbed line for a failure."""
    text = str(exc) if isinstance(exc, PortkeyError | CheckFailed) else f"{type(exc).__name__}: {exc}"
    return scrub(" ".join(text.split()))


def answer_id(answer: Any) -> str | None:
    """The id of a create answer, flat or wrapped in ``data``."""
    if isinstance(answer, dict):
        for holder in (answer, answer.get("data")):
            if isinstance(holder, dict) and isinstance(holder.get("id"), str | int) and str(holder["id"]):
                return str(holder["id"])
    return None


class Scratch:
    """The doctor's scratch space in one account: what it made, and the cleanup."""

    def __init__(
        self, client: PortkeyClient, workspace_id: str | None, token: str | None = None
    ) -> None:
        self.client = client
        self.workspace_id = workspace_id
        self.token = token or secrets.token_hex(4)
        self.name = SCRATCH_PREFIX + self.token
        self.collection_id: str | None = None
        self.made: list[Made] = []

    def ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace_id} if self.workspace_id else {}

    async def create(self, kind: str, operation: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create one scratch object and record it for the cleanup (before anything can fail)."""
        answer = await self.client.call(operation, body=body)
        made_id = answer_id(answer)
        if made_id is None:
            raise CheckFailed(f"{operation} answered without an id; the cleanup looks for {name!r} by name")
        self.made.append(Made(kind, made_id, name))
        return answer if isinstance(answer, dict) else {}

    async def open(self) -> None:
        """Make the scratch collection."""
        answer = await self.create("collection", "create_collection", self.name, {"name": self.name, **self.ws()})
        self.collection_id = answer_id(answer)

    async def cleanup(self) -> tuple[list[Made], list[tuple[Made, str]], list[str]]:
        """Delete everything made or found under the scratch name; (deleted, leftovers, notes)."""
        notes: list[str] = []
        found = {(m.kind, m.id): m for m in self.made}
        for made in await self._sweep(notes):
            found.setdefault((made.kind, made.id), made)
        deleted: list[Made] = []
        leftovers: list[tuple[Made, str]] = []
        order = list(DELETES)
        for made in sorted(found.values(), key=lambda m: order.index(m.kind)):
            operation, argument = DELETES[made.kind]
            try:
                await self.client.call(operation, **{argument: made.id})
            except PortkeyAPIError as exc:
                if not exc.not_found:
                    leftovers.append((made, describe(exc)))
                    continue
            except PortkeyError as exc:
                leftovers.append((made, describe(exc)))
                continue
            deleted.append(made)
        return deleted, leftovers, notes

    async def _sweep(self, notes: list[str]) -> list[Made]:
        """Objects under the scratch name that the run did not record (their create went unanswered)."""
        sweeps: list[tuple[str, str, dict[str, Any]]] = [
            ("label", "list_prompt_labels", self.ws()),
            ("rate_limit", "list_rate_limits", self.ws()),
            ("collection", "list_collections", self.ws()),
        ]
        if self.collection_id:
            sweeps.insert(0, ("prompt", "list_prompts", {"collection_id": self.collection_id, **self.ws()}))
        found: list[Made] = []
        for kind, operation, params in sweeps:
            try:
                items, _ = await self.client.list_all(operation, **params)
            except PortkeyError as exc:
                notes.append(f"could not look for unrecorded scratch {kind}s ({describe(exc)})")
                continue
            found.extend(self._ours(kind, items))
        return found

    def _ours(self, kind: str, items: list[Any]) -> list[Made]:
        """Listed items that are the doctor's: named under the scratch name, or prompts in its collection."""
        mine = []
        for item in items:
            if not isinstance(item, dict) or answer_id(item) is None:
                continue
            name = str(item.get("name") or "")
            in_collection = kind == "prompt" and str(item.get("collection_id")) == self.collection_id
            named = name == self.name if kind == "collection" else name.startswith(self.name)
            if named or in_collection:
                mine.append(Made(kind, str(answer_id(item)), name))
        return mine


def not_run(check: str, problem: str) -> Finding:
    """The finding of a check that could not run: its switch keeps the default."""
    from engine.gitops.doctor_checks import ASSUMPTIONS

    assumption, switch = ASSUMPTIONS[check]
    engine = ""
    if switch is not None:
        default = BY_NAME[switch].default
        engine = f"keeps the default '{default}': {BY_NAME[switch].engine[default]}"
    return Finding(check, assumption, engine=engine, switch=switch, ran=False, problem=problem)


async def run_doctor(
    client: PortkeyClient, workspace_id: str | None, *, virtual_key: str | None = None, token: str | None = None
) -> DoctorReport:
    """Run every check inside a scratch collection and delete everything made, whatever happens."""
    from engine.gitops.doctor_checks import ASSUMPTIONS, Probe

    before = client.request_count
    scratch = Scratch(client, workspace_id, token)
    report = DoctorReport(scratch.name, workspace_id)
    try:
        probe = Probe(scratch)
        await probe.choose_virtual_key(virtual_key, report.notes)
        try:
            await scratch.open()
        except (PortkeyError, CheckFailed) as exc:
            problem = f"the scratch collection could not be made ({describe(exc)})"
            report.findings = [not_run(check, problem) for check in ASSUMPTIONS]
        else:
            report.findings = await probe.run_all()
    finally:
        with anyio.CancelScope(shield=True):
            report.deleted, report.leftovers, notes = await scratch.cleanup()
            report.notes.extend(notes)
            report.requests = client.request_count - before
    return report
