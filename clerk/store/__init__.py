"""The SQLite store: one file, WAL, migrations, and write transactions that take the lock first."""

from clerk.store.db import Store, insert_row, open_store

__all__ = ["Store", "insert_row", "open_store"]
