"""No per-resource scan of every live object: matching and the sandbox's lookups stay linear."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from engine.gitops.live import LiveObject, LiveState
from engine.gitops.model import ResourceKind
from sandbox.store import Store

P = ResourceKind.PROMPT


class _CountingList(list):  # type: ignore[type-arg]
    """A list that counts how often it is walked."""

    walks = 0

    def __iter__(self) -> Iterator[LiveObject]:
        type(self).walks += 1
        return super().__iter__()


def _objects(count: int) -> _CountingList:
    marked = [LiveObject(P, f"id-{i}", f"gitops:p-{i}", key=f"p-{i}") for i in range(count)]
    return _CountingList([*marked, LiveObject(P, "u-1", "p-x"), LiveObject(P, "u-2", "p-x")])


def test_matching_every_resource_walks_the_live_objects_once_per_kind() -> None:
    _CountingList.walks = 0
    live = LiveState(objects={P: _objects(1000)})
    for i in range(1000):
        assert [o.id for o in live.managed_key(P, f"p-{i}")] == [f"id-{i}"]
        assert [o.id for o in live.unmarked_named(P, "p-x")] == ["u-1", "u-2"]
        assert live.managed(P)[f"p-{i}"][0].id == f"id-{i}" if i < 3 else True
    assert _CountingList.walks == 1


def test_the_index_follows_a_kind_list_that_is_replaced_or_grows() -> None:
    live = LiveState(objects={P: _objects(3)})
    assert live.managed_key(P, "p-9") == []
    live.objects[P].append(LiveObject(P, "id-9", "gitops:p-9", key="p-9"))
    assert [o.id for o in live.managed_key(P, "p-9")] == ["id-9"]
    live.objects[P] = [LiveObject(P, "id-0b", "gitops:p-0", key="p-0")]
    assert [o.id for o in live.managed_key(P, "p-0")] == ["id-0b"]
    assert live.unmarked_named(P, "p-x") == []
    live.managed(P)["p-0"].clear()  # a caller changing its copy leaves the index whole
    assert [o.id for o in live.managed_key(P, "p-0")] == ["id-0b"]


def _steps(store: Store, ident: str) -> tuple[dict | None, int]:
    """The document found and the SQLite VM steps (in hundreds) the lookup took."""
    with store.transaction() as tx:
        conn: sqlite3.Connection = tx._conn  # measuring the query, not using it
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        conn.set_progress_handler(tick, 100)
        try:
            return tx.find("prompt", ident), count[0]
        finally:
            conn.set_progress_handler(None, 100)


def test_sandbox_lookup_by_id_or_slug_does_not_scan_the_kind() -> None:
    store = Store()
    with store.transaction() as tx:
        for i in range(3000):
            tx.put("prompt", {"id": f"id-{i}", "slug": f"slug-{i}"})
        tx.put("prompt", {"id": "slug-5", "slug": "late"})  # an id equal to an older slug
    for ident, want in (("slug-2999", "id-2999"), ("id-1500", "id-1500"), ("slug-5", "id-5"), ("nope", None)):
        doc, steps = _steps(store, ident)
        assert (doc or {}).get("id") == want
        assert steps <= 2, f"{ident}: {steps * 100} VM steps: a scan of the kind"
    store.close()
