"""Observers booking a place at a public meeting, through the bot.

1. :func:`request_booking`: name and email for a meeting; a six-digit code goes to the address.
2. :func:`confirm_booking`: the code typed back proves the address; in the same transaction the
   capacity is checked and the place booked, so twenty observers confirming at once book exactly
   the places there are. When the last place has gone, the observer may
3. :func:`join_waiting_list` (the verified address stays good for the code's life).
4. :func:`cancel_booking` frees the place, which is offered to the first on the waiting list
   (:mod:`clerk.observers.waiting`).

One booking per meeting and address (a unique constraint); every step is idempotent and audited
without personal data (the audit log is never erased; bookings are, see
:mod:`clerk.observers.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import Meeting, meeting_by_id
from clerk.messages import render_email
from clerk.observers.places import (
    Booking,
    MeetingPlaces,
    booking_by_id,
    places_for,
    taken,
    waiting_count,
    waiting_position,
)
from clerk.observers.waiting import offer_next, send_confirmation
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import is_email, normalise_email
from clerk.rules.meetings import meeting_still_open
from clerk.rules.observers import admit, valid_name
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import in_words, to_iso
from clerk.tokens.chat_codes import ChatCode, check_code, issue_code, use_code, verified_code

BookingStatus = Literal["booked", "waiting", "full", "already", "duplicate", "wrong_code",
                        "expired", "no_code", "blocked", "closed", "cancelled"]


@dataclass(frozen=True)
class RequestBooking:
    """An observer asks for a place: ``meeting`` is the meeting's id or reference."""

    meeting: int | str
    chat_id: int
    name: str
    email: str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeSent:
    email: str
    fresh: bool
    expires: str
    places: MeetingPlaces


@dataclass(frozen=True)
class ConfirmBooking:
    """The code the observer typed into the chat."""

    chat_id: int
    code: str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class JoinWaitingList:
    chat_id: int
    meeting: int | str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CancelBooking:
    chat_id: int
    booking_id: int
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class BookingOutcome:
    """What became of a step; ``reason`` explains a refusal, ``position`` is on the waiting list."""

    status: BookingStatus
    places: MeetingPlaces | None = None
    booking_id: int | None = None
    name: str = ""
    email: str = ""
    position: int = 0
    attempts_left: int = 0
    reason: str = ""
    #: A place freed by this step was offered to the next person waiting (there was one).
    offered_next: bool = False


@dataclass(frozen=True)
class BookingLine:
    """One of a chat's bookings, for ``/mybookings`` and ``/cancel``."""

    id: int
    status: str
    name: str
    email: str
    position: int
    offer_expires: str
    places: MeetingPlaces


def _open_or_refuse(places: MeetingPlaces) -> None:
    if not places.open.ok:
        raise Refused(places.open.reason)


def request_booking(app: Clerk, cmd: RequestBooking) -> CodeSent:
    """Check the meeting takes bookings and send a code to the address (once per double tap)."""
    name_ok = valid_name(cmd.name)
    if not name_ok.ok:
        raise BadInput(name_ok.reason)
    email = normalise_email(cmd.email)
    if not is_email(email):
        raise BadInput(f'"{cmd.email.strip()}" is not an email address')
    meeting = meeting_by_id(app, cmd.meeting)
    places = places_for(app, meeting)
    _open_or_refuse(places)
    now = app.clock.now()
    with app.store.write() as db:
        existing = _booking_for(db, meeting.id, email)
        if existing and existing.active:
            words = "is on the waiting list" if existing.status == "waiting" else "has a place"
            raise Refused(f"{email} already {words} for this meeting: see /mybookings")
        issued = issue_code(db, purpose="booking", chat_id=cmd.chat_id, email=email,
                            name=name_ok.reason, meeting_id=meeting.id, now=now)
        if issued.code is not None:
            r = render_email("booking_code", recipient_name=name_ok.reason, code=issued.code,
                             places=places, expires=in_words(issued.expires_at, app.tz))
            queue(db, app.config.mail, Outgoing(
                kind="booking_code", to_addr=email, to_name=name_ok.reason, subject=r.subject,
                text=r.text, subject_ref=meeting.ref, dedupe_key=f"booking-code:{issued.id}"),
                now)
            audit.record(db, at=now, actor="observer", action="booking.code_sent",
                         subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                         detail={"code": issued.id})
    return CodeSent(email, issued.code is not None, in_words(issued.expires_at, app.tz), places)


