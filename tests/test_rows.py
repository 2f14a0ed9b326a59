"""clerk.store.rows, the one way clerk reads and writes rows: what goes in comes back out."""

from __future__ import annotations

import pytest

from clerk.store.db import ClerkDatabase
from clerk.store.rows import execute, fetch_all, fetch_one, insert, update


@pytest.fixture
def db() -> ClerkDatabase:
    db = ClerkDatabase(memory=True)
    db.execute("CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT, body BLOB, detail TEXT)")
    db.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, n INTEGER)")
    return db


def test_a_row_goes_in_and_comes_back_as_it_was(db: ClerkDatabase) -> None:
    large = bytes(range(256)) * 4096  # 1 MiB: written by blob I/O, not bound to the statement
    small = b"%PDF-1.7 tiny"
    first = insert(db, "files", {"name": "pack.pdf", "body": large, "detail": {"pages": 3}})
    second = insert(db, "files", {"name": "note.pdf", "body": small, "detail": None})
    assert (first, second) == (1, 2)
    row = fetch_one(db, "SELECT * FROM files WHERE id = ?", [first])
    assert row is not None and row["body"] == large and row["detail"] == '{"pages": 3}'
    assert [r["name"] for r in fetch_all(db, "SELECT name FROM files ORDER BY id")] == [
        "pack.pdf", "note.pdf"]
    assert fetch_one(db, "SELECT body FROM files WHERE id = 2") == {"body": small}


def test_update_by_primary_key_and_a_missing_row_is_an_error(db: ClerkDatabase) -> None:
    pk = insert(db, "files", {"name": "a"})
    update(db, "files", pk, {"name": "b"})
    assert fetch_one(db, "SELECT name FROM files WHERE id = ?", [pk]) == {"name": "b"}
    insert(db, "runs", {"key": "invite:carers-2027-01-14", "n": 1})
    update(db, "runs", "invite:carers-2027-01-14", {"n": 2})
    assert fetch_one(db, "SELECT n FROM runs") == {"n": 2}
    with pytest.raises(LookupError):
        update(db, "files", 99, {"name": "c"})
    assert execute(db, "DELETE FROM files WHERE name = ?", ["b"]) == 1
