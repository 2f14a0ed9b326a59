"""Reply keys: 128 random bits bound to one person and one purpose, expiring; they let a reply
find its way back (``clerk+KEY@domain``, and ``<purpose.KEY@domain>`` as the Message-ID)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from clerk.times import from_iso, to_iso

Purpose = Literal["rsvp", "vote", "agenda", "papers", "link", "booking"]


@dataclass(frozen=True)
class ReplyKey:
    key: str
    person_id: int
    email: str
    name: str
    purpose: str
    subject_ref: str
    expires_at: datetime


@dataclass(frozen=True)
class KeyCheck:
    """Whether a key may be used now: ``key`` is set when it may; ``reason`` says why not."""

    key: ReplyKey | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.key is not None


def issue_key(db: Database, *, person_id: int, purpose: Purpose, subject_ref: str, now: datetime,
              days: int) -> str:
    """A key for this person and purpose; the unexpired one already issued is reused."""
    existing = next(iter(db.query(
        "SELECT key FROM reply_keys WHERE person_id = ? AND purpose = ? AND subject_ref = ? "
        "AND revoked = 0 AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
        [person_id, purpose, subject_ref, to_iso(now)])), None)
    if existing:
        return str(existing["key"])
    key = secrets.token_hex(16)
    db.table("reply_keys").insert({"key": key, "person_id": person_id, "purpose": purpose,
                             "subject_ref": subject_ref, "created_at": to_iso(now),
                             "expires_at": to_iso(now + timedelta(days=days))})
    return key


def check_key(db: Database, key: str, now: datetime) -> KeyCheck:
    """Look a key up: unknown, revoked and expired keys are refused with the reason."""
    row: dict[str, Any] | None = next(iter(db.query(
        "SELECT k.*, p.email, p.name FROM reply_keys k JOIN people p ON p.id = k.person_id "
        "WHERE k.key = ?", [key.lower()])), None)
    if row is None:
        return KeyCheck(None, "the reply key is not one clerk issued")
    if row["revoked"]:
        return KeyCheck(None, "the reply key has been withdrawn")
    if from_iso(row["expires_at"]) <= now:
        return KeyCheck(None, "the reply key has expired")
    return KeyCheck(ReplyKey(row["key"], row["person_id"], row["email"], row["name"],
                             row["purpose"], row["subject_ref"], from_iso(row["expires_at"])),
                    "valid")


def mark_used(db: Database, key: str, now: datetime) -> None:
    db.execute("UPDATE reply_keys SET uses = uses + 1, last_used_at = ? WHERE key = ?",
               [to_iso(now), key])
