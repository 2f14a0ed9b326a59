"""Chat messages waiting to be sent, queued in the same transaction as the change that caused them.

Two kinds of row:

* **mirrored**: an email to a member whose chat is linked (an invitation, a reminder, a ballot)
  gets a chat copy, queued by :func:`mirror` from :func:`clerk.outbox.mail.queue`. Its text
  and buttons are rendered when it is claimed, from the state at that moment, so a copy whose
  meeting has been cancelled or whose ballot has closed is dropped rather than sent. The
  rendering is the caller's (:func:`claim_due` takes it: the bot passes
  :func:`clerk.chat.cards.render_mirrored`), so the outbox does not depend on the cards.
* **direct**: a message to an observer (an offered place, a reminder), queued already rendered
  by :func:`queue_chat`; and a reply the bot could not send because Telegram was down
  (:func:`queue_reply`), sent when it is back.

The bot claims due rows (:func:`claim_due`), sends each, and records the outcome at once
(:func:`mark_sent`, :func:`mark_retry`, :func:`mark_failed`): each row is sent once; a failed
try is tried again by :data:`clerk.rules.retry.CHAT`, the one retry policy. A row left
``sending`` by a process that stopped mid-send goes back to the queue when its lease ends; one
the bot never handed to Telegram is put back at once (:func:`release`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.outbox.chat_text import ChatReply, Rows, buttons_from_json, buttons_json
from clerk.rules.retry import CHAT as RETRY
from clerk.store.rows import execute, fetch_all, fetch_one
from clerk.times import from_iso, to_iso

#: Email kinds a linked member also receives in chat.
MIRRORED = frozenset({"invitation", "substitute_invitation", "reminder", "meeting_moved",
                      "meeting_cancelled", "ballot", "ballot_reminder", "action_recorded",
                      "action_reminder"})
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class ChatMessage:
    """One claimed row, ready to send."""

    id: int
    chat_id: int
    text: str
    buttons: Rows
    kind: str


@dataclass(frozen=True)
class MirroredCopy:
    """A queued chat copy of an email to a linked member, still to be rendered: which email
    (``kind``), about what (``subject_ref``: a meeting or a ballot), for whom."""

    id: int
    chat_id: int
    person_id: int
    kind: str
    subject_ref: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MirroredCopy:
        return cls(row["id"], row["chat_id"], row["person_id"], row["kind"], row["subject_ref"])


#: Renders a mirrored copy from the state now, or None when it no longer applies.
RenderMirrored = Callable[[Clerk, MirroredCopy], ChatReply | None]


def mirror(db: Database, outbox_id: int, kind: str, person_id: int, subject_ref: str,
           now: datetime) -> int | None:
    """Queue the chat copy of email ``outbox_id`` if the person's chat is linked."""
    if kind not in MIRRORED:
        return None
    link = fetch_one(db, "SELECT chat_id FROM chat_links WHERE person_id = ?", [person_id])
    if link is None:
        return None
    return _insert_once(db, {
        "created_at": to_iso(now), "chat_id": link["chat_id"], "person_id": person_id,
        "kind": kind, "subject_ref": subject_ref, "dedupe_key": f"mail:{outbox_id}",
        "next_attempt_at": to_iso(now)})


def queue_chat(db: Database, *, chat_id: int, kind: str, reply: ChatReply, now: datetime,
               subject_ref: str = "", dedupe_key: str | None = None, person_id: int | None = None,
               observer: bool = False) -> int | None:
    """Queue a rendered message; the same ``dedupe_key`` twice queues once."""
    return _insert_once(db, {
        "created_at": to_iso(now), "chat_id": chat_id, "person_id": person_id,
        "observer": int(observer), "kind": kind, "subject_ref": subject_ref, "text": reply.text,
        "buttons": buttons_json(reply.buttons), "dedupe_key": dedupe_key,
        "next_attempt_at": to_iso(now)})


