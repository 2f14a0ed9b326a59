"""Scheduled work for observers: bookings close (the facilitator gets the list), the day-before
reminder with the venue or joining link, and the erasure of observers' personal data
``keep_personal_data_days`` after the meeting. Also the booking list itself, for the facilitator,
and telling observers when their meeting is moved or cancelled (:func:`tell_observers`, called
by :mod:`clerk.attendance.invitations` in the same transaction as the change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_chat, render_email
from clerk.observers.places import ACTIVE, Booking, MeetingPlaces, places_for
from clerk.outbox.chat import queue_chat
from clerk.outbox.chat_text import ChatReply
from clerk.outbox.mail import Outgoing, queue
from clerk.rules.observers import takes_observers
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one
from clerk.times import from_iso, in_words, to_iso

#: What an observer is told when the meeting they booked is moved or cancelled (email and chat).
CHANGE_NOTICES = ("observer_meeting_moved", "observer_meeting_cancelled")
#: Emails to observers, redacted when their details are erased.
OBSERVER_MAIL = ("booking_code", "booking_confirmed", "observer_offer", "observer_reminder",
                 *CHANGE_NOTICES)


@dataclass(frozen=True)
class ListedObserver:
    """One line of the booking list: an observer's name and address (blank once erased), the
    booking's status, and until when an offered place is held (in words)."""

    name: str
    email: str
    status: str
    offer_expires: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "status": self.status,
                "offer_expires": self.offer_expires}


@dataclass(frozen=True)
class BookingList:
    """Who is coming to observe, and who is waiting, for the facilitator."""

    places: MeetingPlaces
    booked: list[ListedObserver]
    waiting: list[ListedObserver]
    questions: int

    def as_json(self) -> dict[str, Any]:
        p = self.places
        return {"meeting": p.meeting.ref, "when": p.when, "capacity": p.capacity,
                "taken": p.taken, "places_left": p.places_left, "bookings_close": p.closes,
                "open": p.open.ok, "reason": p.open.reason,
                "booked": [b.as_json() for b in self.booked],
                "waiting": [b.as_json() for b in self.waiting], "questions": self.questions}


def booking_list(app: Clerk, ref: str) -> BookingList:
    """Observers booked (and places on offer) and the waiting list, in order."""
    meeting = get_meeting(app, ref)
    body = app.body(meeting.body)
    verdict = takes_observers(body)
    if not verdict.ok:
        raise Refused(verdict.reason)
    db = app.store.db
    rows = fetch_all(db, "SELECT id, name, email, status, offer_expires_at, erased_at FROM "
                         "bookings WHERE meeting_id = ? AND status IN ('booked', 'offered', "
                         "'waiting') ORDER BY CASE status WHEN 'waiting' THEN 1 ELSE 0 END, "
                         "waiting_since, id", [meeting.id])
    lines = [ListedObserver(r["name"] or "(erased)", "" if r["erased_at"] else r["email"],
                            r["status"], in_words(from_iso(r["offer_expires_at"]), app.tz)
                            if r["offer_expires_at"] else "") for r in rows]
    questions = fetch_one(db, "SELECT COUNT(*) AS n FROM questions WHERE meeting_id = ?",
                          [meeting.id])
    return BookingList(places_for(app, meeting),
                       [x for x in lines if x.status != "waiting"],
                       [x for x in lines if x.status == "waiting"],
                       int(questions["n"]) if questions else 0)


def send_booking_list(app: Clerk, ref: str, key: str, *, final: bool = False) -> bool:
    """Email the booking list to the body's facilitator; once per ``key``."""
    listing = booking_list(app, ref)
    body = app.body(listing.places.meeting.body)
    if not body.facilitator:
        return False
    now = app.clock.now()
    with app.store.write() as db:
        r = render_email("observer_list", recipient_name="Facilitator", listing=listing,
                         final=final)
        queued = queue(db, app.config.mail, Outgoing(
            kind="observer_list", to_addr=body.facilitator, to_name="Facilitator",
            subject=r.subject, text=r.text, subject_ref=listing.places.meeting.ref,
            dedupe_key=f"{key}:{body.facilitator}"), now)
        if queued:
            audit.record(db, at=now, actor="clerk", action="booking.list_sent",
                         subject=listing.places.meeting.ref, channel="email",
                         detail={"booked": len(listing.booked), "waiting": len(listing.waiting)})
    return queued is not None


