"""SQLite state: every object is a JSON document in one table, keyed by kind and id.

One connection, one lock: `Store.transaction()` serialises callers (requests and the Python
API alike) and commits only when the block finishes without an exception, so a failed
request writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    slug TEXT,
    workspace_id TEXT,
    parent_id TEXT,
    doc TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_slug ON objects (kind, slug);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (kind, parent_id);
CREATE INDEX IF NOT EXISTS objects_workspace ON objects (kind, workspace_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

Doc = dict[str, Any]


class Listing(Sequence[Doc]):
    """Documents in creation order, each decoded from its stored JSON only when read.

    A listing handler that serves one page of N documents decodes that page only: ``len()`` costs
    nothing, a slice decodes its rows. ``where`` and ``values`` work on top-level fields that SQLite
    read out of the stored JSON (``json_extract``: text, numbers, None for null or absent; true and
    false as 1 and 0), so filtering and counting decode nothing either.
    """

    def __init__(self, rows: list[tuple[Any, ...]], fields: tuple[str, ...]):
        self._rows = rows  # (stored JSON, *values of fields)
        self._fields = fields

    def _column(self, field: str) -> int:
        return self._fields.index(field) + 1

    def where(self, field: str, test: Callable[[Any], bool]) -> Listing:
        """The documents whose ``field`` passes ``test``, in the same order."""
        column = self._column(field)
        return Listing([row for row in self._rows if test(row[column])], self._fields)

    def values(self, field: str) -> list[Any]:
        """``field`` of every document, in order."""
        column = self._column(field)
        return [row[column] for row in self._rows]

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Doc: ...

    @overload
    def __getitem__(self, index: slice) -> list[Doc]: ...

    def __getitem__(self, index: int | slice) -> Doc | list[Doc]:
        if isinstance(index, slice):
            return [json.loads(row[0]) for row in self._rows[index]]
        return json.loads(self._rows[index][0])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Doc]:
        return (json.loads(row[0]) for row in self._rows)


class Tx:
    """Reads and writes inside one transaction. Documents are plain dicts (copies)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def get(self, kind: str, ident: str) -> Doc | None:
        """The `kind` document whose id is `ident`."""
        row = self._conn.execute(
            "SELECT doc FROM objects WHERE kind = ? AND id = ?", (kind, ident)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def find(self, kind: str, ident: str) -> Doc | None:
        """The `kind` document whose id or slug is `ident` (the older one if both match).

        Two index lookups (the unique (kind, id) key and the (kind, slug) index) rather than one
        ``id = ? OR slug = ?`` query, which SQLite answers by scanning every row of the kind.
        """
        by_id = self._conn.execute(
            "SELECT seq, doc FROM objects WHERE kind = ? AND id = ?", (kind, ident)
        ).fetchone()
        by_slug = self._conn.execute(
            "SELECT seq, doc FROM objects WHERE kind = ? AND slug = ? ORDER BY seq LIMIT 1", (kind, ident)
        ).fetchone()
        found = min((r for r in (by_id, by_slug) if r is not None), key=lambda r: r[0], default=None)
        return json.loads(found[1]) if found else None

    def slug_taken(self, kind: str, slug: str) -> bool:
        """True when some `kind` document already has `slug`."""
        row = self._conn.execute(
            "SELECT 1 FROM objects WHERE kind = ? AND slug = ?", (kind, slug)
        ).fetchone()
        return row is not None

    def list(
        self, kind: str, *, workspace_id: str | None = None, parent_id: str | None = None
    ) -> list[Doc]:
        """`kind` documents in creation order, optionally of one workspace or one parent."""
        return list(self.listing(kind, workspace_id=workspace_id, parent_id=parent_id))

    def listing(
        self,
        kind: str,
        *,
        workspace_id: str | None = None,
        parent_id: str | None = None,
        fields: tuple[str, ...] = (),
    ) -> Listing:
        """What :meth:`list` returns, decoded lazily, with ``fields`` read by SQLite for filtering."""
        columns = "".join(", json_extract(doc, ?)" for _ in fields)
        args: list[Any] = [f'$."{field}"' for field in fields]
        sql = f"SELECT doc{columns} FROM objects WHERE kind = ?"
        args.append(kind)
        if workspace_id is not None:
            sql += " AND workspace_id = ?"
            args.append(workspace_id)
        if parent_id is not None:
            sql += " AND parent_id = ?"
            args.append(parent_id)
        return Listing(self._conn.execute(sql + " ORDER BY seq", args).fetchall(), fields)

    def put(self, kind: str, doc: Doc, *, parent_id: str | None = None) -> Doc:
        """Insert or replace `doc` (keyed by `doc["id"]`); an update keeps the creation order."""
        self._conn.execute(
            "INSERT INTO objects (kind, id, slug, workspace_id, parent_id, doc)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, id) DO UPDATE SET slug = excluded.slug,"
            " workspace_id = excluded.workspace_id,"
            " parent_id = COALESCE(excluded.parent_id, objects.parent_id), doc = excluded.doc",
            (
                kind,
                doc["id"],
                doc.get("slug"),
                doc.get("workspace_id"),
                parent_id,
                json.dumps(doc, sort_keys=True),
            ),
        )
        return doc

    def delete(self, kind: str, ident: str) -> None:
        """Remove one document."""
        self._conn.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, ident))

    def delete_children(self, kind: str, parent_id: str) -> None:
        """Remove every `kind` document under `parent_id`."""
        self._conn.execute(
            "DELETE FROM objects WHERE kind = ? AND parent_id = ?", (kind, parent_id)
        )

    def meta(self, key: str) -> str | None:
        """A stored setting."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class Store:
    """The sandbox database: a file path or `":memory:"`."""

    def __init__(self, db: str | Path = ":memory:"):
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(db), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        self._closed = False

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Hold the lock and one transaction; roll back if the block raises."""
        with self._lock:
            if self._closed:
                raise RuntimeError("sandbox store is closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection; later transactions fail."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
