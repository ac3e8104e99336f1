"""The human and markdown plan renderers, fed plan JSON built with the plan model."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from engine.gitops.plan import (
    Action,
    Change,
    FieldDiff,
    LabelStep,
    Payload,
    Plan,
    PublishStep,
    Remote,
    Risk,
    RiskNote,
    TextDiff,
    VersionTarget,
    WriteStep,
)
from engine.gitops.render import render_human, render_markdown

GOLDEN = Path(__file__).parent / "golden"
FAKE_SECRET = "sk-live-DO-NOT-PRINT-1234567890"
ANSI = re.compile(r"\x1b\[")


# ---------------------------------------------------------------- factories


def unified(before: str, after: str, *, old: str = "live", new: str = "git") -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), old, new, lineterm="")
    return "\n".join(lines)


def change(address: str, *actions: Action, order: int = 0, **fields: Any) -> Change:
    kind, _, key = address.partition(":")
    return Change(address=address, kind=kind, key=key, actions=list(actions), order=order, **fields)


def make_plan(*changes: Change, **fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "environment": "prod",
        "workspace": "ws-prod",
        "source": {"git_sha": "1a2b3c4d5e6f7a8b9c0d", "dirty": False},
        "requests": 14,
        "created_at": "2025-01-01T00:00:00Z",
        "engine_version": "0.1.0",
    }
    return Plan(changes=list(changes), **{**defaults, **fields}).to_json()


def representative_plan() -> dict[str, Any]:
    """One of everything: create, new version + publish + label, config update with a secret,
    delete, replace, a noop, drift, adoptable, risks, warnings and an incomplete listing."""
    system_before = "You are a support triage assistant.\nBe terse.\nAnswer in English."
    system_after = "You are a support triage assistant.\nBe friendly and concise.\nAnswer in English."
    return make_plan(
        change("label:staging", Action.NOOP, order=1, remote={"id": "lbl_1"}),
        change(
            "partial:tone-of-voice", Action.CREATE, order=2,
            after={"body": "Be kind."}, reasons=["not in Portkey yet"],
        ),
        change(
            "prompt:support/triage", Action.NEW_VERSION, Action.PUBLISH, Action.LABEL, order=3,
            remote={"id": "9f2c0e4a", "slug": "pp-triage-1a2b", "version": 12, "published_version": 12,
                    "labels": ["staging"]},
            before={"messages": [{"role": "system", "content": system_before}]},
            after={"messages": [{"role": "system", "content": system_after}]},
            text_diffs=[TextDiff("messages[0] (system)", unified(system_before, system_after))],
            diff=[FieldDiff("parameters.temperature", "change", 0.2, 0.4)],
            reasons=["content differs from the latest version v12"],
            risks=[Risk.PUBLISHES_DEFAULT, Risk.MOVES_LABEL],
            payload=Payload(remote=Remote("9f2c0e4a", "pp-triage-1a2b"), publish=PublishStep(VersionTarget.NEW),
                            label=LabelStep(("staging",), VersionTarget.NEW)),
        ),
        change(
            "config:default-routing", Action.UPDATE, order=4,
            remote={"id": "cfg_1", "slug": "pc-default-9z8y"},
            before={"targets": [{"api_key": "(secret)"}]},
            after={"targets": [{"api_key": "(secret)"}]},
            diff=[
                FieldDiff("targets[1].weight", "change", 0.5, 0.7),
                FieldDiff("targets[0].api_key", "change", "(secret)", "(secret)"),
                FieldDiff("targets[2]", "add", None, {"provider": "openai", "api_key": "(secret)"}),
                FieldDiff("cache", "remove", {"mode": "simple", "max_age": 60}, None),
                FieldDiff("retry.on_status_codes", "add", None, list(range(400, 480))),
            ],
            reasons=["updates are live at once (Portkey has no publish step for this kind)"],
            risks=[Risk.LIVE_AT_ONCE, Risk.CHANGES_SECRET],
            payload=Payload(remote=Remote("cfg_1", "pc-default-9z8y"), write=WriteStep(FAKE_SECRET)),
        ),
        change(
            "rate_limit:team-a", Action.REPLACE, order=5,
            remote={"id": "rl_7"},
            diff=[FieldDiff("unit", "change", "rpm", "rph")],
            reasons=["unit cannot change in Portkey: the policy will be deleted and created again",
                     "usage counters restart"],
            risks=[Risk.REPLACES],
        ),
        change(
            "prompt:support/old", Action.DELETE, order=100_000,
            remote={"id": "77aa", "slug": "pp-old-5c6d", "name": "old"},
            reasons=["no longer in the repository"], risks=[Risk.DELETES],
        ),
        drift=[{
            "address": "prompt:support/triage",
            "detail": "latest version v12 was edited in Portkey outside git",
            "updated_by": "alice@example.com",
            "last_updated_at": "2025-01-01T09:00:00Z",
            "remote": {"id": "9f2c0e4a", "slug": "pp-triage-1a2b", "version": 12},
        }],
        adoptable=[{"address": "guardrail:pii", "remote": {"id": "gr_3", "slug": "pg-pii-00", "name": "PII"}}],
        warnings=["variable `customer` is declared but unused in prompt:support/triage"],
        incomplete=["usage_limit"],
        risk_summary=[RiskNote(Risk.AFFECTS_PROMPTS, "publishing partial:tone-of-voice changes 2 prompts: prompt:a, "
                               "prompt:b", "partial:tone-of-voice")],
        source={"git_sha": "1a2b3c4d5e6f7a8b9c0d", "dirty": True},
    )


def check_golden(name: str, text: str) -> None:
    """Compare with ``golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites it, a missing file fails."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    with path.open(encoding="utf-8", newline="") as handle:
        assert text == handle.read()


