"""Adopting an unmanaged Portkey object: give it our marker so plans manage it (``import``).

Labels get the marker at the end of their description; every other kind is
renamed to ``<prefix><key>`` (in the account's name style), which Portkey does in place (ids and slugs stay);
the object's display name is kept (`` · <name>``), so the first plan after an adoption shows no rename.
Prompts are renamed only: no new version is made. Portkey cannot stamp an existing prompt version: a
version's only writable field is ``label_id`` (contracts/openapi.yaml ``updatePromptVersion``: "only
supports updating the label_id field"; the portkey-ai SDK's ``prompts.versions.update`` sends only
``label_id``), so an adopted prompt's latest version stays unstamped until the next version the tool makes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import GitOpsError
from engine.gitops.kinds import KINDS
from engine.gitops.kinds.label import label_description, strip_label_mark
from engine.gitops.live import (
    LiveObject,
    LiveState,
    display_part,
    marker_key,
    remote_name,
)
from engine.gitops.lock import Lock
from engine.gitops.model import ResourceKind, address, split_address
from engine.portkey import PortkeyClient, PortkeyError
from engine.portkey.errors import PortkeyAPIError


class AdoptRefused(GitOpsError, ValueError):
    """An import the engine refuses (it would break the one-object-per-key rule, or the object cannot have that
    address); nothing was written."""


def check_import(live: LiveState, target: str, remote_id: str) -> LiveObject:
    """The live object ``remote_id`` (id or slug) names, when ``target`` may adopt it.

    Refused (naming both sides): an id that no object of the kind has, an object already managed under
    another address, and an address already bound to another live object."""
    kind, key = split_address(target)
    objects = live.objects.get(kind, [])
    found = next((o for o in objects if remote_id in (o.id, o.slug)), None)
    if found is None:
        raise AdoptRefused(f"no {kind.value} with id or slug {remote_id!r} in this workspace")
    if found.key is not None and found.key != key:
        raise AdoptRefused(f"{kind.value} {found.id} ({found.name!r}) is already managed as "
                           f"{address(kind, found.key)}; it cannot also be {target}. Write its file under "
                           f"{address(kind, found.key)} instead, or move it with a `moved:` entry")
    bound = [o for o in live.managed(kind).get(key, []) if o.id != found.id]
    if bound:
        other = bound[0]
        raise AdoptRefused(f"{target} is already bound to {kind.value} {other.id} ({other.name!r}); "
                           f"adopting {found.id} ({found.name!r}) too would give one address two objects. "
                           "Choose another address, or delete or rename the bound object first")
    return found


def adopted_name(kind: ResourceKind, key: str, prefix: str, current: str | None, spec: dict[str, Any] | None,
                 name_style: str = "any") -> str:
    """The marked name: the file's display name when given, else the object's current name as display."""
    if spec is not None:
        shown = spec.get("name")
    elif current and marker_key(kind, current, None, prefix, name_style) is not None:
        shown = display_part(current, prefix)
    else:
        shown = current
    return remote_name(kind, key, prefix, {"name": shown} if shown else {}, name_style)


async def adopt(
    client: PortkeyClient, target: str, remote_id: str, prefix: str, name_style: str = "any",
    spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Mark object ``remote_id`` as the managed object for address ``target``.

    ``name_style`` is the ``name_chars`` switch (engine.gitops.behaviour): the marked name is built by
    :func:`engine.gitops.live.remote_name`, so an ``ascii`` account gets ``gitops-support.triage``.
    ``spec`` is the declared file's content (its ``name`` is the display name); without it the object's
    current name is kept as the display name, as ``export`` writes it."""
    kind, key = split_address(target)
    kind_obj = KINDS[kind]
    operations = kind_obj.operations
    current = await client.call(operations.get, **{operations.id_arg: remote_id})
    if kind_obj.marked_in_description:
        if current.get("name") != key:
            raise AdoptRefused(
                f"label {remote_id} is named {current.get('name')!r}; a label's key must equal its name ({key!r})"
            )
        # idempotent: a label that already carries the marker keeps one
        body: dict[str, Any] = {"description": label_description(strip_label_mark(current.get("description")))}
        new_name = current.get("name")
    else:
        new_name = adopted_name(kind, key, prefix, current.get("name"), spec, name_style)
        body = {"name": new_name}
    if kind_obj.marked_in_description and current.get("description") == body["description"]:
        pass  # already marked: nothing to write
    elif not kind_obj.marked_in_description and current.get("name") == new_name:
        pass
    else:
        await client.call(operations.update, body=body,
                          **{operations.id_arg: kind_obj.target_id(remote_id, current.get("slug"))})
    return {"address": target, "id": current.get("id", remote_id), "slug": current.get("slug"), "name": new_name}


# What Portkey answers when it does not accept a request (the doctor's ``refused``): 400, 409, 422.
REFUSALS = (400, 409, 422)


@dataclass
class NameStyle:
    """The ``name_chars`` style adoptions use, and what taught it (empty while it is the one given)."""

    value: str = "any"
    learned: str = ""


