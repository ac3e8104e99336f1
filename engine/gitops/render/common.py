"""What both human forms say, worked out from the plan JSON alone.

The terminal and markdown renderers differ only in how they draw; the words,
counts, order and value formatting come from here, so they cannot disagree.
Every reader uses only the documented plan fields and never ``before``,
``after`` or ``payload`` (which may hold content a reviewer should not see).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from engine.gitops.model import ResourceKind
from engine.gitops.plan import FORMAT_VERSION, SYMBOLS, Action

VALUE_LIMIT = 200
IMPORT_HINT = "portkey-gitops import <dir> <address> <id>"
NO_CHANGES = "No changes. The Portkey account matches the repository."
BLOCKED_TITLE = "Plan blocked by safety rules:"
DRIFT_TITLE = "Changed in Portkey outside git:"
ADOPTABLE_TITLE = f"Unmanaged objects that match a resource; run `{IMPORT_HINT}` to adopt:"

# Column order of the counts table (enum order).
ACTION_ORDER: list[str] = [a.value for a in Action]

# The action that names a change (its symbol and colour) when it has several.
_PRIMARY_ORDER: list[str] = [
    a.value
    for a in (
        Action.REPLACE,
        Action.DELETE,
        Action.ARCHIVE,
        Action.CREATE,
        Action.MOVE,
        Action.ADOPT,
        Action.NEW_VERSION,
        Action.UPDATE,
        Action.PUBLISH,
        Action.LABEL,
        Action.NOOP,
    )
]

# One-line total: (action, wording, shown even at zero).
_TOTAL_WORDS: list[tuple[str, str, str, bool]] = [
    ("create", "{n} to create", "{n} to create", True),
    ("new_version", "{n} new version", "{n} new versions", False),
    ("publish", "{n} to publish", "{n} to publish", False),
    ("label", "{n} label move", "{n} label moves", False),
    ("update", "{n} to update", "{n} to update", False),
    ("replace", "{n} to replace", "{n} to replace", False),
    ("move", "{n} to rename", "{n} to rename", False),
    ("adopt", "{n} to adopt", "{n} to adopt", False),
    ("archive", "{n} to archive", "{n} to archive", False),
    ("delete", "{n} to delete", "{n} to delete", True),
]

_OP_SYMBOLS = {"add": "+", "remove": "-", "change": "~"}

# Characters that can move the cursor, recolour, reorder or hide text: C0/C1 controls (ESC, CR, BS …),
# format characters (bidi overrides and isolates, zero-width marks), line/paragraph separators, surrogates.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def visible(text: object, *, keep_tabs: bool = True) -> str:
    """``text`` with every control, format and separator character shown as an escape (``\\x1b``, ``\\u202e``).

    Live names, diff lines and messages pass through here before any renderer draws them, so
    nothing from Portkey or a file can drive a terminal or hide text from a reviewer.
    """
    text = str(text)
    if text.isprintable() and text.isascii():
        return text
    return "".join(_visible_char(ch, keep_tabs) for ch in text)


def _visible_char(ch: str, keep_tabs: bool) -> str:
    if (ch == "\t" and keep_tabs) or unicodedata.category(ch) not in _HIDDEN_CATEGORIES:
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def check_format(plan: dict[str, Any]) -> None:
    """Refuse a plan whose major format version this engine does not know."""
    version = str(plan.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ValueError(f"plan format {version or '(none)'} is not supported (expected {FORMAT_VERSION})")


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 request`` / ``3 requests``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# ---------------------------------------------------------------- header


def header_fields(plan: dict[str, Any]) -> dict[str, str]:
    """Environment, workspace, short git sha and dirty flag, and the live-read cost, as display strings."""
    source = plan.get("source") or {}
    sha = str(source.get("git_sha") or "")
    git = sha[:7] if sha else "(not a git checkout)"
    if source.get("dirty"):
        git += " (dirty)"
    return {
        "environment": str(plan.get("environment") or "(default)"),
        "workspace": str(plan.get("workspace") or "(default)"),
        "git": git,
        "sha": sha[:7] if sha else "(not a git checkout)",
        "dirty": "(dirty)" if source.get("dirty") else "",
        "requests": f"Reading live state: {plural(int(plan.get('requests') or 0), 'HTTP request')}",
    }


# ---------------------------------------------------------------- actions and counts


_REPLACE_PAIR = sorted([Action.DELETE.value, Action.CREATE.value])


def actions_of(change: dict[str, Any]) -> list[str]:
    """The change's actions; a replace (``["delete", "create"]`` in the JSON) as the one action ``replace``."""
    actions = [str(a) for a in change.get("actions") or []]
    return [Action.REPLACE.value] if sorted(actions) == _REPLACE_PAIR else actions


