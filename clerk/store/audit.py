"""The append-only, hash-chained audit log: who did what, when, by which channel, on what evidence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from clerk.times import to_iso

GENESIS = "0" * 64


def _canonical(row: dict[str, Any]) -> str:
    fields = ("at", "actor", "action", "subject", "channel", "evidence", "detail", "prev_hash")
    return json.dumps([row[f] for f in fields], ensure_ascii=False, separators=(",", ":"))


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(row).encode("utf-8")).hexdigest()


def record(
    db: Database,
    *,
    at: Any,
    actor: str,
    action: str,
    subject: str,
    channel: str = "cli",
    evidence: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Append one event; call inside the same write transaction as the change it describes."""
    last = next(iter(db.query("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")), None)
    row: dict[str, Any] = {
        "at": to_iso(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "channel": channel,
        "evidence": json.dumps(evidence or {}, sort_keys=True, ensure_ascii=False),
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str),
        "idempotency_key": idempotency_key,
        "prev_hash": last["hash"] if last else GENESIS,
    }
    row["hash"] = row_hash(row)
    db.execute(f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
               list(row.values()))  # plain SQL: this runs with every change clerk makes
    return row


def seen(db: Database, idempotency_key: str) -> dict[str, Any] | None:
    """The event already recorded under this key, if the operation was done before."""
    return next(iter(db.query("SELECT * FROM audit WHERE idempotency_key = ?",
                              [idempotency_key])), None)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    reason: str


def verify_chain(db: Database) -> ChainCheck:
    """Recompute every hash: an edited, removed or reordered row breaks the chain."""
    prev = GENESIS
    count = 0
    for row in db.query("SELECT * FROM audit ORDER BY id"):
        count += 1
        if row["prev_hash"] != prev:
            return ChainCheck(False, count, f"audit row {row['id']} does not follow the row "
                                            "before it (a row was removed or reordered)")
        if row_hash(row) != row["hash"]:
            return ChainCheck(False, count, f"audit row {row['id']} was changed after it was "
                                            "written")
        prev = row["hash"]
    return ChainCheck(True, count, f"all {count} audit rows are intact")