async def adopt_in_style(
    client: PortkeyClient, target: str, remote_id: str, prefix: str, style: NameStyle,
    spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """:func:`adopt` in ``style``; when Portkey refuses the marked name (``gitops:support/triage · …``) and the
    ASCII form (``gitops-support.triage - …``) is accepted, the account is one whose names take ASCII only
    (the doctor's ``name_chars`` check, learned from this refusal): ``style`` switches to ``ascii`` for the
    adoptions after it. Any other failure is raised as it came."""
    try:
        return await adopt(client, target, remote_id, prefix, style.value, spec)
    except PortkeyAPIError as exc:
        if style.value == "ascii" or exc.status not in REFUSALS \
                or KINDS[split_address(target)[0]].marked_in_description:
            raise
        first = exc
    try:
        done = await adopt(client, target, remote_id, prefix, "ascii", spec)
    except PortkeyError:
        raise first from None
    style.value = "ascii"
    style.learned = (f"{target}: Portkey refused the marked name (HTTP {first.status}: {first.message}) and "
                     f"accepted {done['name']!r}")
    return done


def record_name_style(root: Path, style: NameStyle) -> Path:
    """Save a learned ``name_chars=ascii`` in ``root/.portkey/doctor.json`` (the doctor's file, which plans
    read), keeping any other switch a doctor run saved there. Returns the file's path."""
    from engine.gitops.behaviour import DOCTOR_FILE, DOCTOR_FORMAT, doctor_folder_links_out, load_behaviour

    path = root / DOCTOR_FILE
    folder = path.parent
    if doctor_folder_links_out(root):
        raise ValueError(f"{folder} links out of the project, so nothing is written there; replace the link with "
                         "a folder")
    # The file's own switches, as written: not the ones this process would trust (under CI a checkout's less
    # careful values are set aside, and a workflow pin is not the file's), which would be lost on rewriting it.
    current = load_behaviour(root, {})  # DoctorFileError for a broken file: nothing is overwritten
    document: dict[str, Any] = {"format": DOCTOR_FORMAT, "switches": {**current.values, "name_chars": style.value},
                                "findings": [], "notes": []}
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        document = {**saved, "switches": document["switches"], "notes": list(saved.get("notes") or [])}
    document["notes"].append(f"name_chars={style.value} learned while adopting: {style.learned}")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".doctor.", suffix=".tmp")
    try:  # written whole, then renamed over the file (a link at the path is replaced, never followed)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path


async def adopted_lock(client: PortkeyClient, root: Path, addresses: Iterable[str], previous: Lock | None) -> Lock:
    """``previous`` with entries for the just-adopted ``addresses``: the hash of what they hold now.

    Portkey cannot stamp an adopted prompt's version (see the module note), so the lock is where the
    adopted content is recorded: ``drift --lock`` then tells a later change in git from an edit in Portkey."""
    from engine.gitops.workflow import current_lock, plan_project

    planned = await plan_project(client, root)
    if planned.live is None or planned.plan.errors:
        raise AdoptRefused("the project could not be planned, so no lock was written: "
                           + "; ".join(planned.plan.errors[:3]))
    fresh = current_lock(planned)
    lock = previous or Lock(workspace=fresh.workspace)
    for target in addresses:
        if target in fresh.entries:
            lock.entries[target] = fresh.entries[target]
    return lock


def keeper(found: list[LiveObject], lock_entry: dict[str, Any] | None) -> tuple[LiveObject, str]:
    """Which of several objects carrying one key to keep, and why: the one the lock points to, else the
    one whose latest version carries our stamp of its own content, else the oldest (created_at, then id)."""
    ref = (lock_entry or {}).get("ref")
    for obj in found:
        if ref and ref in (obj.id, obj.slug):
            return obj, "the lock file points to it"
    from engine.gitops import kinds
    from engine.gitops.canonical import content_hash

    stamped = [o for o in found if KINDS[o.kind].stamped and kinds.stamped_hash(o) is not None
               and kinds.stamped_hash(o) == content_hash(kinds.live(o))]
    if len(stamped) == 1:
        return stamped[0], "its latest version carries this tool's stamp"
    oldest = min(found, key=lambda o: (str(o.raw.get("created_at") or "~"), o.id))
    return oldest, "it is the older"


def released_name(obj: LiveObject, key: str, prefix: str) -> str:
    """The name a duplicate gets when released from management: no marker, and not an adoption name."""
    shown = display_part(obj.name, prefix) or key
    return f"{shown} (duplicate {obj.id[:8]})"


async def resolve_duplicates(client: PortkeyClient, live: LiveState, keys: dict[ResourceKind, set[str]],
                             prefix: str, lock: Lock | None) -> list[str]:
    """Release every object but the keeper (see :func:`keeper`) of each declared key that several objects
    carry: each is renamed without our marker (a label loses the marker in its description); nothing is
    deleted. Returns one line per released object."""
    done = []
    for kind in sorted(live.objects, key=lambda k: k.value):
        grouped = live.managed(kind)
        for key, found in sorted(grouped.items()):
            if len(found) < 2 or key not in keys.get(kind, set()):
                continue
            target = address(kind, key)
            kept, why = keeper(found, lock.entries.get(target) if lock else None)
            for obj in found:
                if obj is kept:
                    continue
                operations = KINDS[kind].operations
                if KINDS[kind].marked_in_description:
                    body: dict[str, Any] = {"description": strip_label_mark(obj.raw.get("description")) or ""}
                else:
                    body = {"name": released_name(obj, key, prefix)}
                await client.call(operations.update, body=body,
                                  **{operations.id_arg: KINDS[kind].target_id(obj.id, obj.slug)})
                done.append(f"{target}: kept {kept.id} ({why}); released {obj.id} as {body.get('name', obj.name)!r}")
    return done
