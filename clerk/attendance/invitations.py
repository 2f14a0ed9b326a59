"""Invitations: inviting a body to a meeting, and telling everyone invited when it moves or is
cancelled. Each email carries a calendar invitation with the meeting's stable UID. A linked
member gets a chat copy of each (:mod:`clerk.outbox.chat`); observers with a booking
are told too, in the same transaction (:func:`clerk.observers.jobs.tell_observers`).

Every calendar email to one person is queued under ``invite:{ref}:{person_id}:{sequence}``, so
doing the same thing twice queues nothing new, and each person gets at most one message per
version of the meeting (an invitation after a move is already the latest version).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.roster import ensure_invitation
from clerk.calendar import CalendarEvent, Method, build_ics
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.observers.jobs import tell_observers
from clerk.observers.places import ACTIVE
from clerk.outbox.mail import Outgoing, queue, reply_address
from clerk.people.directory import Person, body_seats, person_by_id
from clerk.rules.meetings import meeting_still_open, refusal, start_problems, warnings
from clerk.rules.substitutes import may_offer_substitute
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, update
from clerk.times import in_words, to_iso
from clerk.tokens.reply_keys import issue_key

CALENDAR_KINDS = ("invitation", "substitute_invitation", "meeting_moved", "meeting_cancelled")

_REPLY_WORDS = {"attend": "you will be there", "apologies": "you cannot come",
                "substitute": "you are sending a substitute"}


@dataclass(frozen=True)
class InviteResult:
    """What an invite, move or cancel did: who was sent something now, who had been already,
    who was skipped because mail to them cannot be delivered (with the reason), and how many
    observers with a booking were told of a move or cancellation; and, for a move to a new
    time, ``warnings`` on it for the facilitator (a weekend, a bank holiday: see
    :mod:`clerk.rules.meetings`)."""

    meeting: Meeting
    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    undeliverable: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = True
    observers: int = 0
    warnings: tuple[Verdict, ...] = ()

    @property
    def message(self) -> str:
        parts = [f"{len(self.queued)} queued"]
        if self.already:
            parts.append(f"{len(self.already)} already sent")
        if self.undeliverable:
            parts.append(f"{len(self.undeliverable)} skipped (mail to them bounces)")
        if self.observers:
            parts.append(f"{self.observers} observer{'s' if self.observers != 1 else ''} told")
        return ", ".join(parts)


@dataclass(frozen=True)
class _Recipient:
    """One person a calendar email goes to, with what the email says to them: whom they stand
    in for (a substitute), their answer so far, and the office they hold on the body."""

    person_id: int
    email: str
    name: str
    undeliverable: str | None
    stands_for_name: str = ""
    reply: str = "no_reply"
    office: str = ""
    is_substitute: bool = False

    @classmethod
    def of(cls, person: Person, **more: Any) -> _Recipient:
        return cls(person.id, person.email, person.name, person.undeliverable, **more)


def dedupe_key(meeting: Meeting, person_id: int) -> str:
    """One calendar email per person per version (SEQUENCE) of the meeting."""
    return f"invite:{meeting.ref}:{person_id}:{meeting.sequence}"


# ----------------------------------------------------------------------------- the services


def invite(app: Clerk, meeting_ref: str, *, actor: str = "facilitator",
           channel: str = "cli") -> InviteResult:
    """Queue an invitation to every active member of the meeting's body (and to each accepted
    substitute standing for one); running it again queues nothing new. ``actor`` and
    ``channel``: who asked, and from where, for the audit log."""
    now = app.clock.now()
    with app.store.write() as db:
        meeting = _current(db, get_meeting(app, meeting_ref).id)
        _refuse_if_over(app, meeting)
        result = InviteResult(meeting)
        for pid, seat in body_seats(db, meeting.body).items():
            person = _Recipient.of(person_by_id(db, pid), office=seat.office)
            if person.undeliverable:
                result.undeliverable.append((person.email, person.undeliverable))
                continue
            ensure_invitation(db, meeting.id, pid, now)
            queued = _queue_calendar_mail(app, db, meeting, person, "invitation", now)
            (result.queued if queued else result.already).append(person.email)
        for row in fetch_all(db, "SELECT person_id, stands_for FROM invitations WHERE "
                                 "meeting_id = ? AND stands_for IS NOT NULL AND reply != "
                                 "'withdrawn'", [meeting.id]):
            sub = person_by_id(db, row["person_id"])
            if sub.undeliverable:
                result.undeliverable.append((sub.email, sub.undeliverable))
                continue
            queued = invite_substitute(db, app, meeting, sub, person_by_id(db, row["stands_for"]),
                                       now)
            (result.queued if queued else result.already).append(sub.email)
        if result.queued:
            audit.record(db, at=now, actor=actor, action="meeting.invite",
                         subject=meeting.ref, channel=channel,
                         detail={"queued": result.queued, "sequence": meeting.sequence,
                                 "undeliverable": [e for e, _ in result.undeliverable]})
    return replace(result, changed=bool(result.queued))


def move_meeting(app: Clerk, ref: str, new_starts_at: datetime, venue: str | None = None,
                 online_url: str | None = None, *, actor: str = "facilitator",
                 channel: str = "cli") -> InviteResult:
    """Move a meeting (time, place or link) and send everyone invited an updated invitation
    with the next SEQUENCE. Asking for the meeting as it already is changes nothing. The
    meeting keeps its reference (``carers-2027-01-14``) and its UID, so replies and calendars
    still find it; a meeting postponed on the day may be moved until its register is taken.
    A new time in the past is refused; one on a weekend or bank holiday is warned of in the
    result."""
    meeting = get_meeting(app, ref)
    now = app.clock.now()
    if meeting_still_open(meeting, now).code == "cancelled":  # (one that is over may be moved)
        raise Refused(f"the meeting {meeting.ref} has been cancelled; schedule a new one instead")
    if fetch_one(app.store.db, "SELECT 1 AS held FROM attendance WHERE meeting_id = ?",
                 [meeting.id]):
        raise Refused(f"the meeting {meeting.ref} has already taken place (its register is "
                      "recorded), so it cannot be moved")
    body = app.body(meeting.body)
    if new_starts_at.tzinfo is None:
        raise BadInput("say which time zone the new time is in")
    problems = start_problems(new_starts_at, now, app.tz)
    if refusal(problems) is not None:
        raise BadInput(f"the new time, {in_words(new_starts_at, app.tz)}, is in the past")
    new_venue = meeting.venue if venue is None else venue.strip()
    new_url = meeting.online_url if online_url is None else online_url.strip()
    if new_url and new_url != meeting.online_url:
        if not body.online_allowed:
            raise Refused(f"{body.name} does not meet online")
        if not new_url.startswith(("https://", "http://")):
            raise BadInput(f'the online link must start with https://, got "{new_url}"')
    with app.store.write() as db:
        meeting = _current(db, meeting.id)  # as it is now, inside the transaction
        if meeting_still_open(meeting, now).code == "cancelled":
            raise Refused(f"the meeting {meeting.ref} has been cancelled")
        time_changed = to_iso(new_starts_at) != to_iso(meeting.starts_at)
        if not time_changed and new_venue == meeting.venue and new_url == meeting.online_url:
            return InviteResult(meeting, changed=False)
        update(db, "meetings", meeting.id, {
            "starts_at": to_iso(new_starts_at), "venue": new_venue, "online_url": new_url,
            "sequence": meeting.sequence + 1, "updated_at": to_iso(now)})
        moved = _current(db, meeting.id)
        superseded = _supersede_unsent(db, moved)
        result = InviteResult(moved, warnings=warnings(problems) if time_changed else ())
        old_when = in_words(meeting.starts_at, app.tz)
        extra = {"old_when": old_when, "time_changed": time_changed}
        for person in _invited(db, moved, include_withdrawn=False):
            if person.undeliverable:
                result.undeliverable.append((person.email, person.undeliverable))
                continue
            queued = _queue_calendar_mail(app, db, moved, person, "meeting_moved", now, extra)
            (result.queued if queued else result.already).append(person.email)
        result = replace(result, observers=tell_observers(
            app, db, moved, "moved", now, old_when=old_when, time_changed=time_changed))
        audit.record(db, at=now, actor=actor, action="meeting.move", subject=moved.ref,
                     channel=channel,
                     detail={"from": to_iso(meeting.starts_at), "to": to_iso(moved.starts_at),
                             "venue": new_venue, "online_url": new_url,
                             "sequence": moved.sequence, "notified": result.queued,
                             "observers_told": result.observers,
                             "superseded_unsent": superseded})
    return result


def cancel_meeting(app: Clerk, ref: str, reason: str = "", *, actor: str = "facilitator",
                   channel: str = "cli") -> InviteResult:
    """Cancel a meeting and send everyone invited a calendar CANCEL. Cancelling again changes
    nothing."""
    now = app.clock.now()
    with app.store.write() as db:
        meeting = _current(db, get_meeting(app, ref).id)
        if meeting.status == "cancelled":
            return InviteResult(meeting, changed=False)
        update(db, "meetings", meeting.id, {
            "status": "cancelled", "sequence": meeting.sequence + 1, "updated_at": to_iso(now)})
        cancelled = _current(db, meeting.id)
        superseded = _supersede_unsent(db, cancelled)
        result = InviteResult(cancelled)
        for person in _invited(db, cancelled, include_withdrawn=True):
            if person.undeliverable:
                result.undeliverable.append((person.email, person.undeliverable))
                continue
            queued = _queue_calendar_mail(app, db, cancelled, person, "meeting_cancelled", now,
                                          {"reason": reason.strip()}, method="CANCEL")
            (result.queued if queued else result.already).append(person.email)
        result = replace(result, observers=tell_observers(app, db, cancelled, "cancelled", now,
                                                          reason=reason))
        audit.record(db, at=now, actor=actor, action="meeting.cancel",
                     subject=cancelled.ref, channel=channel,
                     detail={"reason": reason.strip(), "sequence": cancelled.sequence,
                             "notified": result.queued, "observers_told": result.observers,
                             "superseded_unsent": superseded})
    return result


@dataclass(frozen=True)
class Told:
    """One person a move or cancellation would be sent to (or skipped: ``undeliverable``)."""

    name: str
    email: str
    stands_for_name: str
    reply: str
    undeliverable: str


@dataclass(frozen=True)
class ChangePreview:
    """Who would be told if the meeting were moved (``change="moved"``) or cancelled now: the
    people invited (members and substitutes), those of them whose mail bounces (skipped), and
    how many observers with a booking or on the waiting list. Read only: what
    :func:`move_meeting` and :func:`cancel_meeting` then send to."""

    meeting: Meeting
    change: str
    people: tuple[Told, ...]
    observers: int

    @property
    def told(self) -> tuple[Told, ...]:
        return tuple(p for p in self.people if not p.undeliverable)

    @property
    def skipped(self) -> tuple[Told, ...]:
        return tuple(p for p in self.people if p.undeliverable)


def preview_change(app: Clerk, ref: str, change: Literal["moved", "cancelled"]) -> ChangePreview:
    """Who a move (``moved``) or a cancellation (``cancelled``) of the meeting would tell, as
    :func:`move_meeting` and :func:`cancel_meeting` choose them (a cancellation also tells a
    substitute no longer expected). Nothing is written."""
    db = app.store.db
    meeting = _current(db, get_meeting(app, ref).id)
    people = tuple(Told(p.name, p.email, p.stands_for_name, p.reply, p.undeliverable or "")
                   for p in _invited(db, meeting, include_withdrawn=change == "cancelled"))
    marks = ",".join("?" for _ in ACTIVE)
    row = fetch_one(db, f"SELECT COUNT(*) AS n FROM bookings WHERE meeting_id = ? AND status IN "
                        f"({marks}) AND erased_at IS NULL", [meeting.id, *ACTIVE])
    return ChangePreview(meeting, change, people, int(row["n"]) if row else 0)


def invite_substitute(db: Database, app: Clerk, meeting: Meeting, substitute: Person,
                      member: Person, now: datetime) -> int | None:
    """Queue a substitute's own invitation (with their own reply key) inside the caller's
    transaction; returns the outbox id, or None if already queued, undeliverable, or the
    meeting is no longer ahead."""
    person = _Recipient.of(substitute, stands_for_name=member.name, is_substitute=True)
    if person.undeliverable or not meeting_still_open(meeting, now).ok:
        return None
    return _queue_calendar_mail(app, db, meeting, person, "substitute_invitation", now)


# ----------------------------------------------------------------------------- helpers


def _refuse_if_over(app: Clerk, meeting: Meeting) -> None:
    ahead = meeting_still_open(meeting, app.clock.now())
    if ahead.code == "cancelled":
        raise Refused(f"the meeting {meeting.ref} has been cancelled")
    if ahead.code == "over":
        raise Refused(f"the meeting {meeting.ref} has already taken place "
                      f"({in_words(meeting.starts_at, app.tz)})")


def _current(db: Database, meeting_id: int) -> Meeting:
    row = fetch_one(db, "SELECT * FROM meetings WHERE id = ?", [meeting_id])
    assert row is not None  # (meetings are cancelled, never deleted)
    return Meeting.from_row(row)


def _invited(db: Database, meeting: Meeting, *, include_withdrawn: bool) -> list[_Recipient]:
    """Everyone with an invitation to the meeting (members, and substitutes still expected)."""
    sql = ("SELECT p.id, p.email, p.name, p.undeliverable, i.reply, i.stands_for, "
           "m.name AS member_name, "
           "COALESCE(s.office, '') AS office "
           "FROM invitations i JOIN meetings g ON g.id = i.meeting_id "
           "JOIN people p ON p.id = i.person_id LEFT JOIN people m ON m.id = i.stands_for "
           "LEFT JOIN memberships s ON s.person_id = p.id AND s.body = g.body "
           "WHERE i.meeting_id = ?")
    if not include_withdrawn:
        sql += " AND i.reply != 'withdrawn'"
    return [_Recipient(r["id"], r["email"], r["name"], r["undeliverable"],
                       stands_for_name=r["member_name"] or "", reply=r["reply"],
                       office=r["office"], is_substitute=r["stands_for"] is not None)
            for r in fetch_all(db, sql + " ORDER BY p.name", [meeting.id])]


def _supersede_unsent(db: Database, meeting: Meeting) -> int:
    """Calendar emails for an older version not yet sent are dropped: the new one replaces them."""
    marks = ",".join("?" for _ in CALENDAR_KINDS)
    return execute(db, f"UPDATE outbox SET status = 'superseded', last_error = ? "
                       f"WHERE subject_ref = ? AND status = 'queued' AND kind IN ({marks})",
                   [f"replaced by version {meeting.sequence} of the meeting", meeting.ref,
                    *CALENDAR_KINDS])


def _queue_calendar_mail(app: Clerk, db: Database, meeting: Meeting, person: _Recipient,
                         template: str, now: datetime, extra: dict[str, Any] | None = None,
                         method: Method = "REQUEST") -> int | None:
    """Render ``template`` for one person and queue it with the meeting's calendar part."""
    dedupe = dedupe_key(meeting, person.person_id)
    if fetch_one(db, "SELECT 1 AS queued FROM outbox WHERE dedupe_key = ?", [dedupe]):
        return None
    mail = app.config.mail
    key = None
    if method == "REQUEST":
        key = issue_key(db, person_id=person.person_id, purpose="rsvp", subject_ref=meeting.ref,
                        now=now, days=mail.reply_key_days)
    context = _context(app, meeting, person, key, extra or {})
    rendered = render_email(template, **context)
    ics = build_ics(_event(app, meeting, person), method, now)
    return queue(db, mail, Outgoing(
        kind=template, to_addr=person.email, to_name=person.name, subject=rendered.subject,
        text=rendered.text, html=rendered.html, person_id=person.person_id,
        subject_ref=meeting.ref, reply_key=key, purpose="rsvp", calendar=ics,
        calendar_method=method, dedupe_key=dedupe), now)


