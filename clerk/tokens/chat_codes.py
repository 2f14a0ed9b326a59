"""One-time codes sent by email and typed back into a chat: they prove a chat belongs to
someone who reads that address (an observer booking, a member linking their chat).

A code is six digits, kept only as a salted hash, valid for :data:`VALID` and for
:data:`MAX_ATTEMPTS` wrong tries; asking again within :data:`RESEND_AFTER` (a double tap)
sends nothing new. Helpers here run inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from clerk.store.rows import execute, fetch_one, insert, update
from clerk.times import from_iso, to_iso

CodePurpose = Literal["booking", "link"]
VALID = timedelta(minutes=30)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5
#: The hash of a decoy code: no typed code's hash (64 hex digits) is ever equal to it.
DECOY = "decoy"
#: Codes are deleted this long after they expire (they hold an address and a chat id).
KEEP_EXPIRED = timedelta(days=1)


@dataclass(frozen=True)
class IssuedCode:
    """A code to send (``code`` is None when one was sent moments ago and is still good)."""

    id: int
    code: str | None
    expires_at: datetime


@dataclass(frozen=True)
class ChatCode:
    """A code's record (never the code itself): for which chat and address, to do what (a
    booking names the observer and the meeting), and how it stands."""

    id: int
    purpose: CodePurpose
    chat_id: int
    email: str
    name: str
    meeting_id: int | None
    status: str
    attempts: int
    expires_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChatCode:
        return cls(id=row["id"], purpose=row["purpose"], chat_id=row["chat_id"],
                   email=row["email"], name=row["name"], meeting_id=row["meeting_id"],
                   status=row["status"], attempts=row["attempts"],
                   expires_at=from_iso(row["expires_at"]))


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of typing a code: ``code`` is the code's record when there was one (and,
    with ``ok``, the verified code)."""

    status: Literal["ok", "wrong", "expired", "none", "blocked"]
    code: ChatCode | None = None
    attempts_left: int = 0


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def normalise_code(text: str) -> str:
    """The digits of what was typed ("123 456" and "123-456" are 123456)."""
    return "".join(ch for ch in text if ch.isdigit())


def issue_code(db: Database, *, purpose: CodePurpose, chat_id: int, email: str, now: datetime,
               name: str = "", meeting_id: int | None = None, decoy: bool = False) -> IssuedCode:
    """A new code for this chat and purpose (earlier pending ones stop working).

    A ``decoy`` is a code that is never sent and that nothing matches: the chat then waits for a
    code, and is answered, exactly as if one had been sent (wrong, tries left, blocked, expired),
    so that what the bot says cannot tell whether an address was one a code goes to."""
    execute(db, "DELETE FROM chat_codes WHERE expires_at < ?", [to_iso(now - KEEP_EXPIRED)])
    recent = fetch_one(
        db, "SELECT id, name, expires_at FROM chat_codes WHERE chat_id = ? AND purpose = ? AND "
            "email = ? AND meeting_id IS ? AND status = 'pending' AND created_at > ? AND "
            "expires_at > ? ORDER BY id DESC LIMIT 1",
        [chat_id, purpose, email, meeting_id, to_iso(now - RESEND_AFTER), to_iso(now)])
    if recent is not None:
        if name and recent["name"] != name:
            update(db, "chat_codes", recent["id"], {"name": name})
        return IssuedCode(recent["id"], None, from_iso(recent["expires_at"]))
    execute(db, "UPDATE chat_codes SET status = 'superseded' WHERE chat_id = ? AND purpose = ? "
                "AND status = 'pending'", [chat_id, purpose])
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    expires = now + VALID
    pk = insert(db, "chat_codes", {
        "purpose": purpose, "chat_id": chat_id, "email": email, "name": name,
        "meeting_id": meeting_id, "salt": salt,
        "code_hash": DECOY if decoy else _hash(salt, code),
        "created_at": to_iso(now), "expires_at": to_iso(expires), "status": "pending"})
    return IssuedCode(pk, None if decoy else code, expires)


def check_code(db: Database, *, purpose: CodePurpose, chat_id: int, code: str,
               now: datetime) -> CodeCheck:
    """Match a typed code against this chat's pending one; a match marks it ``verified``."""
    row = fetch_one(db, "SELECT * FROM chat_codes WHERE chat_id = ? AND purpose = ? AND status "
                        "IN ('pending', 'blocked') ORDER BY id DESC LIMIT 1", [chat_id, purpose])
    if row is None:
        return CodeCheck("none")
    record = ChatCode.from_row(row)
    if record.status == "blocked":
        return CodeCheck("blocked", record)
    if record.expires_at <= now:
        update(db, "chat_codes", record.id, {"status": "expired"})
        return CodeCheck("expired", record)
    if hmac.compare_digest(_hash(row["salt"], normalise_code(code)), row["code_hash"]):
        update(db, "chat_codes", record.id, {"status": "verified", "used_at": to_iso(now)})
        return CodeCheck("ok", replace(record, status="verified"))
    attempts = record.attempts + 1
    blocked = attempts >= MAX_ATTEMPTS
    update(db, "chat_codes", record.id, {"attempts": attempts,
                                         "status": "blocked" if blocked else "pending"})
    return CodeCheck("blocked" if blocked else "wrong", record, MAX_ATTEMPTS - attempts)


def verified_code(db: Database, *, purpose: CodePurpose, chat_id: int, meeting_id: int | None,
                  now: datetime) -> ChatCode | None:
    """A code this chat has verified and not yet used (it stays good until it expires)."""
    row = fetch_one(db, "SELECT * FROM chat_codes WHERE chat_id = ? AND purpose = ? AND "
                        "meeting_id IS ? AND status = 'verified' AND expires_at > ? "
                        "ORDER BY id DESC LIMIT 1", [chat_id, purpose, meeting_id, to_iso(now)])
    return ChatCode.from_row(row) if row else None


def use_code(db: Database, code_id: int) -> None:
    update(db, "chat_codes", code_id, {"status": "used"})
