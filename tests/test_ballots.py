"""Ratification by email vote, through the services: electorate, votes, tally, close, verify."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from clerk.agenda.carried import carried_decisions
from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision, list_decisions
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import (
    CastVote,
    cast_vote,
    close_ballot,
    current_tally,
    get_ballot,
    open_ballot,
)
from clerk.ballots.verify import verify_ballot
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.meetings.schedule import AddMeeting, add_meeting, get_meeting
from clerk.people.membership import list_members
from clerk.times import parse_local
from scheduler.keeper import DeadlineKeeper

APPROVE_ALL = {1: "approve", 2: "approve"}
REJECT_ALL = {1: "reject", 2: "reject"}


@pytest.fixture
def inquorate(clerk_app: Clerk, clock: FakeClock) -> str:
    """A Carers Partnership meeting with two carers present and two provisional decisions."""
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                            venue="County Hall")).ref  # added while ahead
    clock.set(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))  # the meeting has begun
    carers = [m["email"] for m in list_members(clerk_app, "carers") if m["carer"]]
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(ref, tuple(carers[:2])))
    add_decision(clerk_app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    add_decision(clerk_app, AddDecision(ref, "Hold the summer meeting online"))
    return ref


def people(app: Clerk) -> dict[str, list[str]]:
    ms = list_members(app, "carers")
    return {"carers": [m["email"] for m in ms if m["carer"]],
            "officers": [m["email"] for m in ms if m["role"] == "officer"],
            "advisory": [m["email"] for m in ms if m["advisory"]]}


def vote(app: Clerk, ballot: str, email: str, choices: dict, **kw) -> str:
    return cast_vote(app, CastVote(ballot, email, choices, **kw)).status


def outbox(app: Clerk, kind: str) -> list[dict]:
    return app.store.all("SELECT * FROM outbox WHERE kind = ? ORDER BY id", [kind])


def test_ballot_goes_to_the_frozen_electorate(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    p = people(clerk_app)
    assert {s.email for s in ballot.electorate} == set(p["carers"] + p["officers"])
    assert ballot.decisions == ((1, "Adopt the 2027 carers action plan"),
                                (2, "Hold the summer meeting online"))
    # 7 working days from Thursday 14 January: the vote closes at the end of Monday 25 January
    assert ballot.closes_at == datetime(2027, 1, 26, 0, 0, tzinfo=clerk_app.tz)
    sent = outbox(clerk_app, "ballot")
    assert len(sent) == len(ballot.electorate) == 19
    assert "1. Adopt the 2027 carers action plan" in sent[0]["raw"].decode()
    assert open_ballot(clerk_app, inquorate).ref == ballot.ref  # asking again: the same ballot
    assert len(outbox(clerk_app, "ballot")) == 19


def test_ratified(clerk_app: Clerk, inquorate: str, clock: FakeClock) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    p = people(clerk_app)
    for email in p["carers"][:3] + p["officers"][:2]:
        assert vote(clerk_app, ballot.ref, email, APPROVE_ALL) == "recorded"
    vote(clerk_app, ballot.ref, p["officers"][2], REJECT_ALL)
    result = close_ballot(clerk_app, ballot.ref).result
    assert [d.ratified for d in result.decisions] == [True, True]
    assert result.decisions[0].approve == 5 and result.decisions[0].reject == 1
    assert [d.status for d in list_decisions(clerk_app, inquorate)] == ["ratified", "ratified"]
    announced = outbox(clerk_app, "ballot_result")
    assert len(announced) == 21  # every member (voting or not) and the facilitator
    assert "RATIFIED: 5 for, 1 against" in announced[0]["raw"].decode()
    assert len(outbox(clerk_app, "ballot_receipt")) == 6


def test_rejected_goes_to_the_next_agenda(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    p = people(clerk_app)
    for email in p["carers"][:4]:
        vote(clerk_app, ballot.ref, email, REJECT_ALL)
    vote(clerk_app, ballot.ref, p["officers"][0], APPROVE_ALL)
    result = close_ballot(clerk_app, ballot.ref).result
    assert not any(d.ratified for d in result.decisions)
    nxt = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-04-15 10:00",
                                                                  clerk_app.tz)))
    titles = [c.title for c in carried_decisions(clerk_app, nxt)]
    assert titles[0] == ("To consider: Adopt the 2027 carers action plan (not ratified by email "
                         f"vote, from {inquorate})")


def test_too_few_carers_voting(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    p = people(clerk_app)
    for email in p["carers"][:2] + p["officers"]:
        vote(clerk_app, ballot.ref, email, APPROVE_ALL)
    result = close_ballot(clerk_app, ballot.ref).result
    assert not result.participation.ok
    assert result.decisions[0].reason == "too few votes: only 2 of the carers voted; 3 needed"
    assert [d.status for d in list_decisions(clerk_app, inquorate)] == ["not_ratified"] * 2


def test_split_per_decision_and_a_changed_vote(clerk_app: Clerk, inquorate: str,
                                               clock: FakeClock) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    c = people(clerk_app)["carers"]
    vote(clerk_app, ballot.ref, c[0], {1: "approve", 2: "reject"})
    vote(clerk_app, ballot.ref, c[1], {1: "approve", 2: "reject"})
    vote(clerk_app, ballot.ref, c[2], REJECT_ALL)
    clock.advance(timedelta(hours=1))
    assert vote(clerk_app, ballot.ref, c[2], {1: "approve", 2: "abstain"}) == "changed"
    result = close_ballot(clerk_app, ballot.ref).result
    assert [d.ratified for d in result.decisions] == [True, False]
    assert (result.decisions[1].approve, result.decisions[1].reject,
            result.decisions[1].abstain) == (0, 2, 1)


def test_late_vote_is_refused_by_the_time_the_server_received_it(
    clerk_app: Clerk, inquorate: str, clock: FakeClock
) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    c = people(clerk_app)["carers"]
    just_in = datetime(2027, 1, 25, 23, 59, tzinfo=UTC)
    clock.set(datetime(2027, 1, 26, 0, 1, tzinfo=UTC))  # read at 00:01, received at 23:59
    assert vote(clerk_app, ballot.ref, c[0], APPROVE_ALL, received_at=just_in) == "recorded"
    late = cast_vote(clerk_app, CastVote(ballot.ref, c[1], APPROVE_ALL,
                                         received_at=datetime(2027, 1, 26, 0, 0, 30, tzinfo=UTC)))
    assert late.status == "refused"
    assert "arrived late and was not counted" in late.message
    assert current_tally(clerk_app, get_ballot(clerk_app, ballot.ref)).voted == (c[0],)


def test_non_voters_are_refused(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    advisory = people(clerk_app)["advisory"][0]
    out = cast_vote(clerk_app, CastVote(ballot.ref, advisory, APPROVE_ALL))
    assert out.status == "refused"
    assert "not entitled to vote" in out.message
    assert vote(clerk_app, ballot.ref, "observer@example.net", APPROVE_ALL) == "refused"
    refusals = clerk_app.store.all("SELECT * FROM audit WHERE action = 'vote.refused'")
    assert len(refusals) == 2


def test_people_added_after_opening_cannot_vote(clerk_app: Clerk, inquorate: str) -> None:
    from clerk.people.membership import import_members

    ballot = open_ballot(clerk_app, inquorate)
    import_members(clerk_app, "body,name,email,role,carer\n"
                              "carers,New Carer,new.carer@example.org,carer,yes\n")
    assert vote(clerk_app, ballot.ref, "new.carer@example.org", APPROVE_ALL) == "refused"


def test_same_vote_delivered_twice_counts_once(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    c = people(clerk_app)["carers"][0]
    assert vote(clerk_app, ballot.ref, c, APPROVE_ALL, idempotency_key="email:m1") == "recorded"
    assert vote(clerk_app, ballot.ref, c, APPROVE_ALL, idempotency_key="email:m1") == "duplicate"
    assert len(outbox(clerk_app, "ballot_receipt")) == 1


def test_scheduler_closes_once_and_announces_once(clerk_app: Clerk, inquorate: str,
                                                 clock: FakeClock) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    for email in people(clerk_app)["carers"][:3]:
        vote(clerk_app, ballot.ref, email, APPROVE_ALL)
    clock.set(datetime(2027, 1, 23, 9, 0, tzinfo=UTC))  # reminder: two days before the close
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()}
    assert ran["ballot-reminder"] == "reminded 16 who have not voted"
    clock.set(datetime(2027, 1, 27, 9, 0, tzinfo=UTC))  # clerk was down across the deadline
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).start()}
    assert ran["ballot-close"] == "closed: 2 of 2 decision(s) ratified; 3 voted"
    assert DeadlineKeeper(clerk_app).start() == []
    assert close_ballot(clerk_app, ballot.ref).result.decisions[0].ratified
    assert len(outbox(clerk_app, "ballot_result")) == 21


def test_verify_recomputes_from_the_log_and_detects_an_edit(clerk_app: Clerk,
                                                            inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    for email in people(clerk_app)["carers"][:3]:
        vote(clerk_app, ballot.ref, email, APPROVE_ALL)
    close_ballot(clerk_app, ballot.ref)
    check = verify_ballot(clerk_app, ballot.ref)
    assert check.ok, check.lines
    db = clerk_app.store.db
    db.execute("DROP TRIGGER audit_no_update")
    row = db.execute("SELECT id, detail FROM audit WHERE action = 'vote.cast' LIMIT 1").fetchone()
    detail = json.loads(row[1])
    detail["choices"] = {"1": "reject", "2": "reject"}
    db.execute("UPDATE audit SET detail = ? WHERE id = ?", [json.dumps(detail), row[0]])
    check = verify_ballot(clerk_app, ballot.ref)
    assert not check.ok
    assert check.lines[0] == f"FAILED: audit row {row[0]} was changed after it was written"


def test_votes_cannot_be_edited_quietly(clerk_app: Clerk, inquorate: str) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    c = people(clerk_app)["carers"]
    for email in c[:3]:
        vote(clerk_app, ballot.ref, email, APPROVE_ALL)
    clerk_app.store.db.execute("UPDATE votes SET choices = ? WHERE id = 1",
                               [json.dumps({"1": "reject", "2": "reject"})])
    check = verify_ballot(clerk_app, ballot.ref)
    assert not check.ok
    assert "FAILED: the tally recomputed from the log differs from the votes recorded" in check.lines
    assert any("the votes recorded differ from the log for: " in line for line in check.lines)


@pytest.mark.parametrize(("body", "words"), [
    ("cypsp-pab", "takes decisions made while inquorate to its next meeting"),
    ("worcs-partnership", "takes decisions made while inquorate to its next meeting"),
])
def test_bodies_without_email_ratification_never_open_a_ballot(clerk_app: Clerk, body: str,
                                                               words: str) -> None:
    ref = add_meeting(clerk_app, AddMeeting(body, parse_local("2027-01-14 10:00",
                                                              clerk_app.tz))).ref
    with pytest.raises(Refused, match=words):
        open_ballot(clerk_app, ref)


def test_no_ballot_without_provisional_decisions(clerk_app: Clerk) -> None:
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                  clerk_app.tz))).ref
    with pytest.raises(Refused, match="no provisional decisions"):
        open_ballot(clerk_app, ref)
    assert get_meeting(clerk_app, ref).status == "scheduled"


def test_audit_log_refuses_edits(clerk_app: Clerk, inquorate: str) -> None:
    with pytest.raises(sqlite3.DatabaseError):
        clerk_app.store.db.execute("DELETE FROM audit")


def test_the_inbox_is_read_to_the_end_before_the_vote_closes(clerk_app: Clerk, inquorate: str,
                                                            clock: FakeClock) -> None:
    import asyncio

    ballot = open_ballot(clerk_app, inquorate)
    carers = people(clerk_app)["carers"]
    for email in carers[:2]:
        vote(clerk_app, ballot.ref, email, APPROVE_ALL)

    async def read_inbox() -> None:  # the third carer's vote arrived at 23:59, read at 00:01
        vote(clerk_app, ballot.ref, carers[2], APPROVE_ALL,
             received_at=datetime(2027, 1, 25, 23, 59, tzinfo=UTC), channel="email")

    clock.set(datetime(2027, 1, 26, 0, 1, tzinfo=UTC))
    keeper = DeadlineKeeper(clerk_app, read_inbox=read_inbox)
    ran = {r.job.kind: r.outcome for r in asyncio.run(keeper.run_due_async())}
    assert ran["ballot-close"] == "closed: 2 of 2 decision(s) ratified; 3 voted"
