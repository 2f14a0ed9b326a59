"""The vote, observers, inbox and audit pages in Chromium: no serious or critical axe-core
violations, usable on a phone (no sideways scrolling of the page), and the vote closed and a
message attached as a facilitator would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.invitations import invite
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import CastVote, cast_vote, open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.observers.questions import AskQuestion, ask_question
from clerk.times import parse_local
from mail.ingest import ingest
from tests.app_fixtures import key_of
from tests.browser.helpers import sign_in
from tests.reply_mail import reply

FACILITATOR = "facilitator@carers.example.org"
CAROL = "carol.chowdhury@example.org"

Axe = Callable[[Page], list[tuple[str, str, int]]]


@pytest.fixture
def records(clerk_app: Clerk, clock: FakeClock) -> dict[str, str]:
    """A meeting with a question from an observer, a message from Carol's other address, and
    after the meeting (inquorate) an open vote with one vote cast."""
    meeting = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                      clerk_app.tz)))
    invite(clerk_app, meeting.ref)
    ask_question(clerk_app, AskQuestion(meeting.ref, 77, "Olive Observer",
                                        "Will carers' breaks be discussed?"))
    inbound = ingest(clerk_app, reply("carol.at.home@example.net",
                                      key_of(clerk_app, CAROL, meeting.ref),
                                      "Yes I will attend"), source="test").inbound_id
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(meeting.ref, (CAROL,)))
    add_decision(clerk_app, AddDecision(meeting.ref, "Adopt the 2027 carers action plan"))
    ballot = open_ballot(clerk_app, meeting.ref)
    cast_vote(clerk_app, CastVote(ballot.ref, "dev.davies@example.org", {1: "approve"}))
    return {"meeting": meeting.ref, "vote": ballot.ref, "inbound": str(inbound)}


def serious(found: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return [v for v in found if v[1] in ("serious", "critical")]


def test_the_pages_pass_axe(page: Page, clerk_app: Clerk, records: dict[str, str],
                            axe_violations: Axe) -> None:
    sign_in(page, clerk_app, FACILITATOR)
    for path in (f"/votes/{records['vote']}", f"/votes/{records['vote']}/verify",
                 f"/meetings/{records['meeting']}/observers", "/inbox",
                 f"/inbox/{records['inbound']}", "/audit", "/audit/verify"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert serious(axe_violations(page)) == [], path


def test_on_a_phone_nothing_scrolls_sideways(phone_page: Page, clerk_app: Clerk,
                                              records: dict[str, str]) -> None:
    sign_in(phone_page, clerk_app, FACILITATOR)
    for path in (f"/votes/{records['vote']}", f"/meetings/{records['meeting']}/observers",
                 "/inbox", f"/inbox/{records['inbound']}", "/audit"):
        phone_page.goto(path)
        wide = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} is {wide} px wide"


def test_attach_a_message_and_close_the_vote(page: Page, clerk_app: Clerk,
                                             records: dict[str, str]) -> None:
    sign_in(page, clerk_app, FACILITATOR)
    page.goto(f"/inbox/{records['inbound']}")
    page.get_by_role("button", name="Record this reply").click()
    expect(page.get_by_text("The message was attached")).to_be_visible()
    page.goto(f"/votes/{records['vote']}")
    page.get_by_role("button", name="Close the vote now").click()
    expect(page.get_by_text("Closed early by the facilitator")).to_be_visible()
