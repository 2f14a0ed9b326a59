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

Row = dict[str, Any]
Params = Sequence[Any] | dict[str, Any]


def fetch_one(db: sqlite_utils.Database, sql: str, params: Params = ()) -> Row | None:
    """The first row of a SELECT, or None."""
    return next(iter(db.query(sql, params)), None)


def fetch_all(db: sqlite_utils.Database, sql: str, params: Params = ()) -> list[Row]:
    """Every row of a SELECT."""
    return list(db.query(sql, params))


def insert(db: sqlite_utils.Database, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row and return its integer primary key."""
    pk = db.table(table).insert(dict(row)).last_pk
    if not isinstance(pk, int):
        raise TypeError(f"{table} has no integer primary key")
    return pk


def update(db: sqlite_utils.Database, table: str, pk: int, values: Mapping[str, Any]) -> None:
    """Change some columns of the row ``pk`` of ``table``."""
    db.table(table).update(pk, dict(values))


def execute(db: sqlite_utils.Database, sql: str, params: Params = ()) -> int:
    """Run a statement that changes rows (not a SELECT) and return how many it changed."""
    return db.execute(sql, params).rowcount
