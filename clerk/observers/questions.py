"""Observers' questions: "Observers will need to direct questions to the Partnership via a
Partnership Member". A question asked in chat is passed by email to the facilitator and the
chair, with the observer's name, to be raised through a member; it is not put to the meeting
directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from clerk.app import Clerk
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import meeting_by_id
from clerk.messages import render_email
from clerk.observers.places import MeetingPlaces, places_for
from clerk.outbox.mail import Outgoing, queue
from clerk.people.officers import officer_addresses
from clerk.rules.meetings import meeting_still_open
from clerk.rules.messages.text_safety import clean_text
from clerk.rules.observers import valid_name
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert
from clerk.times import from_iso, to_iso

MIN_QUESTION = 5
MAX_QUESTION = 2000


@dataclass(frozen=True)
class AskQuestion:
    meeting: int | str
    chat_id: int
    name: str
    text: str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class QuestionOutcome:
    status: Literal["sent", "duplicate"]
    places: MeetingPlaces
    sent_to: int
    via_member: bool


def check_question(text: str) -> str:
    """The question tidied (no control or bidi-override characters; its lines kept), or BadInput
    saying what is wrong with it."""
    question = clean_text(text, one_line=False).strip()
    if len(question) < MIN_QUESTION:
        raise BadInput("please write your question in a sentence")
    if len(question) > MAX_QUESTION:
        raise BadInput(f"please keep your question under {MAX_QUESTION} characters")
    return question


def ask_question(app: Clerk, cmd: AskQuestion) -> QuestionOutcome:
    """Record the question and email it to the facilitator and the chair."""
    meeting = meeting_by_id(app, cmd.meeting)
    body = app.body(meeting.body)
    places = places_for(app, meeting)
    if not body.observers.public:
        raise Refused(f"meetings of the {body.label} are not held in public, so it takes no "
                      "questions from observers")
    if not meeting_still_open(meeting, app.clock.now()).ok:
        raise Refused("that meeting is over or cancelled: please choose another")
    name = valid_name(cmd.name)
    if not name.ok:
        raise BadInput(name.reason)
    question = check_question(cmd.text)
    now = app.clock.now()
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return QuestionOutcome("duplicate", places, 0, body.observers.questions_via_member)
        qid = insert(db, "questions", {
            "meeting_id": meeting.id, "chat_id": cmd.chat_id, "name": name.reason,
            "text": question, "asked_at": to_iso(now), "idempotency_key": cmd.idempotency_key})
        to = officer_addresses(db, meeting.body, body)
        for email, who in to:
            r = render_email("observer_question", recipient_name=who, places=places,
                             observer=name.reason, question=question,
                             via_member=body.observers.questions_via_member)
            queue(db, app.config.mail, Outgoing(
                kind="observer_question", to_addr=email, to_name=who, subject=r.subject,
                text=r.text, subject_ref=meeting.ref, dedupe_key=f"question:{qid}:{email}"), now)
        audit.record(db, at=now, actor="observer", action="question.asked", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"question": qid, "sent_to": len(to)},
                     idempotency_key=cmd.idempotency_key)
    return QuestionOutcome("sent", places, len(to), body.observers.questions_via_member)


def known_name(app: Clerk, chat_id: int) -> str:
    """The name this chat last booked under, to save asking again."""
    row = fetch_one(app.store.db, "SELECT name FROM bookings WHERE chat_id = ? AND name != '' "
                                  "ORDER BY updated_at DESC LIMIT 1", [chat_id])
    return str(row["name"]) if row else ""


@dataclass(frozen=True)
class QuestionLine:
    """A question an observer asked about a meeting: their name and words (both blank once
    erased, with ``erased`` set), and when."""

    name: str
    text: str
    asked_at: datetime
    erased: bool


def meeting_questions(app: Clerk, meeting: int | str) -> list[QuestionLine]:
    """The questions observers asked about a meeting (by id or reference), oldest first
    (reads only)."""
    found = meeting_by_id(app, meeting)
    return [QuestionLine(r["name"], r["text"], from_iso(r["asked_at"]), bool(r["erased_at"]))
            for r in fetch_all(app.store.db, "SELECT name, text, asked_at, erased_at FROM "
                                             "questions WHERE meeting_id = ? ORDER BY asked_at, id",
                               [found.id])]
