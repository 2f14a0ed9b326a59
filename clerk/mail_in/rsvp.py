"""The ``rsvp`` purpose: an answer to a meeting invitation, in the member's own words.

The answer is read (:func:`clerk.reading.rsvp.read_rsvp`) and recorded through
:func:`clerk.attendance.replies.record_reply`, which applies the body's rules (substitutes, later
replies replacing earlier ones); the sender is thanked with a short confirmation. An answer that
is unclear or contradicts itself changes nothing: the sender is asked again, shown what was read
and told why, in words chosen by the reading's reason code (:func:`clerk.mail_in.responses.why_unclear`).
A declaration of interest made in the same answer is recorded too (or passed to the facilitator
when the agenda is not out yet), and the answer says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from clerk.agenda.items import read_agenda
from clerk.app import Clerk
from clerk.attendance.replies import RecordReply, ReplyOutcome, record_reply
from clerk.errors import NotFound, Refused
from clerk.mail_in.agenda import forward_to_facilitator, record_declared
from clerk.mail_in.message import Decision, VerifiedReply
from clerk.mail_in.responses import (
    AGENDA_NOT_OUT,
    meeting_context,
    queue_answer,
    why_declaration_unclear,
    why_text,
    why_unclear,
)
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.people.directory import find_person
from clerk.reading.calendar_reply import rsvp_from_calendar
from clerk.reading.declaration import read_declaration
from clerk.reading.rsvp import RsvpReading, read_rsvp
from clerk.rules.messages.acknowledgement import is_acknowledgement
from clerk.rules.messages.text_safety import clean_text
from clerk.store.rows import fetch_one
from clerk.times import in_words
from clerk.tokens.reply_keys import issue_key

QUOTE_LINES = 12
QUOTE_CHARS = 800

_NOW_ON_RECORD = {"attend": "attending", "apologies": "apologies", "substitute":
                  "apologies, with a substitute attending in your place"}


def handle_rsvp(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """Record the answer to an invitation (or ask again); raises Refused when it cannot be."""
    try:
        meeting = get_meeting(app, reply.key.subject_ref)
    except NotFound:
        raise NotFound(f"the meeting {reply.key.subject_ref} no longer exists") from None
    when = in_words(meeting.starts_at, app.tz)
    body = app.body(meeting.body)
    if meeting.status == "cancelled":
        raise Refused(f"the {body.name} meeting on {when} has been cancelled")
    if meeting.starts_at <= reply.received_at:
        raise Refused(f"the {body.name} meeting on {when} has already taken place")
    declared = _declarations(app, db, reply, meeting)
    reading, answering_for = _reading(db, reply, meeting)
    if reading.intent == "unclear":
        if _acknowledges(db, reply, meeting):
            return declared.add_to(Decision(
                "processed", "an acknowledgement of our confirmation",
                "no answer needed: they thanked us for the confirmation; nothing changed",
                meeting=meeting.ref))
        return declared.add_to(_ask_again(app, db, reply, meeting, reading, when, declared))
    outcome = record_reply(app, RecordReply(
        meeting=meeting.ref, email=answering_for, intent=reading.intent,
        substitute_email=reading.substitute_email or "",
        substitute_name=reading.substitute_name or "", channel="email",
        evidence=reply.evidence, received_at=reply.received_at,
        idempotency_key=reply.idempotency_key))
    member_name = _name_of(db, outcome.stands_for) if outcome.stands_for else ""
    what = _what(outcome, member_name)
    if outcome.refused_substitute:
        what += f" (substitute refused: {outcome.refused_substitute.reason})"
    where = f"for {body.label}, {when}"
    if outcome.status == "superseded":
        return declared.add_to(Decision("processed", reading.reason, f"not applied ({what} "
                                        f"{where}): a later reply from them is already recorded",
                                        meeting=meeting.ref))
    if outcome.status == "duplicate":
        return declared.add_to(Decision("processed", reading.reason,
                                        f"already recorded: {what} {where}", meeting=meeting.ref))
    queued = _confirm(app, db, reply, meeting, outcome, member_name, when, declared)
    notices = "; the member and the facilitator told" if outcome.queued else ""
    return declared.add_to(Decision(
        "processed", reading.reason,
        f"recorded: {what} {where}" + ("; confirmation queued" if queued else "") + notices,
        meeting=meeting.ref, queued=([queued] if queued else []) + list(outcome.queued)))


@dataclass
class Declared:
    """Declarations of interest made in an answer to the invitation: recorded against agenda
    items, or (when the agenda is not out yet, or the items are not clear) passed to the
    facilitator, so that none is lost."""

    recorded: list[dict[str, Any]] = field(default_factory=list)
    passed_on: str = ""  # why it was passed on, when it was
    queued: list[int] = field(default_factory=list)

    @property
    def context(self) -> dict[str, Any]:
        return {"declared": self.recorded, "declaration_passed_on": self.passed_on}

    def add_to(self, decision: Decision) -> Decision:
        if self.recorded:
            items = ", ".join(str(d["item"]) for d in self.recorded)
            decision.action += f"; declaration of interest recorded (item {items})"
        elif self.passed_on:
            decision.action += f"; declaration of interest passed to the facilitator ({self.passed_on})"
        decision.queued.extend(self.queued)
        return decision


def _declarations(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting) -> Declared:
    """Item numbers mean something only once the papers (with the numbered agenda) are out."""
    out = fetch_one(db, "SELECT papers_sent_at FROM meetings WHERE id = ?", [meeting.id])
    items = len(read_agenda(app, db, meeting).items) if out and out["papers_sent_at"] else 0
    reading = read_declaration(reply.mail.fresh_text, items)
    if reading.found:
        return Declared(recorded=record_declared(app, reply, meeting, reading))
    if not reading.unclear:
        return Declared()
    why = why_text(AGENDA_NOT_OUT) if not items else why_declaration_unclear(reading)
    forwarded = forward_to_facilitator(app, db, reply, meeting, "a declaration of interest in "
                                       "their answer to the invitation", why)
    return Declared(passed_on=why, queued=[forwarded] if forwarded else [])


def _name_of(db: Database, email: str) -> str:
    row = fetch_one(db, "SELECT name FROM people WHERE email = ?", [email])
    return str(row["name"]) if row else email


def _what(outcome: ReplyOutcome, member_name: str) -> str:
    if outcome.stands_for:
        return ("attending" if outcome.reply == "attend" else "apologies") + \
            f" in place of {member_name}"
    if outcome.reply == "substitute":
        return f"apologies, {outcome.substitute_name or outcome.substitute_email} to attend " \
               "in their place"
    return "attending" if outcome.reply == "attend" else "apologies"


def _answer_key(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting,
                person_id: int | None = None) -> str:
    """The reply key of the person answered (the sender, unless said) for this meeting, so that
    answering our answer works too."""
    person_id = reply.sender.id if person_id is None else person_id
    if person_id == reply.key.person_id:
        return reply.key.key
    return issue_key(db, person_id=person_id, purpose="rsvp", subject_ref=meeting.ref,
                     now=app.clock.now(), days=app.config.mail.reply_key_days)


def _confirm(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting,
             outcome: ReplyOutcome, member_name: str, when: str, declared: Declared) -> int | None:
    # The person whose answer it is: the sender, or the accepted substitute their calendar named.
    person = reply.sender if outcome.email == reply.sender.email else \
        find_person(db, outcome.email) or reply.sender
    person_id, name, email = person.id, person.name, person.email
    refused = outcome.refused_substitute
    context = {**meeting_context(app, meeting, name, when), **declared.context,
               "reply": outcome.reply, "stands_for_name": member_name,
               "substitute_name": outcome.substitute_name,
               "substitute_email": outcome.substitute_email,
               "refused": refused}
    return queue_answer(app, db, template="reply_confirmation", to_addr=email,
                        in_reply_to=reply.mail.message_id if person_id == reply.sender.id else "",
                        context=context, dedupe_key=f"confirm:{reply.mail.message_key}",
                        person_id=person_id, subject_ref=meeting.ref,
                        reply_key=_answer_key(app, db, reply, meeting, person_id))


def _reading(db: Database, reply: VerifiedReply, meeting: Meeting) -> tuple[RsvpReading, str]:
    """What was said, and for whom: the sender's own words; or where the body is empty, the
    subject they wrote (the invitation's YES/NO buttons are ``mailto:`` links, and some mail
    clients keep only their subject); or where the words say nothing clear (Outlook's "Accepted:"
    has no text of its own), the answer their calendar sent for this meeting, credited to the
    attendee it names, who must be the sender or the sender's accepted substitute."""
    sender = str(reply.sender.email)
    calendar = reply.mail.calendar_reply
    text = reply.mail.fresh_text
    if not text.strip() and calendar is None:
        text = own_subject(reply.mail.subject)
    reading = read_rsvp(text)
    if reading.intent != "unclear" or calendar is None or calendar.uid != meeting.uid:
        return reading, sender
    from_calendar = rsvp_from_calendar(calendar)
    if from_calendar.intent == "unclear" and reading.evidence:
        return reading, sender
    if calendar.attendee != sender and not _substitute_for(db, meeting, calendar.attendee,
                                                           reply.sender.id):
        raise Refused(f"your calendar answered for {calendar.attendee}, not for you ({sender}), "
                      "and a calendar's answer counts only for the person it names")
    return from_calendar, calendar.attendee


