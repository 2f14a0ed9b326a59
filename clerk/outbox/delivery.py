"""What becomes of a queued message: claimed for sending, sent, tried again later, or failed.

The mail adapter (``mail/sender.py``) does the network part; every state change is one short
write transaction here, and nothing is awaited inside one.

A row's ``status`` moves ``queued → sending → sent`` (or back to ``queued`` with a later
``next_attempt_at`` after a temporary failure, or to ``failed``). ``superseded`` rows were never
sent because a newer version of the same calendar message replaced them.

**Claiming and the lease.** A sender claims one row at a time (``status = 'sending'``), and while
a row is ``sending`` its ``next_attempt_at`` holds the end of the claim's *lease*. Two senders
(the service and ``clerk mail send``) can never claim the same row. A row still ``sending`` when
its lease has run out belongs to a sender that stopped mid-send (crash, kill, power cut):
:func:`recover_stale` puts it back in the queue. A sender that is stopped (SIGTERM) finishes
the message in hand; if that send has to be cancelled (the server hangs), :func:`release` puts
the row back at once instead of leaving it claimed for the whole lease.

**Never twice.** A retry after a refusal (4xx, connection refused, timeout before the message
was handed over) cannot duplicate: the server did not take the message. The one window in which
a message can go out twice is between the server accepting it (the ``250`` after the data) and
our commit of ``sent``: a crash there, or a connection lost after the data was sent but before
the ``250`` arrived, leaves us not knowing. We then send again (delivering late beats not
delivering a meeting invitation at all); the window is kept to one SQLite commit, and the copy
carries the same Message-ID (and the same calendar UID and SEQUENCE), so mail clients and
calendars treat it as the same message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.people.undeliverable import mark_undeliverable
from clerk.rules.retry import MAIL as RETRY
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, update
from clerk.store.schema import OUTBOX_STATUSES
from clerk.times import from_iso, to_iso

LEASE = timedelta(minutes=10)
STATUSES = OUTBOX_STATUSES


@dataclass(frozen=True)
class Claim:
    """One message claimed for sending: the raw bytes and the envelope."""

    id: int
    to_addr: str
    raw: bytes
    message_id: str
    kind: str
    attempts: int


def recover_stale(app: Clerk) -> int:
    """Return rows whose sender stopped mid-send (lease run out) to the queue; how many."""
    now = app.clock.now()
    with app.store.write() as db:
        rows = fetch_all(db, "SELECT id, to_addr, kind FROM outbox WHERE status = 'sending' "
                             "AND next_attempt_at <= ?", [to_iso(now)])
        if not rows:
            return 0
        execute(db, "UPDATE outbox SET status = 'queued', attempts = attempts + 1, "
                    "next_attempt_at = ?, last_error = ? WHERE status = 'sending' "
                    "AND next_attempt_at <= ?",
                [to_iso(now), "clerk stopped while sending this message; sending it again "
                 "(it may have arrived already; the copy has the same Message-ID)", to_iso(now)])
        audit.record(db, at=now, actor="clerk", action="mail.recovered", subject="outbox",
                     channel="email", detail={"ids": [r["id"] for r in rows]})
    return len(rows)


def skip_undeliverable(app: Clerk) -> int:
    """Fail queued messages to addresses already known to bounce; how many."""
    with app.store.write() as db:
        return _skip_undeliverable(db)


def claim_next(app: Clerk, *, lease: timedelta = LEASE) -> Claim | None:
    """Claim the next due message for sending, or None when nothing is due."""
    now = app.clock.now()
    with app.store.write() as db:
        row = fetch_one(
            db, "SELECT id, to_addr, raw, message_id, kind, attempts, body_id FROM outbox "
                "WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id "
                "LIMIT 1", [to_iso(now)])
        if row is None:
            return None
        execute(db, "UPDATE outbox SET status = 'sending', next_attempt_at = ? WHERE id = ?",
                [to_iso(now + lease), row["id"]])
        raw = bytes(row["raw"])
        if row["body_id"] is not None:  # a shared body (a paper pack): head + the pack's bytes
            raw += _shared_body(db, row["body_id"])
    return Claim(row["id"], row["to_addr"], raw, row["message_id"], row["kind"], row["attempts"])


def _shared_body(db: Database, body_id: int) -> bytes:
    """The bytes of a shared body (a paper pack), read for each message rather than kept: the
    read costs a few milliseconds beside the send, and keeping a 14 MB pack in memory between
    messages would add that much to the sender's peak."""
    row = fetch_one(db, "SELECT body FROM outbox_bodies WHERE id = ?", [body_id])
    if row is None:
        raise LookupError(f"outbox body {body_id} is missing")
    return bytes(row["body"])