def close_bookings(app: Clerk, ref: str, key: str) -> str:
    """Bookings have closed: send the facilitator the final list; tell those still waiting."""
    listing = booking_list(app, ref)
    sent = send_booking_list(app, ref, key, final=True)
    now = app.clock.now()
    meeting = listing.places.meeting
    with app.store.write() as db:
        for row in fetch_all(db, "SELECT id, chat_id, name FROM bookings WHERE meeting_id = ? "
                                 "AND status = 'waiting' AND chat_id IS NOT NULL", [meeting.id]):
            text = render_chat("bookings_closed_waiting", places=listing.places, person=row["name"])
            queue_chat(db, chat_id=row["chat_id"], kind="bookings_closed", subject_ref=meeting.ref,
                       reply=ChatReply(text), now=now, dedupe_key=f"{key}:{row['id']}",
                       observer=True)
    return (f"{len(listing.booked)} booked, {len(listing.waiting)} waiting; list "
            + ("sent to the facilitator" if sent else "not sent (no facilitator address)"))


def remind_observers(app: Clerk, ref: str, key: str) -> int:
    """The day before: remind each observer with a place, with the venue or joining link."""
    meeting = get_meeting(app, ref)
    places = places_for(app, meeting)
    now = app.clock.now()
    n = 0
    with app.store.write() as db:
        for row in fetch_all(db, "SELECT * FROM bookings WHERE meeting_id = ? AND status = "
                                 "'booked'", [meeting.id]):
            booking = Booking.from_row(row)
            if booking.chat_id is not None:
                text = render_chat("observer_reminder", places=places, person=booking.name)
                queue_chat(db, chat_id=booking.chat_id, kind="observer_reminder",
                           subject_ref=meeting.ref, reply=ChatReply(text), now=now,
                           dedupe_key=f"{key}:{booking.id}", observer=True)
            r = render_email("observer_reminder", recipient_name=booking.name, places=places)
            queue(db, app.config.mail, Outgoing(
                kind="observer_reminder", to_addr=booking.email, to_name=booking.name,
                subject=r.subject, text=r.text, subject_ref=meeting.ref,
                dedupe_key=f"{key}:{booking.id}"), now)
            n += 1
    return n


def tell_observers(app: Clerk, db: Database, meeting: Meeting, change: Literal["moved", "cancelled"],
                   now: datetime, *, old_when: str = "", time_changed: bool = True,
                   reason: str = "") -> int:
    """Inside the caller's transaction (moving or cancelling ``meeting``, given as it is now):
    tell every observer with a place, an offered place or a place on the waiting list, by email
    and, if they booked in chat, in the chat. Once per version of the meeting; a notice about an
    earlier version not sent yet is dropped (a cancellation also drops the observers' other
    unsent messages about the meeting: reminders, offers). Returns how many were told."""
    kind = f"observer_meeting_{change}"
    _supersede_for_observers(db, meeting, everything=change == "cancelled")
    places = places_for(app, meeting)
    marks = ",".join("?" for _ in ACTIVE)
    bookings = [Booking.from_row(r) for r in fetch_all(
        db, f"SELECT * FROM bookings WHERE meeting_id = ? AND status IN ({marks}) AND "
            f"erased_at IS NULL ORDER BY id", [meeting.id, *ACTIVE])]
    context = {"places": places, "old_when": old_when, "time_changed": time_changed,
               "reason": reason.strip()}
    for booking in bookings:
        key = f"{kind}:{meeting.ref}:{meeting.sequence}:{booking.id}"
        if booking.chat_id is not None:
            text = render_chat(kind, person=booking.name, status=booking.status, **context)
            queue_chat(db, chat_id=booking.chat_id, kind=kind, subject_ref=meeting.ref,
                       reply=ChatReply(text), now=now, dedupe_key=key, observer=True)
        r = render_email(kind, recipient_name=booking.name, status=booking.status, **context)
        queue(db, app.config.mail, Outgoing(
            kind=kind, to_addr=booking.email, to_name=booking.name, subject=r.subject,
            text=r.text, subject_ref=meeting.ref, dedupe_key=key), now)
    return len(bookings)


