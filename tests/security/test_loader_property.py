"""Property: whatever small file tree and YAML a pull request holds, ``load_project`` only reports.

It never raises, never hits its "internal error" fallback, never writes (the tree is unchanged)
and nothing from outside the project (a planted file, the process environment) reaches the
diagnostics or the loaded specs.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.gitops.load import load_project

PLANTED = "pk-planted-prop-93b1"

DIRS = ["", "prompts/", "prompts/a/", "partials/", "configs/", "labels/", "collections/", "limits/",
        "guardrails/", "environments/", "promtps/", ".hidden/"]
NAMES = ["portkey.yaml", "x.prompt.yaml", "y.partial.md", "c.config.yaml", "l.label.yaml", "r.rate-limit.yaml",
         "u.usage-limit.yaml", "g.guardrail.yaml", "s.collection.yaml", "dev.yaml", "t.md", "Bad.prompt.yaml"]
FRAGMENTS = [
    "version: 1\n", "model: gpt-4o\n", "template: ", "messages:\n", "- role: user\n", "  content: ",
    "  content_file: ", "template_file: ", "t.md", "../t.md", "../../../outside/planted.txt", "/proc/self/environ",
    "name: ", "protected:\n", "moved:\n", "  - from: ", "    to: ", "prompt:a", "prompt:../x", "config:/etc",
    "bindings:\n", "  k: v\n", "${binding:k}", "${secret:OPENAI_KEY}", "${secret:PORTKEY_API_KEY}",
    "{{>partial:y}}", "{{x}}", "{{#s}}", "&a ", "*a", "<<: *a\n", "[", "]", "{", "}", ": ", ", ", "- ", "\n",
    "  ", "---\n", "!!python/object:os.system ", "!!binary ", "'", '"', "# c\n", "\t", "\x00", "\ufeff", "?",
    "release:\n", "  labels: [x]\n", "limits:\n", "  rate_limit:r: {value: 1}\n", "config:\n", "  retry: 3\n",
    "checks:\n", "value: 10\n", "unit: rpm\n", "1e999", "-.inf", "2024-01-01", "~", "null", "true",
]
TEXT = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=25).map("".join)
LINK_TARGETS = ["outside", "environ", "inside", "dangling", "outside-dir"]
ENTRY = st.one_of(
    st.tuples(st.just("file"), TEXT),
    st.tuples(st.just("bytes"), st.binary(max_size=20)),
    st.tuples(st.just("link"), st.sampled_from(LINK_TARGETS)),
    st.tuples(st.just("fifo"), st.just("")),
)
TREE = st.dictionaries(st.tuples(st.sampled_from(DIRS), st.sampled_from(NAMES)).map("".join), ENTRY, max_size=8)


def build(base: Path, tree: dict[str, tuple[str, object]]) -> Path:
    outside = base / "outside"
    outside.mkdir()
    (outside / "planted.txt").write_text(f"PORTKEY_API_KEY={PLANTED}\nversion: 1\ntemplate: {PLANTED}\n")
    root = base / "project"
    root.mkdir()
    targets = {
        "outside": outside / "planted.txt", "environ": Path("/proc/self/environ"), "inside": root / "portkey.yaml",
        "dangling": root / "nowhere", "outside-dir": outside,
    }
    for relative, (kind, value) in tree.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            path.write_text(str(value))
        elif kind == "bytes":
            path.write_bytes(bytes(value))  # type: ignore[arg-type]
        elif kind == "link":
            path.symlink_to(targets[str(value)])
        elif hasattr(os, "mkfifo"):
            os.mkfifo(path)
    return root


def snapshot(base: Path) -> list[tuple[str, int, int, int]]:
    """Every entry under ``base`` (links not followed) with its mode, size and modification time."""
    out = []
    for directory, dirs, files in os.walk(base):
        for name in sorted(dirs + files):
            info = os.lstat(os.path.join(directory, name))
            out.append((os.path.join(directory, name), info.st_mode, info.st_size, info.st_mtime_ns))
    return sorted(out)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=TREE, env=st.sampled_from([None, "dev", "../outside", "nope"]))
def test_load_project_only_reports(tree: dict[str, tuple[str, object]], env: str | None) -> None:
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        root = build(base, tree)
        before = snapshot(base)
        state = load_project(root, env=env, environ={"OPENAI_KEY": "sk-x", "PORTKEY_API_KEY": PLANTED})
        assert snapshot(base) == before
        messages = [str(d) for d in state.diagnostics]
        assert not [m for m in messages if "internal error" in m], messages
        specs = json.dumps([r.spec for r in state.resources.values()], default=str)
        assert PLANTED not in " ".join(messages) + specs
