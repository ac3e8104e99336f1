"""The doctor's checks: each tries one assumption with scratch objects and says what Portkey did.

Answers are read in every shape the evidence shows (versions lists bare or ``{data: [...]}``, in
either order; integer booleans; labels under ``label_id``, ``label_ids`` or
``prompt_version_labels``), so a check judges Portkey's behaviour, not its envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from engine.gitops.answers import as_int, json_object, rows
from engine.gitops.behaviour import BY_NAME
from engine.gitops.cache import fine_stamps, stamp_of
from engine.gitops.doctor import (
    HOLDER_FIELD,
    POLICY,
    RELEASED,
    VERSION_LABEL,
    CheckFailed,
    Finding,
    Scratch,
    answer_id,
    describe,
    not_run,
)
from engine.gitops.kinds.base import META_KEY
from engine.gitops.kinds.prompt import PROMPT_VERSION_FIELDS
from engine.portkey import PortkeyError
from engine.portkey.errors import PortkeyAPIError
from engine.portkey.normalize import list_items

# check -> (the assumption, the behaviour switch it sets or None)
ASSUMPTIONS: dict[str, tuple[str, str | None]] = {
    "versions_list": ("a prompt's versions list is an array of version entries", None),
    "active_version": ("after publishing, the versions list marks only the published version 'active'",
                       "active_version"),
    "tool_choice_string": ("a prompt version takes tool_choice as the string 'auto'", "tool_choice_string"),
    "versions_template": ("a versions-list entry carries every compared field of its version (prompt_template)",
                          "versions_template"),
    "label_write": ("assigning a second label to a version keeps the first", "label_write"),
    "name_chars": ("names may hold ':', '/' and '·' (managed names look like 'gitops:support/triage · Display')",
                   "name_chars"),
    "rename": ("renaming a prompt keeps its id, slug, versions and published version", None),
    "paging": ("lists honour page_size and current_page", None),
    "policy_conditions_put": ("PUT on a rate-limit policy changes its conditions in place", "policy_conditions_put"),
    "listing_stamp": ("a prompt's listed last_updated_at moves on a new version, a publish and a label change",
                      "listing_stamp"),
}

MODEL = "gpt-4o-mini"
PLACEHOLDER_VIRTUAL_KEY = "gitops-doctor"
TOOL = {"type": "function", "function": {"name": "doctor_echo", "description": "Echo the text.",
                                         "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}
TOOL_CHOICE_OBJECT = {"type": "function", "function": {"name": "doctor_echo"}}
REFUSALS = (400, 409, 422)  # answers that mean "Portkey does not accept this", not "the check broke"


def refused(exc: BaseException) -> bool:
    """True for an answer that refuses the request itself (bad request, conflict, unprocessable)."""
    return isinstance(exc, PortkeyAPIError) and exc.status in REFUSALS


class Probe:
    """Runs the checks in order; later checks reuse the scratch prompt the first one made."""

    def __init__(self, scratch: Scratch) -> None:
        self.s = scratch
        self.client = scratch.client
        self.virtual_key = PLACEHOLDER_VIRTUAL_KEY
        self.prompt_id: str | None = None
        self.published: tuple[int, str] | None = None  # (number, id) of the version the first check published
        self.last_version: tuple[int, str] | None = None  # the newest version made
        self.prompts = 0  # prompts made in the scratch collection
        self._stamp_version: tuple[int, str] = (0, "")  # the version the listing_stamp check made
        self._found: list[Finding] = []

    async def choose_virtual_key(self, given: str | None, notes: list[str]) -> None:
        """The virtual key the scratch prompts use: the one given, else the first the account lists."""
        if given:
            self.virtual_key = given
            return
        try:
            items, _, _ = list_items(await self.client.call("list_virtual_keys", current_page=0, page_size=1))
        except (PortkeyError, ValueError) as exc:
            items = []
            notes.append(f"could not list virtual keys ({describe(exc)})")
        first = items[0] if items and isinstance(items[0], dict) else {}
        slug = first.get("slug") or first.get("id")
        if isinstance(slug, str) and slug:
            self.virtual_key = slug
            notes.append(f"scratch prompts use virtual key {slug!r} (the first listed; choose with --virtual-key)")
        else:
            notes.append(f"no virtual key found: scratch prompts use {PLACEHOLDER_VIRTUAL_KEY!r} "
                         "(pass --virtual-key SLUG if Portkey refuses it)")

    async def run_all(self) -> list[Finding]:
        checks: list[tuple[Callable[[], Awaitable[None]], tuple[str, ...]]] = [
            (self.versions, ("versions_list", "active_version")),
            (self.tool_choice, ("tool_choice_string",)),
            (self.template, ("versions_template",)),
            (self.labels, ("label_write",)),
            (self.name_chars, ("name_chars",)),
            (self.rename, ("rename",)),
            (self.paging, ("paging",)),
            (self.policy, ("policy_conditions_put",)),
            (self.listing_stamp, ("listing_stamp",)),
        ]
        findings: list[Finding] = []
        for check, names in checks:
            findings.extend(await self._run(check, names))
        return findings

    async def _run(self, check: Callable[[], Awaitable[None]], names: tuple[str, ...]) -> list[Finding]:
        """One check; its findings, with a not-run finding for each name it could not report."""
        self._found = []
        problem = "no result"
        try:
            await check()
        except (CheckFailed, PortkeyError) as exc:
            problem = describe(exc)
        except Exception as exc:  # an answer shaped like nothing we know: report it, never a traceback
            problem = f"unexpected answer ({describe(exc)})"
        reported = {f.check for f in self._found}
        return self._found + [not_run(name, problem) for name in names if name not in reported]

    def found(self, check: str, observed: str, value: str | None = None, *,
              engine: str | None = None, expected: bool | None = None) -> None:
        """Record a finding; a switch's engine text comes from behaviour.SWITCHES."""
        assumption, switch = ASSUMPTIONS[check]
        if switch is not None and value is not None:
            engine = BY_NAME[switch].engine[value]
            expected = value == BY_NAME[switch].default
        self._found.append(Finding(check, assumption, observed, engine or "", switch, value, expected))

    # ---- prompt bodies -------------------------------------------------------------------------

    def _fields(self, text: str) -> dict[str, Any]:
        return {"string": f"{text} {{{{topic}}}}", "parameters": {"temperature": 0}, "model": MODEL,
                "virtual_key": self.virtual_key}

    def _create_body(self, name: str, text: str) -> dict[str, Any]:
        assert self.s.collection_id is not None
        meta = {META_KEY: {"key": "doctor", "hash": self.s.token}}
        return {"name": name, HOLDER_FIELD: self.s.collection_id, **self._fields(text), "template_metadata": meta}

    def _update_body(self, text: str, **extra: Any) -> dict[str, Any]:
        # the fields the engine sends on a new version (the Terraform provider sends is_raw_template too)
        meta = {META_KEY: {"key": "doctor", "hash": self.s.token}}
        return {**self._fields(text), "is_raw_template": 0, "prompt_metadata": meta, **extra}

    async def _create_prompt(self, name: str, text: str) -> dict[str, Any]:
        answer = await self.s.create(RELEASED, name, self._create_body(name, text))
        self.prompts += 1
        return answer

    def _need_prompt(self) -> str:
        if self.prompt_id is None:
            raise CheckFailed("needs the scratch prompt, which the versions check could not make")
        return self.prompt_id

    async def _versions(self) -> tuple[Any, list[dict[str, Any]]]:
        raw = await self.client.call("list_prompt_versions", prompt_id=self._need_prompt())
        return raw, rows(raw)

    async def _new_version(self, answer: Any) -> tuple[int, str]:
        """The (number, id) of the version an update just made: by the id it answered, else the newest."""
        made = _version_id(answer)
        _, listed = await self._versions()
        numbered = [(number, str(row.get("id"))) for row in listed if (number := _number(row)) is not None]
        if not numbered:
            raise CheckFailed("the versions list holds no numbered versions")
        for number, version_id in numbered:
            if made is not None and version_id == made:
                return number, version_id
        return max(numbered)

    # ---- the checks ----------------------------------------------------------------------------

    async def versions(self) -> None:
        """Versions list shape, and which version is 'active' before and after makeDefault."""
        created = await self._create_prompt(self.s.name + "-versions", "doctor v1")
        self.prompt_id = answer_id(created)
        first_id = _version_id(created)
        second = await self._new_version(await self.client.call(
            "update_prompt", prompt_id=self.prompt_id, body=self._update_body("doctor v2")))
        raw, before = await self._versions()
        self._shape(raw, before)
        first = _entry(before, first_id, lowest=True)
        await self.client.call("publish_prompt", prompt_id=self.prompt_id, body={"version": second[0]})
        self.published = self.last_version = second
        _, after = await self._versions()
        served = as_int((await self.client.call("get_prompt", prompt_id=self.prompt_id)).get("prompt_version"))
        if served != second[0]:
            raise CheckFailed(f"after makeDefault {{version: {second[0]}}} GET /prompts/{{id}} serves "
                              f"version {served}, so which version is published cannot be told")
        statuses = [_status(first), _status(_entry(before, second[1])),
                    _status(_entry(after, first.get("id") if first else None, lowest=True)),
                    _status(_entry(after, second[1]))]
        value = judge_active(*statuses)
        shown = [s or "no status" for s in statuses]
        self.found("active_version", f"before publishing: v1 {shown[0]}, v2 {shown[1]}; "
                                     f"after publishing v2: v1 {shown[2]}, v2 {shown[3]}", value)

    def _shape(self, raw: Any, listed: list[dict[str, Any]]) -> None:
        if isinstance(raw, list):
            shape = "a bare array"
        elif isinstance(raw, dict) and isinstance(raw.get("data"), list):
            shape = "an object {data: [...]}"
        else:
            raise CheckFailed(f"the versions list is {type(raw).__name__}, neither an array nor {{data: [...]}}")
        numbers = [n for row in listed if (n := _number(row)) is not None]
        order = ("oldest first" if numbers == sorted(numbers) else
                 "newest first" if numbers == sorted(numbers, reverse=True) else "in no order")
        self.found("versions_list", f"{shape} of {len(listed)} entries, {order}",
                   engine="reads a bare or wrapped list in any order (numbers, not positions)", expected=True)

    async def tool_choice(self) -> None:
        """tool_choice 'auto' with tools: accepted and kept, or refused (then the object form is tried)."""
        prompt_id = self._need_prompt()
        try:
            answer = await self.client.call("update_prompt", prompt_id=prompt_id,
                                            body=self._update_body("doctor tools", tools=[TOOL], tool_choice="auto"))
        except PortkeyAPIError as exc:
            if not refused(exc):
                raise
            await self._tool_choice_object(prompt_id, exc)
            return
        self.last_version = await self._new_version(answer)
        kept = (await self.client.call("get_prompt", prompt_id=prompt_id, version=self.last_version[0])).get(
            "tool_choice")
        if kept == "auto":
            self.found("tool_choice_string", "accepted 'auto' and kept it", "accepted")
        else:
            self.found("tool_choice_string", f"accepted 'auto' but the version holds {_short(kept)}", "refused")

    async def _tool_choice_object(self, prompt_id: str, refusal: PortkeyAPIError) -> None:
        body = self._update_body("doctor tools", tools=[TOOL], tool_choice=TOOL_CHOICE_OBJECT)
        try:
            answer = await self.client.call("update_prompt", prompt_id=prompt_id, body=body)
        except PortkeyAPIError as exc:
            if refused(exc):
                raise CheckFailed(f"tools were refused with either form of tool_choice ({describe(exc)})") from None
            raise
        self.last_version = await self._new_version(answer)
        self.found("tool_choice_string", f"refused 'auto' (HTTP {refusal.status}: {refusal.message}); "
                                         "took the function-object form", "refused")

    async def template(self) -> None:
        """Does the versions-list entry of the newest version carry what reading that version gives?"""
        prompt_id = self._need_prompt()
        if self.last_version is None:
            raise CheckFailed("needs a second version, which the versions check could not make")
        number, version_id = self.last_version
        _, listed = await self._versions()
        entry = _entry(listed, version_id) or next((r for r in listed if _number(r) == number), None)
        if entry is None:
            raise CheckFailed(f"version {number} is not in the versions list")
        full = await self.client.call("get_prompt", prompt_id=prompt_id, version=number)
        wanted = [f for f in PROMPT_VERSION_FIELDS if full.get(f) not in (None, {}, [], "")]
        template = json_object(entry.get("prompt_template"))
        if template is None or template.get("string") is None:
            held = "no prompt_template" if template is None else "a prompt_template without 'string'"
            self.found("versions_template", f"the entry of v{number} holds {held}", "absent")
            return
        missing = [f for f in wanted if template.get(f) in (None, {}, [], "")]
        if missing:
            self.found("versions_template", f"the entry of v{number} lacks {', '.join(missing)} "
                                            "(reading the version gives them)", "partial")
        else:
            self.found("versions_template", f"the entry of v{number} holds every field reading it gives "
                                            f"({', '.join(wanted)})", "full")

    async def labels(self) -> None:
        """Two scratch labels on one version: does the first survive the second write?"""
        prompt_id = self._need_prompt()
        if self.published is None:
            raise CheckFailed("needs the version the versions check publishes")
        number, version_id = self.published
        made = []
        for suffix in ("a", "b"):
            name = f"{self.s.name}-{suffix}"
            body = {"name": name, "description": "portkey-gitops doctor scratch label", **self.s.ws()}
            made.append((str(answer_id(await self.s.create(VERSION_LABEL, name, body))), name))
        for label_id, _ in made:
            await self.client.call("update_prompt_version", prompt_id=prompt_id, version_id=version_id,
                                   body={"label_id": label_id})
        _, listed = await self._versions()
        shown = label_refs(_entry(listed, version_id) or {})
        shown |= label_refs(await self.client.call("get_prompt", prompt_id=prompt_id, version=number))
        first, second = ({label_id, name} & shown for label_id, name in made)
        if first:
            self.found("label_write", f"after assigning two labels to v{number} both are on it", "add")
        elif second:
            self.found("label_write", f"assigning the second label to v{number} removed the first", "replace")
        else:
            raise CheckFailed(f"after two label writes v{number} shows neither label (read label_ids, label_id, "
                              "prompt_version_labels and prompt_version_label_id)")

    async def name_chars(self) -> None:
        """A prompt named like a managed one: refused, changed or kept?"""
        self._need_prompt()  # the same fields made a prompt before, so a refusal is about the name
        wanted = f"{self.s.name}:doctor/x · Doctor"
        try:
            created = await self._create_prompt(wanted, "doctor name")
        except PortkeyAPIError as exc:
            if not refused(exc):
                raise
            self.found("name_chars", f"refused the name {wanted!r} (HTTP {exc.status}: {exc.message})", "ascii")
            return
        name = (await self.client.call("get_prompt", prompt_id=answer_id(created))).get("name")
        if name == wanted:
            self.found("name_chars", f"kept the name {wanted!r} exactly", "any")
        else:
            self.found("name_chars", f"stored the name {wanted!r} as {_short(name)}", "ascii")

    async def rename(self) -> None:
        """Rename the scratch prompt: the same object afterwards, with the same versions?"""
        prompt_id = self._need_prompt()
        before = await self.client.call("get_prompt", prompt_id=prompt_id)
        _, listed_before = await self._versions()
        new_name = self.s.name + "-renamed"
        await self.client.call("update_prompt", prompt_id=prompt_id, body={"name": new_name})  # as the engine does
        after = await self.client.call("get_prompt", prompt_id=prompt_id)
        _, listed_after = await self._versions()
        changed = [f"{key} {_short(before.get(key))} → {_short(after.get(key))}"
                   for key in ("id", "slug", "prompt_version") if before.get(key) != after.get(key)]
        if after.get("name") != new_name:
            changed.append(f"name is {_short(after.get('name'))}, not {new_name!r}")
        if len(listed_after) != len(listed_before):
            changed.append(f"{len(listed_before)} versions became {len(listed_after)}")
        if changed:
            self.found("rename", "renamed, but " + "; ".join(changed), expected=False,
                       engine="assumes renames are in place (markers and display names are renamed): avoid renaming "
                              "managed objects here and report this")
        else:
            self.found("rename", f"renamed in place: id, slug, published version and {len(listed_after)} "
                                 "versions unchanged", expected=True,
                       engine="renames (the marker, display names) are one in-place PUT; ids and slugs stay")

    async def paging(self) -> None:
        """Two one-item pages of the scratch collection's prompts: different items?"""
        if self.s.collection_id is None:
            raise CheckFailed("needs the scratch collection")
        while self.prompts < 2:
            await self._create_prompt(f"{self.s.name}-page{self.prompts}", "doctor page")
        query = {HOLDER_FIELD: self.s.collection_id, "page_size": 1, **self.s.ws()}
        pages = []
        for number in (0, 1):
            items, _, _ = list_items(await self.client.call(RELEASED.listing, current_page=number, **query))
            pages.append([answer_id(item) for item in items])
        first, second = pages
        if len(first) > 1:
            self.found("paging", f"page_size=1 answered {len(first)} items", expected=False,
                       engine="a list answered whole is complete once it reaches total; prune and create are "
                              "blocked when it does not")
        elif not first:
            raise CheckFailed(f"page 0 of the scratch collection (which holds {self.prompts} prompts) was empty")
        elif not second or second[0] in first:
            seen = "empty" if not second else "the same item again"
            self.found("paging", f"current_page=1 answered {seen}", expected=False,
                       engine="a page that repeats ids or stops short of total marks the listing incomplete: "
                              "prune and create stay blocked")
        else:
            self.found("paging", "page_size=1 gave one item per page; current_page=1 the next one",
                       expected=True, engine="lists are read page by page (100 a page) until total")

    async def policy(self) -> None:
        """A scratch rate-limit policy that matches no traffic: does PUT change its conditions?"""
        before = [{"key": "metadata.gitops_doctor", "value": self.s.token}]
        after = [{"key": "metadata.gitops_doctor", "value": self.s.token + "-changed"}]
        body = {"name": self.s.name, "conditions": before, "group_by": [{"key": "api_key"}], "type": "requests",
                "unit": "rpm", "value": 1000000, **self.s.ws()}
        policy_id = answer_id(await self.s.create(POLICY, self.s.name, body))
        update = {"name": self.s.name, "conditions": after, "unit": "rpm", "value": 1000000}
        try:
            await self.client.call("update_rate_limit", id=policy_id, body=update)
        except PortkeyAPIError as exc:
            if not refused(exc):
                raise
            self.found("policy_conditions_put", f"refused new conditions (HTTP {exc.status}: {exc.message})",
                       "refused")
            return
        read = await self.client.call("get_rate_limit", id=policy_id)
        held = _conditions((read.get("data") if isinstance(read.get("data"), dict) else read).get("conditions"))
        if held == _conditions(after):
            self.found("policy_conditions_put", "changed the conditions in place (same id)", "accepted")
        elif held == _conditions(before):
            self.found("policy_conditions_put", "answered OK but kept the old conditions", "refused")
        else:
            raise CheckFailed(f"after the PUT the policy's conditions read {_short(held)}")

    async def listing_stamp(self) -> None:
        """A scratch prompt's listed stamp, before and after a new version, a publish and a label change."""
        if self.s.collection_id is None:
            raise CheckFailed("needs the scratch collection")
        created = await self._create_prompt(self.s.name + "-stamp", "doctor stamp v1")
        prompt_id = str(answer_id(created))
        stamps = [await self._listed_stamp(prompt_id)]

        async def new_version() -> None:
            self._stamp_version = await self._new_version_of(prompt_id, await self.client.call(
                "update_prompt", prompt_id=prompt_id, body=self._update_body("doctor stamp v2")))

        async def publish() -> None:
            await self.client.call("publish_prompt", prompt_id=prompt_id, body={"version": self._stamp_version[0]})

        async def label() -> None:
            name = f"{self.s.name}-stamp"
            body = {"name": name, "description": "portkey-gitops doctor scratch label", **self.s.ws()}
            label_id = str(answer_id(await self.s.create(VERSION_LABEL, name, body)))
            await self.client.call("update_prompt_version", prompt_id=prompt_id, version_id=self._stamp_version[1],
                                   body={"label_id": label_id})

        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("a new version", new_version), ("a publish", publish), ("a label change", label)]
        moved: list[tuple[str, bool]] = []
        for what, step in steps:
            await anyio.sleep(stamp_wait(stamps[-1]))  # one resolution step, so a move can show
            await step()
            stamps.append(await self._listed_stamp(prompt_id))
            moved.append((what, stamps[-1] != stamps[-2]))
        shown = "; ".join(f"{what}: {'moved' if did else 'did not move'}" for what, did in moved)
        self.found("listing_stamp", f"{shown} (stamps {', '.join(stamps)})",
                   "moves" if all(did for _, did in moved) else "static")

    async def _listed_stamp(self, prompt_id: str) -> str:
        """The scratch prompt's stamp as the prompts listing (filtered to the scratch collection) shows it."""
        query = {HOLDER_FIELD: self.s.collection_id, "page_size": 100, **self.s.ws()}
        items, _, _ = list_items(await self.client.call(RELEASED.listing, current_page=0, **query))
        for item in items:
            if isinstance(item, dict) and str(answer_id(item)) == prompt_id:
                stamp = stamp_of(item)
                if stamp is None:
                    raise CheckFailed("the prompts listing carries no last_updated_at or updated_at")
                return stamp
        raise CheckFailed("the scratch prompt is not in the prompts listing of its collection")

    async def _new_version_of(self, prompt_id: str, answer: Any) -> tuple[int, str]:
        """The (number, id) of the version an update of ``prompt_id`` made: by its id, else the newest."""
        made = _version_id(answer)
        listed = rows(await self.client.call("list_prompt_versions", prompt_id=prompt_id))
        numbered = [(number, str(row.get("id"))) for row in listed if (number := _number(row)) is not None]
        if not numbered:
            raise CheckFailed("the versions list holds no numbered versions")
        return next(((n, i) for n, i in numbered if made is not None and i == made), max(numbered))


