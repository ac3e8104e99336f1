"""``action.yml`` on pull requests, run as GitHub runs it: plan, summary, sticky comment, outputs, failures."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci.conftest import API_KEY, TOKEN, Result, Runner, pr_event
from tests.ci.fake_github import BOT, FakeGitHub

MARKER_DEV = "<!-- portkey-gitops:plan env=dev -->"


def no_secret(result: Result, fake: FakeGitHub, *paths: Path) -> None:
    """Neither the token nor the API key is in any output, summary, log, plan file or GitHub request body."""
    texts = [result.everything(), *(p.read_text() for p in paths if p.exists())]
    texts += [json.dumps(seen.body) for seen in fake.seen]
    texts += [c["body"] for c in fake.comments.values()] + [i["body"] for i in fake.issues.values()]
    for secret in (TOKEN, API_KEY):
        assert all(secret not in text for text in texts)


def test_changes_write_outputs_summary_comment_and_plan_files(runner: Runner, fake: FakeGitHub) -> None:
    result = runner.run("plan", env="dev", api_key=API_KEY)
    assert result.code == 0, result.stderr
    out = result.outputs
    assert out["has_changes"] == "true" and out["failure_reason"] == ""
    assert (out["to_create"], out["to_update"], out["to_delete"]) == ("12", "0", "0")
    assert out["artifact_name"] == "portkey-plan-dev"
    plan_json, plan_md = Path(out["plan_json"]), Path(out["plan_markdown"])
    assert json.loads(plan_json.read_text())["environment"] == "dev"
    assert plan_json.parent.name == "portkey-plan-dev" and "Plan: 12 to create" in plan_md.read_text()
    assert "Plan: 12 to create" in result.summary and "portkey-plan-dev" in result.summary
    [comment] = fake.comments_on(7)
    assert comment["body"].startswith(MARKER_DEV) and "Plan: 12 to create" in comment["body"]
    assert "https://github.example/acme/prompts/actions/runs/" in comment["body"]
    assert comment["user"]["login"] == BOT
    assert [s.authorization for s in fake.requests("POST")] == [f"Bearer {TOKEN}"]
    no_secret(result, fake, plan_json, plan_md)


def test_second_plan_updates_only_our_comment_for_that_environment(runner: Runner, fake: FakeGitHub) -> None:
    for n in range(120):  # our comment is on page 2
        fake.add_comment(7, f"chatter {n}", "alice")
    foreign = fake.add_comment(7, MARKER_DEV + "\nforged by someone else", "mallory")
    prod = fake.add_comment(7, "<!-- portkey-gitops:plan env=prod -->\nthe prod plan", BOT)
    first = runner.run("plan", env="dev")
    assert first.code == 0, first.stderr
    runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve")
    second = runner.run("plan", env="dev")
    assert second.code == 0 and second.outputs["has_changes"] == "false"
    ours = [c for c in fake.comments_on(7) if c["user"]["login"] == BOT and c["body"].startswith(MARKER_DEV)]
    assert len(ours) == 1 and "No changes" in ours[0]["body"]
    assert len(fake.requests("POST")) == 1 and len(fake.requests("PATCH")) == 1
    assert fake.comments[foreign["id"]]["body"].endswith("forged by someone else")
    assert fake.comments[prod["id"]]["body"].endswith("the prod plan")
    assert "No changes" in second.summary


def test_personal_token_comments_as_its_user(runner: Runner, fake: FakeGitHub) -> None:
    fake.users[TOKEN] = "portkey-bot"
    fake.add_comment(7, MARKER_DEV + "\nold plan by the bot account", "portkey-bot")
    result = runner.run("plan", env="dev")
    assert result.code == 0
    [comment] = fake.comments_on(7)
    assert "Plan: 12 to create" in comment["body"] and len(fake.requests("PATCH")) == 1


def test_invalid_files_fail_with_file_and_line_everywhere(runner: Runner, fake: FakeGitHub) -> None:
    path = runner.project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("model:", "modle:"))
    result = runner.run("plan", env="dev")
    assert result.code == 1
    assert result.outputs["failure_reason"] == "invalid" and result.outputs["has_changes"] == "false"
    where = "prompts/support/summarise.prompt.yaml:2:1"
    assert where in result.summary and "modle" in result.summary
    [comment] = fake.comments_on(7)
    assert comment["body"].startswith(MARKER_DEV) and where in comment["body"]
    assert "::error::" in result.stdout and where in result.stdout
    assert "Traceback" not in result.stderr


def test_blocked_plan_fails_and_says_which_rule(runner: Runner, fake: FakeGitHub) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    (runner.project / "prompts/support/triage.prompt.yaml").unlink()
    result = runner.run("plan", env="dev", prune="true")
    assert result.code == 4
    assert result.outputs["failure_reason"] == "blocked"
    assert "protected" in result.summary
    [comment] = fake.comments_on(7)
    assert "protected" in comment["body"] and "blocked" in comment["body"]


def test_portkey_refusing_the_key_is_an_api_error_without_the_key(runner: Runner, fake: FakeGitHub) -> None:
    result = runner.run("plan", env="dev", sandbox="false", api_key=API_KEY, base_url=f"{runner.api_url}/portkey/v1")
    assert result.code == 1
    assert result.outputs["failure_reason"] == "api-error"
    assert "401" in result.summary
    [comment] = fake.comments_on(7)
    assert "api-error" in comment["body"]
    no_secret(result, fake)


def test_fork_validates_only_reads_no_secret_and_stays_green(runner: Runner, fake: FakeGitHub) -> None:
    result = runner.run("plan", env="dev", sandbox="false", api_key=API_KEY, event=pr_event(fork=True),
                        base_url=f"{runner.api_url}/portkey/v1")
    assert result.code == 0, result.stderr
    assert "fork" in result.summary and "validated only" in result.summary
    assert result.outputs["failure_reason"] == "" and result.outputs["has_changes"] == "false"
    assert fake.seen == []  # neither Portkey nor GitHub was called
    no_secret(result, fake)


def test_fork_with_invalid_files_is_red_for_the_files(runner: Runner, fake: FakeGitHub) -> None:
    path = runner.project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("model:", "modle:"))
    result = runner.run("plan", env="dev", event=pr_event(fork=True))
    assert result.code == 1 and result.outputs["failure_reason"] == "invalid"
    assert "summarise.prompt.yaml:2:1" in result.summary and fake.seen == []


def test_missing_api_key_validates_only(runner: Runner, fake: FakeGitHub) -> None:
    result = runner.run("plan", env="dev", sandbox="false", api_key="")
    assert result.code == 0
    assert "No Portkey API key" in result.summary and "valid" in result.summary
    assert fake.seen == []


def test_huge_plan_comment_is_cut_and_points_to_the_artifact(runner: Runner, fake: FakeGitHub) -> None:
    folder = runner.project / "prompts" / "bulk"
    folder.mkdir()
    for n in range(280):
        (folder / f"p{n:03d}-{'x' * 80}.prompt.yaml").write_text(
            f"name: Bulk prompt {n} {'y' * 60}\nmodel: gpt-4o-mini\nmessages:\n"
            f"  - role: user\n    content: \"{'z' * 800} {{{{q}}}}\"\nvariables: [q]\n")
    result = runner.run("plan", env="dev")
    assert result.code == 0, result.stderr
    full = Path(result.outputs["plan_markdown"]).read_text()
    [comment] = fake.comments_on(7)
    body = comment["body"]
    assert len(full) > 65_536 and len(body) <= 65_536
    assert "portkey-plan-dev" in body and "shortened" in body
    assert "Plan: 292 to create" in body and "Plan: 292 to create" in result.summary


def test_unknown_command_fails_the_step_with_a_clear_message(runner: Runner, fake: FakeGitHub) -> None:
    result = runner.run("deploy", env="dev")
    assert result.code == 2 and "No such command 'deploy'" in result.stderr and fake.seen == []


def test_comment_refused_is_a_warning_not_a_red_check(runner: Runner, fake: FakeGitHub) -> None:
    fake.read_only = True
    result = runner.run("plan", env="dev")
    assert result.code == 0 and result.outputs["has_changes"] == "true"
    assert "Plan: 12 to create" in result.summary
    assert "comment was not written" in result.summary and "pull-requests: write" in result.summary
    assert "::warning::" in result.stdout and fake.comments == {}
    no_secret(result, fake)


def test_a_broken_lock_file_is_invalid_not_an_api_error(runner: Runner, fake: FakeGitHub) -> None:
    """Reading the lock file is the loader's refusal (a LoadError), so it is not reported as Portkey failing."""
    (runner.project / "portkey.lock.json").write_text("{not json")
    result = runner.run("plan", env="dev", lock="prompts/portkey.lock.json")
    assert result.code == 1
    assert result.outputs["failure_reason"] == "invalid"
    error_lines = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(error_lines) == 1 and "lock file prompts/portkey.lock.json" in error_lines[0], result.stdout
    assert "is unreadable" in result.summary and "Portkey could not be read" not in result.summary
    [comment] = fake.comments_on(7)
    assert "invalid" in comment["body"] and "api-error" not in comment["body"]
    assert "Traceback" not in result.stderr