def mark_sent(app: Clerk, outbox_id: int) -> None:
    """The server accepted the message: record it at once (this commit closes the window)."""
    now = app.clock.now()
    with app.store.write() as db:
        execute(db, "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                    "last_error = '' WHERE id = ? AND status IN ('sending', 'queued')",
                [to_iso(now), outbox_id])
        # a secret ballot's receipt (its code and choice) is kept by its voter alone
        execute(db, "UPDATE outbox SET raw = X'' WHERE id = ? AND kind = 'election_receipt'",
                [outbox_id])


def release(app: Clerk, outbox_id: int, error: str) -> bool:
    """Clerk is stopping in the middle of this message's send (the send was cancelled): put it
    back in the queue, due at once, rather than leave it claimed until its lease runs out.
    Whether it has been sent already, is known at one place only (the sender returns after the
    server's ``250``, and :func:`mark_sent` follows with no wait between), so a message the
    server was known to accept is never released; one cancelled after its data went out but
    before the answer came is the documented window above. Returns whether a row was released."""
    now = app.clock.now()
    with app.store.write() as db:
        changed = execute(db, "UPDATE outbox SET status = 'queued', attempts = attempts + 1, "
                              "next_attempt_at = ?, last_error = ? WHERE id = ? AND "
                              "status = 'sending'", [to_iso(now), error, outbox_id])
    return bool(changed)


def queued_count(app: Clerk) -> int:
    """How many messages wait to be sent (queued, or claimed by a sender right now)."""
    row = fetch_one(app.store.db, "SELECT COUNT(*) AS n FROM outbox WHERE status IN "
                                  "('queued', 'sending')")
    return int(row["n"]) if row else 0


def any_due(app: Clerk) -> bool:
    """Whether a queued message is due now (checked before waiting for the pace, so that a
    sender does not wait for nothing)."""
    return due_count(app, at_most=1) > 0


def due_count(app: Clerk, *, at_most: int | None = None) -> int:
    """How many queued messages are due now (what one pass of the sender will try)."""
    sql = "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?"
    params: list[Any] = [to_iso(app.clock.now())]
    if at_most is not None:
        sql += " LIMIT ?"
        params.append(at_most)
    row = fetch_one(app.store.db, f"SELECT COUNT(*) AS n FROM ({sql})", params)
    return int(row["n"]) if row else 0


@dataclass(frozen=True)
class OutboxProgress:
    """How far the outbox is: messages waiting (queued or being sent), sent, failed; with
    ``[mail.smtp] max_per_minute`` the pace and when the waiting ones should all be sent."""

    queued: int
    sent: int
    failed: int
    per_minute: int | None
    done_by: datetime | None


def progress(app: Clerk) -> OutboxProgress:
    """The outbox's progress; ``done_by`` assumes the configured pace from now."""
    counts = outbox_counts(app)
    queued = counts["queued"] + counts["sending"]
    smtp = app.config.mail.smtp
    per_minute = smtp.max_per_minute if smtp is not None else None
    done_by = None
    if per_minute and queued:
        done_by = app.clock.now() + timedelta(seconds=queued * 60 / per_minute)
    return OutboxProgress(queued, counts["sent"], counts["failed"], per_minute, done_by)


