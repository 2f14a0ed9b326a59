"""The console's secrets: one-time sign-in links and the sessions they start.

A link's token and a session's token are random (256 bits) and kept only as SHA-256 hashes, so a
copy of the database signs nobody in. A link works once, for :data:`LINK_VALID`; a session lasts
:data:`SESSION_VALID` from sign-in, or until signed out. The session cookie carries the token
and an HMAC of it under the key made by migration m010 (kept in the database only). Helpers here
run inside the caller's write transaction; the operations are in :mod:`clerk.access`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from clerk.store.rows import execute, fetch_one, insert, update
from clerk.times import from_iso, to_iso

LINK_VALID = timedelta(minutes=15)
SESSION_VALID = timedelta(hours=12)
#: Used and expired links are deleted this long after they expire (they hold an address).
KEEP_EXPIRED = timedelta(days=1)

LinkStatus = Literal["ok", "used", "expired", "unknown"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime


def issue_link(db: Database, email: str, client: str, now: datetime) -> IssuedLink:
    """A new one-time sign-in link's token for ``email`` (earlier unused ones keep working
    until they expire: a slow email must not be spoilt by a second request)."""
    execute(db, "DELETE FROM console_links WHERE expires_at < ?", [to_iso(now - KEEP_EXPIRED)])
    token = secrets.token_urlsafe(32)
    expires = now + LINK_VALID
    insert(db, "console_links", {"token_hash": _hash(token), "email": email, "client": client,
                                 "created_at": to_iso(now), "expires_at": to_iso(expires)})
    return IssuedLink(token, expires)


def recent_links(db: Database, *, email: str, client: str, since: datetime) -> tuple[int, int]:
    """Links issued since ``since`` to this address, and asked for by this client."""
    row = fetch_one(db, "SELECT (SELECT COUNT(*) FROM console_links WHERE email = ? AND "
                        "created_at > ?) AS address, (SELECT COUNT(*) FROM console_links WHERE "
                        "client = ? AND client != '' AND created_at > ?) AS client",
                    [email, to_iso(since), client, to_iso(since)])
    assert row is not None
    return int(row["address"]), int(row["client"])


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    email: str = ""


def link_status(db: Database, token: str, now: datetime) -> LinkCheck:
    """What a link's token is worth now (reads only)."""
    row = fetch_one(db, "SELECT email, expires_at, used_at FROM console_links WHERE token_hash = ?",
                    [_hash(token)])
    if row is None:
        return LinkCheck("unknown")
    if row["used_at"]:
        return LinkCheck("used", row["email"])
    if from_iso(row["expires_at"]) <= now:
        return LinkCheck("expired", row["email"])
    return LinkCheck("ok", row["email"])


def use_link(db: Database, token: str, now: datetime) -> LinkCheck:
    """Spend a link: its check, and when ``ok`` it is marked used (never ``ok`` twice)."""
    check = link_status(db, token, now)
    if check.status == "ok":
        execute(db, "UPDATE console_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                [to_iso(now), _hash(token)])
    return check


@dataclass(frozen=True)
class Session:
    """A signed-in session (never its token): whose, until when, and its forms' CSRF token."""

    id: int
    email: str
    csrf: str
    expires_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Session:
        return cls(row["id"], row["email"], row["csrf"], from_iso(row["expires_at"]))


def _key(db: Database) -> bytes:
    row = fetch_one(db, "SELECT secret FROM console_key WHERE id = 1")
    assert row is not None, "migration m010 makes the key"
    return bytes(row["secret"])


def _signature(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def start_session(db: Database, email: str, now: datetime) -> tuple[Session, str]:
    """A new session and the value of its cookie (token, a dot, the token's HMAC)."""
    execute(db, "DELETE FROM console_sessions WHERE expires_at < ?",
            [to_iso(now - KEEP_EXPIRED)])
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = now + SESSION_VALID
    pk = insert(db, "console_sessions", {"token_hash": _hash(token), "email": email,
                                         "csrf": csrf, "created_at": to_iso(now),
                                         "expires_at": to_iso(expires)})
    return Session(pk, email, csrf, expires), f"{token}.{_signature(_key(db), token)}"


def _token_of(db: Database, cookie: str) -> str | None:
    token, dot, signature = cookie.partition(".")
    if not dot or not token or len(cookie) > 200:
        return None
    if not hmac.compare_digest(signature, _signature(_key(db), token)):
        return None
    return token


def session_of(db: Database, cookie: str, now: datetime) -> Session | None:
    """The live session a cookie names (reads only): None when the signature is wrong, or the
    session has expired or was signed out."""
    token = _token_of(db, cookie)
    if token is None:
        return None
    row = fetch_one(db, "SELECT * FROM console_sessions WHERE token_hash = ? AND ended_at IS "
                        "NULL AND expires_at > ?", [_hash(token), to_iso(now)])
    return None if row is None else Session.from_row(row)


def end_session(db: Database, session_id: int, now: datetime) -> None:
    update(db, "console_sessions", session_id, {"ended_at": to_iso(now)})
