"""An account whose names take ASCII only (sandbox quirk ``name_chars=ascii``; real Portkey's rule is untested):
``export --adopt`` and ``import`` learn it from Portkey's refusal of the marked name, mark every object in the
ASCII form and save ``name_chars=ascii`` in the project's ``.portkey/doctor.json``, so the plan after it
shows no changes. Found by running issue 9's hand-made account under this quirk: the first refusal stopped
the export half-way (exit 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import Account, Run
from tests.adopt.test_export_adopt_roundtrip import applying_writes_nothing, contents, hand_made, sdk_made


@pytest.fixture
def ascii_account(account: Account) -> Account:
    account.sandbox.quirks = {"name_chars": "ascii"}
    return account


def _names(account: Account, path: str) -> list[str]:
    answer = account.call("GET", path)
    return [row["name"] for row in (answer["data"] if isinstance(answer, dict) else answer)]


def test_export_adopt_learns_ascii_names_and_the_plan_is_a_no_op(
    tmp_path: Path, ascii_account: Account, cli: Callable[..., Run]
) -> None:
    account = ascii_account
    hand_made(account)
    sdk_made(account)
    before = contents(account)
    exported = tmp_path / "exported"
    done = cli("export", exported, "--adopt", "--lock", exported / ".portkey/lock.json")
    assert done.code == 0, done.out + done.err
    assert "This account takes ASCII-only names" in done.out and "Adopted" in done.out
    doctor = json.loads((exported / ".portkey/doctor.json").read_text())
    assert doctor["format"] == 1 and doctor["switches"]["name_chars"] == "ascii"
    assert any("learned while adopting" in note for note in doctor["notes"])
    assert "gitops-ticket-triage - Ticket triage" in _names(account, "/prompts")
    assert "gitops-per-key - per key" in _names(account, "/policies/rate-limits")  # adopted before the refusal
    assert not [n for p in ("/prompts", "/configs", "/collections") for n in _names(account, p) if ":" in n]
    assert cli("validate", exported).code == 0
    planned = cli("plan", exported, "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err
    applying_writes_nothing(account, cli, exported, before)
    assert cli("drift", exported, "--lock", exported / ".portkey/lock.json", "--detailed-exitcode").code == 0


def test_import_learns_ascii_names_too(tmp_path: Path, ascii_account: Account, cli: Callable[..., Run]) -> None:
    account = ascii_account
    hand_made(account)
    exported = tmp_path / "exported"
    done = cli("export", exported)
    assert done.code == 0 and "portkey-gitops import" in done.out
    rows = {r["name"]: r["id"] for path in ("/prompts", "/collections") for r in account.call("GET", path)["data"]}
    for target, remote in (("collection:support", rows["Support"]), ("prompt:summarise", rows["summarise"])):
        imported = cli("import", exported, target, remote)
        assert imported.code == 0, imported.out + imported.err
        if target == "collection:support":  # the first refusal teaches it
            assert "ASCII-only names" in imported.err + imported.out
    assert json.loads((exported / ".portkey/doctor.json").read_text())["switches"]["name_chars"] == "ascii"
    assert "gitops-summarise" in _names(account, "/prompts")
    plan = json.loads(cli("plan", exported, "--json").out)
    changes = {c["address"]: c["actions"] for c in plan["changes"]}
    assert changes["collection:support"] == changes["prompt:summarise"] == ["noop"], changes


def test_import_never_writes_the_learned_style_through_a_linked_folder(
    tmp_path: Path, ascii_account: Account, cli: Callable[..., Run]
) -> None:
    """A checkout whose ``.portkey`` links elsewhere (a pull request can commit such a link): the learned style
    is not saved there; import says so and what to run, and the link's target stays empty."""
    account = ascii_account
    hand_made(account)
    exported = tmp_path / "exported"
    assert cli("export", exported).code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (exported / ".portkey").symlink_to(outside, target_is_directory=True)
    rows = {r["name"]: r["id"] for r in account.call("GET", "/collections")["data"]}
    imported = cli("import", exported, "collection:support", rows["Support"])
    said = imported.out + imported.err
    assert "not saved for plans" in said and "links out of the project" in said, said
    assert list(outside.iterdir()) == []


def test_import_keeps_the_files_own_switches_when_it_saves_the_style_under_ci(
    tmp_path: Path, ascii_account: Account, cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under CI a checkout's less careful switch is not used for plans, but rewriting the file must not drop it."""
    account = ascii_account
    hand_made(account)
    exported = tmp_path / "exported"
    assert cli("export", exported).code == 0
    (exported / ".portkey").mkdir(exist_ok=True)
    (exported / ".portkey/doctor.json").write_text(json.dumps({"format": 1, "switches": {"listing_stamp": "moves"}}))
    monkeypatch.setenv("CI", "true")
    rows = {r["name"]: r["id"] for r in account.call("GET", "/collections")["data"]}
    imported = cli("import", exported, "collection:support", rows["Support"])
    assert imported.code == 0, imported.out + imported.err
    switches = json.loads((exported / ".portkey/doctor.json").read_text())["switches"]
    assert switches["name_chars"] == "ascii" and switches["listing_stamp"] == "moves", switches