def _context(app: Clerk, meeting: Meeting, person: _Recipient, key: str | None,
             extra: dict[str, Any]) -> dict[str, Any]:
    body = app.body(meeting.body)
    mail = app.config.mail
    return {
        "recipient_name": person.name,
        "email": person.email,
        "body_name": body.name,
        "body_label": body.label,
        "ref": meeting.ref,
        "when": in_words(meeting.starts_at, app.tz),
        "venue": meeting.venue,
        "online_url": meeting.online_url,
        "where": meeting.where,
        "extraordinary": meeting.kind == "extraordinary",
        "extraordinary_reason": meeting.reason,
        "reply_address": reply_address(mail, key) if key else "",
        "can_substitute": may_offer_substitute(body.substitutes, person.office,
                                               is_substitute=person.is_substitute).ok,
        "stands_for_name": person.stands_for_name,
        "previous_reply": person.reply,
        "previous_reply_words": _REPLY_WORDS.get(person.reply, ""),
        "facilitator": body.facilitator,
        "from_name": mail.from_name,
        "organisation": app.config.clerk.organisation,
        "reason": "",
        "old_when": "",
        "time_changed": True,
        **extra,
    }


def _event(app: Clerk, meeting: Meeting, person: _Recipient) -> CalendarEvent:
    body = app.body(meeting.body)
    mail = app.config.mail
    extraordinary = meeting.kind == "extraordinary"
    lines = [f"{'Extraordinary meeting' if extraordinary else 'Meeting'} of the {body.name}."]
    if extraordinary and meeting.reason:
        lines.append(f"Called to consider: {meeting.reason}")
    if person.stands_for_name:
        lines.append(f"You are attending in place of {person.stands_for_name}.")
    if meeting.online_url:
        lines.append(f"Join online: {meeting.online_url}")
    lines.append("To reply, answer the email this invitation came with: YES or NO.")
    return CalendarEvent(
        uid=meeting.uid, sequence=meeting.sequence, starts_at=meeting.starts_at,
        summary=f"{body.name}{': extraordinary meeting' if extraordinary else ''}",
        organizer_email=mail.from_address, organizer_name=body.name,
        attendee_email=person.email, attendee_name=person.name,
        location=meeting.venue or (meeting.online_url if meeting.online_url else ""),
        url=meeting.online_url, description="\n".join(lines))

