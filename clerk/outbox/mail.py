"""The outbox: a message is composed and queued in the same transaction as the change that caused
it, and sent afterwards by the mail adapter. Queuing the same ``dedupe_key`` twice queues once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from clerk.config import MailSettings
from clerk.outbox.chat import mirror
from clerk.outbox.compose import attachment_part, compose_head, compose_message
from clerk.outbox.outgoing import Attachment, Outgoing, reply_address
from clerk.store.rows import fetch_one, insert
from clerk.times import to_iso

__all__ = ["Attachment", "Outgoing", "SharedBody", "queue", "queue_shared", "reply_address",
           "store_shared_body"]


def queue(db: Database, mail: MailSettings, msg: Outgoing, now: datetime) -> int | None:
    """Compose and queue; returns the outbox id, or None when ``dedupe_key`` was queued before."""
    if _queued_before(db, msg):
        return None
    raw, message_id = compose_message(mail, msg, now)
    outbox_id = insert(db, "outbox", _row(msg, message_id, raw, now))
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


def store_shared_body(db: Database, attachments: Sequence[Attachment], now: datetime) -> SharedBody:
    """Encode the attachments once (MIME parts under a fresh boundary) and keep the result."""
    boundary = f"==clerk-pack-{secrets.token_hex(12)}=="
    mark = f"--{boundary}".encode("ascii")
    chunks: list[bytes] = []
    for item in attachments:
        encoded = attachment_part(item)
        if mark in encoded:  # a boundary must not occur in the parts (never, with 96 random bits)
            return store_shared_body(db, attachments, now)
        chunks += [b"\n", mark, b"\n", encoded]
    chunks += [b"\n", mark, b"--\n"]
    body = b"".join(chunks)
    del chunks
    digest = hashlib.sha256(body).hexdigest()
    row = fetch_one(db, "SELECT id FROM outbox_bodies WHERE sha256 = ?", [digest])
    body_id = int(row["id"]) if row else insert(db, "outbox_bodies", {
        "sha256": digest, "size": len(body), "body": body, "created_at": to_iso(now)})
    return SharedBody(body_id, boundary, len(body))


def queue_shared(db: Database, mail: MailSettings, msg: Outgoing, shared: SharedBody,
                 now: datetime) -> int | None:
    """Queue ``msg`` with the shared attachment parts; None when ``dedupe_key`` was queued
    before. The row's ``raw`` is the head only; the sender appends the shared body."""
    if _queued_before(db, msg):
        return None
    head, message_id = compose_head(mail, msg, shared.boundary, now)
    outbox_id = insert(db, "outbox", {**_row(msg, message_id, head, now), "body_id": shared.id})
    if msg.person_id is not None:
        mirror(db, outbox_id, msg.kind, msg.person_id, msg.subject_ref, now)
    return outbox_id


def _queued_before(db: Database, msg: Outgoing) -> bool:
    return bool(msg.dedupe_key) and fetch_one(
        db, "SELECT 1 AS queued FROM outbox WHERE dedupe_key = ?", [msg.dedupe_key]) is not None


def _row(msg: Outgoing, message_id: str, raw: bytes, now: datetime) -> dict[str, object]:
    """An outbox row for ``msg``, queued and due now."""
    return {"created_at": to_iso(now), "kind": msg.kind, "subject_ref": msg.subject_ref,
            "person_id": msg.person_id, "to_addr": msg.to_addr.lower(), "subject": msg.subject,
            "message_id": message_id, "dedupe_key": msg.dedupe_key, "raw": raw,
            "status": "queued", "next_attempt_at": to_iso(now)}
