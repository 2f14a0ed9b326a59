"""Reminding those who have not answered an invitation: what the reminder deadline does
(:func:`queue_reminders`, inside the deadline's transaction), and the facilitator's "remind now"
(:func:`remind_now`), the same reminder at once, at most once a day per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.quorum import replies
from clerk.errors import Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import find_person
from clerk.rules.meetings import meeting_still_open
from clerk.store import audit
from clerk.store.rows import fetch_one
from clerk.times import in_words
from clerk.tokens.reply_keys import issue_key


@dataclass(frozen=True)
class Reminded:
    """What reminding did: who was sent a reminder now, who had been reminded already under
    the same key (today, for "remind now"), and who could not be (their mail bounces)."""

    meeting: Meeting
    queued: tuple[str, ...]
    already: tuple[str, ...]
    undeliverable: tuple[str, ...]

    @property
    def message(self) -> str:
        n = len(self.queued)
        parts = [f"{n} reminder{'s' if n != 1 else ''} queued"]
        if self.already:
            parts.append(f"{len(self.already)} already reminded today")
        if self.undeliverable:
            parts.append(f"{len(self.undeliverable)} skipped (mail to them bounces)")
        return ", ".join(parts)


def waiting_for(db: Database, meeting: Meeting) -> list[str]:
    """The addresses of every member who has not replied, and of every substitute a member named
    who has not replied either."""
    waiting = []
    for _seat, line in replies(db, meeting):
        if line.reply == "no_reply":
            waiting.append(line.email)
        elif line.reply == "substitute" and line.substitute_reply == "no_reply":
            waiting.append(line.substitute_email)
    return waiting


def queue_reminders(app: Clerk, db: Database, meeting: Meeting, key: str,
                    now: datetime) -> Reminded:
    """Inside the caller's transaction: queue a reminder (with a fresh reply key) to everyone
    :func:`waiting_for` answers, once per person under ``key``."""
    ctx = {"meeting": meeting, "body": app.body(meeting.body), "when": in_words(meeting.starts_at, app.tz),
           "where": meeting.where}
    queued, already, undeliverable = [], [], []
    for email in waiting_for(db, meeting):
        person = find_person(db, email)
        if person is None or person.undeliverable:
            undeliverable.append(email)
            continue
        dedupe = f"{key}:{person.id}"
        if fetch_one(db, "SELECT 1 AS queued FROM outbox WHERE dedupe_key = ?", [dedupe]):
            already.append(email)
            continue
        reply_key = issue_key(db, person_id=person.id, purpose="rsvp", subject_ref=meeting.ref,
                              now=now, days=app.config.mail.reply_key_days)
        r = render_email("reminder", recipient_name=person.name, **ctx)
        queue(db, app.config.mail, Outgoing(
            kind="reminder", to_addr=person.email, to_name=person.name, subject=r.subject,
            text=r.text, html=r.html, person_id=person.id, subject_ref=meeting.ref,
            reply_key=reply_key, purpose="rsvp", dedupe_key=dedupe), now)
        queued.append(email)
    return Reminded(meeting, tuple(queued), tuple(already), tuple(undeliverable))


def remind_now(app: Clerk, ref: str, *, actor: str = "facilitator",
               channel: str = "cli") -> Reminded:
    """Remind now everyone who has not replied to a meeting still ahead (the reminder the
    deadline sends); asking again the same day reminds nobody twice. Audited."""
    meeting = get_meeting(app, ref)
    now = app.clock.now()
    ahead = meeting_still_open(meeting, now)
    if not ahead.ok:
        raise Refused(f"{meeting.ref}: {ahead.reason}, so nobody is reminded")
    day = now.astimezone(app.tz).date().isoformat()
    with app.store.write() as db:
        done = queue_reminders(app, db, meeting, f"remind-now:{meeting.ref}:{day}", now)
        if done.queued:
            audit.record(db, at=now, actor=actor, action="meeting.remind", subject=meeting.ref,
                         channel=channel, detail={"queued": list(done.queued),
                                                  "undeliverable": list(done.undeliverable)})
    return done
