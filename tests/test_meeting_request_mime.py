"""Meeting requests as Outlook and Gmail recognise them (RFC 6047, Microsoft's guidance for
Outlook), checked on the bytes an SMTP server (aiosmtpd on loopback) received: a
multipart/alternative of text/plain, text/html and, last, ``text/calendar; method=REQUEST``
whose VCALENDAR says the same METHOD; clerk's From address is the ORGANIZER and the one member
the ATTENDEE asked to answer; an update keeps the UID with a higher SEQUENCE; a cancellation is
METHOD:CANCEL with STATUS:CANCELLED; no second copy of the invitation as an attachment; and
attachments, if any, sit outside the alternative in a multipart/mixed."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from clerk.app import Clerk
from clerk.attendance.invitations import cancel_meeting, invite, move_meeting
from clerk.calendar import CalendarEvent, build_ics
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.outbox.mail import Attachment, Outgoing, queue
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.ingest import ingest
from mail.sender import send_outbox
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS, reply_of
from tests.reply_mail import calendar_reply, reply
from tests.servers import SmtpSink

FROM = "clerk@clerk.example.org"
CAROL = "carol.chowdhury@example.org"
BODY_NAME = "Worcestershire Carers Partnership"


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Clerk]:
    """clerk on the example configuration, sending to the SMTP sink."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["mail"]["maildir"] = str(tmp_path / "mail")
    data["mail"]["smtp"] = {"host": smtp_sink.host, "port": smtp_sink.port, "starttls": False,
                            "timeout_seconds": 5}
    clerk = Clerk(config=parse_config(data, EXAMPLE_CONFIG), store=open_store(memory=True),
                  clock=clock)
    sync_bodies(clerk)
    assert import_members(clerk, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    yield clerk
    clerk.store.close()


def carers_meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                       starts_at=parse_local("2027-01-14 10:00", app.tz)))