def _supersede_for_observers(db: Database, meeting: Meeting, *, everything: bool) -> None:
    """Unsent messages to the meeting's observers that the change makes wrong: notices of an
    earlier change, and, when the meeting is cancelled, all the others too."""
    why = f"replaced by version {meeting.sequence} of the meeting"
    kinds = OBSERVER_MAIL if everything else CHANGE_NOTICES
    marks = ",".join("?" for _ in kinds)
    execute(db, f"UPDATE outbox SET status = 'superseded', last_error = ? WHERE subject_ref = ? "
                f"AND status = 'queued' AND kind IN ({marks})", [why, meeting.ref, *kinds])
    chats = "UPDATE chat_outbox SET status = 'superseded', last_error = ? WHERE subject_ref = ? " \
            "AND status = 'queued' AND observer = 1"
    if everything:
        execute(db, chats, [why, meeting.ref])
    else:
        execute(db, f"{chats} AND kind IN ({marks})", [why, meeting.ref, *kinds])


def erase_personal_data(app: Clerk, ref: str) -> dict[str, int]:
    """Erase observers' names, addresses and chat ids for one meeting (bookings, questions, codes,
    chat messages, and the emails sent to them); counts are kept for the record."""
    meeting = get_meeting(app, ref)
    now = app.clock.now()
    with app.store.write() as db:
        bookings = execute(
            db, "UPDATE bookings SET name = '', email = 'erased-' || id, chat_id = NULL, "
                "erased_at = ?, idempotency_key = NULL WHERE meeting_id = ? AND erased_at IS NULL",
            [to_iso(now), meeting.id])
        questions = execute(
            db, "UPDATE questions SET name = '', text = '', chat_id = NULL, erased_at = ? "
                "WHERE meeting_id = ? AND erased_at IS NULL", [to_iso(now), meeting.id])
        codes = execute(db, "DELETE FROM chat_codes WHERE meeting_id = ?", [meeting.id])
        chats = execute(db, "DELETE FROM chat_outbox WHERE subject_ref = ? AND status != "
                            "'sending'", [meeting.ref])
        kinds = (*OBSERVER_MAIL, "observer_question", "observer_list")
        marks = ",".join("?" for _ in kinds)
        execute(db, f"UPDATE outbox SET status = 'superseded', last_error = ? WHERE subject_ref "
                    f"= ? AND kind IN ({marks}) AND status = 'queued'",
                ["not sent: the observers' details were erased", meeting.ref, *kinds])
        mails = execute(
            db, f"UPDATE outbox SET subject = '', raw = X'', to_addr = CASE WHEN kind IN "
                f"('observer_question', 'observer_list') THEN to_addr ELSE 'erased' END "
                f"WHERE subject_ref = ? AND kind IN ({marks}) AND status != 'sending' AND "
                f"length(raw) > 0", [meeting.ref, *kinds])
        counts = {"bookings": bookings, "questions": questions, "codes": codes,
                  "chat_messages": chats, "emails": mails}
        audit.record(db, at=now, actor="scheduler", action="observers.erase",
                     subject=meeting.ref, channel="scheduler", detail=counts)
    return counts


def meetings_to_erase(app: Clerk) -> list[dict[str, Any]]:
    """Meetings still holding observers' personal data (for the scheduler)."""
    return fetch_all(
        app.store.db,
        "SELECT m.ref, m.body, m.starts_at FROM meetings m WHERE EXISTS (SELECT 1 FROM bookings b "
        "WHERE b.meeting_id = m.id AND b.erased_at IS NULL) OR EXISTS (SELECT 1 FROM questions q "
        "WHERE q.meeting_id = m.id AND q.erased_at IS NULL)")
