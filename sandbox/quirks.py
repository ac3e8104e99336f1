"""Quirks: how the sandbox behaves where Portkey's real behaviour is thin on evidence, or where the
evidence disagrees with the spec.

Two groups, each a named quirk with a fixed set of values:

- the thin-evidence switches, named and valued exactly as the engine's switches
  (``engine/gitops/behaviour.py`` SWITCHES; a test keeps the two lists equal, the sandbox imports
  nothing from the engine): ``active_version``, ``versions_template``, ``label_write``,
  ``name_chars``, ``tool_choice_string``, ``policy_conditions_put``, ``listing_stamp``;
- the evidenced shapes, which the sandbox follows by default; each is a quirk too so the spec's shape
  can still be served: ``versions_envelope``, ``config_encoding``, ``parameters_echo``, ``prompt_shape``.

Set them with ``Sandbox(quirks={...})``, the ``Sandbox.quirks`` property, ``PUT /_sandbox/quirks``,
``portkey-gitops sandbox serve --quirk NAME=VALUE`` or, for a sandbox built without explicit quirks
(the CLI's embedded one), the environment variable ``PORTKEY_SANDBOX_QUIRKS=name=value,…``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_VAR = "PORTKEY_SANDBOX_QUIRKS"


@dataclass(frozen=True)
class Quirk:
    """One behaviour: its values (the first is the default) and what each value does."""

    name: str
    values: tuple[str, ...]
    meaning: str

    @property
    def default(self) -> str:
        return self.values[0]


QUIRKS: tuple[Quirk, ...] = (
    # --- thin evidence: the engine's switches, same names, values and defaults -----------------
    Quirk("active_version", ("published", "latest", "absent"),
          "which versions-list rows say status 'active': the published one, the newest one, or none "
          "(no status key at all)"),
    Quirk("versions_template", ("full", "partial", "absent"),
          "what `prompt_template` holds in a prompt versions list: every version field, only "
          "string/model/parameters, or no `prompt_template` at all"),
    Quirk("label_write", ("add", "replace"),
          "assigning a label to a version keeps (add) or removes (replace) that version's other labels"),
    Quirk("name_chars", ("any", "ascii"),
          "ascii: prompt, partial and collection names with characters outside ASCII letters, digits, "
          "'-', '_', '.' and ' ' are refused with 400 AB01"),
    Quirk("tool_choice_string", ("accepted", "refused"),
          "a prompt's `tool_choice` may be 'auto', 'none' or 'required' (accepted) or only an object"),
    Quirk("policy_conditions_put", ("accepted", "refused"),
          "PUT on rate- and usage-limit policies may change `conditions` (backend changelog v1.16.0) "
          "or refuses them with 400"),
    Quirk("listing_stamp", ("static", "moves"),
          "a prompt's or partial's listed `last_updated_at` moves only when its own fields change (name, "
          "collection, status: static) or also on a new version, a publish and a label change (moves)"),
    # --- evidenced shapes: the default is the real API's, the other value the spec's ------------
    Quirk("versions_envelope", ("wrapped", "bare"),
          "prompt and partial versions lists: {data:[…]} newest first (Terraform provider "
          "ListPromptVersions, Python SDK) or the spec's bare array, oldest first"),
    Quirk("config_encoding", ("string", "object"),
          "GET /configs/{slug} answers `config` as a JSON-encoded string (live configs-get.json) or "
          "as an object (spec)"),
    Quirk("parameters_echo", ("on", "off"),
          "a prompt's `parameters` also holds the template's variables as empty strings and `model` "
          "(live prompts-get.json; Terraform provider notes the API adds `model`) or only what was sent"),
    Quirk("prompt_shape", ("live", "spec"),
          "prompt reads carry every key live prompts-get.json shows (nulls kept, `is_raw_template` 0/1, "
          "`prompt_version_labels`, `variable_components`, `virtual_key` as a slug) or the spec's shape"),
)
BY_NAME: dict[str, Quirk] = {q.name: q for q in QUIRKS}


class QuirkError(ValueError):
    """An unknown quirk name or value; the message lists the valid ones."""


def check(name: str, value: str) -> None:
    """Raise QuirkError unless `name` is a quirk and `value` one of its values."""
    quirk = BY_NAME.get(name)
    if quirk is None:
        raise QuirkError(f"unknown quirk {name!r}; known quirks: {', '.join(BY_NAME)}")
    if value not in quirk.values:
        raise QuirkError(f"quirk {name} takes {' | '.join(quirk.values)}, not {value!r}")


@dataclass(frozen=True)
class Quirks:
    """The value of every quirk (defaults for those not given)."""

    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            if not isinstance(value, str):
                raise QuirkError(f"quirk {name} takes {' | '.join(BY_NAME[name].values) if name in BY_NAME else '?'}"
                                 f", not {value!r}")
            check(name, value)
        object.__setattr__(self, "values", {q.name: self.values.get(q.name, q.default) for q in QUIRKS})

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def with_values(self, **values: str) -> Quirks:
        """A copy with some quirks set."""
        return Quirks({**self.values, **values})

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: every quirk and its value."""
        return dict(self.values)

    @classmethod
    def from_dict(cls, data: Any) -> Quirks:
        """Parse `{name: value, …}`; unknown names or values raise QuirkError."""
        if not isinstance(data, Mapping):
            raise QuirkError("quirks must be an object of name: value")
        return cls(dict(data))

    @classmethod
    def parse(cls, items: list[str] | tuple[str, ...] | str) -> Quirks:
        """Parse `NAME=VALUE` items (a list, or one comma-separated string)."""
        if isinstance(items, str):
            items = [part for part in items.split(",") if part.strip()]
        values: dict[str, str] = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep:
                raise QuirkError(f"quirk {item.strip()!r} must be NAME=VALUE; known quirks: {', '.join(BY_NAME)}")
            check(name.strip(), value.strip())
            values[name.strip()] = value.strip()
        return cls(values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Quirks:
        """The quirks named in $PORTKEY_SANDBOX_QUIRKS (defaults when unset)."""
        text = (os.environ if environ is None else environ).get(ENV_VAR, "")
        try:
            return cls.parse(text)
        except QuirkError as exc:
            raise QuirkError(f"{ENV_VAR}: {exc}") from None


DEFAULT = Quirks()


def describe() -> str:
    """Every quirk with its values (default first), one per line, for usage errors and help."""
    return "\n".join(f"  {q.name}={'|'.join(q.values)}  ({q.meaning})" for q in QUIRKS)
