"""The console's audit log: newest first, paged, by meeting or by person (an id from a list,
never an address in the URL), only the events about the bodies the viewer serves (an
administrator: all), and "Verify the chain"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.ballots.ratification import CastVote, cast_vote, close_ballot, open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.store import audit
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
CHAIR = "alice.ashworth@example.org"
ADMIN = "it.admin@council.example"

Console = Callable[[str], ConsoleClient]


@pytest.fixture
def admin(clerk_app: Clerk) -> str:
    web = clerk_app.config.web.model_copy(update={"admins": (ADMIN,)})
    clerk_app.config = clerk_app.config.model_copy(update={"web": web})
    return ADMIN


@pytest.fixture
def two_bodies(clerk_app: Clerk, meeting: Meeting) -> Meeting:
    """The Carers Partnership meeting (invited; Carol has replied) and a JCB meeting."""
    record_reply(clerk_app, RecordReply(meeting.ref, "carol.chowdhury@example.org", "attend"))
    return add_meeting(clerk_app, AddMeeting("cypsp-jcb", parse_local("2027-01-20 14:00",
                                                                      clerk_app.tz)))


def make_ballot(app: Clerk) -> str:
    """A vote on an inquorate Carers Partnership meeting's decision: Carol votes, then it is
    closed early."""
    ref = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz))).ref
    assert isinstance(app.clock, FakeClock)
    app.clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(app, RecordAttendance(ref, ("dev.davies@example.org",)))
    add_decision(app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    ballot = open_ballot(app, ref).ref
    cast_vote(app, CastVote(ballot, "carol.chowdhury@example.org", {1: "reject"}))
    close_ballot(app, ballot)
    return ballot


def person_id(app: Clerk, email: str) -> int:
    row = app.store.one("SELECT id FROM people WHERE email = ?", [email])
    assert row is not None
    return int(row["id"])


def test_a_facilitator_sees_only_their_bodies_events(console: Console, clerk_app: Clerk,
                                                     meeting: Meeting,
                                                     two_bodies: Meeting) -> None:
    page = console(FACILITATOR).get("/audit")
    assert page.status == 200
    assert meeting.ref in page.text and "reply.recorded" in page.text
    assert two_bodies.ref not in page.text  # the JCB's meeting
    assert "console.sign_in" not in page.text  # about no body: administrators only
    # newest first
    assert page.text.index("reply.recorded") < page.text.index("meeting.add")
    jcb = console(OTHER_FACILITATOR).get("/audit")
    assert two_bodies.ref in jcb.text and f">{meeting.ref}<" not in jcb.text


def test_by_meeting_and_by_person(console: Console, clerk_app: Clerk, meeting: Meeting,
                                  two_bodies: Meeting) -> None:
    client = console(FACILITATOR)
    page = client.get(f"/audit?meeting={meeting.ref}")
    assert page.status == 200 and "reply.recorded" in page.text
    carol = person_id(clerk_app, "carol.chowdhury@example.org")
    assert f'<option value="{carol}">Carol Chowdhury' in page.text  # the person list: ids
    mine = client.get(f"/audit?person={carol}")
    assert mine.status == 200 and "by or about Carol Chowdhury" in mine.text
    assert "reply.recorded" in mine.text and "meeting.add" not in mine.text
    # another body's meeting, or a person of another body only, by URL: refused
    assert client.get(f"/audit?meeting={two_bodies.ref}").status == 403
    uma = person_id(clerk_app, "uma.upton@example.org")
    assert client.get(f"/audit?person={uma}").status == 403
    assert client.get("/audit?person=999999").status == 404
    assert client.get("/audit?person=alice@example.org").status == 404  # never an address


def test_pages_of_fifty(console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    with clerk_app.store.write() as db:
        for i in range(60):
            audit.record(db, at=clerk_app.clock.now(), actor="facilitator", action=f"test.e{i}",
                         subject=meeting.ref)
    client = console(FACILITATOR)
    first = client.get(f"/audit?meeting={meeting.ref}")
    assert "test.e59" in first.text and "test.e10<" in first.text and "test.e9<" not in first.text
    assert "Older events" in first.text
    older = first.text.split('href="/audit?before=')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/audit?before={older}")
    assert "test.e9<" in second.text and "test.e59" not in second.text
    assert "Newest events" in second.text


def test_an_administrator_sees_every_event(console: Console, admin: str, meeting: Meeting,
                                           two_bodies: Meeting) -> None:
    page = console(admin).get("/audit")
    assert meeting.ref in page.text and two_bodies.ref in page.text
    assert "console.sign_in" in page.text


def test_verify_the_chain(console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    page = console(FACILITATOR).get("/audit/verify")
    assert page.status == 200 and "The chain is intact" in page.text
    assert "audit rows are intact" in page.text  # (the reason, as clerk audit verify says)
    clerk_app.store.db.execute("DROP TRIGGER audit_no_update")
    clerk_app.store.db.execute("UPDATE audit SET actor = 'someone else' WHERE id = 2")
    broken = console(FACILITATOR).get("/audit/verify")
    assert "The chain is broken" in broken.text and "Audit row 2 was changed" in broken.text


def test_votes_in_the_log_are_the_facilitators_alone(console: Console, clerk_app: Clerk,
                                                     admin: str) -> None:
    ballot = make_ballot(clerk_app)  # Carol voted; then the vote was closed
    facilitator = console(FACILITATOR).get("/audit")
    assert "vote.cast" in facilitator.text and "ballot.close" in facilitator.text
    assert "carol.chowdhury@example.org<span" in facilitator.text
    assert "not_voted" in facilitator.text
    for who in (CHAIR, admin):
        page = console(who).get("/audit")
        assert "ballot.close" in page.text, who
        assert "vote.cast" not in page.text and "not_voted" not in page.text, who
        assert "carol.chowdhury@example.org<span" not in page.text, who  # as the actor
    assert ballot
