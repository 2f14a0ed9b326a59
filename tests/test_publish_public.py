"""The published site shows only what is meant to be public, in words an ordinary reader knows:
no email addresses (a lead is shown by name), no online joining link (that goes to members and
booked observers only), meetings named by their date rather than clerk's reference, and no hashes
or committee jargon in plain view."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item
from clerk.agenda.minutes import AddMinutes, ApproveMinutes, add_minutes, approve_minutes
from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.records.publish import publish_site
from clerk.store.files import FileUpload
from clerk.times import parse_local
from tests.papers_helpers import CHAIR, MEMBER, at, carers_emails, make_app, pdf

JOIN = "https://meet.example.org/j/8812345?pwd=Xy7secret"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


class _Visible(HTMLParser):
    """The text a reader sees on the page without opening anything (closed <details> and
    attributes left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.hidden += 1
        if tag == "summary":
            self.in_summary = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.hidden -= 1
        if tag == "summary":
            self.in_summary = False

    def handle_data(self, data: str) -> None:
        if not self.hidden or self.in_summary:
            self.parts.append(data)


def visible(page: Path) -> str:
    parser = _Visible()
    parser.feed(page.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def _site(app: Clerk, clock: FakeClock, out: Path) -> tuple[str, str]:
    first = add_meeting(app, AddMeeting("carers", parse_local("2026-12-03 10:00", app.tz),
                                        venue="County Hall, Worcester", online_url=JOIN)).ref
    add_item(app, AddItem(first, "Carers' Strategy refresh", lead=MEMBER,
                          papers=(pdf("Strategy.pdf", 30_000),)))
    add_item(app, AddItem(first, "Budget 2027-28", lead="finance.lead@worcs.example.org"))
    add_item(app, AddItem(first, "Questions sent to dev.davies@example.org"))
    approve_agenda(app, ApproveAgenda(first, CHAIR))
    clock.set(at(app, "2026-11-24 09:00"))
    circulate_papers(app, first)
    clock.set(at(app, "2026-12-03 12:00"))
    record_attendance(app, RecordAttendance(first, tuple(carers_emails()[:1])))  # inquorate
    add_decision(app, AddDecision(first, "Adopt the refreshed Carers' Strategy for consultation."))
    nxt = add_meeting(app, AddMeeting("carers", parse_local("2027-02-04 10:00", app.tz))).ref
    add_minutes(app, AddMinutes(first, FileUpload("Minutes.pdf", b"%PDF-1.7\nminutes\n" * 40)))
    clock.set(at(app, "2027-02-04 11:00"))
    approve_minutes(app, ApproveMinutes(first))
    publish_site(app, out)
    return first, nxt


def test_the_site_shows_no_personal_data_nor_the_joining_link(
        clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    out = tmp_path / "site"
    first, _ = _site(app, clock, out)
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not EMAIL.search(html), f"{page}: {EMAIL.search(html)}"
        assert "meet.example.org" not in html and "pwd=" not in html
    text = visible(out / "carers" / first / "index.html")
    assert "Carers' Strategy refresh (lead: Carol Chowdhury)" in text
    assert "Budget 2027-28" in text and "lead:" not in text.split("Budget 2027-28")[1][:20]
    assert "County Hall, Worcester" in text and "online" in text
    assert "joining link is sent to members and booked observers" in text


def test_meetings_are_named_by_date_with_no_hashes_or_jargon(
        clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    out = tmp_path / "site"
    first, nxt = _site(app, clock, out)
    for page in out.rglob("*.html"):
        text = visible(page)
        assert first not in text and nxt not in text, f"{page}: an internal reference shows"
        assert not HEX64.search(text), f"{page}: a hash shows"
        for word in ("SHA-256", "ratif", "provisional", "carried forward", "sha256"):
            assert word not in text, f"{page}: {word!r} shows"
    text = visible(out / "carers" / first / "index.html")
    assert "approved at the meeting on Thursday 4 February 2027" in text
    assert "Adopt the refreshed Carers' Strategy for consultation. (not final yet: it goes to " \
        "the members for confirmation by email" in text
    html = (out / "carers" / first / "index.html").read_text(encoding="utf-8")
    details = html[html.index("<details"):html.index("</details>")]
    assert HEX64.search(details) and "fingerprint" in details
