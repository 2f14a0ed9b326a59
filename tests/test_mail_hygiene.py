"""What council mail gateways check on every message clerk sends, on the bytes a real SMTP server
(aiosmtpd on loopback) received and the files in the Maildir outbox: CRLF line ends on the wire
(LF, the Maildir convention, in the folder), no line over the limit, a Date in RFC 5322 form (the
time the message was queued), a unique Message-ID of RFC 5322's form on clerk's domain, no
List-Unsubscribe (clerk sends nobody a subscription: see clerk.outbox.compose), and no
tracking (no images, no redirect or tagged links: every link is a mailto: or the meeting's or
paper's own address)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.invitations import invite
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.observers.bookings import ConfirmBooking, RequestBooking, confirm_booking, request_booking
from clerk.outbox.mail import Attachment, Outgoing, queue, queue_shared, store_shared_body
from clerk.people.membership import list_members
from clerk.times import from_iso, parse_local
from mail.sender import send_outbox
from tests.servers import SmtpSink
from tests.test_outbound import make_app

ONLINE = "https://meet.example.org/carers"
PAPER_URL = "https://papers.example.org/carers/report.pdf"
KINDS = {"invitation", "booking_code", "booking_confirmed", "papers", "ballot", "reply"}
LONG_NAME = "Gwenllïan Siân ap Rhys-Llewellyn, Cynghorydd Cyngor Sir Ddinbych ar ran y bwrdd"
LONG_SUBJECT = ("Re: Cyfarfod Partneriaeth Gofalwyr – ymddiheuriadau gan Gwenllïan, a chwestiwn am "
                "yr agenda a'r papurau ar gyfer mis Ionawr")
#: RFC 5322 msg-id: dot-atom-text "@" dot-atom-text
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
MSG_ID = re.compile(rf"^<{ATEXT}(?:\.{ATEXT})*@clerk\.example\.org>$")
RFC5322_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                          r"Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def queue_every_kind(app: Clerk, clock: FakeClock) -> None:
    """Invitations to members, an observer's booking code and confirmation, a paper pack (one
    shared body, one attached and one linked paper), and a ballot after an inquorate meeting."""
    meeting = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                          venue="County Hall", online_url=ONLINE))
    invite(app, meeting.ref)
    request_booking(app, RequestBooking(meeting.ref, 9001, "Olive Observer", "olive@example.net"))
    row = app.store.one("SELECT raw FROM outbox WHERE kind = 'booking_code'")
    assert row is not None
    code = re.search(rb"^\s+(\d{6})\s*$", row["raw"], re.M)
    assert code is not None
    confirm_booking(app, ConfirmBooking(9001, code.group(1).decode()))
    clock.advance(timedelta(minutes=7))
    with app.store.write() as db:
        shared = store_shared_body(db, [Attachment("Report 1.pdf", b"%PDF-1.4\n" * 2000,
                                                   "application", "pdf")], clock.now())
        for member in list_members(app, "carers")[:3]:
            queue_shared(db, app.config.mail, Outgoing(
                kind="papers", to_addr=member["email"], subject="Papers",
                text=f"Dear member,\nthe report: {PAPER_URL}\n" + "a long line " * 40,
                html=f'<p>The <a href="{PAPER_URL}">report</a>.</p>'), shared, clock.now())
        queue(db, app.config.mail, Outgoing(  # an answer to someone with a long Welsh name
            kind="reply", to_addr="gwen@example.org", to_name=LONG_NAME, subject=LONG_SUBJECT,
            text="Diolch.\r\nThank you.\rA lone carriage return is a line end too.",
            in_reply_to="<CAF=abc@mail.gmail.com>", auto="auto-replied"), clock.now())
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    carers = [m["email"] for m in list_members(app, "carers") if m["carer"]]
    record_attendance(app, RecordAttendance(meeting.ref, tuple(carers[:2])))
    add_decision(app, AddDecision(meeting.ref, "Adopt the 2027 carers action plan"))
    open_ballot(app, meeting.ref)


def queued_at(app: Clerk) -> dict[str, datetime]:
    """Each Message-ID (with brackets) and when it was queued."""
    return {f"<{r['message_id']}>": from_iso(r["created_at"])
            for r in app.store.all("SELECT message_id, created_at FROM outbox")}


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def check_headers(msg: EmailMessage, queued: dict[str, datetime]) -> str:
    kind = str(msg["X-Clerk-Kind"])
    message_id = str(msg["Message-ID"])
    assert MSG_ID.match(message_id), message_id
    date = str(msg["Date"])
    assert RFC5322_DATE.match(date), date
    assert parsedate_to_datetime(date) == queued[message_id], "Date: when it was queued"
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None, kind
    assert msg["Precedence"] is None, "not bulk: every message is to one person about them"
    return kind


def check_no_tracking(msg: EmailMessage) -> None:
    for part in msg.walk():
        if part.get_content_type() != "text/html":
            continue
        html = str(part.get_content())
        assert "<img" not in html.lower() and "url(" not in html.lower(), "no pixels"
        for link in re.findall(r'href="([^"]*)"', html):
            assert link.startswith("mailto:") or link in (ONLINE, PAPER_URL), link
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            assert "utm_" not in str(part.get_content())


@pytest.fixture
def sent(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[tuple[Clerk, SmtpSink]]:
    app = make_app(clock, tmp_path, {"host": smtp_sink.host, "port": smtp_sink.port,
                                     "starttls": False, "timeout_seconds": 5})
    queue_every_kind(app, clock)
    clock.advance(timedelta(hours=3))  # sent later than queued
    report = send_outbox(app)
    assert report.sent > 20 and report.failed == 0
    yield app, smtp_sink
    app.store.close()


def test_every_line_ends_crlf_on_the_wire_and_none_is_too_long(
        sent: tuple[Clerk, SmtpSink]) -> None:
    _, sink = sent
    for received in sink.received:
        data = received.data
        assert data.count(b"\n") == data.count(b"\r\n"), "no bare LF"
        assert data.count(b"\r") == data.count(b"\r\n"), "no bare CR"
        assert data.endswith(b"\r\n")
        assert max(len(line) for line in data.split(b"\r\n")) <= 78, "RFC 5322's 78 (hard 998)"
        assert data.isascii(), "7-bit: every non-ASCII header and body is encoded"
    [data] = [m.data for m in sink.received if "gwen@example.org" in m.rcpt_tos]
    # RFC 2047 decoding (folding between encoded words dropped), as Outlook and Gmail do it
    raw_to = str(message_from_bytes(data)["To"])
    assert str(make_header(decode_header(raw_to))) == f"{LONG_NAME} <gwen@example.org>"
    answer = parse(data)  # Python's address parser keeps that folding: one extra space at most
    assert " ".join(answer["To"].addresses[0].display_name.split()) == LONG_NAME
    assert answer["To"].addresses[0].addr_spec == "gwen@example.org"
    assert answer["Subject"] == LONG_SUBJECT
    text = answer.get_body(("plain",))
    assert text is not None
    assert str(text.get_content()).splitlines() == [
        "Diolch.", "Thank you.", "A lone carriage return is a line end too."]


def test_date_message_id_no_list_unsubscribe_and_no_tracking(
        sent: tuple[Clerk, SmtpSink]) -> None:
    app, sink = sent
    queued = queued_at(app)
    kinds = set()
    ids = []
    for received in sink.received:
        msg = received.parsed()
        kinds.add(check_headers(msg, queued))
        check_no_tracking(msg)
        ids.append(str(msg["Message-ID"]))
    assert kinds >= KINDS, kinds
    assert len(ids) == len(set(ids)) == len(sink.received), "every Message-ID unique"


def test_the_maildir_outbox_has_lf_line_ends_and_the_same_headers(
        clock: FakeClock, tmp_path: Path) -> None:
    """Without an SMTP server the files in the Maildir outbox use the Maildir's own line end
    (LF, as Dovecot, mutt and Python's mailbox write and read it); the headers are the same."""
    app = make_app(clock, tmp_path, None)
    queue_every_kind(app, clock)
    assert send_outbox(app).failed == 0
    queued = queued_at(app)
    kinds = set()
    files = list((tmp_path / "mail" / "outbox" / "new").iterdir())
    assert len(files) == len(queued)
    for path in files:
        data = path.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n")
        msg = message_from_bytes(data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        kinds.add(check_headers(msg, queued))
        check_no_tracking(msg)
    assert kinds >= KINDS
    app.store.close()


def test_email_templates_carry_no_images_or_tracking() -> None:
    templates = Path(__file__).resolve().parent.parent / "templates" / "email"
    for path in templates.glob("*.j2"):
        text = path.read_text(encoding="utf-8").lower()
        assert "<img" not in text and "utm_" not in text and "src=" not in text, path.name
