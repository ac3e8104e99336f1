"""One apply at a time: an apply lease in the account, and a file lock on this machine.

Portkey has no lock API, so the lease is an object every account has and the engine already
manages: a prompt label named :data:`LEASE_NAME` in the workspace, whose description holds
``{"holder", "token", "start", "expiry"}`` as JSON.

Evidence for the choice: Portkey's docs say custom labels are unique per workspace
(docs-core ``product/prompt-engineering-studio/prompt-versioning.mdx``: "Custom labels are unique to
the workspace where they are created"; /work/shared/reference/portkey-api.md, Labels). What a second
create of one name gets is not recorded from the live API: Portkey's error table (docs ``api-reference/admin-api/
error``) has ``AB07`` = 409 "Resource already exists", which the sandbox answers (``sandbox/handlers/labels.py``
``_ensure_unique``), while the OpenAPI spec documents only 400 for this create. :func:`name_taken` knows both
(409 or AB07, or a 4xx whose message says the name exists). The engine does not rely on either:

- take: create the label. Any 4xx but 401/403/404/429 may be the name collision, so it is never taken
  as a refusal on its own: the labels of that name are then listed. A create that lost to another apply
  means "held by another": its lease is listed and we wait (``--lock-timeout``), then stop naming it. If
  nothing is listed, the holder released between our create and our listing: the create is sent again at
  once; a refusal that recurs with no lease there and does not say the name is taken is the create's
  error.
- confirm: list the labels of that name (``search`` plus an exact-name filter). We hold the lease when
  ours is the only unexpired one listed. Should the account allow duplicates after all, a creator that
  sees any other unexpired lease deletes its own and waits (creation times are too coarse to rank
  leases: a later lease could sort first); two that clash both back off, then try again after a random
  pause, so the one that lists alone wins.
- a lease past its expiry is stale: it is deleted with a warning naming its holder, then taken. Two
  applies taking one stale lease over both delete it (the later delete's 404 counts as done); one create
  wins and the other apply sees its live lease and waits.
- release: delete our label (404, or 403 AB03 "gone", counts as done). While held, the lease is renewed
  every third of its time to live, so a long apply keeps it and a killed one loses it once its expiry passes.

The lease is workspace-wide (all projects applying to a workspace take turns). Expiries are written
with the holder's clock; machines should keep their clocks roughly right. The Reader skips the label
(``live.py``), so plan, prune and export never see it as a resource.

Planning happens before the lease is taken, so that an apply with nothing to do (or refused) writes
nothing at all: before reading the account, apply only looks (one listing) and waits while another holds
the lease; it takes the lease once there is something to write. A second label, :data:`GENERATION_NAME`,
gets a new value from every apply right after it takes the lease (only the holder writes it; and a holder
killed part-way has moved it already). Should its create still lose to another (a holder that took a stale
lease over, a lost create that arrived late), the label that won is listed and given our value;
if the generation seen at take differs from the one seen before planning (or the take had to wait), the
account moved while we planned and the plan is made again under the lease.

Under faults, a create of either label whose answer was lost (a 5xx, a dropped connection) is looked for in
the listing (the lease by its token, the generation by its name) and sent again only when it is not there,
3 times in all; a fault on these writes no longer ends the run.

On one machine a file lock (``.portkey/apply.lock``, ``fcntl.flock``) serialises applies of one project
before any request is made.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import os
import random
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

from engine.errors import LeaseError
from engine.portkey import PortkeyAPIError, PortkeyClient, PortkeyError, PortkeyRequestError

LEASE_NAME = "gitops-apply-lease"
GENERATION_NAME = "gitops-apply-generation"  # its description changes whenever an apply takes the lease
RESERVED_LABELS = frozenset({LEASE_NAME, GENERATION_NAME})  # never resources: the Reader skips them
DEFAULT_TTL = 600.0  # seconds a lease lives without renewal
ENV_TTL = "PORTKEY_GITOPS_LEASE_TTL"
POLL_SECONDS = 2.0
LOCK_FILE = Path(".portkey") / "apply.lock"
_NOT_COLLISION = (401, 403, 404, 429)
_RELEASE_ATTEMPTS = 4
_RELEASE_SECONDS = 30.0  # the release's own deadline, whatever is left of the command's
_CREATE_TRIES = 3  # creates of a lease or generation label whose answer was lost and that did not arrive
_NAME_TAKEN = re.compile(r"already (exists?|taken|in use)|duplicate|unique|name (is )?taken", re.IGNORECASE)

Notify = Callable[[str], None]


class LeaseHeldError(LeaseError):
    """Another apply holds the lease (or the local lock) and the wait ran out, or took the lease over."""


def name_taken(exc: PortkeyAPIError) -> bool:
    """Portkey refused a create because a label of that name exists: 409 or ``AB07`` ("Resource already exists"
    in Portkey's error table), or another 4xx (a validation error, as the spec documents 400) whose message says
    so. Other 4xx answers may still be a collision; the listing after the create decides (``ApplyLease``)."""
    if exc.status == 409 or (exc.error_code or "").upper() == "AB07":
        return True
    if not 400 <= exc.status < 500 or exc.status in _NOT_COLLISION:
        return False
    return bool(_NAME_TAKEN.search(exc.message))


def holder_name(environ: dict[str, str] | None = None) -> str:
    """Who is applying: user@host pid N, plus the CI run when there is one (nothing secret)."""
    env = dict(os.environ if environ is None else environ)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    name = f"{user}@{socket.gethostname()} pid {os.getpid()}"
    if env.get("GITHUB_RUN_ID", "").isdigit():
        name += f" (CI run {env['GITHUB_RUN_ID']})"
    return _clean(name)


def _clean(text: str, limit: int = 120) -> str:
    """Text from the account made safe to print: printable characters only, bounded."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return cleaned[:limit]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LeaseRecord:
    """One lease label as listed."""

    id: str
    holder: str
    token: str
    start: datetime | None
    expiry: datetime | None
    created: datetime | None

    @classmethod
    def from_label(cls, label: dict[str, Any]) -> LeaseRecord:
        try:
            data = json.loads(label.get("description") or "")
        except (ValueError, TypeError, RecursionError):
            data = None
        data = data if isinstance(data, dict) else {}
        return cls(
            id=str(label.get("id") or ""), holder=_clean(data.get("holder") or "an unknown apply"),
            token=str(data.get("token") or ""), start=_parse_time(data.get("start")),
            expiry=_parse_time(data.get("expiry")), created=_parse_time(label.get("created_at")),
        )

    def expired(self, now: datetime) -> bool:
        """Past its expiry; a lease without a readable expiry lives DEFAULT_TTL from its creation."""
        if self.expiry is not None:
            return now >= self.expiry
        since = self.created or self.start
        return since is None or now >= since + timedelta(seconds=DEFAULT_TTL)

    def order(self) -> tuple[str, str, str]:
        """Oldest first (to name the holder in our way): server creation time, the lease's start, its id."""
        return (_iso(self.created) if self.created else "~", _iso(self.start) if self.start else "~", self.id)

    def describe(self) -> str:
        began = self.start or self.created
        since = _iso(began) if began else "an unknown time"
        until = f", expires {_iso(self.expiry)}" if self.expiry else ""
        return f"{self.holder} since {since}{until}"


class ApplyLease:
    """The account-wide apply lease of one workspace (see the module docstring)."""

    def __init__(
        self, client: PortkeyClient, workspace: str | None, *, holder: str | None = None,
        ttl: float | None = None, warn: Notify | None = None, poll: float = POLL_SECONDS, enabled: bool = True,
    ) -> None:
        """``enabled=False`` (``apply --no-lease``): every step is a no-op and the lease always counts as held."""
        self.enabled = enabled
        self.client = client
        self.workspace = workspace
        self.holder = holder or holder_name()
        self.ttl = ttl if ttl is not None else _env_ttl()
        self.warn = warn or (lambda _message: None)
        self.poll = poll
        self.token = uuid.uuid4().hex
        self.label_id: str | None = None
        self.start = datetime.now(UTC)
        self.waited = False  # another apply held the lease when we first asked
        self.seen: str | None = None  # the generation seen before planning (None: not looked)
        self.generation: str | None = None  # the generation seen when the lease was taken
        self.renewed = time.monotonic()  # when our expiry was last written
        self._clashed = False  # the last attempt created a lease beside another one and withdrew it
        self._generation_id: str | None = None

    @property
    def held(self) -> bool:
        return self.label_id is not None

    def _ws(self) -> dict[str, str]:
        return {"workspace_id": self.workspace} if self.workspace else {}

    def _description(self) -> str:
        expiry = datetime.now(UTC) + timedelta(seconds=self.ttl)
        return json.dumps({"holder": self.holder, "token": self.token, "start": _iso(self.start),
                           "expiry": _iso(expiry)}, separators=(",", ":"))

    @property
    def moved(self) -> bool:
        """The account may have changed between the look before planning and the take."""
        if self.seen is None:
            return self.waited
        return (self.generation or "") != self.seen

    async def wait_free(self, timeout: float = 0.0) -> None:
        """Before planning: wait (reading only) while another apply holds a live lease; note the generation."""
        if not self.enabled:
            self.seen = ""
            return
        deadline = time.monotonic() + max(timeout, 0.0)
        told = False
        while True:
            leases, generation = await self._look()
            now = datetime.now(UTC)
            alive = [lease for lease in leases if not lease.expired(now) and lease.token != self.token]
            if not alive:
                self.seen = generation or ""
                return
            holder = min(alive, key=LeaseRecord.order)
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._held(holder)
            if not told:
                self.warn(f"waiting up to {int(left)}s for the apply lease held by {holder.describe()}")
                told = True
            await anyio.sleep(min(self.poll, left))

    def _held(self, holder: LeaseRecord) -> LeaseHeldError:
        return LeaseHeldError(
            f"another apply holds the apply lease of this workspace: {holder.describe()}. Nothing was "
            "written. Wait for it to finish or, if that apply was killed, its lease expires by itself "
            f"(label {LEASE_NAME!r} in Portkey)"
        )

    async def acquire(self, timeout: float = 0.0) -> None:
        """Take the lease, waiting up to ``timeout`` seconds for another holder; LeaseHeldError after."""
        if not self.enabled:
            self.label_id, self.generation = "", self.seen
            return
        deadline = time.monotonic() + max(timeout, 0.0)
        told = False
        clashed = False
        while True:
            holder = await self._attempt()
            if holder is None:
                try:
                    await self._bump()
                except BaseException:
                    await self.release()  # taken but not usable: never leave it behind
                    raise
                return
            self.waited = True
            left = deadline - time.monotonic()
            if left <= 0 and self._clashed and not clashed:  # both backed off: one more try after a pause
                clashed = True
                await anyio.sleep(random.uniform(0.05, 0.5))
                continue
            if left <= 0:
                raise self._held(holder)
            if not told:
                self.warn(f"waiting up to {int(left)}s for the apply lease held by {holder.describe()}")
                told = True
            await anyio.sleep(min(self.poll, left) * (random.uniform(0.5, 1.0) if self._clashed else 1.0))

    async def _attempt(self, tries: int = _CREATE_TRIES) -> LeaseRecord | None:
        """One try: None when we hold the lease, else the live lease in our way (after taking over stale
        ones, one more try at once). A create whose answer was lost and that the listing does not show is
        sent again, ``tries`` times in all."""
        self.start = datetime.now(UTC)
        self.renewed = time.monotonic()
        self._clashed = False
        created_id, refusal, unsure = await self._create()
        leases, self.generation = await self._look()
        if not leases and (refusal is not None or unsure):
            # Refused, yet no lease is there: its holder released it between our create and our listing (the
            # lease is free: ask again at once), or the refusal is no collision. Or our create did not arrive.
            if tries > 1:
                return await self._attempt(tries - 1)
            if refusal is not None and not name_taken(refusal):
                raise refusal  # refused every time with no lease there: not a name collision
            if refusal is not None:
                return _unknown_holder()  # taken and released each time we looked: wait a poll, then again
            raise LeaseError(f"could not take the apply lease: Portkey did not answer creating its label "
                             f"{_CREATE_TRIES} times (and no lease is there); nothing was written. Run apply again")
        now = datetime.now(UTC)
        mine = [lease for lease in leases if lease.token == self.token or lease.id == created_id]
        others = [lease for lease in leases if lease not in mine]
        stale = [lease for lease in others if lease.expired(now)]
        for lease in list(stale):
            self.warn(f"taking over a stale apply lease (expired): {lease.describe()}")
            try:
                await self._delete(lease.id)  # another apply taking it over at once: its 404 counts as done
            except PortkeyError:
                stale.remove(lease)  # not removed this time: it stays in our way until the next try
        alive = [lease for lease in others if lease not in stale]
        if mine and not alive:
            self.label_id = mine[0].id
            for extra in mine[1:]:
                await self._delete(extra.id)
            return None
        for lease in mine:  # another lease is there too: back off (see the module docstring)
            await self._delete(lease.id)
            self._clashed = True
        if not alive:  # stale ones removed (or ours withdrawn): try again at once, else after a poll
            return await self._attempt(tries - 1) if stale and tries > 1 else _unknown_holder()
        return min(alive, key=LeaseRecord.order)

    async def _create(self) -> tuple[str | None, PortkeyAPIError | None, bool]:
        """(the new label's id, a refusal that may be a name collision, whether the create may have arrived
        unanswered). A create whose answer was lost (a 5xx, a dropped connection) is not an error here: the
        listing that follows finds our token in the label if it arrived."""
        body = {"name": LEASE_NAME, "description": self._description(), **self._ws()}
        try:
            created = await self.client.call("create_prompt_label", body=body)
        except PortkeyAPIError as exc:
            if exc.status >= 500:
                return None, None, True
            if exc.status in _NOT_COLLISION:
                raise
            return None, exc, False
        except PortkeyRequestError:
            return None, None, True
        label_id = created.get("id") if isinstance(created, dict) else None
        return (str(label_id) if label_id else None), None, False

    async def _look(self) -> tuple[list[LeaseRecord], str | None]:
        """The lease labels and the generation label's value, from one listing of the workspace's labels
        (all of them: whether ``search`` matches a prefix or a whole name is not documented)."""
        items, _ = await self.client.list_all("list_prompt_labels", **self._ws())
        labels = [item for item in items if isinstance(item, dict) and item.get("id")]
        leases = [LeaseRecord.from_label(item) for item in labels if item.get("name") == LEASE_NAME]
        generations = [item for item in labels if item.get("name") == GENERATION_NAME]
        self._generation_id = str(generations[0]["id"]) if generations else None
        return leases, (str(generations[0].get("description") or "") if generations else None)

    async def _delete(self, label_id: str) -> None:
        try:
            await self.client.call("delete_prompt_label", label_id=label_id)
        except PortkeyAPIError as exc:
            if not exc.not_found:  # already gone (404, or 403 AB03): another apply took it over, or it was released
                raise

    async def _bump(self) -> None:
        """Give the generation label a new value (only the lease holder writes it). Made the first time. A write
        whose answer was lost is looked for in the labels before it is sent again (a create is never sent twice
        blind); a create that loses to a generation label made meanwhile updates that one instead."""
        value = f"{uuid.uuid4().hex} {_iso(datetime.now(UTC))}"
        body = {"name": GENERATION_NAME, "description": value, **self._ws()}
        failure: PortkeyError | None = None
        for _ in range(_CREATE_TRIES + 1):
            updating = self._generation_id is not None
            try:
                if self._generation_id is not None:
                    await self.client.call("update_prompt_label", body={"description": value},
                                           label_id=self._generation_id)
                else:
                    await self.client.call("create_prompt_label", body=body)
                return
            except PortkeyRequestError as exc:  # the answer was lost: look whether the write arrived
                failure = exc
            except PortkeyAPIError as exc:
                failure = exc
                refused = exc.status < 500
                if refused and (not exc.not_found if updating else exc.status in _NOT_COLLISION):
                    raise  # an update refused (the label still there), or a create refused for want of rights
            _, found = await self._look()  # notes the generation label's id (None: there is none)
            if found == value:
                return  # the write arrived
            if not updating and found is None and isinstance(failure, PortkeyAPIError) and failure.status < 500 \
                    and not name_taken(failure):
                raise failure  # a create refused with no generation label there: not a collision
        assert failure is not None
        raise LeaseError(f"could not give the apply generation label a new value ({failure}); nothing was "
                         "written. Run apply again") from failure

    async def renew(self) -> None:
        """Move our expiry forward (a long apply keeps its lease)."""
        if not self.label_id:
            return
        await self.client.call("update_prompt_label", body={"description": self._description()},
                               label_id=self.label_id)
        self.renewed = time.monotonic()

    async def confirm(self) -> None:
        """Before writing: renew a lease older than a third of its time to live; one taken over meanwhile (it
        expired, e.g. while a person read the plan) stops the apply."""
        if not self.label_id or time.monotonic() - self.renewed < self.ttl / 3:
            return
        try:
            await self.renew()
        except PortkeyAPIError as exc:
            if not exc.not_found:
                raise
            self.label_id = None
            raise LeaseHeldError(
                "the apply lease expired before writing began (another apply may have taken it over); nothing "
                "was written. Plan and apply again"
            ) from None

    async def keep_renewed(self) -> None:
        """Renew every third of the time to live until cancelled; a failed renewal only warns. A lease found gone
        (taken over by another apply after it expired, e.g. when renewals failed for a whole time to live) is
        said once and no longer renewed: the apply goes on with its re-check of the listing before each create."""
        while True:
            await anyio.sleep(max(self.ttl / 3, 0.05))
            try:
                await self.renew()
            except PortkeyAPIError as exc:
                if not exc.not_found:
                    self.warn(f"could not renew the apply lease ({exc}); it expires {self.ttl:.0f}s after the last "
                              "renewal")
                    continue
                self.label_id = None
                self.warn("the apply lease is gone (another apply took it over after it expired): this apply "
                          "continues, re-checking the listing before each create; plan again once both are done")
                return
            except PortkeyError as exc:
                self.warn(f"could not renew the apply lease ({exc}); it expires {self.ttl:.0f}s after the last renewal")

    async def release(self) -> None:
        """Delete our lease label; a failure only warns (the lease then expires by itself)."""
        label_id, self.label_id = self.label_id, None
        if not label_id:
            return
        # A deadline of its own: an apply stopped by the command's deadline (PORTKEY_DEADLINE) still releases.
        with anyio.CancelScope(shield=True), self.client.command_deadline(_RELEASE_SECONDS, fresh=True):
            for attempt in range(_RELEASE_ATTEMPTS):  # a delete is safe to repeat (404 counts as done)
                try:
                    await self._delete(label_id)
                    return
                except PortkeyError as exc:
                    if attempt == _RELEASE_ATTEMPTS - 1:
                        self.warn(f"could not release the apply lease ({exc}); it expires within {self.ttl:.0f}s")
                    else:
                        await anyio.sleep(0.2 * (attempt + 1))


def _unknown_holder() -> LeaseRecord:
    """The create was refused as a collision but the lease vanished before each listing: try again later."""
    return LeaseRecord("", "another apply (its lease came and went while we asked)", "", None, None, None)


def _env_ttl() -> float:
    raw = os.environ.get(ENV_TTL, "").strip()
    if not raw:
        return DEFAULT_TTL
    try:
        value = float(raw)
    except ValueError:
        raise LeaseError(f"{ENV_TTL} must be a number of seconds, got {_clean(raw, 40)!r}") from None
    if not 1 <= value <= 86400:
        raise LeaseError(f"{ENV_TTL} must be between 1 and 86400 seconds")
    return value


class LocalLock:
    """An exclusive ``fcntl`` lock on ``<root>/.portkey/apply.lock``: one apply of a project per machine.

    The file (and ``.portkey/`` when this lock made it) is removed on release; a waiter that locked a
    file removed meanwhile notices (another inode at the path) and locks the new one."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        self._fd: int | None = None
        self._made_folder = False

    async def acquire(self, timeout: float = 0.0, warn: Notify | None = None) -> None:
        folder = self.path.parent
        if folder.is_symlink():
            raise LeaseError(f"{LOCK_FILE.parent} is a symbolic link; the apply lock is kept only inside the project")
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            self._made_folder = True
        deadline = time.monotonic() + max(timeout, 0.0)
        told = False
        while True:
            fd = self._open()
            if _locked(fd) and _same_file(fd, self.path):
                break
            who = _read_holder(fd)
            os.close(fd)
            left = deadline - time.monotonic()
            if left <= 0:
                self._tidy()
                raise LeaseHeldError(
                    f"another apply of this project runs on this machine ({who}; {LOCK_FILE}). Nothing was "
                    "written. Wait for it to finish"
                )
            if not told and warn is not None:
                warn(f"waiting up to {int(left)}s for another apply of this project on this machine ({who})")
                told = True
            await anyio.sleep(min(0.2, left))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder_name()} since {_iso(datetime.now(UTC))}\n".encode(), 0)
        self._fd = fd

    def _open(self) -> int:
        for _ in range(5):
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except FileNotFoundError:  # the last holder removed .portkey/ on release: make it again
                with contextlib.suppress(FileExistsError):
                    self.path.parent.mkdir()
                    self._made_folder = True
            except OSError as exc:
                raise LeaseError(f"cannot open the apply lock {LOCK_FILE}: {exc.strerror}") from None
        raise LeaseError(f"cannot open the apply lock {LOCK_FILE}: its folder keeps disappearing")

    def release(self) -> None:
        if self._fd is None:
            return
        import fcntl

        fd, self._fd = self._fd, None
        try:
            with contextlib.suppress(OSError):
                self.path.unlink()
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        self._tidy()

    def _tidy(self) -> None:
        """Remove ``.portkey/`` again when this lock made it and nothing else is in it."""
        if self._made_folder:
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()


def _locked(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise LeaseError(f"cannot lock {LOCK_FILE}: {exc.strerror}") from None
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    """The locked descriptor is still the file at ``path`` (not one its holder removed on release)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
    except OSError:
        return False


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return _clean(text) or "holder unknown"