def text_of(item: Any) -> str:
    """The sentence of a reason or risk note (``message``) or of an error, block or warning (``text``)."""
    if isinstance(item, dict):
        return str(item.get("text") or item.get("message") or "")
    return str(item)


def texts(items: Any) -> list[str]:
    return [text_of(item) for item in items or []]


def is_noop(change: dict[str, Any]) -> bool:
    return all(a == Action.NOOP.value for a in actions_of(change))


def primary_action(actions: list[str]) -> str:
    """The action that gives a multi-action change its symbol and colour."""
    for candidate in _PRIMARY_ORDER:
        if candidate in actions:
            return candidate
    return actions[0] if actions else Action.NOOP.value


def symbol(actions: list[str]) -> str:
    try:
        return SYMBOLS[Action(primary_action(actions))]
    except ValueError:  # an action added by a newer minor format
        return "?"


def tone(actions: list[str]) -> str:
    """``create`` (green), ``destroy`` (red), ``change`` (yellow) or ``noop``."""
    action = primary_action(actions)
    if action == Action.CREATE.value:
        return "create"
    if action in (Action.DELETE.value, Action.ARCHIVE.value, Action.REPLACE.value):
        return "destroy"
    if action == Action.NOOP.value:
        return "noop"
    return "change"


def action_tone(action: str) -> str:
    return tone([action])


def changes_in_order(plan: dict[str, Any], *, show_noop: bool = False) -> list[dict[str, Any]]:
    """Changes in apply order (``order``, then position), noops dropped unless asked for."""
    indexed = list(enumerate(plan.get("changes") or []))
    indexed.sort(key=lambda pair: (int(pair[1].get("order") or 0), pair[0]))
    return [c for _, c in indexed if show_noop or not is_noop(c)]


def summary(plan: dict[str, Any]) -> dict[str, int]:
    """Count of each action; the JSON's ``summary``."""
    return {str(k): int(v) for k, v in (plan.get("summary") or {}).items()}


def has_changes(plan: dict[str, Any]) -> bool:
    return bool(plan.get("has_changes"))


def _kind_rank(kind: str) -> tuple[int, str]:
    kinds = [k.value for k in ResourceKind]
    return (kinds.index(kind), "") if kind in kinds else (len(kinds), kind)


CountRows = list[tuple[str, list[int]]]


def count_table(plan: dict[str, Any], *, show_noop: bool = False) -> tuple[list[str], CountRows]:
    """Columns (actions) and rows (kind, counts) from ``summary_by_kind``; empty if nothing to show."""
    by_kind: dict[str, dict[str, int]] = plan.get("summary_by_kind") or {}
    shown = [a for a in ACTION_ORDER if show_noop or a != Action.NOOP.value]
    extra = sorted({a for counts in by_kind.values() for a in counts} - set(ACTION_ORDER))
    columns = [a for a in [*shown, *extra] if any(counts.get(a) for counts in by_kind.values())]
    rows = [
        (kind, [int(by_kind[kind].get(a) or 0) for a in columns])
        for kind in sorted(by_kind, key=_kind_rank)
        if any(by_kind[kind].get(a) for a in columns)
    ]
    return (columns, rows) if rows else ([], [])


def total_line(plan: dict[str, Any]) -> str:
    """``Plan: 2 to create, 1 new version, 1 to publish, 0 to delete.`` or the no-changes sentence."""
    if not has_changes(plan):
        if plan.get("errors"):
            return "No changes planned, but the plan has errors (see above)."
        if plan.get("blocked"):  # what a safety rule stopped is not in the changes: the account does not match
            return "No changes can be applied: the plan is blocked by a safety rule (see above)."
        return NO_CHANGES
    counts = summary(plan)
    parts = [
        (one if counts.get(action, 0) == 1 else many).format(n=counts.get(action, 0))
        for action, one, many, always in _TOTAL_WORDS
        if always or counts.get(action, 0)
    ]
    return "Plan: " + ", ".join(parts) + "."


