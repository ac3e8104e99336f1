"""``portkey-gitops doctor``: try each assumption the engine depends on against one account.

Everything the doctor makes lives in one scratch collection named ``gitops-doctor-<random>``;
labels and policies, which are not in collections, carry that name as their prefix. All of it is
deleted at the end, also after a failure: the cleanup deletes what the run recorded plus anything
listed under the scratch name (a create whose answer was lost), carries on past single failures
and reports what it could not delete by id. Which kinds it makes, how it creates, lists and deletes them
comes from the kinds: each plays the :class:`~engine.gitops.kinds.ScratchRole` it declares. The checks are in
:mod:`engine.gitops.doctor_checks`; the switches they set are :mod:`engine.gitops.behaviour`'s.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from engine.gitops.behaviour import BY_NAME, DOCTOR_FORMAT
from engine.gitops.kinds import KINDS, Kind, ScratchRole
from engine.gitops.model import ResourceKind
from engine.portkey import PortkeyClient, PortkeyError
from engine.portkey.errors import PortkeyAPIError
from engine.redaction import scrub

SCRATCH_PREFIX = "gitops-doctor-"
HOLDER_FIELD = "collection_id"  # where a held object names its holder, and the listing's filter by holder


def scratch_kind(role: ScratchRole) -> Kind:
    """The one kind that plays ``role`` in the scratch space (each kind declares its ``scratch_role``)."""
    found = [kind for kind in KINDS.values() if kind.scratch_role is role]
    if len(found) != 1:  # pragma: no cover - a kind table that declares a role twice or not at all
        raise RuntimeError(f"{len(found)} kinds declare the scratch role {role.name}; exactly one must")
    return found[0]


HOLDER = scratch_kind(ScratchRole.HOLDER)
RELEASED = scratch_kind(ScratchRole.RELEASED)
VERSION_LABEL = scratch_kind(ScratchRole.VERSION_LABEL)
POLICY = scratch_kind(ScratchRole.POLICY)
# Deleted in reverse dependency order, as a destroy would: what refers to another object goes before it (the
# holder is empty by the time it is deleted).
DELETE_ORDER = [kind for kind in reversed(KINDS) if KINDS[kind].scratch_role is not None]


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

    kind: ResourceKind
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

    async def create(self, kind: Kind, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create one scratch object of ``kind`` and record it for the cleanup (before anything can fail)."""
        operation = kind.operations.create
        answer = await self.client.call(operation, body=body)
        made_id = answer_id(answer)
        if made_id is None:
            raise CheckFailed(f"{operation} answered without an id; the cleanup looks for {name!r} by name")
        self.made.append(Made(kind.kind, made_id, name))
        return answer if isinstance(answer, dict) else {}

    async def open(self) -> None:
        """Make the scratch collection (the holder of the released kind's scratch objects)."""
        answer = await self.create(HOLDER, self.name, {"name": self.name, **self.ws()})
        self.collection_id = answer_id(answer)

    async def cleanup(self) -> tuple[list[Made], list[tuple[Made, str]], list[str]]:
        """Delete everything made or found under the scratch name; (deleted, leftovers, notes)."""
        notes: list[str] = []
        found = {(m.kind, m.id): m for m in self.made}
        for made in await self._sweep(notes):
            found.setdefault((made.kind, made.id), made)
        deleted: list[Made] = []
        leftovers: list[tuple[Made, str]] = []
        for made in sorted(found.values(), key=lambda m: DELETE_ORDER.index(m.kind)):
            operations = KINDS[made.kind].operations
            try:
                await self.client.call(operations.delete, **{operations.id_arg: made.id})
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
        found: list[Made] = []
        for kind in (KINDS[k] for k in DELETE_ORDER):
            params = {**kind.listing_query, **self.ws()}
            if kind is RELEASED:  # looked for in the scratch collection only
                if not self.collection_id:
                    continue
                params[HOLDER_FIELD] = self.collection_id
            try:
                items, _ = await self.client.list_all(kind.listing, **params)
            except PortkeyError as exc:
                notes.append(f"could not look for unrecorded scratch {kind.kind.value}s ({describe(exc)})")
                continue
            found.extend(self._ours(kind, items))
        return found

    def _ours(self, kind: Kind, items: list[Any]) -> list[Made]:
        """Listed items that are the doctor's: the holder under the scratch name exactly, the others named
        under it, and the released kind's objects in the scratch collection whatever their name."""
        mine = []
        for item in items:
            if not isinstance(item, dict) or answer_id(item) is None:
                continue
            name = str(item.get("name") or "")
            held = kind is RELEASED and str(item.get(HOLDER_FIELD)) == self.collection_id
            named = name == self.name if kind is HOLDER else name.startswith(self.name)
            if named or held:
                mine.append(Made(kind.kind, str(answer_id(item)), name))
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
