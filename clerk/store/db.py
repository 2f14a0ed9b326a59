"""Opening the database, and the one way to write to it: ``with store.write(): ...``."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

from clerk.ops.files import create_private_file, make_private_dir
from clerk.store.backup import backup_connection, before_migration_path
from clerk.store.rows import fetch_all, fetch_one
from clerk.store.schema import migrations

log = logging.getLogger("clerk.store")


class ClerkDatabase(sqlite_utils.Database):
    """sqlite-utils' Database, with plain SELECTs run directly.

    sqlite-utils 4 wraps every ``query()`` in a savepoint so that a statement which turns out not
    to return rows can be rolled back; a statement that starts with SELECT cannot write, so clerk
    skips the guard for those (it costs two extra statements per query on the hot paths).
    """

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None,
              ) -> Generator[dict[str, Any], None, None]:
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
        """The first row of a query, or None (outside a transaction; see clerk.store.rows)."""
        return fetch_one(self.db, sql, params)

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
        """Every row of a query (outside a transaction; see clerk.store.rows)."""
        return fetch_all(self.db, sql, params)

    def close(self) -> None:
        self.db.close()


def open_store(path: Path | str | None = None, *, memory: bool = False) -> Store:
    """Open (creating if need be) the database at ``path`` and bring its schema up to date."""
    if memory or path is None:
        db = ClerkDatabase(memory=True)
    else:
        path = Path(path)
        make_private_dir(path.parent)
        existed = path.is_file() and path.stat().st_size > 0
        create_private_file(path)  # 0600; SQLite gives its -wal and -shm the same mode
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        db = ClerkDatabase(conn)
        db.execute("PRAGMA busy_timeout = 30000")
        if existed:
            _backup_before_upgrade(db, path)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    migrations.apply(db)
    return Store(db)


def _backup_before_upgrade(db: sqlite_utils.Database, path: Path) -> Path | None:
    """Keep a copy of a database that is about to have its schema upgraded, and say where.

    Only a database clerk has already migrated counts (a new, empty one has nothing to lose). The
    copy is made with the online backup API; if it cannot be made, nothing is migrated.
    """
    if not migrations.applied(db):
        return None
    pending = migrations.pending(db)
    if not pending:
        return None
    target = before_migration_path(path)
    report = backup_connection(db.conn, target)
    count = f"{len(pending)} migration{'s' if len(pending) != 1 else ''}"
    log.warning("Backed up the database to %s before upgrading its schema (%s: %s); to go back, "
                "stop clerk and copy it over %s", report.path, count, ", ".join(m.name for m in pending),
                path)
    return report.path
