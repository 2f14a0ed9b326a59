"""The console's observers page: places booked and on offer, the waiting list in order, the
questions asked; a clear line for a body that does not meet in public; another body's
facilitator refused."""

from __future__ import annotations

from collections.abc import Callable

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.observers.bookings import JoinWaitingList, join_waiting_list
from clerk.observers.questions import AskQuestion, ask_question
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient
from tests.test_observers import book

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"

Console = Callable[[str], ConsoleClient]


def test_bookings_waiting_list_and_questions(console: Console, clerk_app: Clerk,
                                             meeting: Meeting) -> None:
    for i in range(15):
        assert book(clerk_app, meeting, 100 + i, f"Observer {chr(65 + i)}",
                    f"observer{i}@example.net") == "booked"
    assert book(clerk_app, meeting, 200, "Wendy Waiting", "wendy@example.net") == "full"
    assert join_waiting_list(clerk_app, JoinWaitingList(200, meeting.ref)).status == "waiting"
    ask_question(clerk_app, AskQuestion(meeting.ref, 100, "Observer A",
                                        "Will the <b>budget</b> be discussed?\nAnd carers' breaks?"))
    page = console(FACILITATOR).get(f"/meetings/{meeting.ref}/observers")
    assert page.status == 200
    assert "Worcestershire Carers Partnership meeting, Thursday 14 January 2027" in page.text
    assert "15 of 15 taken" in page.text and "1 waiting" in page.text
    assert "Observer O" in page.text and "observer14@example.net" in page.text
    assert "Wendy Waiting" in page.text
    assert "Will the &lt;b&gt;budget&lt;/b&gt; be discussed?<br>And carers&#39; breaks?" in page.text
    assert "<b>budget" not in page.text
    # the Chair serves the body and sees it too
    assert console(CHAIR).get(f"/meetings/{meeting.ref}/observers").status == 200


def test_a_body_not_meeting_in_public_says_so(console: Console, clerk_app: Clerk) -> None:
    jcb = add_meeting(clerk_app, AddMeeting("cypsp-jcb", parse_local("2027-01-20 14:00",
                                                                      clerk_app.tz)))
    page = console(OTHER_FACILITATOR).get(f"/meetings/{jcb.ref}/observers")
    assert page.status == 200
    assert "This meeting takes no observers: meetings of the JCB are not held in public" in page.text
    assert "No questions have been asked" in page.text


def test_another_bodys_facilitator_is_refused(console: Console, meeting: Meeting) -> None:
    assert console(OTHER_FACILITATOR).get(f"/meetings/{meeting.ref}/observers").status == 403
    assert console(FACILITATOR).get("/meetings/carers-1999-01-01/observers").status == 404
