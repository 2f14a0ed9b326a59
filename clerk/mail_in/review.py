"""The inbox as a facilitator reviews it: the messages clerk could not act on (quarantined,
unclear, refused), whose each one is (:func:`attribute`), why it was not acted on in words
(:func:`why_not_acted`), a replay noted in the audit log (:func:`note_replay`), and attaching a
message by hand to the member and meeting it belongs to (:func:`attach_reply`).

Attaching records the member's answer to the invitation through
:func:`clerk.attendance.replies.record_reply`, as if the member had replied themselves, with the
facilitator as the actor and the inbound message's id in the evidence. The idempotency key is the
inbound message's id (``inbound:ID``), and the message leaves the inbox (``processed``) in the same
transaction: attaching twice, or replaying the message afterwards, counts nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Literal

from clerk.app import Clerk
from clerk.attendance.replies import Intent, RecordReply, ReplyOutcome, record_reply
from clerk.errors import NotFound, Refused
from clerk.mail_in.inbox import TOLD, refused_text
from clerk.mail_in.message import InboundLine, InboundMail, InboundOutcome, Refusal
from clerk.mail_in.responses import why_unclear
from clerk.people.directory import Person, find_person, memberships_of
from clerk.reading.rsvp import RsvpReading, read_rsvp
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, update
from clerk.times import from_iso, to_iso

#: The statuses of a message a person should look at: kept for later (quarantined), not
#: understood (unclear), or not accepted (refused).
REVIEW_STATUSES: tuple[str, ...] = ("quarantined", "unclear", "refused")

_LINE = ", ".join(f.name for f in fields(InboundLine))


@dataclass(frozen=True)
class StoredMessage:
    """A message read, as kept: its line in the inbox, its raw bytes, and where it came from
    (to replay it as it arrived)."""

    line: InboundLine
    raw: bytes
    message_key: str
    uidvalidity: int | None
    uid: int | None

    @property
    def id(self) -> int:
        return self.line.id

    @property
    def to_review(self) -> bool:
        return self.line.status in REVIEW_STATUSES


def _stored(row: dict[str, object]) -> StoredMessage:
    raw = row["raw"]
    return StoredMessage(InboundLine.from_row(row), bytes(raw) if isinstance(raw, bytes | memoryview)
                         else b"", str(row["message_key"]),
                         row["uidvalidity"] if isinstance(row["uidvalidity"], int) else None,
                         row["uid"] if isinstance(row["uid"], int) else None)


def stored_message(app: Clerk, inbound_id: int) -> StoredMessage:
    """One message read, with its raw bytes (NotFound if there is none with that id)."""
    row = fetch_one(app.store.db, f"SELECT {_LINE}, raw, message_key, uidvalidity, uid "
                                  "FROM inbound WHERE id = ?", [inbound_id])
    if row is None:
        raise NotFound(f"there is no message #{inbound_id} in the inbox")
    return _stored(row)


def messages_to_review(app: Clerk, statuses: tuple[str, ...] = REVIEW_STATUSES,
                       limit: int = 200) -> list[StoredMessage]:
    """The messages with these statuses, newest first (reads only)."""
    wanted = [s for s in statuses if s in REVIEW_STATUSES] or list(REVIEW_STATUSES)
    marks = ", ".join("?" for _ in wanted)
    return [_stored(row) for row in fetch_all(
        app.store.db, f"SELECT {_LINE}, raw, message_key, uidvalidity, uid FROM inbound "
                      f"WHERE status IN ({marks}) ORDER BY id DESC LIMIT ?", [*wanted, limit])]


@dataclass(frozen=True)
class Attribution:
    """Whose a message is, as far as clerk can tell: the member (the owner of the reply key it
    carries, else the sender when clerk knows them), the meeting the key is about (a vote's
    meeting for a ballot), and the bodies it concerns (none: nobody can tell)."""

    person: Person | None
    meeting: str
    purpose: str
    bodies: frozenset[str]
    how: str
    #: What the reply key is about (a meeting's or a vote's reference), "" without one.
    subject_ref: str = ""


def attribute(app: Clerk, mail: InboundMail) -> Attribution:
    """Whose ``mail`` is (reads only): by its reply key, whether or not the key may still be
    used; else by the sender's address."""
    db = app.store.db
    if mail.reply_key:
        key = fetch_one(db, "SELECT k.purpose, k.subject_ref, p.* FROM reply_keys k JOIN "
                            "people p ON p.id = k.person_id WHERE k.key = ?",
                        [mail.reply_key.lower()])
        if key is not None:
            ref = str(key["subject_ref"])
            meeting = fetch_one(db, "SELECT ref, body FROM meetings WHERE ref = ?", [ref]) or \
                fetch_one(db, "SELECT m.ref, m.body FROM ballots b JOIN meetings m ON m.id = "
                              "b.meeting_id WHERE b.ref = ?", [ref])
            person = Person.from_row(key)
            return Attribution(person, str(meeting["ref"]) if meeting else "",
                               str(key["purpose"]),
                               frozenset({str(meeting["body"])}) if meeting else frozenset(
                                   m.body for m in memberships_of(db, person.id)),
                               "by the reply key in the message", ref)
    known = find_person(db, mail.from_addr) if mail.from_addr else None
    if known is not None:
        return Attribution(known, "", "", frozenset(m.body for m in memberships_of(db, known.id)),
                           "by the sender's address")
    return Attribution(None, "", "", frozenset(), "clerk cannot tell whose it is")