def stamp_wait(stamp: str) -> float:
    """Seconds to wait before a change so it can get another stamp: a second for whole-second stamps
    (live: ``…:03.000Z``), a few milliseconds for finer ones (the sandbox)."""
    return 0.02 if fine_stamps([{"last_updated_at": stamp}]) else 1.1


# ---- reading answers -----------------------------------------------------------------------------


def judge_active(first_before: str | None, second_before: str | None,
                 first_after: str | None, second_after: str | None) -> str:
    """The active_version value the four statuses show (v1 published at create, v2 published later)."""
    statuses = (first_before, second_before, first_after, second_after)
    if all(s is None for s in statuses):
        return "absent"
    if statuses == ("active", "archived", "archived", "active"):
        return "published"
    return "latest"


def label_refs(answer: Any) -> set[str]:
    """Label ids and names a version answer shows, in any of the fields Portkey uses."""
    found: set[str] = set()
    if not isinstance(answer, dict):
        return found
    for key in ("label_id", "prompt_version_label_id", "prompt_version_label_name"):
        if isinstance(answer.get(key), str):
            found.add(answer[key])
    for key in ("label_ids", "prompt_version_labels", "labels"):
        items = answer.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                found.add(item)
            elif isinstance(item, dict):
                found |= {str(item[k]) for k in ("id", "label_id", "name", "label_name") if item.get(k)}
    return found