def sent_to(sink: SmtpSink, email: str) -> list[bytes]:
    """The DATA bytes of each message the server took for ``email``, oldest first."""
    return [m.data for m in sink.received if email in m.rcpt_tos]


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def alternative_of(msg: EmailMessage) -> EmailMessage:
    """The multipart/alternative, checked to be text/plain, text/html, text/calendar in that
    order (the calendar last), and the only calendar anywhere in the message."""
    alternatives = [p for p in msg.walk() if p.get_content_type() == "multipart/alternative"]
    assert len(alternatives) == 1
    alt = alternatives[0]
    assert isinstance(alt, EmailMessage)
    kinds = [p.get_content_type() for p in alt.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendars = [p for p in msg.walk() if p.get_content_type() in (
        "text/calendar", "application/ics")]
    assert len(calendars) == 1, "one invitation per message: no invite.ics attachment beside it"
    assert all(p.get_filename() is None for p in alt.iter_parts()), "no part named like a file"
    return alt


def calendar_part(msg: EmailMessage) -> tuple[EmailMessage, Calendar, Any]:
    part = list(alternative_of(msg).iter_parts())[-1]
    assert isinstance(part, EmailMessage)
    assert part.get_content_disposition() is None, "inline, not an attachment"
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"), "iCalendar lines end CRLF"
    cal = Calendar.from_ical(raw)
    [event] = cal.walk("VEVENT")
    return part, cal, event


def test_an_invitation_is_a_meeting_request_in_the_alternative(app: Clerk,
                                                                smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(app)
    invite(app, meeting.ref)
    assert send_outbox(app).sent == 20

    [raw] = sent_to(smtp_sink, CAROL)
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/alternative", "no attachments: no mixed wrapper"
    part, cal, event = calendar_part(msg)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert str(part.get_param("charset")).upper() == "UTF-8"
    assert str(cal["METHOD"]) == "REQUEST" == part.get_param("method")
    assert str(event["UID"]) == meeting.uid
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"

    organizer = event["ORGANIZER"]
    assert str(organizer).lower() == f"mailto:{FROM}"
    assert msg["From"].addresses[0].addr_spec == FROM, "the organizer is the From address"
    assert organizer.params["CN"] == BODY_NAME

    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list), "one ATTENDEE: each invitation is personal"
    assert str(attendee).lower() == f"mailto:{CAROL}"
    assert attendee.params["CN"] == "Carol Chowdhury"
    assert (attendee.params["RSVP"], attendee.params["PARTSTAT"], attendee.params["ROLE"]) == (
        "TRUE", "NEEDS-ACTION", "REQ-PARTICIPANT")

    # every member's request names them alone
    attendees = {str(calendar_part(parse(m.data))[2]["ATTENDEE"]).lower()
                 for m in smtp_sink.received}
    assert attendees == {f"mailto:{r}" for m in smtp_sink.received for r in m.rcpt_tos}


def test_an_update_keeps_the_uid_and_raises_the_sequence_and_a_cancel_follows(
        app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(app)
    invite(app, meeting.ref)
    send_outbox(app)
    move_meeting(app, meeting.ref, parse_local("2027-01-21 14:30", app.tz))
    send_outbox(app)
    cancel_meeting(app, meeting.ref, reason="The venue is closed.")
    send_outbox(app)

    first, moved, cancelled = (parse(raw) for raw in sent_to(smtp_sink, CAROL))
    (_, _, e1), (p2, c2, e2), (p3, c3, e3) = (calendar_part(m) for m in (first, moved, cancelled))
    assert str(e1["UID"]) == str(e2["UID"]) == str(e3["UID"]) == meeting.uid
    assert (int(e1["SEQUENCE"]), int(e2["SEQUENCE"]), int(e3["SEQUENCE"])) == (0, 1, 2)

    assert p2.get_param("method") == str(c2["METHOD"]) == "REQUEST"
    assert e2.decoded("DTSTART") == parse_local("2027-01-21 14:30", app.tz)
    assert e2["ATTENDEE"].params["RSVP"] == "TRUE"

    assert p3.get_param("method") == str(c3["METHOD"]) == "CANCEL"
    assert str(e3["STATUS"]) == "CANCELLED"
    assert str(e3["ORGANIZER"]).lower() == f"mailto:{FROM}"
    assert str(e3["ATTENDEE"]).lower() == f"mailto:{CAROL}"


def test_attachments_sit_outside_the_alternative_in_a_mixed(app: Clerk,
                                                            smtp_sink: SmtpSink) -> None:
    """A meeting request carrying a paper: multipart/mixed of the alternative (text, HTML,
    calendar) first, then the paper as an attachment."""
    now = app.clock.now()
    ics = build_ics(CalendarEvent(uid="m-1@clerk.example.org", sequence=0,
                                  starts_at=parse_local("2027-01-14 10:00", app.tz),
                                  summary=BODY_NAME, organizer_email=FROM,
                                  organizer_name=BODY_NAME, attendee_email=CAROL), "REQUEST", now)
    paper = Attachment("Performance report.pdf", b"%PDF-1.4 report\n", "application", "pdf")
    with app.store.write() as db:
        queue(db, app.config.mail, Outgoing(
            kind="invitation", to_addr=CAROL, subject="Invitation", text="Please come.",
            html="<p>Please come.</p>", calendar=ics, calendar_method="REQUEST",
            attachments=(paper,)), now)
    assert send_outbox(app).sent == 1

    msg = parse(smtp_sink.received[0].data)
    assert msg.get_content_type() == "multipart/mixed"
    first, *rest = msg.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    calendar_part(msg)
    assert [(p.get_content_type(), p.get_filename()) for p in rest] == [
        ("application/pdf", "Performance report.pdf")]
    assert rest[0].get_content() == paper.content


def test_a_calendar_whose_method_differs_from_the_part_is_never_written(app: Clerk) -> None:
    ics = build_ics(CalendarEvent(uid="m-2@clerk.example.org", sequence=1,
                                  starts_at=parse_local("2027-01-14 10:00", app.tz),
                                  summary=BODY_NAME, organizer_email=FROM, attendee_email=CAROL),
                    "CANCEL", app.clock.now())
    with app.store.write() as db, pytest.raises(ValueError, match="METHOD"):
        queue(db, app.config.mail, Outgoing(kind="meeting_cancelled", to_addr=CAROL,
                                            subject="x", text="x", calendar=ics,
                                            calendar_method="REQUEST"), app.clock.now())


def test_the_maildir_outbox_holds_the_same_structure(clock: FakeClock, tmp_path: Path) -> None:
    """Without an SMTP server the same meeting request is written into the Maildir outbox."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["mail"]["maildir"] = str(tmp_path / "mail")
    app = Clerk(config=parse_config(data, EXAMPLE_CONFIG), store=open_store(memory=True),
                clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    invite(app, carers_meeting(app).ref)
    assert send_outbox(app).sent == 20
    files = sorted((tmp_path / "mail" / "outbox" / "new").iterdir())
    assert len(files) == 20
    for path in files:
        _, cal, event = calendar_part(parse(path.read_bytes()))
        assert str(cal["METHOD"]) == "REQUEST" and event["ATTENDEE"].params["RSVP"] == "TRUE"
    app.store.close()


def test_the_sent_request_is_answered_from_the_calendar_and_by_reply_to_its_organizer(
        app: Clerk, smtp_sink: SmtpSink) -> None:
    """Accept in Outlook answers the ORGANIZER of the request as received, with its UID; Reply
    on a meeting request in Outlook also writes to the organizer, with In-Reply-To: both are
    matched to the member's invitation (iTIP REPLY keeps working)."""
    meeting = carers_meeting(app)
    invite(app, meeting.ref)
    send_outbox(app)
    received = {email: parse(sent_to(smtp_sink, email)[0])
                for email in (CAROL, "dev.davies@example.org")}

    _, _, event = calendar_part(received[CAROL])
    organizer = str(event["ORGANIZER"])[len("mailto:"):]
    raw = calendar_reply(str(event["UID"]), CAROL, "Carol Chowdhury", "ACCEPTED",
                         to=f"{event['ORGANIZER'].params['CN']} <{organizer}>")
    assert ingest(app, raw, source="test").status == "processed"
    assert reply_of(app, meeting, CAROL) == "attend"

    request = received["dev.davies@example.org"]
    raw = reply("dev.davies@example.org", None, "Sorry, I cannot come.", name="Dev Davies",
                to=organizer, in_reply_to=str(request["Message-ID"]),
                subject=f"RE: {request['Subject']}")
    assert ingest(app, raw, source="test").status == "processed"
    assert reply_of(app, meeting, "dev.davies@example.org") == "apologies"
