"""Opening the database, and the one way to write to it: ``with store.write(): ...``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

from clerk.store.schema import migrations


class ClerkDatabase(sqlite_utils.Database):
    """sqlite-utils' Database, with plain SELECTs run directly.

    sqlite-utils 4 wraps every ``query()`` in a savepoint so that a statement which turns out not
    to return rows can be rolled back; a statement that starts with SELECT cannot write, so clerk
    skips the guard for those (it costs two extra statements per query on the hot paths).
    """

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        if sql.lstrip()[:6].upper() != "SELECT":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = [d[0] for d in cursor.description]
        if len(set(keys)) != len(keys):
            keys = list(dedupe_keys(keys))
        return (dict(zip(keys, row, strict=True)) for row in cursor)


class Store:
    """The database and its write discipline.

    Every change happens inside :meth:`write`, which opens a ``BEGIN IMMEDIATE`` transaction so the
    write lock is taken before anything is read; nested calls join the outer transaction. Never
    ``await`` inside one: the adapters do their network I/O before or after, never during.
    """

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        return next(iter(self.db.query(sql, params)), None)

    def by_ref(self, table: str, key: str | int) -> dict[str, Any] | None:
        """The row of ``table`` (one with a unique ``ref``) named by its ref or, when ``key`` is
        a number, its id; each lookup uses an index (an ``OR`` over a cast would scan)."""
        text = str(key).strip()
        if text.isdigit():
            row = self.one(f"SELECT * FROM {table} WHERE id = ?", [int(text)])
            if row is not None:
                return row
        return self.one(f"SELECT * FROM {table} WHERE ref = ?", [text])

    def all(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def close(self) -> None:
        self.db.close()


def insert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row and return its integer primary key."""
    pk = db.table(table).insert(row).last_pk
    if not isinstance(pk, int):
        raise TypeError(f"{table} has no integer primary key")
    return pk


def open_store(path: Path | str | None = None, *, memory: bool = False) -> Store:
    """Open (creating if need be) the database at ``path`` and bring its schema up to date."""
    if memory or path is None:
        db = ClerkDatabase(memory=True)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        db = ClerkDatabase(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    migrations.apply(db)
    return Store(db)
