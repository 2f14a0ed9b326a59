"""Observers at public meetings: whether bookings are open, whether a place is free, how long an
offer from the waiting list holds, and how long personal data is kept (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from clerk.rules.meetings import meeting_still_open
from clerk.rules.messages.text_safety import clean_text
from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict, plural

#: The day-before reminder goes out at this local time (or when bookings close, if later).
REMINDER_CLOCK = time(17, 0)
MAX_NAME = 80
_NAME = re.compile(r"^[^\d@<>{}\[\]\\/|_=+*#$%^~`]+$")


def _words(when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def booking_closes(body: Body, starts_at: datetime) -> datetime:
    """Bookings close this many hours before the meeting starts."""
    return starts_at - timedelta(hours=body.observers.booking_closes_hours)


def takes_observers(body: Body) -> Verdict:
    """Whether the body's meetings are open to observers at all."""
    policy = body.observers
    if not policy.public:
        why = f" ({policy.note})" if policy.note else ""
        return Verdict(False, f"meetings of the {body.label} are not held in public, so they "
                              f"take no observers{why}")
    if policy.capacity <= 0:
        return Verdict(False, f"the {body.label} has no places for observers")
    return Verdict(True, f"the {body.label} welcomes observers who book a place "
                         f"({plural(policy.capacity, 'place')})")


@dataclass(frozen=True)
class _Times:
    starts_at: datetime
    status: str


def booking_open(body: Body, starts_at: datetime, status: str, now: datetime,
                 zone: ZoneInfo) -> Verdict:
    """Whether an observer may book (or take an offered place) now."""
    public = takes_observers(body)
    if not public.ok:
        return public
    ahead = meeting_still_open(_Times(starts_at, status), now)
    if not ahead.ok:
        return ahead
    closes = booking_closes(body, starts_at)
    if closes <= now:
        return Verdict(False, f"bookings closed on {_words(closes, zone)}, "
                              f"{plural(body.observers.booking_closes_hours, 'hour')} before "
                              "the meeting")
    return Verdict(True, f"bookings are open until {_words(closes, zone)}")


def admit(capacity: int, taken: int, waiting: int = 0) -> Verdict:
    """Whether one more observer fits: ``taken`` counts places booked and places on offer; a
    newcomer never goes ahead of those already ``waiting``."""
    left = capacity - taken
    if left > 0 and waiting:
        return Verdict(False, f"{plural(waiting, 'person', 'people')} are already waiting for a "
                              "place")
    if left > 0:
        return Verdict(True, f"{plural(left, 'place')} of {capacity} left")
    return Verdict(False, f"all {plural(capacity, 'place')} are taken")


def offer_expires(body: Body, starts_at: datetime, now: datetime) -> datetime:
    """An offered place is held for ``offer_hold_hours``, but never past the close of bookings."""
    return min(now + timedelta(hours=body.observers.offer_hold_hours),
               booking_closes(body, starts_at))


def reminder_at(body: Body, starts_at: datetime, zone: ZoneInfo) -> datetime:
    """The day-before reminder: 17:00 local the day before, or when bookings close if later."""
    day_before = starts_at.astimezone(zone).date() - timedelta(days=1)
    evening = datetime.combine(day_before, REMINDER_CLOCK, tzinfo=zone)
    return min(max(evening, booking_closes(body, starts_at)), starts_at - timedelta(minutes=30))


def erase_after(body: Body, starts_at: datetime) -> datetime:
    """Observers' details and chat ids are kept this long after the meeting, then erased."""
    return starts_at + timedelta(days=body.observers.keep_personal_data_days)


def valid_name(text: str) -> Verdict:
    """A name to book under: letters, spaces and the usual punctuation of names."""
    name = clean_text(text)
    if len(name) < 2:
        return Verdict(False, "please give your name (at least two letters)")
    if len(name) > MAX_NAME:
        return Verdict(False, f"please give a shorter name (at most {MAX_NAME} characters)")
    if not _NAME.match(name):
        return Verdict(False, "a name has letters, spaces, hyphens and apostrophes only")
    return Verdict(True, name)
