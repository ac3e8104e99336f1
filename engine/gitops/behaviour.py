"""How the Portkey account behaves where the evidence is thin, and what the engine does about it.

Each :class:`Switch` is one assumption the engine depends on. Its default follows the best
evidence we have (recorded live answers, then Portkey's own clients, docs and changelog, then the
spec); ``portkey-gitops doctor`` tries it against a real account and saves what it saw in
``.portkey/doctor.json``, which :func:`load_behaviour` reads so the engine adapts.

The sandbox has a quirk of the same name and values for each switch (``sandbox.quirks``), so
tests run the engine under every value. The two lists are kept equal by a test, not by an import
(the sandbox imports nothing from the engine).

Who may set a switch. ``doctor.json`` lies in the checkout, so under CI (``CI`` or ``GITHUB_ACTIONS``
true) it is whatever the commit being planned says, a pull request's included. Each switch therefore
ranks its values by caution (``Switch.caution``: more reads, fewer objects taken as managed, refusals
rather than guesses, no delete where an update would do); under CI a value from the checkout is used
only when it is at least as careful as the trusted one, else the trusted one is used and the plan's
warnings say so. The trusted value is the default, or the one the workflow (reviewed apart from the
project files) pins with ``PORTKEY_GITOPS_BEHAVIOUR=name=value,name=value``. Outside CI the checkout
is the user's own and its doctor result is taken as it is (a pinned switch is still a floor).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCTOR_FILE = ".portkey/doctor.json"
DOCTOR_FORMAT = 1
MAX_DOCTOR_BYTES = 256 * 1024
BEHAVIOUR_VARIABLE = "PORTKEY_GITOPS_BEHAVIOUR"  # switches the workflow pins: "name=value,name=value"
CI_VARIABLES = ("CI", "GITHUB_ACTIONS")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def under_ci(environ: Mapping[str, str]) -> bool:
    """Whether the process runs in a CI job (``CI`` or ``GITHUB_ACTIONS`` set to true, as runners do)."""
    return any(environ.get(name, "").strip().lower() in TRUE_WORDS for name in CI_VARIABLES)


@dataclass(frozen=True)
class Switch:
    """One assumption: its values, the default, the evidence for the default and the engine's answer."""

    name: str
    values: tuple[str, ...]
    default: str
    evidence: str
    engine: dict[str, str] = field(default_factory=dict)  # value -> what the engine does then
    caution: dict[str, int] = field(default_factory=dict)  # value -> how careful (higher: more); see the module note


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "active_version", ("published", "latest", "absent"), "published",
        "successor MCP server's wording: a new version is 'archived' until published, the published one 'active'",
        {"published": "the versions list's single 'active' row is the published version (no extra read)",
         "latest": "status says nothing about publishing: read GET /prompts/{id} for the published version",
         "absent": "no status in the list: read GET /prompts/{id} for the published version"},
        # caution: trusting the list's status reads less than asking each prompt
        caution={"published": 0, "latest": 1, "absent": 1},
    ),
    Switch(
        "versions_template", ("full", "partial", "absent"), "full",
        "spec: PromptVersionSummary.prompt_template is an object; no live sample",
        {"full": "compare from the versions list (one read per prompt)",
         "partial": "a list entry missing a compared field: read that version (GET ?version=N)",
         "absent": "read the latest version (GET ?version=N)"},
        # caution: each step reads more versions
        caution={"full": 0, "partial": 1, "absent": 2},
    ),
    Switch(
        "label_write", ("add", "replace"), "add",
        "Terraform provider assigns one label per update; no evidence either way on other labels",
        {"add": "a label is added to a version, others stay",
         "replace": "a version holds one label: two labels on one version is a plan error"},
        # caution: 'add' on an account that replaces would hide a label's removal; 'replace' refuses instead
        caution={"add": 0, "replace": 1},
    ),
    Switch(
        "name_chars", ("any", "ascii"), "any",
        "live names seen: letters, digits, '-', '_', spaces; ':' '/' and '·' are untested",
        {"any": "managed names look like 'gitops:support/triage · Display'",
         "ascii": "managed names use only ASCII letters, digits, '-', '_', '.' and spaces: "
                  "'gitops-support.triage - Display'"},
        # caution: 'ascii' takes both name styles as managed: more objects adopted, renamed or pruned
        caution={"ascii": 0, "any": 1},
    ),
    Switch(
        "tool_choice_string", ("accepted", "refused"), "accepted",
        "Portkey proxies OpenAI's tool_choice ('auto', 'none', 'required' or a function object); spec: object only",
        {"accepted": "tool_choice is sent as written",
         "refused": "'auto' is left out (the default with tools); 'none'/'required' are a plan error"},
        # caution: 'refused' stops a plan rather than send a guess
        caution={"accepted": 0, "refused": 1},
    ),
    Switch(
        "policy_conditions_put", ("accepted", "refused"), "accepted",
        "backend changelog v1.16.0: PUT on usage- and rate-limit policies accepts conditions",
        {"accepted": "a change of conditions updates the policy in place (its counters stay)",
         "refused": "a change of conditions replaces the policy (delete + create; counters reset)"},
        # caution: 'refused' deletes and creates a policy (its counters reset) where 'accepted' updates
        caution={"refused": 0, "accepted": 1},
    ),
    Switch(
        "listing_stamp", ("static", "moves"), "static",
        "undocumented: live lists carry last_updated_at (prompts-list.json, configs-list.json) at 1 s resolution; "
        "nothing says a new version, a publish or a label change moves the prompt's or partial's stamp",
        {"static": "every plan reads every prompt's and partial's versions (no plan cache is kept)",
         "moves": "a warm plan reads only objects whose listing entry changed since the cache was written "
                  "(listing pages only when nothing changed)"},
        # caution: 'moves' trusts the plan cache; 'static' reads everything
        caution={"moves": 0, "static": 1},
    ),
)
BY_NAME: dict[str, Switch] = {s.name: s for s in SWITCHES}


