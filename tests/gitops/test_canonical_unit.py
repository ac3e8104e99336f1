"""Canonical JSON and hashes, without a sandbox."""

from __future__ import annotations

from engine.gitops.canonical import canonical_json, content_hash, redact, secret_paths, strip_nulls


def test_key_order_nulls_and_integral_floats_do_not_change_the_hash() -> None:
    a = {"parameters": {"temperature": 1.0, "max_tokens": 400}, "tools": None, "model": "m"}
    b = {"model": "m", "parameters": {"max_tokens": 400.0, "temperature": 1}}
    assert content_hash(strip_nulls(a)) == content_hash(strip_nulls(b))
    assert canonical_json({"t": 0.5, "flag": True}) == '{"flag":true,"t":0.5}'
    assert content_hash({"t": 0.5}) != content_hash({"t": 1})


def test_secret_named_fields_are_found_and_masked_wherever_they_sit() -> None:
    live = {"config": {"targets": [{"virtual_key": "vk"}, {"api_key": "sk-1", "token": ""}],
                       "password": {"nested": "kept"}}}
    assert secret_paths(live) == {"config.targets.1.api_key", "config.password"}  # any value type
    assert redact(live, secret_paths(live))["config"]["targets"][1] == {"api_key": "(secret)", "token": ""}
    assert redact(live, secret_paths(live))["config"]["password"] == "(secret)"
    assert redact({"api_key": "${secret:KEY}"}, set()) == {"api_key": "(secret)"}