# ---------------------------------------------------------------- golden


def test_human_golden() -> None:
    check_golden("plan_human.txt", render_human(representative_plan(), color=False, width=100))


def test_markdown_golden() -> None:
    check_golden("plan_markdown.md", render_markdown(representative_plan()))


def test_human_does_not_depend_on_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = representative_plan()
    expected = render_human(plan, color=False, width=100)
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    assert render_human(plan, color=False, width=100) == expected


# ---------------------------------------------------------------- wording


def test_no_changes_wording() -> None:
    plan = make_plan(change("prompt:a", Action.NOOP), change("config:b", Action.NOOP))
    human = render_human(plan, color=False)
    assert "No changes. The Portkey account matches the repository." in human
    assert "prompt:a" not in human
    assert "Plan:" not in human
    markdown = render_markdown(plan)
    assert "No changes. The Portkey account matches the repository." in markdown
    assert "prompt:a" not in markdown


def test_header_and_total() -> None:
    human = render_human(representative_plan(), color=False)
    assert "Environment: prod" in human
    assert "Workspace: ws-prod" in human
    assert "Git: 1a2b3c4 (dirty)" in human
    assert "Reading live state: 14 HTTP requests" in human
    assert "Plan: 1 to create, 1 new version, 1 to publish, 1 label move, 1 to update, 1 to replace, " \
           "1 to delete." in human


def test_version_semantics_spelled_out() -> None:
    human = render_human(representative_plan(), color=False)
    assert "v13 (new) → label staging; default v12 → v13" in human
    unpublished = make_plan(change(
        "prompt:p", Action.NEW_VERSION, Action.LABEL,
        remote={"id": "1", "version": 12, "published_version": 12, "labels": ["staging"]},
    ))
    assert "v13 (new, unpublished) → label staging; default stays v12" in render_human(unpublished, color=False)


def test_noop_hidden_by_default_and_shown_on_request() -> None:
    plan = make_plan(change("prompt:changed", Action.UPDATE), change("prompt:same", Action.NOOP))
    hidden = render_human(plan, color=False)
    assert "prompt:changed" in hidden
    assert "prompt:same" not in hidden
    assert "noop" not in hidden
    shown = render_human(plan, color=False, show_noop=True)
    assert "prompt:same  (noop)" in shown
    assert "noop" in shown.split("Plan:")[0]  # a column in the counts table
    assert "prompt:same" not in render_markdown(plan)