def _insert_once(db: Database, row: dict[str, Any]) -> int | None:
    """Insert into ``chat_outbox`` unless its ``dedupe_key`` is there already; the new id."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    if not execute(db, f"INSERT OR IGNORE INTO chat_outbox ({columns}) VALUES ({marks})",
                   list(row.values())):
        return None
    new = fetch_one(db, "SELECT last_insert_rowid() AS id")
    return int(new["id"]) if new else None


def queue_reply(app: Clerk, chat_id: int, reply: ChatReply, *, key: str) -> bool:
    """A reply to a person that Telegram could not take (it was down): queued to send when it is
    back, once (the same ``key`` twice queues once). Returns whether it was queued now."""
    with app.store.write() as db:
        return queue_chat(db, chat_id=chat_id, kind="reply", reply=reply, now=app.clock.now(),
                          dedupe_key=key) is not None


def has_due(app: Clerk) -> bool:
    """Whether anything is waiting to be sent now (a cheap check before claiming)."""
    return fetch_one(app.store.db, "SELECT 1 AS due FROM chat_outbox WHERE status IN "
                     "('queued', 'sending') AND next_attempt_at <= ? LIMIT 1",
                     [to_iso(app.clock.now())]) is not None


def claim_due(app: Clerk, render: RenderMirrored, limit: int = 100) -> list[ChatMessage]:
    """Claim up to ``limit`` due rows for sending, rendering mirrored ones now with ``render``
    (a copy it renders as None is dropped: its meeting or ballot is over)."""
    now = app.clock.now()
    out: list[ChatMessage] = []
    with app.store.write() as db:
        execute(db, "UPDATE chat_outbox SET status = 'queued', attempts = attempts + 1, "
                    "last_error = 'the sender stopped mid-send' WHERE status = 'sending' AND "
                    "next_attempt_at <= ?", [to_iso(now)])
        rows = fetch_all(db, "SELECT * FROM chat_outbox WHERE status = 'queued' AND "
                             "next_attempt_at <= ? ORDER BY id LIMIT ?", [to_iso(now), limit])
        for row in rows:
            if row["text"] is not None:
                reply: ChatReply | None = ChatReply(row["text"], buttons_from_json(row["buttons"]))
            else:
                reply = render(app, MirroredCopy.from_row(row))
            if reply is None:
                execute(db, "UPDATE chat_outbox SET status = 'superseded', last_error = ? "
                            "WHERE id = ?", ["no longer applies (meeting or ballot over)", row["id"]])
                continue
            execute(db, "UPDATE chat_outbox SET status = 'sending', text = ?, buttons = ?, "
                        "next_attempt_at = ? WHERE id = ?",
                    [reply.text, buttons_json(reply.buttons), to_iso(now + LEASE), row["id"]])
            out.append(ChatMessage(row["id"], row["chat_id"], reply.text, reply.buttons,
                                   row["kind"]))
    return out


def mark_sent(app: Clerk, message_id: int, telegram_message_id: int | None) -> None:
    with app.store.write() as db:
        execute(db, "UPDATE chat_outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?, "
                    "attempts = attempts + 1 WHERE id = ?",
                [to_iso(app.clock.now()), telegram_message_id, message_id])


def mark_retry(app: Clerk, message_id: int, error: str, after: timedelta | None = None) -> str:
    """A failed try: try again when :data:`clerk.rules.retry.CHAT` says (after ``after`` when
    Telegram asked for that wait), or give up as it says; returns the new status."""
    now = app.clock.now()
    with app.store.write() as db:
        row = fetch_one(db, "SELECT attempts, created_at FROM chat_outbox WHERE id = ?",
                        [message_id])
        attempts = (row["attempts"] if row else 0) + 1
        queued_at = from_iso(row["created_at"]) if row else now
        plan = RETRY.plan(queued_at, attempts, now, wait=after)
        if plan.at is None:
            execute(db, "UPDATE chat_outbox SET status = 'failed', attempts = ?, last_error = ? "
                        "WHERE id = ?", [attempts, error[:500], message_id])
            return "failed"
        execute(db, "UPDATE chat_outbox SET status = 'queued', attempts = ?, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                [attempts, error[:500], to_iso(plan.at), message_id])
    return "queued"


def release(app: Clerk, message_ids: list[int]) -> None:
    """Put claimed messages that were never handed to Telegram back in the queue, due now (the
    bot stopping mid-batch); their attempts are unchanged."""
    with app.store.write() as db:
        now = to_iso(app.clock.now())
        for message_id in message_ids:
            execute(db, "UPDATE chat_outbox SET status = 'queued', next_attempt_at = ? "
                        "WHERE id = ? AND status = 'sending'", [now, message_id])


def mark_failed(app: Clerk, message_id: int, error: str) -> None:
    with app.store.write() as db:
        execute(db, "UPDATE chat_outbox SET status = 'failed', attempts = attempts + 1, "
                    "last_error = ? WHERE id = ?", [error[:500], message_id])


def counts(app: Clerk) -> dict[str, int]:
    return {r["status"]: r["n"] for r in fetch_all(
        app.store.db, "SELECT status, COUNT(*) AS n FROM chat_outbox GROUP BY status")}