@dataclass(frozen=True)
class Behaviour:
    """The value of every switch for one account (defaults unless a doctor result says otherwise)."""

    values: dict[str, str] = field(default_factory=lambda: {s.name: s.default for s in SWITCHES})
    source: str = "defaults"  # "defaults", the doctor file's path or BEHAVIOUR_VARIABLE
    notes: tuple[str, ...] = ()  # switches of the doctor file that were not used, and why (plan warnings)

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, BY_NAME[name].default)

    def with_values(self, **values: str) -> Behaviour:
        """A copy with some switches set (tests, and the doctor's findings)."""
        for name, value in values.items():
            check(name, value)
        return Behaviour({**self.values, **values}, self.source, self.notes)


DEFAULT = Behaviour()


class DoctorFileError(ValueError):
    """A doctor result that cannot be used (says which file and what to do)."""


def check(name: str, value: str) -> None:
    """Raise ValueError unless ``name`` is a switch and ``value`` one of its values."""
    switch = BY_NAME.get(name)
    if switch is None:
        raise ValueError(f"unknown switch {name!r}; known: {', '.join(BY_NAME)}")
    if value not in switch.values:
        raise ValueError(f"switch {name} takes {', '.join(switch.values)}, not {value!r}")


def doctor_folder_links_out(root: Path) -> bool:
    """Whether the folder doctor.json is written to (``root/.portkey``) is a link or lies outside ``root``: then
    nothing is written there."""
    folder = (root / DOCTOR_FILE).parent
    return folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(root.resolve()))


def load_behaviour(root: Path, environ: Mapping[str, str] | None = None) -> Behaviour:
    """The behaviour in ``root/.portkey/doctor.json`` within what ``environ`` (default: the process's) trusts.

    The file must be a regular file inside the project; a broken one, or a broken BEHAVIOUR_VARIABLE, raises
    DoctorFileError. Without either, the defaults. Under CI a switch of the file less careful than its default
    or its pinned value is not used (one note each); see the module note.
    """
    from engine.gitops.loading.context import UnsafeFileError, read_confined

    environ = os.environ if environ is None else environ
    pins = pinned(environ.get(BEHAVIOUR_VARIABLE, ""))
    path = root / DOCTOR_FILE
    if not path.exists() and not path.is_symlink():
        if not pins:
            return DEFAULT
        return Behaviour({s.name: pins.get(s.name, s.default) for s in SWITCHES}, BEHAVIOUR_VARIABLE)
    try:
        data = json.loads(read_confined(root, path, MAX_DOCTOR_BYTES).decode("utf-8"))
    except (UnsafeFileError, OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DoctorFileError(f"{DOCTOR_FILE} cannot be used ({exc}); run `portkey-gitops doctor` again "
                              "or delete it") from None
    return trusted(_values(data), pins, under_ci(environ))


def trusted(saved: Mapping[str, str], pins: Mapping[str, str], ci: bool) -> Behaviour:
    """The switches of a doctor file (``saved``) that may be used: each at least as careful as its floor, the
    pinned value, or under CI (``ci``) the default; a less careful one gives way to the floor, with a note."""
    values: dict[str, str] = {}
    notes: list[str] = []
    for switch in SWITCHES:
        if switch.name not in saved:
            values[switch.name] = pins.get(switch.name, switch.default)
            continue
        want = saved[switch.name]
        floor = pins.get(switch.name, switch.default if ci else None)
        if floor is None or switch.caution.get(want, 0) >= switch.caution.get(floor, 0):
            values[switch.name] = want
            continue
        values[switch.name] = floor
        where = f"{BEHAVIOUR_VARIABLE}'s {floor}" if switch.name in pins else f"the default, {floor}"
        notes.append(f"{DOCTOR_FILE} sets {switch.name}={want}, less careful than {where}: not used"
                     + (" (under CI the checkout may come from a pull request; where the account needs it, pin it in "
                        f"the workflow: {BEHAVIOUR_VARIABLE}={switch.name}={want})" if switch.name not in pins else ""))
    return Behaviour(values, f"{DOCTOR_FILE}, {BEHAVIOUR_VARIABLE}" if pins else DOCTOR_FILE, tuple(notes))


def pinned(text: str) -> dict[str, str]:
    """The switches BEHAVIOUR_VARIABLE pins (``name=value`` items separated by commas or spaces)."""
    pins: dict[str, str] = {}
    for item in re.split(r"[\s,;]+", text.strip()):
        if not item:
            continue
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(f"{item!r} is not name=value")
            check(name.strip(), value.strip())
        except ValueError as exc:
            shown = "".join(ch if ch.isprintable() else "?" for ch in str(exc))[:200]
            raise DoctorFileError(f"{BEHAVIOUR_VARIABLE} cannot be used: {shown}; write it as name=value,name=value"
                                  ) from None
        pins[name.strip()] = value.strip()
    return pins


def _values(data: Any) -> dict[str, str]:
    """The valid switches a doctor file sets (unknown names and values are left out: the default holds)."""
    if not isinstance(data, dict) or data.get("format") != DOCTOR_FORMAT or not isinstance(data.get("switches"), dict):
        raise DoctorFileError(f"{DOCTOR_FILE} has an unknown format; run `portkey-gitops doctor` again or delete it")
    return {name: value for name, value in data["switches"].items()
            if name in BY_NAME and isinstance(value, str) and value in BY_NAME[name].values}
