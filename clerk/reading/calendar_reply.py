"""Reading a calendar's answer to an invitation (iTIP ``METHOD:REPLY``, RFC 5546) as an RSVP.

Outlook's "Accepted:", Google's "Declined:": the ``text/calendar`` part names the event's ``UID``,
the attendee who answered, and their ``PARTSTAT``. :func:`read_calendar_reply` reads that part;
:func:`rsvp_from_calendar` says what it means as an :class:`~clerk.reading.rsvp.RsvpReading`,
with a ``calendar_*`` reason code. (Building invitations is :mod:`clerk.calendar`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from icalendar import Calendar

from clerk.reading.rsvp import RsvpReading


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
        return RsvpReading("attend", "calendar_accepted", evidence="Accepted",
                           reason="accepted in their calendar")
    if reply.partstat == "DECLINED":
        return RsvpReading("apologies", "calendar_declined", evidence="Declined",
                           reason="declined in their calendar")
    if reply.partstat == "DELEGATED" and reply.delegated_to:
        return RsvpReading("substitute", "calendar_delegated", substitute_email=reply.delegated_to,
                           substitute_name=reply.delegated_name or None, evidence="Delegated",
                           reason=f"delegated in their calendar to {reply.delegated_to}")
    if reply.partstat == "TENTATIVE":
        return RsvpReading("unclear", "calendar_tentative", evidence="Tentative",
                           reason='tentative answer ("Tentative" in their calendar)')
    if not reply.partstat:
        return RsvpReading("unclear", "calendar_no_status", evidence="no status",
                           reason="their calendar answered without saying yes or no")
    return RsvpReading("unclear", "calendar_other", evidence=reply.partstat,
                       reason="their calendar answered without saying yes or no")
