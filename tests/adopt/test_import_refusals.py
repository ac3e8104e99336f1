"""`import` never gives one address two objects: a managed id and a bound address are refused, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.adopt.conftest import Account, Run


def _prompt_id(account: Account, name: str) -> str:
    rows = account.call("GET", "/prompts")["data"]
    return next(row["id"] for row in rows if row["name"] == name)


def _hand_made_prompt(account: Account) -> str:
    collection = next(c["id"] for c in account.call("GET", "/collections")["data"])
    made = account.call("POST", "/prompts", {
        "name": "Hand made", "collection_id": collection, "string": "Hello {{who}}",
        "parameters": {"max_tokens": 100}, "model": "gpt-4o-mini", "virtual_key": "vk-openai-dev"})
    return str(made["id"])


def test_import_onto_an_address_bound_to_another_object_is_refused(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    stranger = _hand_made_prompt(account)
    bound = _prompt_id(account, "gitops:support/triage · Support triage")
    account.forget()
    refused = cli("import", applied, "prompt:support/triage", stranger)
    assert refused.code == 1
    assert "prompt:support/triage is already bound to prompt " + bound in refused.err
    assert stranger in refused.err and "Adopted" not in refused.out
    assert account.writes() == []
    assert cli("plan", applied, "--detailed-exitcode").code == 0  # still one object per key


def test_import_of_an_id_managed_under_another_address_is_refused(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    copy = applied / "prompts/support/copy.prompt.yaml"
    copy.write_text((applied / "prompts/support/summarise.prompt.yaml").read_text())
    managed = _prompt_id(account, "gitops:support/triage · Support triage")
    account.forget()
    refused = cli("import", applied, "prompt:support/copy", managed)
    assert refused.code == 1
    assert f"prompt {managed} ('gitops:support/triage · Support triage') is already managed as " \
           "prompt:support/triage" in refused.err
    assert "prompt:support/copy" in refused.err
    assert account.writes() == []
    assert _prompt_id(account, "gitops:support/triage · Support triage") == managed  # not renamed


def test_import_of_an_unmanaged_object_keeps_its_display_name(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    stranger = _hand_made_prompt(account)
    (applied / "prompts/hand.prompt.yaml").write_text(
        "name: Hand made\nmodel: gpt-4o-mini\nvirtual_key: vk-openai-dev\nparameters: {max_tokens: 100}\n"
        "template: Hello {{who}}\nvariables: [who]\n")
    done = cli("import", applied, "prompt:hand", stranger)
    assert done.code == 0, done.err
    assert _prompt_id(account, "gitops:hand · Hand made") == stranger


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_refused_import_writes_no_file_and_no_lock(
    applied: Path, tmp_path: Path, account: Account, cli: Callable[..., Run]
) -> None:
    """Nothing written means nothing in Portkey, in the project or in the lock file it was given."""
    lock = tmp_path / "portkey.lock.json"
    assert cli("apply", applied, "--auto-approve", "--lock", lock).code == 0
    stranger = _hand_made_prompt(account)
    managed = _prompt_id(account, "gitops:support/triage · Support triage")
    before, locked = _tree(applied), lock.read_bytes()
    account.forget()
    for target, remote in (("prompt:support/triage", stranger), ("prompt:support/summarise", managed)):
        refused = cli("import", applied, target, remote, "--lock", lock)
        assert refused.code == 1 and "Adopted" not in refused.out, refused.out + refused.err
    assert account.writes() == [] and _tree(applied) == before and lock.read_bytes() == locked