def confirm_booking(app: Clerk, cmd: ConfirmBooking) -> BookingOutcome:
    """Check the code; then, in one transaction, book a place if one is free."""
    now = app.clock.now()
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return _duplicate(app, db, cmd.chat_id)
        check = check_code(db, purpose="booking", chat_id=cmd.chat_id, code=cmd.code, now=now)
        if check.status != "ok" or check.code is None:
            # (a refusal's status; "ok" cannot come with no code, which the type does not know)
            status = {"wrong": "wrong_code", "none": "no_code"}.get(check.status, check.status)
            return BookingOutcome(status, attempts_left=check.attempts_left)  # type: ignore[arg-type]
        code = check.code
        meeting = meeting_by_id(app, _meeting_of(code))
        places = places_for(app, meeting)
        if not places.open.ok:
            return BookingOutcome("closed", places, reason=places.open.reason)
        existing = _booking_for(db, meeting.id, code.email)
        if existing and existing.active:
            use_code(db, code.id)
            return _outcome(app, db, "already", existing)
        verdict = admit(places.capacity, taken(db, meeting.id), waiting_count(db, meeting.id))
        if not verdict.ok:
            audit.record(db, at=now, actor="observer", action="booking.full", subject=meeting.ref,
                         channel=cmd.channel, evidence=cmd.evidence,
                         detail={"code": code.id, "reason": verdict.reason},
                         idempotency_key=cmd.idempotency_key)
            return BookingOutcome("full", places, name=code.name, email=code.email,
                                  reason=verdict.reason)
        booking = _put(db, meeting, code, cmd.chat_id, "booked", now, cmd.idempotency_key)
        use_code(db, code.id)
        audit.record(db, at=now, actor="observer", action="booking.booked", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"booking": booking.id, "places": verdict.reason},
                     idempotency_key=cmd.idempotency_key)
        send_confirmation(app, db, booking, places_for(app, meeting))
        return _outcome(app, db, "booked", booking)


def join_waiting_list(app: Clerk, cmd: JoinWaitingList) -> BookingOutcome:
    """Join the waiting list with the address just verified (or book, if a place came free)."""
    now = app.clock.now()
    meeting = meeting_by_id(app, cmd.meeting)
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return _duplicate(app, db, cmd.chat_id)
        places = places_for(app, meeting)
        _open_or_refuse(places)
        code = verified_code(db, purpose="booking", chat_id=cmd.chat_id, meeting_id=meeting.id,
                             now=now)
        if code is None:
            mine = fetch_one(db, "SELECT * FROM bookings WHERE meeting_id = ? AND chat_id = ? "
                                 "AND status IN ('booked', 'offered', 'waiting')",
                             [meeting.id, cmd.chat_id])
            if mine:
                return _outcome(app, db, "already", Booking.from_row(mine))
            raise Refused("your email address needs confirming again: please start the booking "
                          "again with /book")
        existing = _booking_for(db, meeting.id, code.email)
        if existing and existing.active:
            use_code(db, code.id)
            return _outcome(app, db, "already", existing)
        free = admit(places.capacity, taken(db, meeting.id), waiting_count(db, meeting.id))
        status: BookingStatus = "booked" if free.ok else "waiting"
        booking = _put(db, meeting, code, cmd.chat_id, status, now, cmd.idempotency_key)
        use_code(db, code.id)
        audit.record(db, at=now, actor="observer", action=f"booking.{status}", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"booking": booking.id}, idempotency_key=cmd.idempotency_key)
        if status == "booked":
            send_confirmation(app, db, booking, places_for(app, meeting))
        return _outcome(app, db, status, booking)