_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|fw|fwd|wg|tr|rv|res|antw|odp|ynt)\s*(?:\[\d+\])?\s*:",
                           re.IGNORECASE)


def own_subject(subject: str) -> str:
    """A subject the sender wrote themselves (as a ``mailto:?subject=YES`` button does), or ""
    when it is a reply's or a forward's, which repeats clerk's own words ("Re: Please attend in
    place of ...") and says nothing of theirs."""
    line = clean_text(subject)
    return "" if _REPLY_PREFIX.match(line) else line


def _substitute_for(db: Database, meeting: Meeting, email: str, member_id: int) -> bool:
    return fetch_one(
        db, "SELECT 1 AS x FROM invitations i JOIN people p ON p.id = i.person_id "
        "WHERE i.meeting_id = ? AND p.email = ? AND i.stands_for = ? AND i.reply != 'withdrawn'",
        [meeting.id, email, member_id]) is not None


def _acknowledges(db: Database, reply: VerifiedReply, meeting: Meeting) -> bool:
    """A mere "thank you" from someone we have already sent a confirmation about this meeting:
    answering it would only start an exchange of thanks."""
    if not is_acknowledgement(reply.mail.fresh_text, names=[reply.sender.name]):
        return False
    return fetch_one(db, "SELECT 1 AS x FROM outbox WHERE kind = 'reply_confirmation' "
                     "AND person_id = ? AND subject_ref = ? LIMIT 1",
                     [reply.sender.id, meeting.ref]) is not None


