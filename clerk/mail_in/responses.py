"""The emails clerk sends back to someone who wrote: a confirmation, a request to answer again,
or a refusal. Each is queued in the caller's transaction as an auto-reply (``Auto-Submitted:
auto-replied``) in the thread of the message it answers, at most once per message.

A refusal goes out only where it is safe (see :func:`clerk.mail_in.inbox.handle_inbound`) and at
most once per address in 24 hours, so clerk can never be made to send a stream of mail to
someone.

Why an answer could not be read is told in words chosen here, in one place, by the reader's reason
code: each table below maps a code to a template under ``templates/email/why/`` (never the words
of the reader's ``reason`` sentence, which is for the log).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.messages import environment, render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.reading.declaration import DeclarationReading, DeclarationUnclearCode, unclear_declaration
from clerk.reading.rsvp import RsvpReading, RsvpUnclearCode, unclear_rsvp
from clerk.reading.vote import VoteReading, VoteUnclearCode, unclear_vote
from clerk.store.rows import fetch_one
from clerk.times import in_words, to_iso

REFUSAL_EVERY = timedelta(hours=24)

#: What a member is told when their answer to an invitation is unclear (``reply_unclear``).
RSVP_UNCLEAR: dict[RsvpUnclearCode, str] = {
    "empty": "rsvp_empty",
    "yes_and_no": "rsvp_yes_and_no",
    "substitute_and_attending": "rsvp_substitute_and_attending",
    "tentative": "rsvp_uncertain",
    "substitute_without_address": "rsvp_substitute_without_address",
    "substitute_unnamed": "rsvp_substitute_unnamed",
    "nothing_recognised": "rsvp_nothing_recognised",
    "calendar_tentative": "rsvp_calendar",
    "calendar_no_status": "rsvp_calendar_no_status",
    "calendar_other": "rsvp_calendar",
}

#: Why a reply to a ballot counted for nothing (``ballot_unclear``: "... because {why}.").
VOTE_UNCLEAR: dict[VoteUnclearCode, str] = {
    "no_vote": "vote_no_vote",
    "singled_out_without_vote": "vote_singled_out_without_vote",
    "overall_both": "vote_overall_both",
    "no_such_decision": "vote_no_such_decision",
    "decision_both": "vote_decision_both",
    "decision_missing": "vote_decision_missing",
}

#: Why a declaration of interest could not be recorded against an item (and was passed on).
DECLARATION_UNCLEAR: dict[DeclarationUnclearCode, str] = {
    "item_not_said": "declaration_item_not_said",
    "no_such_item": "declaration_no_such_item",
}
AGENDA_NOT_OUT = "declaration_agenda_not_out"


def why_text(name: str, **context: Any) -> str:
    """The words of ``templates/email/why/NAME.txt.j2`` (one line of text, no subject)."""
    return environment().get_template(f"email/why/{name}.txt.j2").render(**context).strip()


def why_unclear(reading: RsvpReading) -> str:
    """Why an answer to an invitation was unclear, said to the person who wrote."""
    code = reading.code
    if unclear_rsvp(code):
        return why_text(RSVP_UNCLEAR[code], reading=reading)
    raise ValueError(f"the RSVP reading {code!r} is not unclear")


def why_vote_unclear(reading: VoteReading) -> str:
    """Why a reply to a ballot could not be counted, said to the voter."""
    code = reading.code
    if unclear_vote(code):
        return why_text(VOTE_UNCLEAR[code], reading=reading)
    raise ValueError(f"the vote reading {code!r} is not unclear")


def why_declaration_unclear(reading: DeclarationReading) -> str:
    """Why a declaration of interest could not be recorded against an agenda item."""
    code = reading.code
    if unclear_declaration(code):
        return why_text(DECLARATION_UNCLEAR[code], reading=reading)
    raise ValueError(f"the declaration reading {code!r} is not unclear")


def queue_answer(app: Clerk, db: Database, *, template: str, to_addr: str, in_reply_to: str,
                 dedupe_key: str, context: dict[str, Any], person_id: int | None = None,
                 subject_ref: str = "", reply_key: str | None = None,
                 purpose: str = "rsvp") -> int | None:
    """Render ``template`` and queue it to ``to_addr``; None if this answer was queued before.

    Queued by :func:`clerk.outbox.mail.queue`, whose writer is cheap (every reply read gets
    an answer).

    With ``reply_key`` the answer can itself be answered (to change a reply); never give one to
    a sender who has not been verified as its owner.
    """
    if fetch_one(db, "SELECT 1 AS x FROM outbox WHERE dedupe_key = ?", [dedupe_key]):
        return None  # answered before: not even rendered again
    mail = app.config.mail
    rendered = render_email(template, from_name=mail.from_name,
                            organisation=app.config.clerk.organisation, **context)
    return queue(db, mail, Outgoing(
        kind=template, to_addr=to_addr, subject=rendered.subject, text=rendered.text,
        html=rendered.html, person_id=person_id, subject_ref=subject_ref, reply_key=reply_key,
        purpose=purpose, in_reply_to=in_reply_to or None, auto="auto-replied",
        dedupe_key=dedupe_key), app.clock.now())


def refused_recently(db: Database, to_addr: str, now: datetime) -> bool:
    """Whether a refusal went to this address in the last 24 hours (the limit is one)."""
    return fetch_one(db, "SELECT 1 AS x FROM outbox WHERE to_addr = ? AND kind = 'reply_refused' "
                     "AND created_at > ? LIMIT 1",
                     [to_addr.lower(), to_iso(now - REFUSAL_EVERY)]) is not None


def meeting_context(app: Clerk, meeting: Meeting, recipient_name: str,
                    when: str = "") -> dict[str, Any]:
    """What every answer about a meeting says: which meeting, when, where, whom to ask."""
    body = app.body(meeting.body)
    return {"recipient_name": recipient_name, "body_name": body.name, "body_label": body.label,
            "ref": meeting.ref, "when": when or in_words(meeting.starts_at, app.tz),
            "where": meeting.where, "facilitator": body.facilitator}
