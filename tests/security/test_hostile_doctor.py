"""A pull request that commits ``.portkey/doctor.json`` cannot weaken the engine in CI: a switch from the checkout
is used only when it is at least as careful as the default, or as the value the workflow pins with
``PORTKEY_GITOPS_BEHAVIOUR`` (engine.gitops.behaviour). Each CI test runs action.yml's step under
``bash --noprofile --norc -eo pipefail`` against the sandbox."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from engine.gitops.behaviour import BEHAVIOUR_VARIABLE, SWITCHES, DoctorFileError, load_behaviour, pinned, trusted
from tests.ci.conftest import API_KEY, Result, github  # noqa: F401  (fixture)
from tests.ci.fake_github import FakeGitHub
from tests.security.hostile_support import HostileRunner, portkey

NOTES = "gitops-notes"  # an unmanaged partial whose name merely looks like the ascii name style's marker


@pytest.fixture
def runner(tmp_path: Path, github: tuple[FakeGitHub, str]) -> HostileRunner:  # noqa: F811
    made = HostileRunner(tmp_path, github[1])
    done = made.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve")
    assert done.returncode == 0, done.stderr
    return made


def plan(runner: HostileRunner, **inputs: str) -> tuple[Result, dict[str, object]]:
    result = runner.run("plan", env="dev", api_key=API_KEY, **inputs)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(Path(result.outputs["plan_json"]).read_text())


def actions(planned: dict[str, object]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for change in planned["changes"]:  # type: ignore[attr-defined]
        out.setdefault(change["address"], []).extend(a for a in change["actions"] if a != "noop")
    return {address: found for address, found in out.items() if found}


def one_line(planned: dict[str, object]) -> str:
    return " ".join(" ".join(w["text"] for w in planned["warnings"]).split())  # type: ignore[attr-defined]


def someone_elses_partial(runner: HostileRunner) -> None:
    """A partial made by hand in Portkey, never managed by this project."""
    async def make(client: object) -> None:
        await client.call("create_prompt_partial", body={"name": NOTES, "string": "team notes"})  # type: ignore[attr-defined]

    portkey(runner, make)


@pytest.fixture
def fake(github: tuple[FakeGitHub, str]) -> FakeGitHub:  # noqa: F811
    return github[0]


def test_name_chars_ascii_from_a_pr_does_not_make_prune_delete_someone_elses_object(runner: HostileRunner,
                                                                                     fake: FakeGitHub) -> None:
    someone_elses_partial(runner)
    runner.doctor(name_chars="ascii")  # under 'ascii' both name styles mark an object as managed

    result, planned = plan(runner, prune="true")

    assert result.code == 0 and result.outputs["to_delete"] == "0", actions(planned)
    assert "partial:notes" not in actions(planned)
    assert "sets name_chars=ascii, less careful than the default, any: not used" in one_line(planned)
    assert [w["code"] for w in planned["warnings"] if "name_chars" in w["text"]] == ["behaviour_not_trusted"]  # type: ignore[attr-defined]
    assert "PORTKEY_GITOPS_BEHAVIOUR=name_chars=ascii" in one_line(planned)  # how a workflow says it
    [comment] = fake.comments_on(7)  # and the reviewers read it on the pull request
    assert "less careful than the default" in " ".join(comment["body"].split())
    # the workflow's word is trusted: pinned, the same switch does take the look-alike as managed
    runner.extra = {BEHAVIOUR_VARIABLE: "name_chars=ascii"}
    _, pinned_plan = plan(runner, prune="true")
    assert "delete" in actions(pinned_plan).get("partial:notes", []), actions(pinned_plan)


def test_label_write_add_from_a_pr_does_not_hide_a_label_removal(runner: HostileRunner) -> None:
    """The account replaces a version's label on each label write (the workflow pins it); a PR that gives one
    version two labels and says the account adds them would have the second write silently remove the first."""
    overlay = runner.project / "environments/dev.yaml"
    overlay.write_text(overlay.read_text().replace("labels: [development]", "labels: [development, canary]"))
    runner.doctor(label_write="add")
    runner.extra = {BEHAVIOUR_VARIABLE: "label_write=replace"}

    result, planned = plan(runner)

    assert result.code == 1 and result.outputs["failure_reason"] == "invalid", result.stdout
    assert "label_write=replace" in " ".join(" ".join(map(str, planned["errors"])).split())
    assert "sets label_write=add, less careful than PORTKEY_GITOPS_BEHAVIOUR's replace: not used" in one_line(planned)


def test_a_pr_may_make_the_engine_more_careful(runner: HostileRunner) -> None:
    overlay = runner.project / "environments/dev.yaml"
    overlay.write_text(overlay.read_text().replace("labels: [development]", "labels: [development, canary]"))
    _, allowed = plan(runner)
    assert not allowed["errors"]  # the default, 'add', allows two labels
    runner.doctor(label_write="replace")
    result, planned = plan(runner)
    assert result.outputs["failure_reason"] == "invalid" and planned["errors"]
    assert "not used" not in one_line(planned)


def test_policy_conditions_refused_from_a_pr_does_not_turn_an_update_into_a_delete(runner: HostileRunner) -> None:
    limit = runner.project / "limits/monthly-budget.usage-limit.yaml"
    limit.write_text(limit.read_text().replace("value: ws-support", "value: ws-billing"))
    runner.doctor(policy_conditions_put="refused")  # a replace: delete, then create (the spend counter resets)

    result, planned = plan(runner)

    assert result.code == 0 and result.outputs["to_delete"] == "0", actions(planned)
    assert actions(planned) == {"usage_limit:monthly-budget": ["update"]}
    assert "sets policy_conditions_put=refused" in one_line(planned)


def test_a_broken_pin_is_a_clear_plan_error(runner: HostileRunner) -> None:
    runner.extra = {BEHAVIOUR_VARIABLE: "label_write=sometimes"}
    result, planned = plan(runner)
    assert result.code == 1 and result.outputs["failure_reason"] == "invalid"
    [error] = planned["errors"]  # type: ignore[misc]
    assert BEHAVIOUR_VARIABLE in str(error) and "label_write takes add, replace" in str(error)


def test_outside_ci_the_doctor_result_is_taken_as_written(tmp_path: Path) -> None:
    (tmp_path / ".portkey").mkdir()
    (tmp_path / ".portkey/doctor.json").write_text(json.dumps({"format": 1, "switches": {
        "name_chars": "ascii", "listing_stamp": "moves", "policy_conditions_put": "refused"}}))
    local = load_behaviour(tmp_path, {})
    names = ("name_chars", "listing_stamp", "policy_conditions_put")
    assert [local[n] for n in names] == ["ascii", "moves", "refused"]
    assert not local.notes
    ci = load_behaviour(tmp_path, {"GITHUB_ACTIONS": "true"})
    assert [ci[n] for n in names] == ["any", "static", "accepted"]
    assert len(ci.notes) == 3
    pinned_ci = load_behaviour(tmp_path, {"CI": "true", BEHAVIOUR_VARIABLE: "listing_stamp=moves name_chars=ascii"})
    assert (pinned_ci["name_chars"], pinned_ci["listing_stamp"]) == ("ascii", "moves") and len(pinned_ci.notes) == 1
    # a pin is a floor on a developer's machine too
    floor = load_behaviour(tmp_path, {BEHAVIOUR_VARIABLE: "listing_stamp=static"})
    assert floor["listing_stamp"] == "static" and floor["name_chars"] == "ascii"


@pytest.mark.parametrize("switch", SWITCHES, ids=lambda s: s.name)
def test_under_ci_no_checkout_value_is_below_its_floor(switch: object) -> None:
    """Every value a checkout can write, against every pin (or none): what is used is never less careful than the
    floor, and it is the checkout's value whenever that one is at least as careful."""
    assert set(switch.caution) == set(switch.values)  # type: ignore[attr-defined]
    for saved, pin in itertools.product(switch.values, (None, *switch.values)):  # type: ignore[attr-defined]
        pins = {} if pin is None else {switch.name: pin}  # type: ignore[attr-defined]
        used = trusted({switch.name: saved}, pins, ci=True)[switch.name]  # type: ignore[attr-defined]
        floor = pin or switch.default  # type: ignore[attr-defined]
        rank = switch.caution  # type: ignore[attr-defined]
        assert rank[used] >= rank[floor]
        assert used == (saved if rank[saved] >= rank[floor] else floor)


