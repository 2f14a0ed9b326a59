"""``clerk backup PATH``: a consistent, checked copy made while clerk writes, put in place atomically;
and the copy clerk keeps beside the database before it upgrades the schema."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clerk.store import backup as backup_module
from clerk.store import open_store
from clerk.store.backup import BackupError, backup_file
from clerk.store.db import ClerkDatabase
from clerk.store.dbinfo import integrity_problems, schema_state
from clerk.store.schema import migrations
from tests.app_fixtures import EXAMPLE_CONFIG

CLERK = [sys.executable, "-m", "clerk"]
BATCH = 25  # the writer inserts people 25 at a time, one transaction each


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def count_people(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM people").fetchone()[0])
    finally:
        conn.close()


def test_backup_while_another_connection_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "clerk.db"
    open_store(db).close()
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        store = open_store(db)
        try:
            while not stop.is_set():
                with store.write() as wdb:
                    n = written[0]
                    wdb.table("people").insert_all(
                        {"email": f"p{n + i}@example.org", "name": f"Person {n + i}",
                         "created_at": "2026-11-28T00:00:00Z"} for i in range(BATCH))
                written[0] = n + BATCH
        finally:
            store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        counts = []
        for i in range(8):
            while written[0] < (i + 1) * 200:  # let the writer get ahead between backups
                time.sleep(0.001)
            target = tmp_path / "backup.db"
            report = backup_file(db, target)
            assert report.counts["people"] % BATCH == 0
            conn = sqlite3.connect(target)
            assert integrity_problems(conn) == []
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            conn.close()
            assert count_people(target) == report.counts["people"]
            counts.append(report.counts["people"])
            assert mode(target) == 0o600
            assert not Path(f"{target}-wal").exists()
    finally:
        stop.set()
        thread.join()
    assert counts == sorted(counts) and counts[-1] > counts[0] > 0
    assert written[0] >= counts[-1]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup.db")]
    assert leftovers == []


def test_a_failed_backup_leaves_the_old_file_untouched(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "clerk.db"
    open_store(db).close()
    target = tmp_path / "backup.db"
    target.write_bytes(b"yesterday's backup")
    monkeypatch.setattr(backup_module, "integrity_problems", lambda _conn: ["page 7: btree corrupt"])
    with pytest.raises(BackupError, match="failed its integrity check") as failure:
        backup_file(db, target)
    assert "backup.db was left as it was" in str(failure.value)
    assert target.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["backup.db"]


def test_a_source_that_is_not_a_database_fails_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "clerk.db"
    db.write_bytes(b"this is not SQLite" * 100)
    target = tmp_path / "backup.db"
    target.write_bytes(b"old")
    with pytest.raises(BackupError):
        backup_file(db, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.db", "clerk.db"]


def test_clerk_backup_command(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    missing = subprocess.run([*CLERK, "backup", "b.db", "-c", "config.toml"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert missing.returncode == 2
    assert "there is no database at" in missing.stderr and "Traceback" not in missing.stderr
    subprocess.run([*CLERK, "init", "-c", "config.toml"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "backups").mkdir()
    out = subprocess.run([*CLERK, "backup", "backups/clerk.db", "-c", "config.toml"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Backed up the database to backups/clerk.db" in out.stdout
    names = [m.name for m in migrations.pending(ClerkDatabase(memory=True))]  # (all of them)
    assert f"schema {names[-1]} ({len(names)} of {len(names)} migrations), 7 bodies" in out.stdout
    assert mode(tmp_path / "backups" / "clerk.db") == 0o600
    nowhere = subprocess.run([*CLERK, "backup", "nowhere/clerk.db", "-c", "config.toml"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert nowhere.returncode == 2
    assert "the folder nowhere does not exist" in nowhere.stderr


def old_database(path: Path) -> None:
    """A database as an older clerk left it: the migrations before m006, with some data."""
    db = ClerkDatabase(str(path))
    migrations.apply(db, stop_before="m006_bot")
    db.table("bodies").insert({"slug": "carers", "name": "Carers", "loaded_at": "2026-01-01"})
    db.close()


def test_a_schema_upgrade_keeps_a_backup_beside_the_database(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "clerk.db"
    old_database(path)
    with caplog.at_level(logging.WARNING, logger="clerk.store"):
        store = open_store(path)
    store.close()
    [kept] = list(tmp_path.glob("clerk.db.before-migration-*.bak"))
    assert mode(kept) == 0o600
    conn = sqlite3.connect(kept)
    state = schema_state(conn)
    later = [m.name for m in migrations.pending(ClerkDatabase(memory=True))][5:]  # m006 on
    assert state.pending == later and len(state.applied) == 5
    assert conn.execute("SELECT name FROM bodies").fetchall() == [("Carers",)]
    conn.close()
    upgraded = sqlite3.connect(path)
    assert schema_state(upgraded).pending == []
    upgraded.close()
    [line] = [r.getMessage() for r in caplog.records if r.name == "clerk.store"]
    assert line.startswith(f"Backed up the database to {kept} before upgrading its schema "
                           f"({len(later)} migrations: {', '.join(later)})")
    caplog.clear()
    open_store(path).close()  # up to date: nothing more is kept
    assert len(list(tmp_path.glob("*.bak"))) == 1
    assert not caplog.records


def test_a_new_database_is_not_backed_up(tmp_path: Path) -> None:
    open_store(tmp_path / "clerk.db").close()
    assert list(tmp_path.glob("*.bak")) == []


def test_clerk_says_where_the_backup_is_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "var").mkdir()
    old_database(tmp_path / "var" / "clerk.db")
    out = subprocess.run([*CLERK, "init", "-c", "config.toml"], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ})
    assert out.returncode == 0, out.stderr
    [kept] = list((tmp_path / "var").glob("clerk.db.before-migration-*.bak"))
    assert f"Backed up the database to var/{kept.name} before upgrading its schema (" \
        in out.stderr