def test_blocked_and_errors_are_loud() -> None:
    plan = make_plan(
        change("prompt:x", Action.DELETE),
        blocked=["prompt:x is protected in portkey.yaml and would be deleted"],
        errors=["prompt:y: unknown partial partial:nope"],
    )
    human = render_human(plan, color=False)
    assert human.index("Errors:") < human.index("Plan blocked by safety rules:") < human.index("Plan:")
    assert "prompt:x is protected in portkey.yaml" in human
    markdown = render_markdown(plan)
    assert "> [!CAUTION]" in markdown
    assert "> - prompt:x is protected in portkey.yaml and would be deleted" in markdown


def test_sections_drift_adoptable_warnings_incomplete() -> None:
    human = render_human(representative_plan(), color=False)
    assert human.index("Changed in Portkey outside git:") > human.index("Changes, in apply order:")
    assert "portkey-gitops import <dir> guardrail:pii gr_3" in human
    assert "Listing of usage_limit was incomplete: no delete is planned, nor any usage_limit create" in human
    markdown = render_markdown(representative_plan())
    assert "<code>portkey-gitops import &lt;dir&gt; guardrail:pii gr\\_3</code>" in markdown
    assert "Listing of usage\\_limit was incomplete: no delete is planned, nor any usage\\_limit create" in markdown


def test_apply_order_and_replace_is_loud() -> None:
    human = render_human(representative_plan(), color=False)
    positions = [human.index(f" {a}  (") for a in
                 ("partial:tone-of-voice", "prompt:support/triage", "config:default-routing",
                  "rate_limit:team-a", "prompt:support/old")]
    assert positions == sorted(positions)
    assert "-/+ rate_limit:team-a  (replace: delete, then create)\n  must be replaced: unit cannot change" in human


def test_long_values_are_truncated() -> None:
    human = render_human(representative_plan(), color=False)
    line = next(x for x in human.splitlines() if "retry.on_status_codes" in x)
    assert line.endswith("…")
    assert len(line.split(": ", 1)[1]) == 200


# ---------------------------------------------------------------- colour and terminal safety


def test_colour_on_emits_ansi_even_with_no_color_set() -> None:
    coloured = render_human(representative_plan(), color=True)
    assert ANSI.search(coloured)
    assert "\x1b[32m" in coloured  # green: create and + lines
    assert "\x1b[31m" in coloured  # red: deletes and - lines
    assert "\x1b[36m" in coloured  # cyan: @@ hunks
    plain = [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", coloured).splitlines()]
    assert "\n".join(plain) + "\n" == render_human(representative_plan(), color=False)


def test_colour_off_emits_no_ansi() -> None:
    assert not ANSI.search(render_human(representative_plan(), color=False))


def test_plan_text_cannot_drive_the_terminal_or_inject_markup() -> None:
    plan = make_plan(change("prompt:[bold red]x[/]", Action.UPDATE, reasons=["evil \x1b[2J clear"]))
    human = render_human(plan, color=True)
    assert "\x1b[2J" not in human
    assert "\\x1b[2J" in human
    assert "[bold red]x[/]" in render_human(plan, color=False)


# ---------------------------------------------------------------- secrets and the fields read


class Recorder(dict):
    """A plan dict that records every key path read, lists as ``*``."""

    def __init__(self, data: dict[str, Any], seen: set[str], path: str = "") -> None:
        super().__init__(data)
        self._seen = seen
        self._path = path

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}" if self._path else key
        self._seen.add(path)
        if path in LEAVES:
            return value
        if isinstance(value, dict):
            return Recorder(value, self._seen, path)
        if isinstance(value, list):
            return [Recorder(v, self._seen, path + ".*") if isinstance(v, dict) else v for v in value]
        return value

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        return self._wrap(key, super().get(key, default))