@pytest.mark.parametrize("text", ["label_write", "nope=1", "label_write=add,=x", "listing_stamp=moves\x1b[2J"])
def test_a_malformed_pin_is_refused_with_one_printable_sentence(text: str) -> None:
    with pytest.raises(DoctorFileError) as caught:
        pinned(text)
    message = str(caught.value)
    assert message.startswith(BEHAVIOUR_VARIABLE) and message.isprintable() and "\n" not in message


def test_a_doctor_file_linked_outside_the_project_is_a_clear_error_that_shows_nothing_of_it(
    runner: HostileRunner, tmp_path: Path
) -> None:
    outside = tmp_path / "runner-secrets.json"
    outside.write_text(json.dumps({"format": 1, "switches": {}, "token": "OUTSIDE-DO-NOT-SHOW"}))
    (runner.project / ".portkey").mkdir(exist_ok=True)
    (runner.project / ".portkey/doctor.json").symlink_to(outside)

    result, planned = plan(runner)

    assert result.code == 1 and result.outputs["failure_reason"] == "invalid"
    [error] = planned["errors"]  # type: ignore[misc]
    assert "symbolic link to a path outside the project" in str(error)
    assert "OUTSIDE-DO-NOT-SHOW" not in result.everything()


def test_a_huge_doctor_file_is_refused_unread(runner: HostileRunner) -> None:
    from engine.gitops.behaviour import MAX_DOCTOR_BYTES

    path = runner.doctor()
    with path.open("r+b") as handle:
        handle.truncate(MAX_DOCTOR_BYTES + 1)
    result, planned = plan(runner)
    assert result.code == 1 and "is larger than" in str(planned["errors"])


def test_the_action_behaviour_input_pins_like_the_variable(runner: HostileRunner) -> None:
    """The workflow's ``behaviour:`` input is the pin (the step exports it as PORTKEY_GITOPS_BEHAVIOUR, over a
    job-level value): a PR's doctor.json below it is not used."""
    overlay = runner.project / "environments/dev.yaml"
    overlay.write_text(overlay.read_text().replace("labels: [development]", "labels: [development, canary]"))
    runner.doctor(label_write="add")
    runner.extra = {BEHAVIOUR_VARIABLE: "label_write=add"}  # a looser job-level value: the input wins

    result, planned = plan(runner, behaviour="label_write=replace")

    assert result.code == 1 and result.outputs["failure_reason"] == "invalid", result.stdout
    assert "sets label_write=add, less careful than PORTKEY_GITOPS_BEHAVIOUR's replace: not used" in one_line(planned)
    _, unpinned = plan(runner)  # without the input, the job-level value stands
    assert not unpinned["errors"], unpinned["errors"]
