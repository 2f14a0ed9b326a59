"""The console's vote page: the tally as it stands, who has voted (the facilitator only, not the
Chair), verifying from the audit log, closing early (audited with who did it), and another
body's facilitator refused by URL and by form."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import CastVote, cast_vote, get_ballot, open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.membership import list_members
from clerk.store import audit
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
APPROVE_ALL = {1: "approve", 2: "approve"}

Console = Callable[[str], ConsoleClient]


@pytest.fixture
def ballot(clerk_app: Clerk, clock: FakeClock) -> str:
    """An open vote on two decisions of an inquorate Carers Partnership meeting; two carers
    have voted."""
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                  clerk_app.tz))).ref
    carers = [m["email"] for m in list_members(clerk_app, "carers") if m["carer"]]
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(ref, tuple(carers[:2])))
    add_decision(clerk_app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    add_decision(clerk_app, AddDecision(ref, "Hold the summer meeting online"))
    opened = open_ballot(clerk_app, ref)
    for email in ("carol.chowdhury@example.org", "dev.davies@example.org"):
        assert cast_vote(clerk_app, CastVote(opened.ref, email, APPROVE_ALL)).status == "recorded"
    return opened.ref


def test_the_facilitator_sees_the_tally_and_who_has_voted(console: Console, ballot: str) -> None:
    page = console(FACILITATOR).get(f"/votes/{ballot}")
    assert page.status == 200
    assert "Worcestershire Carers Partnership meeting, Thursday 14 January 2027" in page.text
    assert "Adopt the 2027 carers action plan" in page.text
    assert "2 of 19 voters" in page.text and "Open until Monday 25 January 2027 at 23:59" in page.text
    assert "Would not be ratified" in page.text  # too few carers so far
    assert "Carol Chowdhury" in page.text and "Not voted" in page.text
    assert "Close the vote now" in page.text


def test_the_chair_sees_the_tally_but_not_who_voted(console: Console, ballot: str) -> None:
    page = console(CHAIR).get(f"/votes/{ballot}")
    assert page.status == 200 and "2 of 19 voters" in page.text
    assert "Carol Chowdhury" not in page.text and "carol.chowdhury" not in page.text
    assert "shown to the facilitator only" in page.text
    assert "Close the vote now" not in page.text
    refused = console(CHAIR).post(f"/votes/{ballot}/close")
    assert refused.status == 403 and "only the facilitator" in refused.text.lower()
    assert get_ballot(console(CHAIR).app, ballot).status == "open"


def test_verify_shows_the_check_from_the_audit_log(console: Console, ballot: str) -> None:
    page = console(FACILITATOR).get(f"/votes/{ballot}/verify")
    assert page.status == 200 and "The vote checks out against the audit log" in page.text
    assert "the 2 votes recorded are the ones in the log" in page.text


def test_closing_early_is_audited_with_who_did_it(console: Console, ballot: str,
                                                  clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    for email in ("eleanor.evans@example.org",):
        cast_vote(clerk_app, CastVote(ballot, email, APPROVE_ALL))
    page = client.post(f"/votes/{ballot}/close")
    assert page.path == f"/votes/{ballot}" and "closed early" in page.text
    assert "Closed early by the facilitator" in page.text and "Ratified" in page.text
    event = clerk_app.store.one("SELECT * FROM audit WHERE action = 'ballot.close'")
    assert event is not None and event["actor"] == FACILITATOR and event["channel"] == "console"
    assert json.loads(event["detail"])["closed_by"] == "facilitator"
    again = client.post(f"/votes/{ballot}/close")
    assert "already closed" in again.text
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'ballot.close'"
                               )["n"] == 1  # type: ignore[index]
    assert audit.verify_chain(clerk_app.store.db).ok


def test_another_bodys_facilitator_is_refused(console: Console, ballot: str,
                                              clerk_app: Clerk) -> None:
    other = console(OTHER_FACILITATOR)
    assert other.get(f"/votes/{ballot}").status == 403
    assert other.get(f"/votes/{ballot}/verify").status == 403
    assert other.post(f"/votes/{ballot}/close").status == 403
    assert get_ballot(clerk_app, ballot).status == "open"
    assert console(FACILITATOR).get("/votes/no-such-vote").status == 404


def test_a_failed_check_names_voters_to_the_facilitator_only(console: Console, ballot: str,
                                                             clerk_app: Clerk) -> None:
    # a vote row that the log does not know of (written behind clerk's back)
    with clerk_app.store.write() as db:
        db.execute("INSERT INTO votes (ballot_id, person_id, choices, received_at, channel, "
                   "receipt, recorded_at) SELECT b.id, p.id, '{\"1\": \"reject\", \"2\": "
                   "\"reject\"}', '2027-01-14T13:00:00Z', 'email', 'FAKE-0001', "
                   "'2027-01-14T13:00:00Z' FROM ballots b, people p WHERE b.ref = ? AND "
                   "p.email = 'eleanor.evans@example.org'", [ballot])
    facilitator = console(FACILITATOR).get(f"/votes/{ballot}/verify")
    assert "does not match the audit log" in facilitator.text
    assert "eleanor.evans@example.org" in facilitator.text
    chair = console(CHAIR).get(f"/votes/{ballot}/verify")
    assert "does not match the audit log" in chair.text
    assert "eleanor.evans" not in chair.text and "Eleanor Evans" not in chair.text
    assert "the facilitator can see which voters it concerns" in chair.text
