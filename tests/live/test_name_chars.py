"""The ``name_chars`` switch: managed names in the ``any`` and ``ascii`` styles, both read back."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.gitops.adopt import adopt
from engine.gitops.live import default_display, display_part, marker_key, remote_name
from engine.gitops.model import ResourceKind
from engine.gitops.schema import KEY_PATTERN
from sandbox import Sandbox
from tests.live.doctor_support import KEY, make_client

ASCII_NAME = re.compile(r"^[A-Za-z0-9 _.-]+$")
PROMPT, COLLECTION, LABEL = ResourceKind.PROMPT, ResourceKind.COLLECTION, ResourceKind.LABEL

keys = st.from_regex(KEY_PATTERN, fullmatch=True).filter(lambda k: len(k) < 60)
displays = st.text(min_size=1, max_size=30).map(str.strip).filter(bool)
prefixes = st.sampled_from(["gitops:", "gitops-", "acme/", "pk·", "x"])


@pytest.mark.parametrize(("style", "name"), [
    ("any", "gitops:support/triage · Triage v2"),
    ("ascii", "gitops-support.triage - Triage v2"),
])
def test_the_documented_names(style: str, name: str) -> None:
    assert remote_name(PROMPT, "support/triage", "gitops:", {"name": "Triage v2"}, style) == name
    assert marker_key(PROMPT, name, None, "gitops:", style) == "support/triage"
    assert display_part(name) == "Triage v2"


def test_ascii_names_hold_only_ascii_name_characters() -> None:
    name = remote_name(PROMPT, "team_a/support-x/triage", "gitops:", {"name": "Café · “quoted” — ok"}, "ascii")
    assert ASCII_NAME.match(name), name
    assert name == "gitops-team_a.support-x.triage - Cafe - -quoted- - ok"
    assert marker_key(PROMPT, name, None, "gitops:", "ascii") == "team_a/support-x/triage"


def test_the_default_style_is_unchanged_and_labels_keep_their_names() -> None:
    assert remote_name(PROMPT, "a/b", "gitops:", {}) == "gitops:a/b"
    assert remote_name(COLLECTION, "team/support", "gitops:", {"name": "support"}, "ascii") == "gitops-team.support"
    assert remote_name(LABEL, "canary", "gitops:", {}, "ascii") == "canary"
    assert marker_key(LABEL, "canary", "x [managed by portkey-gitops]", "gitops:") == "canary"


def test_unmarked_names_stay_unmarked_in_both_styles() -> None:
    for name in ("support/triage", "gitops", "gitops:", "gitops-", "other:support/triage"):
        assert marker_key(PROMPT, name, None, "gitops:") is None, name
        assert marker_key(PROMPT, name, None, "gitops:", "ascii") is None, name
    assert marker_key(PROMPT, "gitops:a", None, "") is None


@settings(max_examples=80, deadline=None)
@given(key=keys, display=displays, prefix=prefixes, style=st.sampled_from(["any", "ascii"]))
def test_every_key_and_display_round_trip_in_both_styles(key: str, display: str, prefix: str, style: str) -> None:
    spec = {"name": display}
    name = remote_name(PROMPT, key, prefix, spec, style)
    assert marker_key(PROMPT, name, None, prefix, style) == key
    shown = display_part(name, prefix)
    if display == default_display(PROMPT, key):
        assert shown is None
    elif shown is None:  # an ascii display that reads as the key once written
        assert style == "ascii" and name == remote_name(PROMPT, key, prefix, {}, "ascii")
    elif style == "any":
        assert shown == display
    else:
        assert ASCII_NAME.match(name), name
        assert shown is not None and ASCII_NAME.match(shown)
        assert remote_name(PROMPT, key, prefix, {"name": shown}, "ascii") == name  # export then plan: stable


@settings(max_examples=60, deadline=None)
@given(key=keys, display=st.none() | displays)
def test_reading_accepts_both_styles_so_an_account_can_move(key: str, display: str | None) -> None:
    spec = {"name": display} if display else {}
    names = {style: remote_name(PROMPT, key, "gitops:", spec, style) for style in ("any", "ascii")}
    assert {marker_key(PROMPT, name, None, "gitops:", "ascii") for name in names.values()} == {key}


def test_the_default_style_never_claims_an_object_that_only_looks_like_the_ascii_form() -> None:
    """An unmanaged ``gitops-notes`` must not count as managed (prune would delete it)."""
    assert marker_key(PROMPT, "gitops-notes", None, "gitops:") is None
    assert marker_key(PROMPT, "gitops-notes", None, "gitops:", "ascii") == "notes"


@pytest.mark.anyio
async def test_adopt_marks_an_object_in_the_account_s_style() -> None:
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        client, _ = make_client(sb)
        async with client:
            created = await client.create_collection(body={"name": "triage"})
            adopted = await adopt(client, "collection:support/triage", created["id"], "gitops:", "ascii")
            again = await client.get_collection(collection_id=created["id"])
    assert adopted["name"] == again["name"] == "gitops-support.triage"


def test_an_ascii_display_equal_to_the_key_once_written_is_left_out() -> None:
    name = remote_name(PROMPT, "cafe", "gitops:", {"name": "café"}, "ascii")
    assert name == "gitops-cafe"
    assert display_part(name) is None


def test_ascii_characters_are_the_documented_set() -> None:
    allowed = set(string.ascii_letters + string.digits + "-_. ")
    name = remote_name(PROMPT, "k", "p:", {"name": "".join(chr(c) for c in range(32, 0x2100, 7))}, "ascii")
    assert set(name) <= allowed


@pytest.mark.parametrize(("name", "prefix", "key"), [
    ("gitops:../../../escaped", "gitops:", "../../../escaped"),  # the 'any' style reads keys as written
    ("gitops:v1.2", "gitops:", "v1.2"),
    ("gitops:a - b", "gitops:", "a - b"),
    ("gitops-v1.2", "gitops:", "v1/2"),  # only the ascii style turns '.' into '/'
    ("acme-support.triage - X", "acme-", "support/triage"),  # one prefix for both styles
    ("acme-support/triage · X", "acme-", "support/triage"),
    ("acme-../up", "acme-", "../up"),
])
def test_each_style_is_read_by_its_own_rules(name: str, prefix: str, key: str) -> None:
    assert marker_key(PROMPT, name, None, prefix, "ascii") == key
