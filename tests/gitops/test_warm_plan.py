"""The warm plan: what the last plan read (``.portkey/cache``) spares reads only where the listing proves
an object unchanged, and only when the account moves listing stamps (switch ``listing_stamp``)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from engine import redaction
from engine.gitops.behaviour import DEFAULT
from engine.gitops.cache import CACHE_DIR
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.helpers import actions, converge, edit
from tests.gitops.test_secrets import ENV, SECRETS, with_secrets

pytestmark = pytest.mark.anyio

MOVES = DEFAULT.with_values(listing_stamp="moves")
STATIC = DEFAULT.with_values(listing_stamp="static")
DETAIL_READS = {"list_prompt_versions", "get_prompt", "list_partial_versions", "get_prompt_partial"}


def cache_files(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("live-*.json"))


async def applied(client: PortkeyClient, root: Path, sb: Sandbox, stamp: str, **options: object) -> None:
    """The project applied under quirk ``listing_stamp=<stamp>``, then planned once (the cache it leaves)."""
    sb.quirks = {"listing_stamp": stamp}
    behaviour = MOVES if stamp == "moves" else STATIC
    await converge(client, root, behaviour=behaviour, **options)
    await anyio.sleep(0.01)  # stamps are cached once a change could no longer share them (1 ms resolution here)
    first = await plan_project(client, root, behaviour=behaviour, **options)
    assert not actions(first.plan), actions(first.plan)
    sb.reset_requests()


async def test_a_warm_plan_reads_only_the_listing_pages(client: PortkeyClient, sandbox: Sandbox, project: Path) -> None:
    await applied(client, project, sandbox, "moves")

    warm = await plan_project(client, project, behaviour=MOVES)

    assert not actions(warm.plan)
    operations = [r.operation or "" for r in sandbox.requests()]
    assert not DETAIL_READS.intersection(operations), operations
    # configs and guardrails may hold secrets, so they are never cached: read each time (one each here)
    assert sorted(op for op in operations if not op.startswith("list_")) == ["get_config", "get_guardrail"]
    assert warm.plan.requests == len(operations)
    # a cold plan of the same project reads every prompt and partial
    sandbox.reset_requests()
    cold = await plan_project(client, project, behaviour=MOVES, use_cache=False)
    cold_ops = [r.operation or "" for r in sandbox.requests()]
    assert cold.plan.digest() == warm.plan.digest()
    assert cold_ops.count("list_prompt_versions") == sum(1 for a in cold.state.resources if a.startswith("prompt:"))
    assert len(operations) < len(cold_ops)


async def test_static_stamps_mean_every_version_list_is_read(client: PortkeyClient, sandbox: Sandbox,
                                                             project: Path) -> None:
    await applied(client, project, sandbox, "static")

    warm = await plan_project(client, project, behaviour=STATIC)

    prompts = sum(1 for a in warm.state.resources if a.startswith("prompt:"))
    operations = [r.operation for r in sandbox.requests()]
    assert operations.count("list_prompt_versions") == prompts


@pytest.mark.parametrize("stamp", ["moves", "static"])
async def test_a_warm_plan_sees_a_new_version_made_in_portkey(client: PortkeyClient, sandbox: Sandbox, project: Path,
                                                              stamp: str) -> None:
    await applied(client, project, sandbox, stamp)
    prompts, _ = await client.list_all("list_prompts")
    triage = next(p for p in prompts if p["name"].startswith("gitops:support/triage"))
    current = await client.get_prompt(prompt_id=triage["id"])
    body = {k: current[k] for k in ("string", "model", "virtual_key") if current.get(k) is not None}
    await client.call("update_prompt", prompt_id=triage["id"],
                      body={**body, "string": "Edited in the Portkey app", "parameters": {}})

    warm = await plan_project(client, project, behaviour=MOVES if stamp == "moves" else STATIC)

    assert "new_version" in actions(warm.plan).get("prompt:support/triage", []), actions(warm.plan)


@pytest.mark.parametrize("stamp", ["moves", "static"])
async def test_a_warm_plan_sees_a_publish_and_a_label_change_made_in_portkey(
    client: PortkeyClient, sandbox: Sandbox, project: Path, stamp: str
) -> None:
    await applied(client, project, sandbox, stamp)
    edit(project / "prompts/support/triage.prompt.yaml", "wrote:\\n", "wrote to us:\\n")
    await converge(client, project, behaviour=MOVES if stamp == "moves" else STATIC)  # v2, published
    await anyio.sleep(0.01)
    await plan_project(client, project, behaviour=MOVES if stamp == "moves" else STATIC)  # caches v2
    prompts, _ = await client.list_all("list_prompts")
    triage = next(p for p in prompts if p["name"].startswith("gitops:support/triage"))
    await client.call("publish_prompt", prompt_id=triage["id"], body={"version": 1})  # rolled back in the app

    warm = await plan_project(client, project, behaviour=MOVES if stamp == "moves" else STATIC)

    assert actions(warm.plan).get("prompt:support/triage") == ["publish"], actions(warm.plan)

    await converge(client, project, behaviour=MOVES if stamp == "moves" else STATIC)
    labels, _ = await client.list_all("list_prompt_labels")
    canary = next(label["id"] for label in labels if label["name"] == "canary")
    versions = await client.list_prompt_versions(prompt_id=triage["id"])
    rows = versions["data"] if isinstance(versions, dict) else versions
    oldest = min(rows, key=lambda row: int(row["prompt_version"]))
    await anyio.sleep(0.01)
    await plan_project(client, project, behaviour=MOVES if stamp == "moves" else STATIC)
    await client.call("update_prompt_version", prompt_id=triage["id"], version_id=oldest["id"],
                      body={"label_id": canary})  # a label put on v1 in the app

    warm = await plan_project(client, project, behaviour=MOVES if stamp == "moves" else STATIC)

    changed = actions(warm.plan)
    assert changed, "a label moved in Portkey went unseen"


@pytest.mark.parametrize("content", ["{not json", '{"format": 99, "identity": {}, "entries": {}}', "[1, 2, 3]",
                                     "\u0000\u00ff binary"])
async def test_a_broken_cache_is_ignored_with_one_note(client: PortkeyClient, sandbox: Sandbox, project: Path,
                                                       content: str) -> None:
    await applied(client, project, sandbox, "moves")
    [path] = cache_files(project)
    path.write_text(content, encoding="utf-8", errors="surrogateescape")

    planned = await plan_project(client, project, behaviour=MOVES)

    assert not actions(planned.plan) and not planned.plan.errors
    notes = [w for w in planned.plan.warnings if "plan cache" in w]
    assert len(notes) == 1 and "ignored" in notes[0] and "\n" not in notes[0], planned.plan.warnings
    assert notes[0].code == "cache_ignored"  # the JSON plan's code for it
    assert "list_prompt_versions" in [r.operation for r in sandbox.requests()]  # read cold
    json.loads(path.read_text())  # and rewritten whole


async def test_a_cache_from_another_base_url_is_not_used(client: PortkeyClient, sandbox: Sandbox,
                                                         project: Path) -> None:
    await applied(client, project, sandbox, "moves")
    [path] = cache_files(project)
    data = json.loads(path.read_text())
    data["identity"]["base_url"] = "https://api.portkey.ai/v1"
    path.write_text(json.dumps(data))

    planned = await plan_project(client, project, behaviour=MOVES)

    assert any("another account, base URL" in w for w in planned.plan.warnings), planned.plan.warnings
    assert "list_prompt_versions" in [r.operation for r in sandbox.requests()]


async def test_an_entry_that_lies_is_not_trusted_beyond_its_listing(client: PortkeyClient, sandbox: Sandbox,
                                                                    project: Path) -> None:
    """An entry whose listing entry no longer matches is read again, even if its saved content says otherwise."""
    await applied(client, project, sandbox, "moves")
    prompts, _ = await client.list_all("list_prompts")
    triage = next(p for p in prompts if p["name"].startswith("gitops:support/triage"))
    await client.call("update_prompt", prompt_id=triage["id"], body={"name": triage["name"] + " · Renamed"})

    planned = await plan_project(client, project, behaviour=MOVES)

    assert "move" in actions(planned.plan).get("prompt:support/triage", []), actions(planned.plan)


async def test_secret_values_never_reach_the_cache(client: PortkeyClient, sandbox: Sandbox, project: Path) -> None:
    with_secrets(project)
    await applied(client, project, sandbox, "moves", environ=ENV)
    edit(project / "prompts/support/summarise.prompt.yaml", "Summarise this", "Summarise (ref zq-7731-token) this")
    await converge(client, project, behaviour=MOVES, environ=ENV)
    await anyio.sleep(0.01)
    saved = redaction.REGISTRY.values()
    redaction.register("zq-7731-token")  # a value this process knows as secret that also sits in a prompt's text
    try:
        await plan_project(client, project, behaviour=MOVES, environ=ENV)
    finally:
        redaction.REGISTRY.clear()
        redaction.register_all(saved)

    [path] = cache_files(project)
    text = path.read_text()
    for secret in (*SECRETS, "zq-7731-token"):
        assert secret not in text
    kinds = {key.split(":", 1)[0] for key in json.loads(text)["entries"]}
    assert kinds <= {"prompt", "partial"} and "prompt" in kinds
    assert (project / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")


async def test_a_cache_directory_leading_outside_the_project_is_neither_read_nor_written(
    client: PortkeyClient, sandbox: Sandbox, project: Path, tmp_path: Path
) -> None:
    await applied(client, project, sandbox, "moves")
    [path] = cache_files(project)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / path.name).write_text(path.read_text())
    cache_dir = project / CACHE_DIR
    for child in cache_dir.iterdir():
        child.unlink()
    cache_dir.rmdir()
    cache_dir.symlink_to(outside, target_is_directory=True)
    before = (outside / path.name).read_text()

    planned = await plan_project(client, project, behaviour=MOVES)

    assert not actions(planned.plan) and not planned.plan.errors
    assert "list_prompt_versions" in [r.operation for r in sandbox.requests()]  # nothing read from outside
    assert (outside / path.name).read_text() == before  # nor written there
    assert sorted(p.name for p in outside.iterdir()) == [path.name]
    notes = [w for w in planned.plan.warnings if "plan cache" in w]
    assert notes and {n.code for n in notes} <= {"cache_ignored", "cache_not_written"}, planned.plan.warnings