def cancel_booking(app: Clerk, cmd: CancelBooking) -> BookingOutcome:
    """Cancel a place (or leave the waiting list); a freed place goes to the first waiting.
    A booking for a meeting that has been cancelled may still be cancelled; one for a meeting
    that has taken place may not."""
    now = app.clock.now()
    with app.store.write() as db:
        booking = booking_by_id(db, cmd.booking_id)
        if booking is None or booking.chat_id != cmd.chat_id:
            raise NotFound("that booking is not one of yours (see /mybookings)")
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return _outcome(app, db, "duplicate", booking)
        if not booking.active:
            return _outcome(app, db, "already", booking)
        meeting = meeting_by_id(app, booking.meeting_id)
        ahead = meeting_still_open(meeting, now)
        if ahead.code == "over":
            raise Refused(ahead.reason)
        freed = booking.status in ("booked", "offered")
        update(db, "bookings", booking.id, {"status": "cancelled", "offer_expires_at": None,
                                            "updated_at": to_iso(now)})
        audit.record(db, at=now, actor="observer", action="booking.cancel", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"booking": booking.id, "was": booking.status},
                     idempotency_key=cmd.idempotency_key)
        offered = offer_next(app, db, meeting, now) if freed else []
        out = _outcome(app, db, "cancelled", booking_by_id(db, booking.id) or booking)
        return replace(out, reason=booking.status,  # what it was before
                       offered_next=bool(offered))


def chat_booking(app: Clerk, chat_id: int, booking_id: int) -> BookingLine:
    """One of this chat's bookings (to ask "cancel this one?"), whatever its status now."""
    booking = booking_by_id(app.store.db, booking_id)
    if booking is None or booking.chat_id != chat_id:
        raise NotFound("that booking is not one of yours (see /mybookings)")
    return _line(app, app.store.db, booking)


def chat_bookings(app: Clerk, chat_id: int) -> list[BookingLine]:
    """This chat's current bookings and waiting-list places for meetings still to come (and not
    cancelled: the observer was told, see :func:`clerk.observers.jobs.tell_observers`)."""
    rows = fetch_all(
        app.store.db,
        "SELECT b.* FROM bookings b JOIN meetings m ON m.id = b.meeting_id WHERE b.chat_id = ? "
        "AND b.status IN ('booked', 'offered', 'waiting') AND m.status != 'cancelled' "
        "AND m.starts_at > ? ORDER BY m.starts_at",
        [chat_id, to_iso(app.clock.now())])
    return [_line(app, app.store.db, Booking.from_row(row)) for row in rows]


# --- helpers --------------------------------------------------------------------------------

def _meeting_of(code: ChatCode) -> int:
    """The meeting a booking code is for (every booking code names one)."""
    if code.meeting_id is None:
        raise NotFound("that meeting is no longer in the calendar")
    return code.meeting_id


def _booking_for(db: Database, meeting_id: int, email: str) -> Booking | None:
    row = fetch_one(db, "SELECT * FROM bookings WHERE meeting_id = ? AND email = ?",
                    [meeting_id, email])
    return Booking.from_row(row) if row else None


def _put(db: Database, meeting: Meeting, code: ChatCode, chat_id: int, status: BookingStatus,
         now: datetime, key: str | None) -> Booking:
    """Insert the booking, or bring back a cancelled one for the same address."""
    values = {"name": code.name, "chat_id": chat_id, "status": status,
              "waiting_since": to_iso(now) if status == "waiting" else None,
              "offer_expires_at": None, "updated_at": to_iso(now)}
    existing = _booking_for(db, meeting.id, code.email)
    if existing:
        update(db, "bookings", existing.id, values)
        booking_id = existing.id
    else:
        booking_id = insert(db, "bookings", {
            **values, "meeting_id": meeting.id, "email": code.email, "created_at": to_iso(now),
            "idempotency_key": key})
    booking = booking_by_id(db, booking_id)
    assert booking is not None, "written just now, in this transaction"
    return booking


def _line(app: Clerk, db: Database, booking: Booking) -> BookingLine:
    places = places_for(app, meeting_by_id(app, booking.meeting_id))
    position = waiting_position(db, booking) if booking.status == "waiting" else 0
    expires = in_words(booking.offer_expires_at, app.tz) if booking.offer_expires_at else ""
    return BookingLine(booking.id, booking.status, booking.name, booking.email, position, expires,
                       places)


def _outcome(app: Clerk, db: Database, status: BookingStatus, booking: Booking) -> BookingOutcome:
    line = _line(app, db, booking)
    return BookingOutcome(status, line.places, booking.id, booking.name, booking.email,
                          line.position, reason=booking.status)


def _duplicate(app: Clerk, db: Database, chat_id: int) -> BookingOutcome:
    row = fetch_one(db, "SELECT * FROM bookings WHERE chat_id = ? ORDER BY updated_at DESC, "
                        "id DESC LIMIT 1", [chat_id])
    return _outcome(app, db, "duplicate", Booking.from_row(row)) if row else \
        BookingOutcome("duplicate")
