"""Chat messages waiting to be sent, queued in the same transaction as the change that caused them.

Two kinds of row:

* **mirrored**: an email to a member whose chat is linked (an invitation, a reminder, a ballot)
  gets a chat copy, queued by :func:`mirror` from :func:`clerk.outbox.mail.queue`. Its text
  and buttons are rendered when it is claimed, from the state at that moment, so a copy whose
  meeting has been cancelled or whose ballot has closed is dropped rather than sent.
* **direct**: a message to an observer (an offered place, a reminder), queued already rendered
  by :func:`queue_chat`; and a reply the bot could not send because Telegram was down
  (:func:`queue_reply`), sent when it is back.

The bot claims due rows (:func:`claim_due`), sends each, and records the outcome at once
(:func:`mark_sent`, :func:`mark_retry`, :func:`mark_failed`): each row is sent once. A row left
``sending`` by a process that stopped mid-send goes back to the queue when its lease ends; one
the bot never handed to Telegram is put back at once (:func:`release`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.outbox.chat_text import ChatReply, Rows, buttons_from_json, buttons_json
from clerk.times import to_iso

#: Email kinds a linked member also receives in chat.
MIRRORED = frozenset({"invitation", "substitute_invitation", "reminder", "meeting_moved",
                      "meeting_cancelled", "ballot", "ballot_reminder"})
LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class ChatMessage:
    """One claimed row, ready to send."""

    id: int
    chat_id: int
    text: str
    buttons: Rows
    kind: str


def mirror(db: Database, outbox_id: int, kind: str, person_id: int, subject_ref: str,
           now: datetime) -> int | None:
    """Queue the chat copy of email ``outbox_id`` if the person's chat is linked."""
    if kind not in MIRRORED:
        return None
    link = db.execute("SELECT chat_id FROM chat_links WHERE person_id = ?", [person_id]).fetchone()
    if link is None:
        return None
    cursor = db.execute(
        "INSERT OR IGNORE INTO chat_outbox (created_at, chat_id, person_id, kind, subject_ref, "
        "dedupe_key, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [to_iso(now), link[0], person_id, kind, subject_ref, f"mail:{outbox_id}", to_iso(now)])
    return cursor.lastrowid if cursor.rowcount else None


def queue_chat(db: Database, *, chat_id: int, kind: str, reply: ChatReply, now: datetime,
               subject_ref: str = "", dedupe_key: str | None = None, person_id: int | None = None,
               observer: bool = False) -> int | None:
    """Queue a rendered message; the same ``dedupe_key`` twice queues once."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO chat_outbox (created_at, chat_id, person_id, observer, kind, "
        "subject_ref, text, buttons, dedupe_key, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [to_iso(now), chat_id, person_id, int(observer), kind, subject_ref, reply.text,
         buttons_json(reply.buttons), dedupe_key, to_iso(now)])
    return cursor.lastrowid if cursor.rowcount else None


def queue_reply(app: Clerk, chat_id: int, reply: ChatReply, *, key: str) -> bool:
    """A reply to a person that Telegram could not take (it was down): queued to send when it is
    back, once (the same ``key`` twice queues once). Returns whether it was queued now."""
    with app.store.write() as db:
        return queue_chat(db, chat_id=chat_id, kind="reply", reply=reply, now=app.clock.now(),
                          dedupe_key=key) is not None


def has_due(app: Clerk) -> bool:
    """Whether anything is waiting to be sent now (a cheap check before claiming)."""
    return app.store.db.execute(
        "SELECT 1 FROM chat_outbox WHERE status IN ('queued', 'sending') AND next_attempt_at <= ? "
        "LIMIT 1", [to_iso(app.clock.now())]).fetchone() is not None


def claim_due(app: Clerk, limit: int = 100) -> list[ChatMessage]:
    """Claim up to ``limit`` due rows for sending, rendering mirrored ones now."""
    from clerk.chat.cards import render_mirrored  # here: chat_cards reads the outbox

    now = app.clock.now()
    out: list[ChatMessage] = []
    with app.store.write() as db:
        db.execute("UPDATE chat_outbox SET status = 'queued', attempts = attempts + 1, "
                   "last_error = 'the sender stopped mid-send' WHERE status = 'sending' AND "
                   "next_attempt_at <= ?", [to_iso(now)])
        rows = list(db.query("SELECT * FROM chat_outbox WHERE status = 'queued' AND "
                             "next_attempt_at <= ? ORDER BY id LIMIT ?", [to_iso(now), limit]))
        for row in rows:
            reply = _reply(app, row, render_mirrored)
            if reply is None:
                db.execute("UPDATE chat_outbox SET status = 'superseded', last_error = ? "
                           "WHERE id = ?", ["no longer applies (meeting or ballot over)", row["id"]])
                continue
            db.execute("UPDATE chat_outbox SET status = 'sending', text = ?, buttons = ?, "
                       "next_attempt_at = ? WHERE id = ?",
                       [reply.text, buttons_json(reply.buttons), to_iso(now + LEASE), row["id"]])
            out.append(ChatMessage(row["id"], row["chat_id"], reply.text, reply.buttons,
                                   row["kind"]))
    return out


def _reply(app: Clerk, row: dict[str, Any], render: Any) -> ChatReply | None:
    if row["text"] is not None:
        return ChatReply(row["text"], buttons_from_json(row["buttons"]))
    result: ChatReply | None = render(app, row)
    return result


def mark_sent(app: Clerk, message_id: int, telegram_message_id: int | None) -> None:
    with app.store.write() as db:
        db.execute("UPDATE chat_outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?, "
                   "attempts = attempts + 1 WHERE id = ?",
                   [to_iso(app.clock.now()), telegram_message_id, message_id])


def mark_retry(app: Clerk, message_id: int, error: str, after: timedelta = RETRY_AFTER) -> str:
    """Try again later (or give up after :data:`MAX_ATTEMPTS`); returns the new status."""
    now = app.clock.now()
    with app.store.write() as db:
        row = db.execute("SELECT attempts FROM chat_outbox WHERE id = ?", [message_id]).fetchone()
        attempts = (row[0] if row else 0) + 1
        status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
        db.execute("UPDATE chat_outbox SET status = ?, attempts = ?, last_error = ?, "
                   "next_attempt_at = ? WHERE id = ?",
                   [status, attempts, error[:500], to_iso(now + after), message_id])
    return status


def release(app: Clerk, message_ids: list[int]) -> None:
    """Put claimed messages that were never handed to Telegram back in the queue, due now (the
    bot stopping mid-batch); their attempts are unchanged."""
    with app.store.write() as db:
        now = to_iso(app.clock.now())
        db.conn.executemany("UPDATE chat_outbox SET status = 'queued', next_attempt_at = ? "
                            "WHERE id = ? AND status = 'sending'", [(now, i) for i in message_ids])


def mark_failed(app: Clerk, message_id: int, error: str) -> None:
    with app.store.write() as db:
        db.execute("UPDATE chat_outbox SET status = 'failed', attempts = attempts + 1, "
                   "last_error = ? WHERE id = ?", [error[:500], message_id])


def counts(app: Clerk) -> dict[str, int]:
    return {r["status"]: r["n"] for r in app.store.db.query(
        "SELECT status, COUNT(*) AS n FROM chat_outbox GROUP BY status")}
