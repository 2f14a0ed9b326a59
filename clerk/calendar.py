"""Calendar invitations (iTIP over email, RFC 5546): one VEVENT per meeting, built with icalendar.

A meeting keeps one ``UID`` for life; ``SEQUENCE`` goes up each time it moves or is cancelled, so
a calendar replaces what it holds with the newer version. ``REQUEST`` invites (or updates);
``CANCEL`` removes the event. Times are written in UTC (``...Z``), which every calendar reads
without needing a time-zone definition, and each person's calendar shows them in local time.
A calendar's ``REPLY`` (a member pressing Accept or Decline) is read back as an RSVP.

Each invitation is personal: the ORGANIZER is clerk's From address (so the calendar's answer
comes back to clerk's inbox) with the body's name as its CN, and the one ATTENDEE is the
recipient (``RSVP=TRUE``, ``PARTSTAT=NEEDS-ACTION``, ``ROLE=REQ-PARTICIPANT`` in a request).
The email carries it as the last ``multipart/alternative`` part, ``text/calendar`` with the same
``method`` as the METHOD written here (:mod:`clerk.outbox.compose`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from icalendar import Calendar, Event, vCalAddress

from clerk.reading.language import RsvpReading

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


# --- replies (iTIP METHOD:REPLY) -------------------------------------------------------------

@dataclass(frozen=True)
class CalendarReply:
    """A calendar's answer to an invitation: Outlook's "Accepted:", Google's "Declined:"...

    ``attendee`` is the (lower-cased) address the calendar answered for; ``partstat`` its
    participation status (``ACCEPTED``, ``DECLINED``, ``TENTATIVE``, ``DELEGATED``...);
    ``delegated_to`` / ``delegated_name`` whom it was passed to, if delegated.
    """

    uid: str
    attendee: str
    partstat: str
    delegated_to: str = ""
    delegated_name: str = ""


def _mailto(value: object) -> str:
    text = str(value).strip()
    return text[7:].strip().lower() if text.lower().startswith("mailto:") else text.lower()


def read_calendar_reply(ics: str) -> CalendarReply | None:
    """The REPLY in a ``text/calendar`` part, or None (not a reply, or not readable)."""
    try:
        cal = Calendar.from_ical(ics)
    except (ValueError, IndexError, KeyError):
        return None
    if str(cal.get("method", "")).upper() != "REPLY":
        return None
    for event in cal.walk("VEVENT"):
        attendees = event.get("attendee")
        attendee = (attendees[0] if isinstance(attendees, list) else attendees) if attendees \
            else None
        if attendee is None or not event.get("uid"):
            return None
        params = getattr(attendee, "params", {})
        delegated = params.get("DELEGATED-TO", "")
        if isinstance(delegated, list):
            delegated = delegated[0] if delegated else ""
        return CalendarReply(uid=str(event["uid"]), attendee=_mailto(attendee),
                             partstat=str(params.get("PARTSTAT", "")).upper(),
                             delegated_to=_mailto(delegated) if delegated else "",
                             delegated_name=_delegate_name(event, _mailto(delegated)))
    return None


def _delegate_name(event: Any, address: str) -> str:
    """The delegate's name, if the reply lists them as an attendee with a CN."""
    if not address:
        return ""
    attendees = event.get("attendee")
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if attendee is not None and _mailto(attendee) == address:
            return str(getattr(attendee, "params", {}).get("CN", ""))
    return ""


def rsvp_from_calendar(reply: CalendarReply) -> RsvpReading:
    """What the calendar's answer means as an RSVP."""
    if reply.partstat == "ACCEPTED":
        return RsvpReading("attend", evidence="Accepted", reason="accepted in their calendar")
    if reply.partstat == "DECLINED":
        return RsvpReading("apologies", evidence="Declined",
                           reason="declined in their calendar")
    if reply.partstat == "DELEGATED" and reply.delegated_to:
        return RsvpReading("substitute", substitute_email=reply.delegated_to,
                           substitute_name=reply.delegated_name or None, evidence="Delegated",
                           reason=f"delegated in their calendar to {reply.delegated_to}")
    if reply.partstat == "TENTATIVE":
        return RsvpReading("unclear", evidence="Tentative",
                           reason='tentative answer ("Tentative" in their calendar)')
    return RsvpReading("unclear", evidence=reply.partstat or "no status",
                       reason="their calendar answered without saying yes or no")
