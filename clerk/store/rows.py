"""The one way clerk reads and writes rows, inside a transaction (``with store.write() as db``)
or outside one (``store.db``): rows come back as dicts keyed by column, and a module that passes
rows to another turns them into its dataclass first (``Person.from_row``, ``Meeting.from_row``).

- :func:`fetch_one` / :func:`fetch_all` for SELECTs (never positional tuples);
- :func:`insert` for a new row (returns its id), :func:`update` for one row by id;
- :func:`execute` for any other statement (UPDATE or DELETE over many rows), returning the count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils
from sqlite_utils.db import jsonify_if_needed

Row = dict[str, Any]
_LARGE_BLOB = 64 * 1024  # bytes: a blob this size or more is written by blob I/O (see insert)
Params = Sequence[Any] | dict[str, Any]


def fetch_one(db: sqlite_utils.Database, sql: str, params: Params = ()) -> Row | None:
    """The first row of a SELECT, or None."""
    return next(iter(db.query(sql, params)), None)


def fetch_all(db: sqlite_utils.Database, sql: str, params: Params = ()) -> list[Row]:
    """Every row of a SELECT."""
    return list(db.query(sql, params))


def insert(db: sqlite_utils.Database, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row and return its integer primary key (its rowid). Values are stored as
    sqlite-utils would store them (a dict or list as JSON, a date as ISO text); the statement is
    plain SQL, which is many times quicker than going through sqlite-utils' Table.

    A large blob (a file, a paper pack) is not bound to the statement: the row is inserted with a
    ``zeroblob`` of its size and the bytes written through SQLite's blob I/O. A bound blob stays
    copied inside the cached prepared statement until the statement is used again (circulating a
    13.5 MB pack peaked 24 MB higher that way: bench_papers, 171 MB instead of 147 MB).
    """
    values = [jsonify_if_needed(v) for v in row.values()]
    large: dict[str, bytes] = {column: v for column, v in zip(row, values, strict=True)
                               if isinstance(v, bytes) and len(v) >= _LARGE_BLOB}
    columns = ", ".join(_quoted(c) for c in row)
    marks = ", ".join("zeroblob(?)" if c in large else "?" for c in row)
    params = [len(large[c]) if c in large else v for c, v in zip(row, values, strict=True)]
    cursor = db.execute(f"INSERT INTO {_quoted(table)} ({columns}) VALUES ({marks})", params)
    pk = cursor.lastrowid
    if not isinstance(pk, int):
        raise TypeError(f"{table} gave no row id")
    for column, data in large.items():
        with db.conn.blobopen(table, column, pk) as blob:
            blob.write(data)
    return pk


def update(db: sqlite_utils.Database, table: str, pk: Any, values: Mapping[str, Any]) -> None:
    """Change some columns of the row of ``table`` whose primary key is ``pk``; a row that is
    not there is an error (LookupError), never silently nothing."""
    if not values:
        return
    sets = ", ".join(f"{_quoted(c)} = ?" for c in values)
    cursor = db.execute(f"UPDATE {_quoted(table)} SET {sets} WHERE {_quoted(_pk(db, table))} = ?",
                        [*(jsonify_if_needed(v) for v in values.values()), pk])
    if cursor.rowcount != 1:
        raise LookupError(f"no row {pk!r} in {table}")


def execute(db: sqlite_utils.Database, sql: str, params: Params = ()) -> int:
    """Run a statement that changes rows (not a SELECT) and return how many it changed."""
    return db.execute(sql, params).rowcount


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_PKS: dict[str, str] = {}


def _pk(db: sqlite_utils.Database, table: str) -> str:
    """The primary key column of ``table`` (``rowid`` when it has none), read once per table."""
    if table not in _PKS:
        pks = [r[1] for r in db.execute(f"PRAGMA table_info({_quoted(table)})") if r[5]]
        _PKS[table] = pks[0] if len(pks) == 1 else "rowid"
    return _PKS[table]
