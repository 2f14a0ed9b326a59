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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlite_utils import Database

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
class CodeCheck:
    """The outcome of typing a code: ``row`` is the code's record when it matched."""

    status: Literal["ok", "wrong", "expired", "none", "blocked"]
    row: dict[str, Any] | None = None
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
    db.execute("DELETE FROM chat_codes WHERE expires_at < ?", [to_iso(now - KEEP_EXPIRED)])
    recent = next(iter(db.query(
        "SELECT * FROM chat_codes WHERE chat_id = ? AND purpose = ? AND email = ? AND "
        "meeting_id IS ? AND status = 'pending' AND created_at > ? AND expires_at > ? "
        "ORDER BY id DESC LIMIT 1",
        [chat_id, purpose, email, meeting_id, to_iso(now - RESEND_AFTER), to_iso(now)])), None)
    if recent is not None:
        if name and recent["name"] != name:
            db.table("chat_codes").update(recent["id"], {"name": name})
        return IssuedCode(recent["id"], None, from_iso(recent["expires_at"]))
    db.execute("UPDATE chat_codes SET status = 'superseded' WHERE chat_id = ? AND purpose = ? "
               "AND status = 'pending'", [chat_id, purpose])
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    expires = now + VALID
    pk = db.table("chat_codes").insert({
        "purpose": purpose, "chat_id": chat_id, "email": email, "name": name,
        "meeting_id": meeting_id, "salt": salt,
        "code_hash": DECOY if decoy else _hash(salt, code),
        "created_at": to_iso(now), "expires_at": to_iso(expires), "status": "pending"}).last_pk
    return IssuedCode(int(cast(int, pk)), None if decoy else code, expires)


def check_code(db: Database, *, purpose: CodePurpose, chat_id: int, code: str,
               now: datetime) -> CodeCheck:
    """Match a typed code against this chat's pending one; a match marks it ``verified``."""
    row = next(iter(db.query(
        "SELECT * FROM chat_codes WHERE chat_id = ? AND purpose = ? AND status IN "
        "('pending', 'blocked') ORDER BY id DESC LIMIT 1", [chat_id, purpose])), None)
    if row is None:
        return CodeCheck("none")
    if row["status"] == "blocked":
        return CodeCheck("blocked", row)
    if from_iso(row["expires_at"]) <= now:
        db.table("chat_codes").update(row["id"], {"status": "expired"})
        return CodeCheck("expired", row)
    if hmac.compare_digest(_hash(row["salt"], normalise_code(code)), row["code_hash"]):
        db.table("chat_codes").update(row["id"], {"status": "verified", "used_at": to_iso(now)})
        return CodeCheck("ok", {**row, "status": "verified"})
    attempts = row["attempts"] + 1
    blocked = attempts >= MAX_ATTEMPTS
    db.table("chat_codes").update(row["id"], {"attempts": attempts,
                                        "status": "blocked" if blocked else "pending"})
    return CodeCheck("blocked" if blocked else "wrong", row, MAX_ATTEMPTS - attempts)


def verified_code(db: Database, *, purpose: CodePurpose, chat_id: int, meeting_id: int | None,
                  now: datetime) -> dict[str, Any] | None:
    """A code this chat has verified and not yet used (it stays good until it expires)."""
    return next(iter(db.query(
        "SELECT * FROM chat_codes WHERE chat_id = ? AND purpose = ? AND meeting_id IS ? AND "
        "status = 'verified' AND expires_at > ? ORDER BY id DESC LIMIT 1",
        [chat_id, purpose, meeting_id, to_iso(now)])), None)


def use_code(db: Database, code_id: int) -> None:
    db.table("chat_codes").update(code_id, {"status": "used"})
