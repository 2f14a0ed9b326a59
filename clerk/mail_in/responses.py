"""The emails clerk sends back to someone who wrote: a confirmation, a request to answer again,
or a refusal. Each is queued in the caller's transaction as an auto-reply (``Auto-Submitted:
auto-replied``) in the thread of the message it answers, at most once per message.

A refusal goes out only where it is safe (see :func:`clerk.mail_in.inbox.handle_inbound`) and at
most once per address in 24 hours, so clerk can never be made to send a stream of mail to
someone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.times import in_words, to_iso

REFUSAL_EVERY = timedelta(hours=24)


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
    if db.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", [dedupe_key]).fetchone():
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
    return db.execute("SELECT 1 FROM outbox WHERE to_addr = ? AND kind = 'reply_refused' "
                      "AND created_at > ? LIMIT 1",
                      [to_addr.lower(), to_iso(now - REFUSAL_EVERY)]).fetchone() is not None


def meeting_context(app: Clerk, meeting: Meeting, recipient_name: str,
                    when: str = "") -> dict[str, Any]:
    """What every answer about a meeting says: which meeting, when, where, whom to ask."""
    body = app.body(meeting.body)
    return {"recipient_name": recipient_name, "body_name": body.name, "body_label": body.label,
            "ref": meeting.ref, "when": when or in_words(meeting.starts_at, app.tz),
            "where": meeting.where, "facilitator": body.facilitator}
