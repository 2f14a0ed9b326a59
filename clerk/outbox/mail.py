"""The outbox: a message is composed and queued in the same transaction as the change that caused
it, and sent afterwards by the mail adapter. Queuing the same ``dedupe_key`` twice queues once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import MIMEPart

from sqlite_utils import Database

from clerk.config import MailSettings
from clerk.outbox.chat import mirror
from clerk.outbox.compose import compose_answer, compose_head
from clerk.outbox.outgoing import Attachment, Outgoing, reply_address
from clerk.store.rows import insert
from clerk.times import to_iso

__all__ = ["Attachment", "Outgoing", "SharedBody", "queue", "queue_shared", "reply_address",
           "store_shared_body"]


def queue(db: Database, mail: MailSettings, msg: Outgoing, now: datetime) -> int | None:
    """Compose and queue; returns the outbox id, or None when ``dedupe_key`` was queued before."""
    if msg.dedupe_key and db.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?",
                                     [msg.dedupe_key]).fetchone():
        return None
    raw, message_id = compose_answer(mail, msg, now)
    cursor = db.execute(
        "INSERT INTO outbox (created_at, kind, subject_ref, person_id, to_addr, subject, "
        "message_id, dedupe_key, raw, status, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
        [to_iso(now), msg.kind, msg.subject_ref, msg.person_id, msg.to_addr.lower(), msg.subject,
         message_id, msg.dedupe_key, raw, to_iso(now)])
    outbox_id = int(cursor.lastrowid or 0)
    if msg.person_id is not None:  # a linked member gets a chat copy of invitations and ballots
        mirror(db, outbox_id, msg.kind, msg.person_id, msg.subject_ref, now)
    return outbox_id


# ----------------------------------------------------------------------------- shared bodies
# A paper pack sent to many people is encoded once: its attachment parts (the *shared body*) are
# kept once in ``outbox_bodies``, and each outbox row holds only its own head (headers and the
# personal text part). The sender sends ``raw + body`` byte for byte, re-encoding nothing.


@dataclass(frozen=True)
class SharedBody:
    """The attachment parts of a multipart/mixed message, stored once; every head that uses it
    must open ``multipart/mixed`` with ``boundary``."""

    id: int
    boundary: str
    size: int


def _part_bytes(item: Attachment) -> bytes:
    part = MIMEPart(policy=email_policy.default)
    part.set_content(item.content, maintype=item.maintype, subtype=item.subtype,
                     filename=item.filename, disposition="attachment")
    return part.as_bytes()


def store_shared_body(db: Database, attachments: Sequence[Attachment], now: datetime) -> SharedBody:
    """Encode the attachments once (MIME parts under a fresh boundary) and keep the result."""
    boundary = f"==clerk-pack-{secrets.token_hex(12)}=="
    mark = f"--{boundary}".encode("ascii")
    chunks: list[bytes] = []
    for item in attachments:
        encoded = _part_bytes(item)
        if mark in encoded:  # a boundary must not occur in the parts (never, with 96 random bits)
            return store_shared_body(db, attachments, now)
        chunks += [b"\n", mark, b"\n", encoded]
    chunks += [b"\n", mark, b"--\n"]
    body = b"".join(chunks)
    del chunks
    digest = hashlib.sha256(body).hexdigest()
    db.execute("INSERT OR IGNORE INTO outbox_bodies (sha256, size, body, created_at) "
               "VALUES (?, ?, ?, ?)", [digest, len(body), body, to_iso(now)])
    row = db.execute("SELECT id FROM outbox_bodies WHERE sha256 = ?", [digest]).fetchone()
    return SharedBody(int(row[0]), boundary, len(body))


def queue_shared(db: Database, mail: MailSettings, msg: Outgoing, shared: SharedBody,
                 now: datetime) -> int | None:
    """Queue ``msg`` with the shared attachment parts; None when ``dedupe_key`` was queued
    before. The row's ``raw`` is the head only; the sender appends the shared body."""
    if msg.dedupe_key and db.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?",
                                     [msg.dedupe_key]).fetchone():
        return None
    head, message_id = compose_head(mail, msg, shared.boundary, now)
    row = {
        "created_at": to_iso(now), "kind": msg.kind, "subject_ref": msg.subject_ref,
        "person_id": msg.person_id, "to_addr": msg.to_addr.lower(), "subject": msg.subject,
        "message_id": message_id, "dedupe_key": msg.dedupe_key,
        "raw": head, "body_id": shared.id, "status": "queued",
        "next_attempt_at": to_iso(now),
    }
    outbox_id = insert(db, "outbox", row)
    if msg.person_id is not None:
        mirror(db, outbox_id, msg.kind, msg.person_id, msg.subject_ref, now)
    return outbox_id