def refusal_of(app: Clerk, message: StoredMessage, whose: Attribution | None = None
               ) -> Refusal | None:
    """The refusal's code recorded for a refused message (in its ``inbound.refused`` event,
    found by its subject: what the key was about, else the sender or the message's key)."""
    subjects = sorted({s for s in (message.line.from_addr, message.message_key,
                                   whose.subject_ref if whose else "") if s})
    ids = [message.line.message_id or message.message_key, message.message_key]
    row = fetch_one(app.store.db, f"SELECT detail FROM audit WHERE subject IN "
                                  f"({', '.join('?' for _ in subjects)}) AND action = "
                                  "'inbound.refused' AND json_extract(evidence, '$.message_id') "
                                  "IN (?, ?) ORDER BY id DESC LIMIT 1", [*subjects, *ids])
    code = json.loads(row["detail"]).get("refusal") if row else None
    return code if code in TOLD else None


def why_not_acted(app: Clerk, message: StoredMessage, mail: InboundMail | None,
                  whose: Attribution | None = None) -> str:
    """Why clerk did not act on the message, in words: for a refusal, what the sender was told
    (or would have been: :data:`clerk.mail_in.inbox.TOLD`); for an unclear answer to an
    invitation, what the member was told when asked again (the ``why`` texts, by the reading's
    code); else the reason kept with it."""
    line = message.line
    if line.status == "refused":
        code = refusal_of(app, message, whose)
        told = TOLD.get(code) if code else None
        if told is not None:
            return _sentence(refused_text(told.reason))
    if line.status == "unclear" and mail is not None and whose is not None \
            and whose.purpose == "rsvp":
        reading = read_rsvp(mail.fresh_text)
        if reading.intent == "unclear":
            return why_unclear(reading)
    return _sentence(line.reason or line.action)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def reading_of(mail: InboundMail) -> RsvpReading:
    """What the message says as an answer to an invitation (to suggest it when attaching)."""
    return read_rsvp(mail.fresh_text)


def note_replay(app: Clerk, message: StoredMessage, outcome: InboundOutcome, *, actor: str,
                channel: str) -> None:
    """Record in the audit log who replayed a message, and what became of it."""
    with app.store.write() as db:
        audit.record(db, at=app.clock.now(), actor=actor, action="inbound.replayed",
                     subject=outcome.meeting or message.line.from_addr or message.message_key,
                     channel=channel, evidence={"inbound_id": message.id,
                                                "message_id": message.line.message_id},
                     detail={"was": message.line.status, "now": outcome.status,
                             "action": outcome.action})


