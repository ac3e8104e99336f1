"""What the doctor finds when the account behaves otherwise: each switch's other values, simulated
by rewriting the sandbox's requests and answers (tests/live/doctor_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.gitops.behaviour import BY_NAME
from engine.gitops.doctor import DoctorReport, Finding, run_doctor
from engine.gitops.doctor_checks import judge_active, label_refs
from sandbox import Sandbox
from tests.live import doctor_support as sim
from tests.live.doctor_support import KEY, Hook, make_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db=":memory:", api_key=KEY) as sandbox:
        yield sandbox


async def doctored(sb: Sandbox, hooks: list[Hook]) -> DoctorReport:
    client, _ = make_client(sb, hooks)
    async with client:
        report = await run_doctor(client, None, token="t0k3n")
    assert not report.leftovers
    return report


def finding(report: DoctorReport, check: str) -> Finding:
    return next(f for f in report.findings if f.check == check)


@pytest.mark.parametrize(("hooks", "switch", "value", "seen"), [
    (sim.active_latest(), "active_version", "latest", "before publishing: v1 archived, v2 active"),
    (sim.active_absent(), "active_version", "absent", "no status"),
    (sim.template_without("tools"), "versions_template", "partial", "lacks tools"),
    (sim.template_without(), "versions_template", "absent", "no prompt_template"),
    (sim.label_replaces(), "label_write", "replace", "removed the first"),
    (sim.names_refused(), "name_chars", "ascii", "refused the name"),
    (sim.names_changed(), "name_chars", "ascii", "stored the name"),
    (sim.tool_choice_accepted(), "tool_choice_string", "accepted", "kept it"),
    (sim.conditions_accepted(), "policy_conditions_put", "accepted", "in place"),
    (sim.conditions_ignored(), "policy_conditions_put", "refused", "kept the old conditions"),
], ids=lambda v: v if isinstance(v, str) else None)
async def test_each_other_behaviour_is_found_and_explained(
    sb: Sandbox, hooks: list[Hook], switch: str, value: str, seen: str
) -> None:
    report = await doctored(sb, hooks)
    found = finding(report, switch)
    assert found.ran, found.problem
    assert (found.value, report.switches[switch]) == (value, value)
    assert seen in found.observed
    assert found.engine == BY_NAME[switch].engine[value]
    assert found.expected is (value == BY_NAME[switch].default)


@pytest.mark.parametrize(("envelope", "shape", "order"), [
    ("wrapped", "{data: [...]}", "newest first"),  # the sandbox's default: the Terraform provider's and SDK's shape
    ("bare", "a bare array", "oldest first"),  # the spec's
])
async def test_the_real_versions_shape_is_read_and_publishing_still_judged(
    sb: Sandbox, envelope: str, shape: str, order: str
) -> None:
    sb.quirks = {"versions_envelope": envelope}
    report = await doctored(sb, [])
    assert report.clean, [(f.check, f.problem) for f in report.findings if not f.ran or not f.expected]
    assert shape in finding(report, "versions_list").observed
    assert order in finding(report, "versions_list").observed
    assert report.switches == {s: BY_NAME[s].default for s in BY_NAME}


async def test_tools_refused_in_every_form_is_a_check_that_could_not_run(sb: Sandbox) -> None:
    report = await doctored(sb, sim.tools_refused())
    tool = finding(report, "tool_choice_string")
    assert not tool.ran and "either form of tool_choice" in (tool.problem or "")
    assert "keeps the default 'accepted'" in tool.engine
    assert "tool_choice_string" not in report.switches
    assert report.switches["versions_template"] == "full"  # judged on version 2 instead


@pytest.mark.parametrize(("hooks", "seen"), [
    (sim.current_page_ignored(), "the same item again"),
    (sim.page_size_ignored(), "page_size=1 answered 2 items"),
])
async def test_paging_that_is_not_honoured_is_reported(sb: Sandbox, hooks: list[Hook], seen: str) -> None:
    paging = finding(await doctored(sb, hooks), "paging")
    assert paging.ran and paging.expected is False and seen in paging.observed
    assert "incomplete" in paging.engine or "complete once it reaches total" in paging.engine


async def test_a_rename_that_is_not_in_place_is_reported(sb: Sandbox) -> None:
    renamed = {"done": False}

    def after_rename(body: object, query: dict[str, str]) -> object:
        renamed["done"] = renamed["done"] or (isinstance(body, dict) and set(body) == {"name"})
        return body

    def new_slug(answer: dict, body: object, query: dict[str, str], path: str) -> dict:
        return {**answer, "slug": "pp-new-slug"} if renamed["done"] else answer

    hooks = [Hook("PUT", r"/prompts/[^/]+", request=after_rename), Hook("GET", r"/prompts/[^/]+", response=new_slug)]
    rename = finding(await doctored(sb, hooks), "rename")
    assert rename.ran and rename.expected is False and "slug" in rename.observed


def test_active_judgement() -> None:
    assert judge_active("active", "archived", "archived", "active") == "published"
    assert judge_active("archived", "active", "archived", "active") == "latest"
    assert judge_active("active", "active", "active", "active") == "latest"
    assert judge_active("active", None, "archived", "active") == "latest"
    assert judge_active(None, None, None, None) == "absent"


def test_label_refs_read_every_field_portkey_uses() -> None:
    assert label_refs({"label_id": "a", "label_ids": ["b"], "prompt_version_labels": [{"id": "c"}, {"name": "d"}],
                       "prompt_version_label_id": "e"}) == {"a", "b", "c", "d", "e"}
    assert label_refs({"prompt_version_labels": [], "prompt_version_label_id": None}) == set()
    assert label_refs(["not", "an", "object"]) == set()
