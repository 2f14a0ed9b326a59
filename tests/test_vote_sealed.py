"""A ballot is sealed when it opens: its electorate and deadline go into the hash-chained audit
log, and ``clerk ratify verify`` recomputes electorate, deadline and every vote from the log alone,
failing on any difference from the tables or on a vote accepted after the sealed deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clerk.app import Clerk, open_clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import Ballot, CastVote, cast_vote, open_ballot
from clerk.ballots.verify import verify_ballot
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members, list_members
from clerk.times import parse_local, to_iso
from tests.app_fixtures import EXAMPLE_MEMBERS
from tests.test_ballots import inquorate  # noqa: F401  (the fixture)

APPROVE_ALL = {1: "approve", 2: "approve"}
REJECT_ALL = {1: "reject", 2: "reject"}


def voted(app: Clerk, ballot: Ballot, n_approve: int, n_reject: int) -> list[str]:
    carers = [s.email for s in ballot.electorate if s.carer]
    for email in carers[:n_approve]:
        assert cast_vote(app, CastVote(ballot.ref, email, APPROVE_ALL)).status == "recorded"
    for email in carers[n_approve:n_approve + n_reject]:
        assert cast_vote(app, CastVote(ballot.ref, email, REJECT_ALL)).status == "recorded"
    return carers


def failures(app: Clerk, ref: str) -> list[str]:
    check = verify_ballot(app, ref)
    bad = [line for line in check.lines if line.startswith("FAILED")]
    assert check.ok == (not bad)
    return bad


def test_the_opening_seals_electorate_and_deadline_in_the_log(clerk_app: Clerk,
                                                              inquorate: str) -> None:  # noqa: F811
    ballot = open_ballot(clerk_app, inquorate)
    row = clerk_app.store.one("SELECT detail FROM audit WHERE action = 'ballot.open'")
    detail = json.loads(row["detail"])
    assert detail["closes_at"] == to_iso(ballot.closes_at)
    assert sorted(s["email"] for s in detail["seats"]) == sorted(s.email for s in ballot.electorate)
    assert all(s["person_id"] for s in detail["seats"])
    voted(clerk_app, ballot, 3, 1)
    assert failures(clerk_app, ballot.ref) == []


def test_deleting_an_electorate_row_while_open_fails_verify(clerk_app: Clerk,
                                                            inquorate: str) -> None:  # noqa: F811
    ballot = open_ballot(clerk_app, inquorate)
    carers = voted(clerk_app, ballot, 3, 2)
    db = clerk_app.store.db
    rejecting = db.execute("SELECT id, name FROM people WHERE email = ?", [carers[3]]).fetchone()
    db.execute("DELETE FROM electorate WHERE ballot_id = ? AND person_id = ?",
               [ballot.id, rejecting[0]])
    bad = failures(clerk_app, ballot.ref)
    assert any("electorate" in line and rejecting[1] in line and "missing" in line
               for line in bad), bad
    assert any("tally" in line for line in bad), bad


def test_moving_the_deadline_in_the_database_fails_verify(clerk_app: Clerk, clock: FakeClock,
                                                          inquorate: str) -> None:  # noqa: F811
    ballot = open_ballot(clerk_app, inquorate)
    voted(clerk_app, ballot, 3, 0)
    clerk_app.store.db.execute("UPDATE ballots SET closes_at = ? WHERE id = ?",
                               ["2027-02-26T00:00:00+00:00", ballot.id])
    bad = failures(clerk_app, ballot.ref)
    assert any("deadline" in line and "Monday 25 January 2027" in line
               and "Thursday 25 February 2027" in line for line in bad), bad
    # a vote accepted after the sealed deadline (the moved one let it in) fails it too
    clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    late = [s.email for s in ballot.electorate if s.carer][5]
    assert cast_vote(clerk_app, CastVote(ballot.ref, late, REJECT_ALL)).status == "recorded"
    bad = failures(clerk_app, ballot.ref)
    assert any(late in line and "after the sealed deadline" in line for line in bad), bad


def test_a_vote_row_without_its_log_event_fails_verify(clerk_app: Clerk,
                                                       inquorate: str) -> None:  # noqa: F811
    ballot = open_ballot(clerk_app, inquorate)
    carers = voted(clerk_app, ballot, 2, 0)
    db = clerk_app.store.db
    pid = db.execute("SELECT id FROM people WHERE email = ?", [carers[2]]).fetchone()[0]
    db.execute("INSERT INTO votes (ballot_id, person_id, choices, received_at, channel, receipt, "
               "recorded_at) VALUES (?, ?, ?, ?, 'email', 'FAKE-0001', ?)",
               [ballot.id, pid, json.dumps({"1": "approve", "2": "approve"}),
                "2027-01-15T09:00:00+00:00", "2027-01-15T09:00:00+00:00"])
    bad = failures(clerk_app, ballot.ref)
    assert any(carers[2] in line and "log" in line for line in bad), bad


def meeting_with_two_decisions(app: Clerk, clock: FakeClock) -> str:
    """What the ``inquorate`` fixture makes, on any app."""
    clock.set(datetime(2027, 1, 14, 9, 0, tzinfo=UTC))
    ref = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz))).ref
    carers = [m["email"] for m in list_members(app, "carers") if m["carer"]]
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(app, RecordAttendance(ref, tuple(carers[:2])))
    add_decision(app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    add_decision(app, AddDecision(ref, "Hold the summer meeting online"))
    return ref


@pytest.fixture
def on_disk(workdir: Path, clock: FakeClock) -> Iterator[tuple[Clerk, FakeClock]]:
    app = open_clerk(workdir / "config.toml", clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    yield app, clock
    app.store.close()


def test_ratify_verify_exits_1_and_says_what_differs(on_disk: tuple[Clerk, FakeClock],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    app, clock = on_disk
    ballot = open_ballot(app, meeting_with_two_decisions(app, clock))
    voted(app, ballot, 3, 0)
    assert main(["ratify", "verify", ballot.ref]) == 0
    assert "FAILED" not in capsys.readouterr().out
    app.store.db.execute("UPDATE ballots SET closes_at = ? WHERE id = ?",
                         ["2027-02-26T00:00:00+00:00", ballot.id])
    assert main(["ratify", "verify", ballot.ref]) == 1
    out = capsys.readouterr().out
    assert "FAILED: the deadline in the database" in out