def _version_id(answer: Any) -> str | None:
    if not isinstance(answer, dict):
        return None
    for holder in (answer, answer.get("data")):
        if isinstance(holder, dict):
            for key in ("prompt_version_id", "version_id"):
                if isinstance(holder.get(key), str) and holder[key]:
                    return str(holder[key])
    return None


def _number(row: dict[str, Any]) -> int | None:
    return as_int(row.get("prompt_version", row.get("version")))


def _entry(listed: list[dict[str, Any]], version_id: Any, *, lowest: bool = False) -> dict[str, Any] | None:
    """The entry with ``version_id``; without a match, the lowest-numbered one when ``lowest``."""
    for row in listed:
        if version_id is not None and str(row.get("id")) == str(version_id):
            return row
    if lowest:
        numbered = [row for row in listed if _number(row) is not None]
        return min(numbered, key=lambda row: _number(row) or 0) if numbered else None
    return None


def _status(row: dict[str, Any] | None) -> str | None:
    status = (row or {}).get("status", (row or {}).get("prompt_version_status"))
    return status if isinstance(status, str) else None


def _conditions(value: Any) -> list[tuple[str, str]] | None:
    if not isinstance(value, list):
        return None
    return sorted((str(c.get("key")), str(c.get("value"))) for c in value if isinstance(c, dict))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