def mark_retry(app: Clerk, outbox_id: int, error: str) -> str:
    """A temporary failure: try again later with a longer wait, or give up after a day (as
    :data:`clerk.rules.retry.MAIL`, the one retry policy, says).
    Returns the new status (``queued`` or ``failed``)."""
    now = app.clock.now()
    with app.store.write() as db:
        row = _row(db, outbox_id)
        if row is None or row["status"] != "sending":
            return row["status"] if row else "missing"
        attempts = row["attempts"] + 1
        plan = RETRY.plan(from_iso(row["created_at"]), attempts, now)
        if plan.at is None:
            reason = f"{plan.reason}; last error: {error}"
            update(db, "outbox", outbox_id, {"status": "failed", "attempts": attempts,
                                             "last_error": reason})
            audit.record(db, at=now, actor="clerk", action="mail.gave_up", subject=row["to_addr"],
                         channel="email", detail=_detail(row, reason))
            return "failed"
        update(db, "outbox", outbox_id, {"status": "queued", "attempts": attempts,
                                         "next_attempt_at": to_iso(plan.at), "last_error": error})
        return "queued"


def mark_failed(app: Clerk, outbox_id: int, error: str, *, address: bool) -> None:
    """A permanent failure (5xx). With ``address`` the address itself was refused: the person
    is marked undeliverable and nothing more is sent to it until someone corrects it."""
    now = app.clock.now()
    with app.store.write() as db:
        row = _row(db, outbox_id)
        if row is None:
            return
        update(db, "outbox", outbox_id, {"status": "failed", "attempts": row["attempts"] + 1,
                                         "last_error": error})
        if address:
            mark_undeliverable(db, row["to_addr"], why=error, now=now, actor="clerk",
                               detail=_detail(row, error))
            _skip_undeliverable(db)
        else:
            audit.record(db, at=now, actor="clerk", action="mail.rejected",
                         subject=row["to_addr"], channel="email", detail=_detail(row, error))


@dataclass(frozen=True)
class OutboxLine:
    """One message in the outbox as ``clerk mail outbox`` lists it (not its bytes); the times
    as stored (UTC, ISO 8601)."""

    id: int
    created_at: str
    kind: str
    subject_ref: str
    to_addr: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str
    sent_at: str | None
    message_id: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxLine:
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def list_outbox(app: Clerk, status: str | None = None, limit: int = 200) -> list[OutboxLine]:
    """The outbox, newest first, without the raw message."""
    sql = f"SELECT {', '.join(f.name for f in fields(OutboxLine))} FROM outbox"
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    return [OutboxLine.from_row(r) for r in
            fetch_all(app.store.db, sql + " ORDER BY id DESC LIMIT ?", [*params, limit])]


def outbox_counts(app: Clerk) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for row in fetch_all(app.store.db, "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"):
        counts[row["status"]] = row["n"]
    return counts


def _row(db: Database, outbox_id: int) -> dict[str, Any] | None:
    return fetch_one(db, "SELECT id, created_at, kind, subject_ref, to_addr, status, attempts "
                         "FROM outbox WHERE id = ?", [outbox_id])


def _detail(row: dict[str, Any], error: str) -> dict[str, Any]:
    return {"outbox_id": row["id"], "kind": row["kind"], "about": row["subject_ref"],
            "error": error}


def _skip_undeliverable(db: Database) -> int:
    rows = fetch_all(
        db, "SELECT o.id, p.undeliverable FROM outbox o JOIN people p ON p.email = o.to_addr "
            "WHERE o.status = 'queued' AND p.undeliverable IS NOT NULL")
    for row in rows:
        update(db, "outbox", row["id"], {
            "status": "failed",
            "last_error": f"not sent: mail to this address bounced before ({row['undeliverable']})"})
    return len(rows)
