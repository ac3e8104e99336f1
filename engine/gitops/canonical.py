"""Canonical forms, hashes and diffs of resource content.

Two contents are equal when their canonical JSON is equal: key order and
whitespace-only YAML differences do not count. Secrets are replaced by
``"(secret)"`` before anything is shown or hashed into a plan or lock file,
so neither reveals them (a hash of a weak secret could be guessed offline).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from engine.gitops.plan import FieldDiff, TextDiff
from engine.redaction import is_secret_key

SECRET_MARK = "(secret)"
_SECRET_REF = re.compile(r"^\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}$")


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, ``1.0`` written as ``1`` (as a JavaScript server answers)."""
    return json.dumps(_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def content_hash(value: Any) -> str:
    """Short sha256 of the canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:16]


def strip_null_fields(value: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping without its None entries, recursively (:func:`strip_nulls` for a value known to be a mapping)."""
    return {k: strip_nulls(v) for k, v in value.items() if v is not None}


def strip_nulls(value: Any) -> Any:
    """Drop mapping entries whose value is None, recursively (absent and null compare equal)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


_EMPTY: tuple[Any, ...] = (None, "", {}, [])


def secret_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every secret-named field (:func:`engine.redaction.is_secret_key`: ``api_key``,
    ``azure_entra_client_secret``, ``Authorization`` …) holding a non-empty value of any type.

    Live objects are masked by these, not only by the paths the files declare, so a secret Portkey
    holds where the file no longer has one (a removed target, a shifted list) is never shown; an
    object-valued secret (``vertex_service_account_json: {...}``) is masked whole.
    """
    found: set[str] = set()
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        path = f"{prefix}{key}"
        if is_secret_key(key) and item not in _EMPTY:
            found.add(path)
        else:
            found |= secret_paths(item, f"{path}.")
    return found


def value_at(value: Any, path: str | list[str], default: Any = None) -> Any:
    """The value at a dotted path (list indexes as numbers), or ``default`` where the path leads nowhere."""
    for part in path.split(".") if isinstance(path, str) else path:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return default
    return value


def redact(value: Any, secret_paths: set[str]) -> Any:
    """A copy of ``value`` with every secret path (dotted, list indexes as numbers) masked.

    Strings of the form ``${secret:NAME}`` are masked wherever they sit.
    """
    result = copy.deepcopy(value)
    for path in secret_paths:
        parent, _, last = path.rpartition(".")
        holder = value_at(result, parent.split(".") if parent else [])
        if value_at(holder, [last]) is not None:
            holder[int(last) if isinstance(holder, list) else last] = SECRET_MARK
    return _mask_refs(result)


def _mask_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_refs(v) for v in value]
    if isinstance(value, str) and _SECRET_REF.match(value):
        return SECRET_MARK
    return value


def _path_text(deepdiff_path: list[Any]) -> str:
    text = ""
    for part in deepdiff_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def field_diffs(before: Any, after: Any) -> list[FieldDiff]:
    """Path-level differences between two (already redacted) JSON values."""
    diff = DeepDiff(before, after, ignore_order=False, verbose_level=2, view="tree")
    out: list[FieldDiff] = []
    for kind, op in (
        ("values_changed", "change"),
        ("type_changes", "change"),
        ("dictionary_item_added", "add"),
        ("iterable_item_added", "add"),
        ("dictionary_item_removed", "remove"),
        ("iterable_item_removed", "remove"),
    ):
        for node in diff.get(kind, []):
            path = _path_text(node.path(output_format="list"))
            old = None if op == "add" else node.t1
            new = None if op == "remove" else node.t2
            out.append(FieldDiff(path=path, op=op, before=old, after=new))
    out.sort(key=lambda d: d.path)
    return out


def text_diff(label: str, before: str | None, after: str | None) -> TextDiff | None:
    """Unified diff of two texts, or None when they are equal."""
    if (before or "") == (after or ""):
        return None
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), "before", "after", lineterm="", n=3
    )
    return TextDiff(label=label, unified="\n".join(lines))
