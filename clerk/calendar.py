"""Calendar invitations (iTIP over email, RFC 5546): one VEVENT per meeting, built with icalendar.

A meeting keeps one ``UID`` for life; ``SEQUENCE`` goes up each time it moves or is cancelled, so
a calendar replaces what it holds with the newer version. ``REQUEST`` invites (or updates);
``CANCEL`` removes the event. Times are written in UTC (``...Z``), which every calendar reads
without needing a time-zone definition, and each person's calendar shows them in local time.
A calendar's ``REPLY`` (a member pressing Accept or Decline) is read back as an RSVP by
:mod:`clerk.reading.calendar_reply`.

Each invitation is personal: the ORGANIZER is clerk's From address (so the calendar's answer
comes back to clerk's inbox) with the body's name as its CN, and the one ATTENDEE is the
recipient (``RSVP=TRUE``, ``PARTSTAT=NEEDS-ACTION``, ``ROLE=REQ-PARTICIPANT`` in a request).
The email carries it as the last ``multipart/alternative`` part, ``text/calendar`` with the same
``method`` as the METHOD written here (:mod:`clerk.outbox.compose`).

:func:`build_feed` writes a body's whole calendar as a public subscription feed (METHOD PUBLISH)
with the same UIDs and SEQUENCEs, and nothing personal in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress

Method = Literal["REQUEST", "CANCEL"]
METHODS: tuple[Method, ...] = ("REQUEST", "CANCEL")

PRODID = "-//clerk//partnership board secretariat//EN"
DEFAULT_LENGTH = timedelta(hours=2)


@dataclass(frozen=True)
class CalendarEvent:
    """What the calendar needs to know about one meeting, for one recipient."""

    uid: str
    sequence: int
    starts_at: datetime
    summary: str
    organizer_email: str
    attendee_email: str
    organizer_name: str = ""
    attendee_name: str = ""
    location: str = ""
    url: str = ""
    description: str = ""
    length: timedelta = DEFAULT_LENGTH


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def build_ics(event: CalendarEvent, method: Method, now: datetime) -> bytes:
    """The ``text/calendar`` body: METHOD REQUEST (invite or update) or CANCEL."""
    if event.starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("calendar times must be aware datetimes")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(UTC))
    vevent.add("dtend", (event.starts_at + event.length).astimezone(UTC))
    vevent.add("summary", event.summary)
    if event.location:
        vevent.add("location", event.location)
    if event.url:
        vevent.add("url", event.url)
    if event.description:
        vevent.add("description", event.description)
    vevent.add("organizer", _address(event.organizer_email, event.organizer_name))
    vevent.add("attendee", _address(event.attendee_email, event.attendee_name,
                                    role="REQ-PARTICIPANT", partstat="NEEDS-ACTION",
                                    rsvp="TRUE" if method == "REQUEST" else "FALSE"))
    vevent.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    cal.add_component(vevent)
    return bytes(cal.to_ical())


# ----------------------------------------------------------------------------- subscription feed
# A body's whole calendar for the public to subscribe to (``BODY/calendar.ics`` on the published
# site): METHOD PUBLISH, one VEVENT per meeting with the UID its invitations carry, so a calendar
# that has both the invitation and the feed sees one meeting. Only public facts: no organiser, no
# attendee, no joining link.


@dataclass(frozen=True)
class FeedEvent:
    """One meeting in a public feed. ``stamp`` is when it last changed (DTSTAMP), so the feed
    is the same file until a meeting changes."""

    uid: str
    sequence: int
    starts_at: datetime
    summary: str
    stamp: datetime
    cancelled: bool = False
    location: str = ""
    description: str = ""
    length: timedelta = DEFAULT_LENGTH


def build_feed(name: str, events: list[FeedEvent], description: str = "") -> bytes:
    """A ``text/calendar`` subscription feed (METHOD PUBLISH) named ``name``: cancelled
    meetings stay in it with STATUS CANCELLED, so subscribers' calendars remove them."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if description:
        cal.add("x-wr-caldesc", description)
    for event in events:
        if event.starts_at.tzinfo is None or event.stamp.tzinfo is None:
            raise ValueError("calendar times must be aware datetimes")
        vevent = Event()
        vevent.add("uid", event.uid)
        vevent.add("sequence", event.sequence)
        vevent.add("dtstamp", event.stamp.astimezone(UTC))
        vevent.add("dtstart", event.starts_at.astimezone(UTC))
        vevent.add("dtend", (event.starts_at + event.length).astimezone(UTC))
        vevent.add("summary", event.summary)
        if event.location:
            vevent.add("location", event.location)
        if event.description:
            vevent.add("description", event.description)
        vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        vevent.add("transp", "OPAQUE")
        cal.add_component(vevent)
    return bytes(cal.to_ical())
