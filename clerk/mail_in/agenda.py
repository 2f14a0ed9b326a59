"""Replies by email about agendas and papers, for the inbound pipeline
(:data:`clerk.mail_in.inbox.PURPOSE_HANDLERS`):

- ``agenda`` (:func:`handle_agenda_reply`): the Chair's answer to a draft agenda. APPROVE approves
  it through :func:`clerk.agenda.items.approve_agenda` (only the Chair, or the Vice-Chair where
  allowed; an answer to an older draft changes nothing); anything else is a request for changes,
  passed to the facilitator as written.
- ``papers`` (:func:`handle_papers_reply`): a reply to the papers (or the minutes). Declarations
  of interest ("I declare an interest in item 3 as ...") are recorded against the items; anything
  else (a question, a correction) goes to the facilitator.

Both run inside the message's transaction and raise :class:`clerk.errors.Refused` to refuse.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.declarations import RecordDeclaration, record_declaration
from clerk.agenda.items import mail_context, read_agenda
from clerk.app import Clerk
from clerk.errors import Refused
from clerk.mail_in.message import Decision, InboundMail, VerifiedReply
from clerk.mail_in.responses import queue_answer
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.reading.agenda_reply import read_agenda_reply
from clerk.reading.declaration import DeclarationReading, read_declaration
from clerk.store import audit
from clerk.store.rows import fetch_one, insert
from clerk.times import to_iso

QUOTE_CHARS = 3000


def draft_version_answered(db: Database, mail: InboundMail, meeting_ref: str) -> int | None:
    """Which version of the draft agenda a reply answers: the version recorded when the draft it
    quotes was sent (the first of its answered Message-IDs that is one of this meeting's drafts);
    None if it quotes none of them (the current version is then meant)."""
    for message_id in mail.answered_ids:
        row = fetch_one(db, "SELECT d.version FROM outbox o JOIN agenda_drafts_sent d "
                            "ON d.outbox_id = o.id WHERE o.message_id = ? AND o.kind = "
                            "'agenda_draft' AND o.subject_ref = ?", [message_id, meeting_ref])
        if row is not None:
            return int(row["version"])
    return None


def _answer_context(app: Clerk, meeting: Meeting, name: str) -> dict[str, Any]:
    """The meeting context for :func:`queue_answer` (which adds the signature itself)."""
    context = mail_context(app, meeting, name)
    del context["from_name"], context["organisation"]
    return context


def _forward(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting, about: str,
             why: str) -> list[int]:
    """Pass what the sender wrote to the facilitator, and tell the sender it was passed on."""
    body = app.body(meeting.body)
    sender = reply.sender
    forwarded = forward_to_facilitator(app, db, reply, meeting, about, why)
    queued = [forwarded] if forwarded else []
    answer = queue_answer(app, db, template="reply_passed_on", to_addr=sender.email,
                          in_reply_to=reply.mail.message_id,
                          dedupe_key=f"passed-on:{reply.mail.message_key}",
                          context={**_answer_context(app, meeting, sender.name), "about": about,
                                   "why": why, "passed": bool(body.facilitator)},
                          person_id=sender.id, subject_ref=meeting.ref)
    if answer:
        queued.append(answer)
    return queued


def forward_to_facilitator(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting,
                           about: str, why: str) -> int | None:
    """Pass what the sender wrote to the body's facilitator (None if it has none, or the message
    was passed on already)."""
    body = app.body(meeting.body)
    if not body.facilitator:
        return None
    sender = reply.sender
    r = render_email("reply_forward", **mail_context(app, meeting, "Facilitator"),
                     sender_name=sender.name, sender_email=sender.email, about=about,
                     why=why, text=reply.mail.fresh_text.strip()[:QUOTE_CHARS],
                     subject=reply.mail.subject)
    return queue(db, app.config.mail, Outgoing(
        kind="reply_forward", to_addr=body.facilitator, to_name="Facilitator",
        subject=r.subject, text=r.text, html=r.html, subject_ref=meeting.ref,
        dedupe_key=f"forward:{reply.mail.message_key}"), app.clock.now())


def record_declared(app: Clerk, reply: VerifiedReply, meeting: Meeting,
                    reading: DeclarationReading) -> list[dict[str, Any]]:
    """Record each declaration of interest read in a reply; what was recorded, item by item."""
    recorded: list[dict[str, Any]] = []
    for declared in reading.declarations:
        for number in declared.items:
            outcome = record_declaration(app, RecordDeclaration(
                meeting=meeting.ref, email=reply.sender.email, item=number,
                interest=declared.interest, channel="email",
                evidence={**reply.evidence, "text": declared.evidence}))
            recorded.append({"item": number, "title": outcome.item_title,
                             "interest": declared.interest})
    return recorded


# ----------------------------------------------------------------------------- agenda


def handle_agenda_reply(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """The Chair's answer to a draft agenda (purpose ``agenda``)."""
    meeting = get_meeting(app, reply.key.subject_ref)
    reading = read_agenda_reply(reply.mail.fresh_text)
    if reading.intent == "empty":
        return Decision("unclear", reading.reason, "nothing done: the reply is empty",
                        meeting=meeting.ref)
    if reading.intent == "changes":
        now = app.clock.now()
        agenda = read_agenda(app, db, meeting)
        insert(db, "agenda_approvals", {
            "meeting_id": meeting.id, "version": agenda.version, "agenda_sha256": agenda.sha256,
            "outcome": "changes", "person_id": reply.sender.id,
            "email": reply.sender.email, "channel": "email",
            "evidence": json.dumps(reply.evidence, sort_keys=True), "reason": reading.reason,
            "at": to_iso(now)})
        audit.record(db, at=now, actor=reply.sender.email, action="agenda.changes_requested",
                     subject=meeting.ref, channel="email", evidence=reply.evidence,
                     detail={"version": agenda.version, "text": reading.evidence})
        queued = _forward(app, db, reply, meeting, "the draft agenda", reading.reason)
        return Decision("processed", reading.reason, "changes to the draft agenda passed to the "
                        "facilitator; the agenda is not approved", meeting=meeting.ref,
                        queued=queued)
    version = draft_version_answered(db, reply.mail, meeting.ref)
    outcome = approve_agenda(app, ApproveAgenda(
        meeting=meeting.ref, email=reply.sender.email, channel="email",
        evidence=reply.evidence, version=version, idempotency_key=reply.idempotency_key))
    if outcome.status == "refused":
        raise Refused(outcome.message)
    answers: list[int] = []
    if outcome.status in ("approved", "outdated"):
        answer = queue_answer(app, db, template="agenda_approved", to_addr=reply.sender.email,
                              in_reply_to=reply.mail.message_id,
                              dedupe_key=f"agenda-answer:{reply.mail.message_key}",
                              context={**_answer_context(app, meeting, reply.sender.name),
                                       "outcome": outcome},
                              person_id=reply.sender.id, subject_ref=meeting.ref)
        if answer:
            answers.append(answer)
    return Decision("processed", reading.reason, outcome.message, meeting=meeting.ref,
                    queued=answers)


