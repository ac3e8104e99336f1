"""A project cannot declare a label named like the apply lease's own labels: the Reader skips those names, so
such a label would be created on every apply and never seen by a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.lease import GENERATION_NAME, LEASE_NAME
from tests.gitops.fixtures import load, messages


@pytest.mark.parametrize("name", [LEASE_NAME, GENERATION_NAME, LEASE_NAME.upper()])
def test_a_label_named_like_the_lease_is_refused_with_its_file_and_line(tmp_path: Path, name: str) -> None:
    state = load(tmp_path, {"labels/x.label.yaml": f"name: {name}\n"})
    assert messages(state) == [
        f"labels/x.label.yaml:1:7: error: label name {name!r} is reserved for the apply lease (portkey-gitops keeps "
        "its own label of that name in the workspace, and plans never see it): choose another name"
    ]


def test_a_label_file_named_like_the_lease_is_refused(tmp_path: Path) -> None:
    state = load(tmp_path, {f"labels/{LEASE_NAME}.label.yaml": "description: mine\n"})
    assert [m for m in messages(state) if "reserved for the apply lease" in m], messages(state)
