"""A consistent copy of the database, made with SQLite's online backup API and put in place atomically.

The copy is read in one step inside one read transaction, so it is a snapshot even while ``clerk run``
writes (WAL: readers and the writer do not block each other). It is written to a temporary file
(0600) in the target's folder, switched out of WAL mode so that it is one self-contained file,
checked with ``PRAGMA integrity_check``, fsynced, and only then renamed onto the target: an existing
file at the target is never left half-written.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clerk.errors import ClerkError
from clerk.ops.files import FILE_MODE
from clerk.store.dbinfo import SchemaState, integrity_problems, open_read_only, row_counts, schema_state


class BackupError(ClerkError):
    """The backup could not be made; nothing at the target was changed."""


@dataclass(frozen=True)
class BackupReport:
    """What was written: where, how big, which schema, how many rows of the main tables."""

    path: Path
    size: int
    schema: SchemaState
    counts: dict[str, int]

    def describe(self) -> str:
        counts = ", ".join(f"{n} {table}" for table, n in self.counts.items())
        size = f"{self.size / 1_048_576:.1f} MB" if self.size >= 1_048_576 else f"{self.size} bytes"
        return (f"Backed up the database to {self.path}: {size}, {self.schema.describe()}"
                + (f", {counts}" if counts else "") + ".")


def backup_file(database: Path, target: Path) -> BackupReport:
    """Back up the database file ``database`` to ``target`` (read-only on the source)."""
    try:
        source = open_read_only(database)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot open the database {database}: {exc}") from exc
    try:
        return backup_connection(source, target)
    finally:
        source.close()


def backup_connection(source: sqlite3.Connection, target: Path) -> BackupReport:
    """Copy the database behind ``source`` to ``target``, atomically."""
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"the folder {folder} does not exist: create it first")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file, e.g. {target / 'clerk.db'}")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BackupError(f"cannot write in {folder}: {exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        report = _copy_and_check(source, tmp, target)
        os.chmod(tmp, FILE_MODE)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_folder(folder)
        return report
    except sqlite3.Error as exc:
        raise BackupError(f"the backup to {target} failed: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write the backup {target}: {exc}") from exc
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def _copy_and_check(source: sqlite3.Connection, tmp: Path, target: Path) -> BackupReport:
    copy = sqlite3.connect(tmp)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        problems = integrity_problems(copy)
        if problems:
            raise BackupError(f"the copy failed its integrity check ({'; '.join(problems)}); "
                              f"{target} was left as it was")
        schema = schema_state(copy)
        counts = row_counts(copy)
    finally:
        copy.close()
    return BackupReport(target, tmp.stat().st_size, schema, counts)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def before_migration_path(database: Path, now: datetime | None = None) -> Path:
    """Where the copy kept before a schema upgrade goes: beside the database, stamped in UTC."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return database.with_name(f"{database.name}.before-migration-{stamp}.bak")