# Counts keyed by kind and action: read whole.
LEAVES = {"summary", "summary_by_kind"}
# Everything a renderer may read: the contract with the planner.
DOCUMENTED = {
    "format_version", "environment", "workspace", "requests", "source", "source.git_sha", "source.dirty",
    "errors", "blocked", "warnings", "incomplete", "risk_summary", "summary", "summary_by_kind",
    "has_changes", "changes", "changes.*.address", "changes.*.actions", "changes.*.order",
    "changes.*.reasons", "changes.*.risks", "changes.*.remote", "changes.*.remote.id",
    "changes.*.remote.slug", "changes.*.remote.version", "changes.*.remote.published_version",
    "changes.*.remote.next_version", "changes.*.remote.labels", "changes.*.text_diffs",
    "changes.*.text_diffs.*.label", "changes.*.text_diffs.*.unified", "changes.*.diff",
    "changes.*.diff.*.path", "changes.*.diff.*.op", "changes.*.diff.*.before", "changes.*.diff.*.after",
    "drift", "drift.*.address", "drift.*.detail", "drift.*.updated_by", "drift.*.last_updated_at",
    "drift.*.suggestion", "adoptable", "adoptable.*.address", "adoptable.*.remote",
    "adoptable.*.remote.id", "adoptable.*.remote.slug", "adoptable.*.remote.name",
}


def leaky_plan() -> dict[str, Any]:
    """A plan where a secret sits, by mistake, in every field the renderers must never read."""
    plan = representative_plan()
    for item in plan["changes"]:
        item["before"] = {"api_key": FAKE_SECRET}
        item["after"] = {"api_key": FAKE_SECRET}
        item["payload"] = {"api_key": FAKE_SECRET}
        item["remote"]["token"] = FAKE_SECRET
    plan["fingerprints"] = {"cfg_1": FAKE_SECRET}
    plan["drift"][0]["raw"] = FAKE_SECRET
    return plan


@pytest.mark.parametrize("render", ["human", "markdown"])
def test_renderers_read_only_documented_fields(render: str) -> None:
    seen: set[str] = set()
    plan = Recorder(leaky_plan(), seen)
    if render == "human":
        render_human(plan, color=True, show_noop=True)
    else:
        render_markdown(plan)
    assert seen <= DOCUMENTED, sorted(seen - DOCUMENTED)


def test_secret_values_never_appear_and_markers_render() -> None:
    plan = leaky_plan()
    outputs = [
        render_human(plan, color=False),
        render_human(plan, color=True, show_noop=True),
        render_markdown(plan),
    ]
    for text in outputs:
        assert FAKE_SECRET not in text
        assert "targets[0].api_key: (secret changed)" in text
    assert '+ targets[2]: {"provider":"openai","api_key":"(secret)"}' in outputs[0]
    assert '+ targets[2]: {"provider":"openai","api_key":"(secret)"}' in outputs[2]
    for limit in (3_000, 1_000, 100):
        assert FAKE_SECRET not in render_markdown(plan, limit=limit)


# ---------------------------------------------------------------- markdown


