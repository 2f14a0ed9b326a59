"""Places for observers at a meeting: how many, how many taken, who is booked and waiting; and a
booking as it travels between the observers' modules (:class:`Booking`).

A place is *taken* by a booking that is ``booked`` or ``offered`` (an offer from the waiting list
holds the place until it is taken or lapses). Statuses of a booking: ``booked``, ``waiting``,
``offered``, and the ends ``cancelled``, ``declined``, ``lapsed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting, meeting_by_id
from clerk.rules.observers import booking_closes, booking_open, takes_observers
from clerk.rules.verdict import Verdict
from clerk.store.rows import fetch_all, fetch_one
from clerk.times import from_iso, in_words, to_iso

TAKING = ("booked", "offered")
ACTIVE = ("booked", "offered", "waiting")


@dataclass(frozen=True)
class Booking:
    """One observer's booking at one meeting: a place (``booked``), a place on offer from the
    waiting list until ``offer_expires_at`` (``offered``), a place on the waiting list since
    ``waiting_since`` (``waiting``), or an end (``cancelled``, ``declined``, ``lapsed``).
    ``chat_id`` is None for a booking whose details have been erased."""

    id: int
    meeting_id: int
    email: str
    name: str
    chat_id: int | None
    status: str
    waiting_since: datetime | None
    offer_expires_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Booking:
        return cls(id=row["id"], meeting_id=row["meeting_id"], email=row["email"],
                   name=row["name"], chat_id=row["chat_id"], status=row["status"],
                   waiting_since=_when(row["waiting_since"]),
                   offer_expires_at=_when(row["offer_expires_at"]),
                   updated_at=from_iso(row["updated_at"]))

    @property
    def active(self) -> bool:
        """A place, an offered place or a place on the waiting list (not an end)."""
        return self.status in ACTIVE


def _when(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


@dataclass(frozen=True)
class MeetingPlaces:
    """A meeting as an observer sees it: when, where, and how many places are left."""

    meeting: Meeting
    body_name: str
    body_label: str
    when: str
    capacity: int
    taken: int
    waiting: int
    open: Verdict
    closes_at: datetime
    closes: str

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def place(self) -> str:
        """The venue, or "online" (the joining link goes only to those with a place)."""
        m = self.meeting
        if m.venue and m.online_url:
            return f"{m.venue}, or online"
        return m.venue or ("online" if m.online_url else "venue to follow")


def taken(db: Database, meeting_id: int) -> int:
    marks = ",".join("?" for _ in TAKING)
    row = fetch_one(db, f"SELECT COUNT(*) AS n FROM bookings WHERE meeting_id = ? AND status IN "
                        f"({marks})", [meeting_id, *TAKING])
    return int(row["n"]) if row else 0


def waiting_count(db: Database, meeting_id: int) -> int:
    row = fetch_one(db, "SELECT COUNT(*) AS n FROM bookings WHERE meeting_id = ? AND status = "
                        "'waiting'", [meeting_id])
    return int(row["n"]) if row else 0


def places_for(app: Clerk, meeting: Meeting) -> MeetingPlaces:
    body = app.body(meeting.body)
    db = app.store.db
    closes = booking_closes(body, meeting.starts_at)
    return MeetingPlaces(
        meeting=meeting, body_name=body.name, body_label=body.label,
        when=in_words(meeting.starts_at, app.tz), capacity=body.observers.capacity,
        taken=taken(db, meeting.id), waiting=waiting_count(db, meeting.id),
        open=booking_open(body, meeting.starts_at, meeting.status, app.clock.now(), app.tz),
        closes_at=closes, closes=in_words(closes, app.tz))


def meeting_places(app: Clerk, meeting_id: int | str) -> MeetingPlaces:
    """Places at one meeting, by id or reference."""
    return places_for(app, meeting_by_id(app, meeting_id))


def public_meetings(app: Clerk) -> list[MeetingPlaces]:
    """Upcoming meetings of the bodies that take observers, earliest first."""
    slugs = [slug for slug, body in app.config.bodies.items() if takes_observers(body).ok]
    if not slugs:
        return []
    marks = ",".join("?" for _ in slugs)
    rows = fetch_all(app.store.db, f"SELECT * FROM meetings WHERE status = 'scheduled' AND "
                                   f"starts_at > ? AND body IN ({marks}) ORDER BY starts_at",
                     [to_iso(app.clock.now()), *slugs])
    return [places_for(app, Meeting.from_row(r)) for r in rows]


def waiting_position(db: Database, booking: Booking) -> int:
    """1 for the first on the waiting list."""
    since = to_iso(booking.waiting_since) if booking.waiting_since else None
    row = fetch_one(db, "SELECT COUNT(*) AS n FROM bookings WHERE meeting_id = ? AND status = "
                        "'waiting' AND (waiting_since < ? OR (waiting_since = ? AND id <= ?))",
                    [booking.meeting_id, since, since, booking.id])
    return int(row["n"]) if row else 0


def booking_by_id(db: Database, booking_id: int) -> Booking | None:
    row = fetch_one(db, "SELECT * FROM bookings WHERE id = ?", [booking_id])
    return Booking.from_row(row) if row else None
