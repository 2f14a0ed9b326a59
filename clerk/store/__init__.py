"""The SQLite store: one file, WAL, migrations, write transactions that take the lock first
(:mod:`clerk.store.db`), the one way to read and write rows (:mod:`clerk.store.rows`), the
hash-chained audit log (:mod:`clerk.store.audit`) and file contents kept once by hash
(:mod:`clerk.store.files`)."""

from clerk.store.db import Store, open_store

__all__ = ["Store", "open_store"]