@dataclass(frozen=True)
class ShownMessage:
    """A kept message as a person may read it: chosen headers, the text (never HTML), the names
    of its attachments, and what clerk makes of it (None when it cannot make sense of it)."""

    headers: tuple[tuple[str, str], ...]
    text: str
    html_only: bool
    attachments: tuple[str, ...]
    mail: InboundMail | None


@dataclass(frozen=True)
class AttachReply:
    """Attach message ``inbound_id`` by hand: it is ``email``'s answer to the invitation to
    ``meeting``, meaning ``intent`` (with the substitute named, for ``substitute``)."""

    inbound_id: int
    meeting: str
    email: str
    intent: Intent
    substitute_email: str = ""
    substitute_name: str = ""
    actor: str = "facilitator"
    channel: str = "cli"

    @property
    def idempotency_key(self) -> str:
        return f"inbound:{self.inbound_id}"


@dataclass(frozen=True)
class Attached:
    """What attaching did: ``recorded`` (or ``superseded``: a later reply was already on record,
    so nothing changed), or ``duplicate`` (attached before: nothing done again)."""

    status: Literal["recorded", "superseded", "duplicate"]
    message: str
    reply: ReplyOutcome | None = None


def attach_reply(app: Clerk, cmd: AttachReply) -> Attached:
    """Record the message as the member's answer to the invitation, as if they had replied (the
    facilitator the actor, the message's id the evidence), and take it out of the inbox; once."""
    now = app.clock.now()
    with app.store.write() as db:
        if audit.seen(db, cmd.idempotency_key):
            return Attached("duplicate", f"message #{cmd.inbound_id} was attached before: "
                                         "nothing was recorded again")
        message = stored_message(app, cmd.inbound_id)
        if not message.to_review:
            raise Refused(f"message #{cmd.inbound_id} was already acted on "
                          f"({message.line.status}): there is nothing to attach")
        line = message.line
        outcome = record_reply(app, RecordReply(
            meeting=cmd.meeting, email=cmd.email, intent=cmd.intent,
            substitute_email=cmd.substitute_email, substitute_name=cmd.substitute_name,
            channel=cmd.channel, received_at=from_iso(line.received_at),
            evidence={"inbound_id": line.id, "message_id": line.message_id or message.message_key,
                      "from": line.from_addr, "received_at": line.received_at},
            idempotency_key=cmd.idempotency_key, actor=cmd.actor))
        if outcome.status == "duplicate":  # (seen above; kept for safety)
            return Attached("duplicate", outcome.message, outcome)
        said = {"attend": "attending", "apologies": "apologies",
                "substitute": f"apologies, {outcome.substitute_name or outcome.substitute_email} "
                              "attending in their place"}.get(outcome.reply, outcome.reply)
        words = (f"recorded for {outcome.name}: {said}" if outcome.status == "recorded" else
                 f"not applied for {outcome.name}: a later reply from them is already recorded")
        update(db, "inbound", line.id, {
            "status": "processed", "processed_at": to_iso(now),
            "action": f"attached by hand by {cmd.actor} to {outcome.meeting.ref}: {words}"[:2000]})
        audit.record(db, at=now, actor=cmd.actor, action="inbound.attached",
                     subject=outcome.meeting.ref, channel=cmd.channel,
                     evidence={"inbound_id": line.id, "message_id": line.message_id,
                               "from": line.from_addr},
                     detail={"person": outcome.email, "reply": outcome.reply,
                             "status": outcome.status, "was": line.status})
        status: Literal["recorded", "superseded"] = \
            "superseded" if outcome.status == "superseded" else "recorded"
        return Attached(status, words, outcome)