# ----------------------------------------------------------------------------- papers


def handle_papers_reply(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """A reply to the papers or minutes (purpose ``papers``): declarations, or to the facilitator."""
    meeting = get_meeting(app, reply.key.subject_ref)
    agenda = read_agenda(app, db, meeting)
    reading = read_declaration(reply.mail.fresh_text, len(agenda.items))
    if reading.nothing_to_declare and not reading.found:
        return Decision("processed", reading.reason, "nothing recorded: nothing to declare",
                        meeting=meeting.ref)
    if not reading.found:
        why = reading.reason if reading.unclear else "clerk reads only declarations of interest"
        queued = _forward(app, db, reply, meeting, "the papers", why)
        return Decision("unclear" if reading.unclear else "processed", reading.reason,
                        "passed to the facilitator", meeting=meeting.ref, queued=queued)
    recorded = record_declared(app, reply, meeting, reading)
    queued = []
    answer = queue_answer(app, db, template="declaration_receipt", to_addr=reply.sender.email,
                          in_reply_to=reply.mail.message_id,
                          dedupe_key=f"declared:{reply.mail.message_key}",
                          context={**_answer_context(app, meeting, reply.sender.name),
                                   "declared": recorded},
                          person_id=reply.sender.id, subject_ref=meeting.ref)
    if answer:
        queued.append(answer)
    items = ", ".join(str(d["item"]) for d in recorded)
    return Decision("processed", reading.reason, f"declaration of interest recorded (item "
                    f"{items})", meeting=meeting.ref, queued=queued)
