"""How the Portkey account behaves where the evidence is thin, and what the engine does about it.

Each :class:`Switch` is one assumption the engine depends on. Its default follows the best
evidence we have (recorded live answers, then Portkey's own clients, docs and changelog, then the
spec); ``portkey-gitops doctor`` tries it against a real account and saves what it saw in
``.portkey/doctor.json``, which :func:`load_behaviour` reads so the engine adapts.

The sandbox has a quirk of the same name and values for each switch (``sandbox.quirks``), so
tests run the engine under every value. The two lists are kept equal by a test, not by an import
(the sandbox imports nothing from the engine).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCTOR_FILE = ".portkey/doctor.json"
DOCTOR_FORMAT = 1
MAX_DOCTOR_BYTES = 256 * 1024


@dataclass(frozen=True)
class Switch:
    """One assumption: its values, the default, the evidence for the default and the engine's answer."""

    name: str
    values: tuple[str, ...]
    default: str
    evidence: str
    engine: dict[str, str] = field(default_factory=dict)  # value -> what the engine does then


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "active_version", ("published", "latest", "absent"), "published",
        "successor MCP server's wording: a new version is 'archived' until published, the published one 'active'",
        {"published": "the versions list's single 'active' row is the published version (no extra read)",
         "latest": "status says nothing about publishing: read GET /prompts/{id} for the published version",
         "absent": "no status in the list: read GET /prompts/{id} for the published version"},
    ),
    Switch(
        "versions_template", ("full", "partial", "absent"), "full",
        "spec: PromptVersionSummary.prompt_template is an object; no live sample",
        {"full": "compare from the versions list (one read per prompt)",
         "partial": "a list entry missing a compared field: read that version (GET ?version=N)",
         "absent": "read the latest version (GET ?version=N)"},
    ),
    Switch(
        "label_write", ("add", "replace"), "add",
        "Terraform provider assigns one label per update; no evidence either way on other labels",
        {"add": "a label is added to a version, others stay",
         "replace": "a version holds one label: two labels on one version is a plan error"},
    ),
    Switch(
        "name_chars", ("any", "ascii"), "any",
        "live names seen: letters, digits, '-', '_', spaces; ':' '/' and '·' are untested",
        {"any": "managed names look like 'gitops:support/triage · Display'",
         "ascii": "managed names use only ASCII letters, digits, '-', '_', '.' and spaces: "
                  "'gitops-support.triage - Display'"},
    ),
    Switch(
        "tool_choice_string", ("accepted", "refused"), "accepted",
        "Portkey proxies OpenAI's tool_choice ('auto', 'none', 'required' or a function object); spec: object only",
        {"accepted": "tool_choice is sent as written",
         "refused": "'auto' is left out (the default with tools); 'none'/'required' are a plan error"},
    ),
    Switch(
        "policy_conditions_put", ("accepted", "refused"), "accepted",
        "backend changelog v1.16.0: PUT on usage- and rate-limit policies accepts conditions",
        {"accepted": "a change of conditions updates the policy in place (its counters stay)",
         "refused": "a change of conditions replaces the policy (delete + create; counters reset)"},
    ),
    Switch(
        "listing_stamp", ("static", "moves"), "static",
        "undocumented: live lists carry last_updated_at (prompts-list.json, configs-list.json) at 1 s resolution; "
        "nothing says a new version, a publish or a label change moves the prompt's or partial's stamp",
        {"static": "every plan reads every prompt's and partial's versions (no plan cache is kept)",
         "moves": "a warm plan reads only objects whose listing entry changed since the cache was written "
                  "(listing pages only when nothing changed)"},
    ),
)
BY_NAME: dict[str, Switch] = {s.name: s for s in SWITCHES}


@dataclass(frozen=True)
class Behaviour:
    """The value of every switch for one account (defaults unless a doctor result says otherwise)."""

    values: dict[str, str] = field(default_factory=lambda: {s.name: s.default for s in SWITCHES})
    source: str = "defaults"  # "defaults" or the doctor file's path

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, BY_NAME[name].default)

    def with_values(self, **values: str) -> Behaviour:
        """A copy with some switches set (tests, and the doctor's findings)."""
        for name, value in values.items():
            check(name, value)
        return Behaviour({**self.values, **values}, self.source)


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


def load_behaviour(root: Path) -> Behaviour:
    """The behaviour in ``root/.portkey/doctor.json``, or the defaults when there is none.

    The file must be a regular file inside the project; a broken one raises DoctorFileError.
    """
    from engine.gitops.loading.context import UnsafeFileError, read_confined

    path = root / DOCTOR_FILE
    if not path.exists() and not path.is_symlink():
        return DEFAULT
    try:
        data = json.loads(read_confined(root, path, MAX_DOCTOR_BYTES).decode("utf-8"))
    except (UnsafeFileError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise DoctorFileError(f"{DOCTOR_FILE} cannot be used ({exc}); run `portkey-gitops doctor` again "
                              "or delete it") from None
    return Behaviour(_values(data), DOCTOR_FILE)


def _values(data: Any) -> dict[str, str]:
    if not isinstance(data, dict) or data.get("format") != DOCTOR_FORMAT or not isinstance(data.get("switches"), dict):
        raise DoctorFileError(f"{DOCTOR_FILE} has an unknown format; run `portkey-gitops doctor` again or delete it")
    values = {s.name: s.default for s in SWITCHES}
    for name, value in data["switches"].items():
        if name in BY_NAME and isinstance(value, str) and value in BY_NAME[name].values:
            values[name] = value
    return values
