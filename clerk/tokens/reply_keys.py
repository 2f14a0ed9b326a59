"""Reply keys: 128 random bits bound to one person and one purpose, expiring; they let a reply
find its way back (``clerk+KEY@domain``, and ``<purpose.KEY@domain>`` as the Message-ID).

:func:`check_key` says whether a key may be used now as a :data:`KeyCheckCode`; callers choose
what to do (and what the writer is told) by that code, never by the sentence
:attr:`KeyCheck.reason`, which is only what the records say."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from clerk.store.rows import execute, fetch_one, insert
from clerk.times import from_iso, to_iso

Purpose = Literal["rsvp", "vote", "agenda", "papers", "link", "booking", "support",
                  "action", "nomination", "candidacy", "election"]

KeyProblem = Literal["unknown", "withdrawn", "expired"]
"""Why a key may not be used: not one clerk issued, withdrawn (a newer email replaced the one it
came in), or past its expiry."""
KeyCheckCode = Literal["valid", KeyProblem]

KEY_CHECK_REASONS: dict[KeyCheckCode, str] = {
    "valid": "valid",
    "unknown": "the reply key is not one clerk issued",
    "withdrawn": "the reply key has been withdrawn",
    "expired": "the reply key has expired",
}
"""What the records (the ``inbound`` row, the audit log) say for each outcome."""


@dataclass(frozen=True)
class ReplyKey:
    key: str
    person_id: int
    email: str
    name: str
    purpose: str
    subject_ref: str
    expires_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ReplyKey:
        """From a ``reply_keys`` row joined with its owner's ``email`` and ``name``."""
        return cls(str(row["key"]), int(row["person_id"]), str(row["email"]), str(row["name"]),
                   str(row["purpose"]), str(row["subject_ref"]), from_iso(row["expires_at"]))


@dataclass(frozen=True)
class KeyCheck:
    """Whether a key may be used now: ``key`` is set when it may (``code`` is then ``valid``);
    otherwise ``code`` says why not."""

    key: ReplyKey | None
    code: KeyCheckCode

    @property
    def ok(self) -> bool:
        return self.key is not None

    @property
    def reason(self) -> str:
        """The outcome in words, for the records (choose by :attr:`code`, never by this)."""
        return KEY_CHECK_REASONS[self.code]


def issue_key(db: Database, *, person_id: int, purpose: Purpose, subject_ref: str, now: datetime,
              days: int) -> str:
    """A key for this person and purpose; the unexpired one already issued is reused."""
    existing = fetch_one(
        db, "SELECT key FROM reply_keys WHERE person_id = ? AND purpose = ? AND subject_ref = ? "
        "AND revoked = 0 AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
        [person_id, purpose, subject_ref, to_iso(now)])
    if existing:
        return str(existing["key"])
    key = secrets.token_hex(16)
    insert(db, "reply_keys", {"key": key, "person_id": person_id, "purpose": purpose,
                              "subject_ref": subject_ref, "created_at": to_iso(now),
                              "expires_at": to_iso(now + timedelta(days=days))})
    return key


def check_key(db: Database, key: str, now: datetime) -> KeyCheck:
    """Look a key up: unknown, withdrawn and expired keys are refused, with the code saying which."""
    row = fetch_one(db, "SELECT k.*, p.email, p.name FROM reply_keys k JOIN people p "
                        "ON p.id = k.person_id WHERE k.key = ?", [key.lower()])
    if row is None:
        return KeyCheck(None, "unknown")
    if row["revoked"]:
        return KeyCheck(None, "withdrawn")
    if from_iso(row["expires_at"]) <= now:
        return KeyCheck(None, "expired")
    return KeyCheck(ReplyKey.from_row(row), "valid")


def key_subject(db: Database, key: str) -> str | None:
    """What a key clerk issued is about (its ``subject_ref``), whether or not it may still be
    used; None for a key clerk never issued."""
    row = fetch_one(db, "SELECT subject_ref FROM reply_keys WHERE key = ?", [key.lower()])
    return str(row["subject_ref"]) if row else None


def mark_used(db: Database, key: str, now: datetime) -> None:
    """Count one use of a key (a reply it carried was accepted)."""
    execute(db, "UPDATE reply_keys SET uses = uses + 1, last_used_at = ? WHERE key = ?",
            [to_iso(now), key])
