"""No email is larger than the body's attachment limit as it travels (base64 adds about a third):
papers go attached while they fit, then each in an email of its own, and a paper too large even
for that is linked when the papers are on the web, or held back with the facilitator told. Over
the real SMTP sink."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item, papers_schedule
from clerk.agenda.minutes import AddMinutes, add_minutes
from clerk.agenda.papers import AddPaper, add_paper
from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.meetings.schedule import get_meeting
from mail.sender import send_outbox
from tests.papers_helpers import (
    CHAIR,
    FACILITATOR,
    MEMBER,
    agenda_now,
    at,
    attachments,
    carers_emails,
    carers_meeting,
    make_app,
    pdf,
    per_recipient,
    text_of,
)
from tests.servers import SmtpSink

LIMIT = 1_000_000
BASE = "https://www.example.org/partnerships"


def wire_bytes(data: bytes) -> int:
    """The message's size on the wire, every line ending CR LF."""
    return len(data.replace(b"\r\n", b"\n")) + data.count(b"\n")


def circulate_pack(app: Clerk, clock: FakeClock) -> tuple[str, str]:
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' Strategy refresh", lead=MEMBER,
                          papers=(pdf("Strategy.pdf", 500_000, seed=1),
                                  pdf("Budget.pdf", 600_000, seed=2),
                                  pdf("Survey results.pdf", 900_000, seed=3))))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    result = circulate_papers(app, meeting.ref, actor="scheduler", channel="scheduler")
    assert result.circulation_id is not None, result.message
    return meeting.ref, result.message


def test_no_email_exceeds_the_limit_and_a_paper_too_large_is_held_with_the_facilitator_told(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink, carers={"attachment_limit_mb": 1})
    ref, message = circulate_pack(app, clock)
    assert "held back, too large to email: Survey results.pdf" in message
    send_outbox(app)
    assert smtp_sink.received
    for sent in smtp_sink.received:
        assert wire_bytes(sent.data) <= LIMIT, (sent.parsed()["Subject"], wire_bytes(sent.data))
    # 500 KB is about 690 KB as sent; with the 600 KB paper (about 820 KB) it would not fit
    assert per_recipient(smtp_sink, "Papers: Carers") == Counter(dict.fromkeys(carers_emails(), 1))
    assert per_recipient(smtp_sink, "Paper for item 3: Budget.pdf") == Counter(
        dict.fromkeys(carers_emails(), 1))
    assert per_recipient(smtp_sink, "Survey") == Counter()
    msgs = smtp_sink.messages_to(MEMBER)
    [main] = [m for m in msgs if m["Subject"].startswith("Papers:")]
    assert set(attachments(main)) == {"Strategy.pdf"}
    assert "Survey results.pdf (too large to email: not sent)" in text_of(main)
    assert "not sent: too large to email (Survey results.pdf is 0.9 MB, about 1.2 MB once " \
        "encoded for email" in text_of(main).replace("\r\n", "\n").replace("\n  ", " ")
    assert f"ask {FACILITATOR} for a copy" in text_of(main)
    [told] = smtp_sink.messages_to(FACILITATOR)
    assert str(told["Subject"]).endswith(": a paper too large to email")
    text = text_of(told)
    assert "  Item 3: Survey results.pdf (900 KB)" in text
    assert "papers.link_base_url" in text and not attachments(told)
    schedule = papers_schedule(app, app.store.db, get_meeting(app, ref))
    agenda = agenda_now(app, ref)
    held = {p.filename for i in agenda.items for p in i.papers if schedule.paper_held(p)}
    assert held == {"Survey results.pdf"}


def test_with_the_papers_on_the_web_a_paper_too_large_is_linked(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink,
                   carers={"attachment_limit_mb": 1, "link_base_url": BASE})
    circulate_pack(app, clock)
    send_outbox(app)
    for sent in smtp_sink.received:
        assert wire_bytes(sent.data) <= LIMIT
    assert smtp_sink.messages_to(FACILITATOR) == []
    msgs = smtp_sink.messages_to(MEMBER)
    assert {m["Subject"].split(":")[0] for m in msgs} == {"Papers", "Paper for item 3"}
    [main] = [m for m in msgs if m["Subject"].startswith("Papers:")]
    assert f"{BASE}/carers/" in text_of(main) and "Survey results.pdf" in text_of(main)


def test_a_supplement_too_large_to_email_is_held_too(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink, carers={"attachment_limit_mb": 1})
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' Strategy refresh",
                          papers=(pdf("Strategy.pdf", 100_000),)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref)
    added = add_paper(app, AddPaper(meeting.ref, 3, pdf("Appendix.pdf", 800_000)))
    assert "held back, too large to email: Appendix.pdf" in added.supplement
    send_outbox(app)
    for sent in smtp_sink.received:
        assert wire_bytes(sent.data) <= LIMIT
    [told] = smtp_sink.messages_to(FACILITATOR)
    assert "supplement 1 to the papers" in text_of(told).replace("\r\n", " ")


def test_draft_minutes_too_large_to_email_are_held(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink, carers={"attachment_limit_mb": 1})
    meeting = carers_meeting(app)
    clock.set(at(app, "2027-01-15 09:00"))
    add_minutes(app, AddMinutes(meeting.ref, pdf("Minutes.pdf", 900_000)))
    send_outbox(app)
    for sent in smtp_sink.received:
        assert wire_bytes(sent.data) <= LIMIT
    [minutes] = [m for m in smtp_sink.messages_to(MEMBER) if "minutes" in str(m["Subject"])]
    assert not attachments(minutes)
    assert "too large to send by email" in text_of(minutes)
    assert len(smtp_sink.messages_to(FACILITATOR)) == 1


def test_draft_minutes_that_fit_on_their_own_come_in_an_email_of_their_own(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink, carers={"attachment_limit_mb": 1})
    meeting = carers_meeting(app)
    clock.set(at(app, "2027-01-15 09:00"))
    minutes = pdf("Minutes.pdf", 700_000)
    add_minutes(app, AddMinutes(meeting.ref, minutes))
    send_outbox(app)
    for sent in smtp_sink.received:
        assert wire_bytes(sent.data) <= LIMIT
    [separate] = [m for m in smtp_sink.messages_to(MEMBER)
                  if str(m["Subject"]).startswith("Draft minutes: Minutes.pdf")]
    assert attachments(separate) == {"Minutes.pdf": minutes.content}
    assert "The draft minutes of the Worcestershire Carers Partnership meeting" in text_of(separate)
