"""The SQLite store: one file, WAL, migrations, and write transactions that take the lock first."""

from clerk.store.db import Store, open_store

__all__ = ["Store", "open_store"]
