"""Reading what a database file holds without changing it: integrity, schema version, row counts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from clerk.store.schema import migrations

COUNTED_TABLES = ("bodies", "people", "meetings")


@dataclass(frozen=True)
class SchemaState:
    """Which of clerk's migrations a database has, lacks, or has that this clerk does not know."""

    applied: list[str]
    pending: list[str]
    unknown: list[str]

    @property
    def version(self) -> str:
        return self.applied[-1] if self.applied else "empty"

    @property
    def total(self) -> int:
        return len(self.applied) - len(self.unknown) + len(self.pending)

    def describe(self) -> str:
        known = len(self.applied) - len(self.unknown)
        return f"schema {self.version} ({known} of {self.total} migrations)"


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write to ``path`` (SQLite may still create its -shm to read a WAL)."""
    if not path.is_file():
        raise FileNotFoundError(f"no database file at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def schema_state(conn: sqlite3.Connection) -> SchemaState:
    db = Database(conn, recursive_triggers=False)
    applied = [m.name for m in migrations.applied(db)]
    pending = [m.name for m in migrations.pending(db)]
    known = {m.name for m in migrations.pending(Database(memory=True))}
    return SchemaState(applied, pending, [name for name in applied if name not in known])


def integrity_problems(conn: sqlite3.Connection, limit: int = 10) -> list[str]:
    """What ``PRAGMA integrity_check`` finds; empty when the database is sound."""
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    return [] if rows == ["ok"] else rows


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many bodies, people and meetings the database holds (tables it lacks are left out)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in COUNTED_TABLES if t in tables}