def _ask_again(app: Clerk, db: Database, reply: VerifiedReply, meeting: Meeting,
               reading: RsvpReading, when: str, declared: Declared) -> Decision:
    current = fetch_one(db, "SELECT reply FROM invitations WHERE meeting_id = ? AND person_id = ?",
                        [meeting.id, reply.sender.id])
    context = {**meeting_context(app, meeting, reply.sender.name, when), **declared.context,
               "quote": quote(reply.mail.fresh_text), "why": why_unclear(reading),
               "current": _NOW_ON_RECORD.get(current["reply"] if current else "", "")}
    queued = queue_answer(app, db, template="reply_unclear", to_addr=reply.sender.email,
                          in_reply_to=reply.mail.message_id, context=context,
                          dedupe_key=f"unclear:{reply.mail.message_key}",
                          person_id=reply.sender.id, subject_ref=meeting.ref,
                          reply_key=_answer_key(app, db, reply, meeting))
    return Decision("unclear", f"unclear: {reading.reason}",
                    "not recorded (unclear); " + ("asked them again" if queued else
                                                  "already asked them again"),
                    reason=reading.reason, meeting=meeting.ref, queued=[queued] if queued else [])


def quote(text: str) -> list[str]:
    """The first lines of what the sender wrote, as shown back to them (kept short)."""
    lines: list[str] = []
    size = 0
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        if len(lines) == QUOTE_LINES or size + len(line) > QUOTE_CHARS:
            lines.append("[...]")
            break
        lines.append(line[:200])
        size += len(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines

