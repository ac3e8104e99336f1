"""The machine form of a plan (``plan --json``): the plan JSON itself, safe to print and post.

``json.dumps`` with ``ensure_ascii`` writes every control, C1, bidi or other non-ASCII character
as a ``\\uXXXX`` escape, so no raw byte from live data reaches a terminal or log; registered
secret values are scrubbed from the data and from the text.
"""

from __future__ import annotations

import json
from typing import Any

from engine.redaction import scrub, scrub_data


def render_json(plan: dict[str, Any]) -> str:
    """The plan as indented, key-sorted, ASCII-only JSON text ending in a newline."""
    return scrub(json.dumps(scrub_data(plan), indent=2, sort_keys=True, ensure_ascii=True) + "\n")