def risk_lines(plan: dict[str, Any]) -> list[str]:
    """The planner's ``risk_summary`` sentences, then counts derived from actions and risks."""
    lines = texts(plan.get("risk_summary"))
    counts = summary(plan)
    risks: dict[str, int] = {}
    for change in plan.get("changes") or []:
        for risk in change.get("risks") or []:
            risks[str(risk)] = risks.get(str(risk), 0) + 1
    if n := counts.get("publish", 0):
        lines.append(f"{plural(n, 'publish', 'publishes')} {'moves' if n == 1 else 'move'} "
                     f"the default version callers are served: {_addresses(plan, 'publish')}")
    if n := counts.get("label", 0):
        lines.append(f"{plural(n, 'label move')} {'changes' if n == 1 else 'change'} "
                     f"what callers of those labels are served: {_addresses(plan, 'label')}")
    removed = [
        plural(counts[a], word)
        for a, word in (("delete", "delete"), ("archive", "archive"), ("replace", "replace"))
        if counts.get(a)
    ]
    if removed:
        verb = " removes" if sum(counts.get(a, 0) for a in ("delete", "archive", "replace")) == 1 else " remove"
        lines.append(" and ".join(removed) + verb + " objects from Portkey"
                     + (" (a replaced object gets a new id and slug)" if counts.get("replace") else "")
                     + ": " + _addresses(plan, "delete", "archive", "replace"))
    if n := risks.get("changes_secret", 0):
        lines.append(f"{plural(n, 'change')} {'sets' if n == 1 else 'set'} or rotate{'s' if n == 1 else ''}"
                     " a secret")
    if n := risks.get("live_at_once", 0):
        lines.append(f"{plural(n, 'change')} {'is' if n == 1 else 'are'} live for callers as soon as applied")
    return lines


def _addresses(plan: dict[str, Any], *actions: str, most: int = 10) -> str:
    """Addresses of the changes carrying any of ``actions``, at most ``most`` then ``…``."""
    found = [str(c.get("address", "")) for c in changes_in_order(plan) if set(actions_of(c)) & set(actions)]
    return ", ".join(found[:most]) + (", …" if len(found) > most else "")


# ---------------------------------------------------------------- one change


def heading(change: dict[str, Any]) -> tuple[str, str, str]:
    """(symbol, address, actions joined by ``", "``; a replace says it deletes, then creates)."""
    actions = actions_of(change)
    words = ", ".join("replace: delete, then create" if a == Action.REPLACE.value else a for a in actions)
    return symbol(actions), str(change.get("address", "")), words


def replace_reason(change: dict[str, Any]) -> str | None:
    """``must be replaced: <first reason>`` for a replace, else None."""
    if Action.REPLACE.value not in actions_of(change):
        return None
    reasons = texts(change.get("reasons"))
    return "must be replaced: " + reasons[0] if reasons else "must be replaced"


def reasons(change: dict[str, Any]) -> list[str]:
    """Reasons to list as bullets (the first one of a replace is already in its loud line)."""
    items = texts(change.get("reasons"))
    return items[1:] if Action.REPLACE.value in actions_of(change) else items


def remote_line(change: dict[str, Any]) -> str | None:
    """``id cfg_1 · slug pc-default-1a2b`` when the change has a remote object."""
    remote = change.get("remote") or {}
    parts = [f"{key} {remote[key]}" for key in ("id", "slug") if remote.get(key) not in (None, "")]
    return " · ".join(parts) or None


def _v(value: Any) -> str:
    return f"v{value}"


def version_line(change: dict[str, Any]) -> str | None:
    """Version semantics in words, e.g. ``v13 (new, unpublished) → label staging; default stays v12``.

    Reads ``remote.version`` (latest live version), ``remote.published_version`` (the live default),
    and the optional ``remote.next_version`` (the version this change makes or publishes; by default
    1 for a create, the latest + 1 for a new version, else the latest) and ``remote.labels`` (labels
    moved to it). None when the change moves no version pointer or nothing is known to say.
    """
    actions = actions_of(change)
    create, new, publish, label = (
        a.value in actions for a in (Action.CREATE, Action.NEW_VERSION, Action.PUBLISH, Action.LABEL)
    )
    if not (new or publish or label):
        return None
    remote = change.get("remote") or {}
    default = remote.get("published_version")
    latest = remote.get("version")
    target = remote.get("next_version")
    if target is None:
        if create:
            target = 1
        elif not new:
            target = latest
        elif isinstance(latest, int):
            target = latest + 1
    if create or new:
        subject = _v(target) if target is not None else "a new version"
        subject += " (new)" if publish or create else " (new, unpublished)"
    else:
        subject = _v(target) if target is not None else ""
    labels = [str(x) for x in remote.get("labels") or []]
    if label and labels:
        subject = f"{subject} → label{'s' if len(labels) > 1 else ''} {', '.join(labels)}".strip()
    if not subject:
        return None
    if publish:
        if default is not None and target is not None:
            return f"{subject}; default {_v(default)} → {_v(target)}"
        return f"{subject}; becomes the default"
    if default is not None and not create:
        return f"{subject}; default stays {_v(default)}"
    return subject


