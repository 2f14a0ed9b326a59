"""Telling people that a substitute will not come after all: the member who named them and the
body's facilitator each get one email, so that someone can find another in time."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import Person
from clerk.times import in_words, to_iso


def report_declined(app: Clerk, db: Database, meeting: Meeting, substitute: Person,
                    member: Person, received: datetime) -> tuple[int, ...]:
    """Queue the news that ``substitute`` cannot attend in place of ``member`` to the member and
    the facilitator (in the caller's transaction); the ids queued (none if queued before)."""
    body = app.body(meeting.body)
    mail = app.config.mail
    when = in_words(meeting.starts_at, app.tz)
    recipients = [(member.email, member.name, member.id, "member")]
    if body.facilitator:
        recipients.append((body.facilitator, "Facilitator", 0, "facilitator"))
    queued: list[int] = []
    for to_addr, to_name, person_id, role in recipients:
        rendered = render_email(
            "substitute_declined", recipient_name=to_name, to_member=role == "member",
            substitute_name=substitute.name or substitute.email,
            substitute_email=substitute.email, member_name=member.name or member.email,
            member_email=member.email, body_name=body.name, body_label=body.label, when=when,
            where=meeting.where, facilitator=body.facilitator, from_name=mail.from_name,
            organisation=app.config.clerk.organisation)
        msg_id = queue(db, mail, Outgoing(
            kind="substitute_declined", to_addr=to_addr, to_name=to_name,
            person_id=person_id or None, subject=rendered.subject, text=rendered.text,
            html=rendered.html, subject_ref=meeting.ref,
            dedupe_key=f"substitute-declined:{meeting.ref}:{substitute.id}:{role}:"
                       f"{to_iso(received)}"), app.clock.now())
        if msg_id:
            queued.append(msg_id)
    return tuple(queued)