def fence_blocks(markdown: str) -> list[tuple[str, list[str]]]:
    """(opening fence, body lines) of each fenced block, as a CommonMark parser sees them."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [(t.markup + t.info, t.content.splitlines()) for t in tokens if t.type == "fence"]


def html_blocks(markdown: str) -> list[str]:
    return [t.content.strip() for t in MarkdownIt("commonmark").parse(markdown) if t.type == "html_block"]


def test_markdown_structure() -> None:
    markdown = render_markdown(representative_plan())
    assert markdown.startswith("<!-- portkey-gitops-plan -->\n### Portkey plan\n")
    assert "| kind | create | new\\_version | publish | label | update | replace | delete |" in markdown
    assert "<details><summary><code>~ prompt:support/triage</code> — new_version, publish, label</summary>" \
        in markdown
    blocks = html_blocks(markdown)
    assert blocks[0] == "<!-- portkey-gitops-plan -->"
    assert sum(b.startswith("<details><summary>") for b in blocks) == blocks.count("</details>") == 5
    diffs = [body for opening, body in fence_blocks(markdown) if opening == "```diff"]
    assert any("+Be friendly and concise." in body for body in diffs)
    assert any("~ targets[1].weight: 0.5 → 0.7" in body for body in diffs)


def test_backticks_inside_diffs_cannot_break_the_fence() -> None:
    nasty = "Use ``` to fence code.\n`````\n</details>\n# heading"
    plan = make_plan(change(
        "prompt:p", Action.NEW_VERSION, remote={"id": "1", "version": 1},
        text_diffs=[TextDiff("messages[0] (user) `x`", unified("old", nasty))],
        diff=[FieldDiff("description", "change", "a ``` b", "c")],
    ))
    markdown = render_markdown(plan)
    blocks = fence_blocks(markdown)
    texts = [body for _, body in blocks]
    assert texts[0][-4:] == ["+Use ``` to fence code.", "+`````", "+</details>", "+# heading"]
    assert blocks[0][0] == "``````diff"  # longer than the 5-backtick run inside
    assert texts[1] == ['~ description: "a ``` b" → "c"']
    assert len(blocks) == 2
    assert html_blocks(markdown)[-1] == "</details>"
    assert [b for b in html_blocks(markdown) if b == "</details>"] == ["</details>"]


def test_markdown_escapes_html_and_markdown() -> None:
    plan = make_plan(change("prompt:<script>*x*", Action.UPDATE, reasons=["a | b <img> _c_ `code`"]))
    markdown = render_markdown(plan)
    assert "<script>" not in markdown
    assert "<code>~ prompt:&lt;script&gt;*x*</code>" in markdown  # inside an HTML line: not markdown
    assert "- a \\| b &lt;img&gt; \\_c\\_ <code>code</code>" in markdown


def big_plan(count: int = 500) -> dict[str, Any]:
    body = "\n".join(f"line {i} of a long system prompt with `code` and | pipes" for i in range(80))
    changed = body.replace("line", "LINE")
    return make_plan(*(
        change(
            f"prompt:team/p{i:03}", Action.NEW_VERSION, Action.PUBLISH, order=i,
            remote={"id": f"id{i}", "slug": f"pp-{i}", "version": 3, "published_version": 3},
            text_diffs=[TextDiff("messages[0] (system)", unified(body, changed))],
            reasons=["content differs from the latest version v3"],
            risks=[Risk.PUBLISHES_DEFAULT],
        )
        for i in range(count)
    ), drift=[{"address": f"prompt:team/p{i:03}", "detail": "edited"} for i in range(50)])


def test_markdown_budget_keeps_every_change_summary() -> None:
    plan = big_plan()
    full = render_markdown(plan, limit=10**9)
    assert len(full) > 60_000
    markdown = render_markdown(plan)
    assert len(markdown) <= 60_000
    assert markdown.startswith("<!-- portkey-gitops-plan -->")
    assert "**Plan: 0 to create, 500 new versions, 500 to publish, 0 to delete.**" in markdown
    assert "**Risks**" in markdown
    for i in range(500):
        assert f"prompt:team/p{i:03}</code>" in markdown
    kept = markdown.count("<details>")
    assert 0 < kept < 500
    assert markdown.rstrip().endswith(
        f"_{500 - kept} resource details were cut to stay under the comment limit; "
        "see the job summary / plan.json artifact._"
    )
    assert len(fence_blocks(markdown)) == kept  # each kept detail holds one closed diff fence


@pytest.mark.parametrize("limit", [65_536, 30_000, 5_000, 1_000, 200, 10])
def test_markdown_never_exceeds_limit(limit: int) -> None:
    assert len(render_markdown(big_plan(), limit=limit)) <= limit


def test_markdown_small_plan_is_not_cut() -> None:
    markdown = render_markdown(representative_plan())
    assert "were cut" not in markdown


def test_unknown_major_format_is_refused() -> None:
    plan = representative_plan()
    plan["format_version"] = "4.0"
    with pytest.raises(ValueError, match="not supported"):
        render_human(plan, color=False)
    with pytest.raises(ValueError, match="not supported"):
        render_markdown(plan)


def test_trailing_whitespace_changes_are_visible() -> None:
    plan = make_plan(change(
        "partial:p", Action.NEW_VERSION, remote={"id": "1", "version": 1},
        text_diffs=[TextDiff("template", "@@ -1 +1 @@\n-same\n+same  \t")],
    ))
    human = render_human(plan, color=False)
    assert "    -same\n    +same··→\n" in human