def is_secret(value: Any) -> bool:
    """A redaction marker: ``(secret)`` or a variant such as ``(secret, fingerprint a1b2…)``."""
    return isinstance(value, str) and value.startswith("(secret") and value.endswith(")")


def format_value(value: Any, limit: int = VALUE_LIMIT) -> str:
    """Compact JSON, redaction markers verbatim, cut at ``limit`` characters with ``…``."""
    if is_secret(value):
        return str(value)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def path_diffs(change: dict[str, Any]) -> list[tuple[str, str]]:
    """Path-level diff lines as (op symbol, text): ``("~", "targets[1].weight: 0.5 → 0.7")``."""
    lines: list[tuple[str, str]] = []
    for entry in change.get("diff") or []:
        op = str(entry.get("op", ""))
        path = str(entry.get("path", ""))
        before, after = entry.get("before"), entry.get("after")
        if op == "add":
            text = f"{path}: {format_value(after)}"
        elif op == "remove":
            text = f"{path}: {format_value(before)}"
        elif is_secret(before) and before == after:
            text = f"{path}: (secret changed)"
        else:
            text = f"{path}: {format_value(before)} → {format_value(after)}"
        lines.append((_OP_SYMBOLS.get(op, "?"), text))
    return lines


def text_diffs(change: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(label, unified diff lines) for each long text that changed."""
    return [
        (str(d.get("label", "")), str(d.get("unified", "")).splitlines())
        for d in change.get("text_diffs") or []
    ]


def diff_line_kind(line: str) -> str:
    """``header``, ``hunk``, ``add``, ``remove``, ``note`` or ``context`` for one unified-diff line."""
    if line.startswith(("+++", "---")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "remove"
    if line.startswith("\\"):
        return "note"
    return "context"


def has_details(change: dict[str, Any]) -> bool:
    return bool(
        replace_reason(change)
        or reasons(change)
        or remote_line(change)
        or version_line(change)
        or change.get("text_diffs")
        or change.get("diff")
    )


# ---------------------------------------------------------------- other sections


def drift_items(plan: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    """(address, detail, who/when, suggested action) for each object changed outside git."""
    items = []
    for entry in plan.get("drift") or []:
        when = [str(entry[k]) for k in ("updated_by", "last_updated_at") if entry.get(k)]
        suggestion = entry.get("suggestion")
        items.append(
            (
                str(entry.get("address", "")),
                str(entry.get("detail", "")),
                ("by " + ", ".join(when)) if when else None,
                str(suggestion) if suggestion else None,
            )
        )
    return items


def adoptable_items(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(address, what the remote object is, the import command) for each adoptable object."""
    items = []
    for entry in plan.get("adoptable") or []:
        address = str(entry.get("address", ""))
        remote = entry.get("remote") or {}
        remote_id = str(remote.get("id") or "<id>")
        parts = [f"id {remote_id}"]
        if remote.get("slug"):
            parts.append(f"slug {remote['slug']}")
        if remote.get("name"):
            parts.append(f"name {json.dumps(str(remote['name']), ensure_ascii=False)}")
        items.append((address, ", ".join(parts), f"portkey-gitops import <dir> {address} {remote_id}"))
    return items


def warning_lines(plan: dict[str, Any]) -> list[str]:
    """Warnings (their sentences), then one line per kind whose listing was incomplete."""
    lines = texts(plan.get("warnings"))
    for kind in plan.get("incomplete") or []:
        lines.append(f"Listing of {kind} was incomplete: no delete is planned, nor any {kind} create")
    return lines
