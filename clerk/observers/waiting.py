"""The waiting list: when a place frees, the first waiting is offered it, by chat and email; the
offer holds the place for ``offer_hold_hours`` (never past the close of bookings) and passes on
to the next if it is declined or lapses (:func:`lapse_offers`, a scheduled job)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import NotFound
from clerk.meetings.schedule import Meeting, meeting_by_id
from clerk.messages import render_chat, render_email
from clerk.observers.places import Booking, MeetingPlaces, booking_by_id, places_for, taken
from clerk.outbox.chat import queue_chat
from clerk.outbox.chat_text import Button, ChatReply, data
from clerk.outbox.mail import Outgoing, queue
from clerk.rules.observers import admit, booking_open, offer_expires
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, update
from clerk.times import in_words, to_iso


@dataclass(frozen=True)
class AnswerOffer:
    """An observer takes (``accept``) or declines an offered place."""

    chat_id: int
    booking_id: int
    accept: bool
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class OfferOutcome:
    status: Literal["taken", "declined", "lapsed", "not_offered", "duplicate"]
    meeting: Meeting
    booking_status: str
    reason: str = ""
    #: The place given up went to the next person waiting (there was one).
    offered_next: bool = False


def offer_buttons(booking_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button("Take the place", data("offer", booking_id, "accept")),
             Button("No thanks", data("offer", booking_id, "decline"))),)


def offer_next(app: Clerk, db: Database, meeting: Meeting, now: datetime) -> list[int]:
    """Inside the caller's transaction: offer each free place to the next waiting, in order."""
    body = app.body(meeting.body)
    if not booking_open(body, meeting.starts_at, meeting.status, now, app.tz).ok:
        return []
    offered = []
    while admit(body.observers.capacity, taken(db, meeting.id)).ok:
        row = fetch_one(db, "SELECT * FROM bookings WHERE meeting_id = ? AND status = 'waiting' "
                            "ORDER BY waiting_since, id LIMIT 1", [meeting.id])
        if row is None:
            break
        first = Booking.from_row(row)
        expires = offer_expires(body, meeting.starts_at, now)
        update(db, "bookings", first.id, {"status": "offered", "offer_expires_at": to_iso(expires),
                                          "updated_at": to_iso(now)})
        audit.record(db, at=now, actor="clerk", action="booking.offer", subject=meeting.ref,
                     channel="telegram", detail={"booking": first.id,
                                                 "expires_at": to_iso(expires)})
        _tell_offer(app, db, first, meeting, expires, now)
        offered.append(first.id)
    return offered


def _tell_offer(app: Clerk, db: Database, booking: Booking, meeting: Meeting,
                expires: datetime, now: datetime) -> None:
    places = places_for(app, meeting)
    until = in_words(expires, app.tz)
    key = f"offer:{booking.id}:{to_iso(expires)}"
    if booking.chat_id is not None:
        text = render_chat("offer", places=places, person=booking.name, until=until)
        queue_chat(db, chat_id=booking.chat_id, kind="offer", subject_ref=meeting.ref,
                   reply=ChatReply(text, offer_buttons(booking.id)), now=now, dedupe_key=key,
                   observer=True)
    r = render_email("observer_offer", recipient_name=booking.name, places=places, until=until)
    queue(db, app.config.mail, Outgoing(kind="observer_offer", to_addr=booking.email,
                                        to_name=booking.name, subject=r.subject, text=r.text,
                                        subject_ref=meeting.ref, dedupe_key=key), now)


def answer_offer(app: Clerk, cmd: AnswerOffer) -> OfferOutcome:
    """Take or decline an offered place; an offer past its time lapses (and passes on) instead."""
    now = app.clock.now()
    with app.store.write() as db:
        booking = booking_by_id(db, cmd.booking_id)
        if booking is None or booking.chat_id != cmd.chat_id:
            raise NotFound("that offer is not one of yours (see /mybookings)")
        meeting = meeting_by_id(app, booking.meeting_id)
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return OfferOutcome("duplicate", meeting, booking.status)
        if booking.status != "offered" or booking.offer_expires_at is None:
            return OfferOutcome("not_offered", meeting, booking.status,
                                _status_words(booking.status))
        if booking.offer_expires_at <= now:
            _lapse(app, db, booking, meeting, now)
            lapsed = in_words(booking.offer_expires_at, app.tz)
            return OfferOutcome("lapsed", meeting, "lapsed", f"the offer lapsed on {lapsed}")
        status = "booked" if cmd.accept else "declined"
        update(db, "bookings", booking.id, {"status": status, "offer_expires_at": None,
                                            "updated_at": to_iso(now)})
        audit.record(db, at=now, actor="observer", action=f"booking.offer_{status}",
                     subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                     detail={"booking": booking.id}, idempotency_key=cmd.idempotency_key)
        offered: list[int] = []
        if cmd.accept:
            send_confirmation(app, db, booking_by_id(db, booking.id) or booking,
                              places_for(app, meeting))
        else:
            offered = offer_next(app, db, meeting, now)
        return OfferOutcome("taken" if cmd.accept else "declined", meeting, status,
                            offered_next=bool(offered))


def lapse_offers(app: Clerk, meeting_ref: str | None = None) -> int:
    """Lapse every offer past its time (of one meeting, or all); each lapsed place passes on."""
    now = app.clock.now()
    sql = "SELECT * FROM bookings WHERE status = 'offered' AND offer_expires_at <= ?"
    params: list[Any] = [to_iso(now)]
    if meeting_ref:
        sql += " AND meeting_id = ?"
        params.append(meeting_by_id(app, meeting_ref).id)
    with app.store.write() as db:
        bookings = [Booking.from_row(r) for r in
                    fetch_all(db, sql + " ORDER BY offer_expires_at, id", params)]
        for booking in bookings:
            _lapse(app, db, booking, meeting_by_id(app, booking.meeting_id), now)
    return len(bookings)


def _lapse(app: Clerk, db: Database, booking: Booking, meeting: Meeting, now: datetime) -> None:
    update(db, "bookings", booking.id, {"status": "lapsed", "updated_at": to_iso(now)})
    audit.record(db, at=now, actor="clerk", action="booking.offer_lapsed", subject=meeting.ref,
                 channel="scheduler", detail={"booking": booking.id})
    offered = offer_next(app, db, meeting, now)
    if booking.chat_id is not None:
        text = render_chat("offer_lapsed", places=places_for(app, meeting), person=booking.name,
                           offered_next=bool(offered))
        queue_chat(db, chat_id=booking.chat_id, kind="offer_lapsed", subject_ref=meeting.ref,
                   reply=ChatReply(text), now=now, dedupe_key=f"lapsed:{booking.id}",
                   observer=True)


def _status_words(status: str) -> str:
    return {"booked": "you already have this place",
            "waiting": "there is no place on offer to you at the moment",
            "lapsed": "the offer lapsed",
            "declined": "you declined this place",
            "cancelled": "this booking was cancelled"}.get(status, "this offer no longer applies")


def send_confirmation(app: Clerk, db: Database, booking: Booking, places: MeetingPlaces) -> None:
    """Email the observer that the place is theirs (once per change of the booking)."""
    r = render_email("booking_confirmed", recipient_name=booking.name, places=places)
    queue(db, app.config.mail, Outgoing(
        kind="booking_confirmed", to_addr=booking.email, to_name=booking.name,
        subject=r.subject, text=r.text, subject_ref=places.meeting.ref,
        dedupe_key=f"booking-confirmed:{booking.id}:{to_iso(booking.updated_at)}"),
        app.clock.now())
