"""Replies, registers and decisions through the services: what the facilitator and chair see."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.quorum import forecast
from clerk.attendance.register import AttendanceResult, RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.meetings.schedule import AddMeeting, add_meeting, get_meeting
from clerk.people.membership import list_members
from clerk.store import audit
from clerk.times import parse_local


def carers(app: Clerk) -> list[str]:
    return [m["email"] for m in list_members(app, "carers") if m["carer"]]


def meet(app: Clerk, body: str, when: str) -> str:
    return add_meeting(app, AddMeeting(body, parse_local(when, app.tz), venue="Hall")).ref


def register(app: Clerk, ref: str, present: tuple[str, ...]) -> AttendanceResult:
    """The register, taken once the meeting has begun (the fake clock moves on to its start)."""
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.set(max(clock.now(), get_meeting(app, ref).starts_at))
    return record_attendance(app, RecordAttendance(ref, present))


def test_adding_the_same_meeting_twice_gives_one_meeting(clerk_app: Clerk) -> None:
    a = meet(clerk_app, "carers", "2027-01-14 10:00")
    b = meet(clerk_app, "carers", "2027-01-14 10:00")
    assert a == b == "carers-2027-01-14"


def test_two_absences_without_notice_in_a_row_are_flagged(clerk_app: Clerk) -> None:
    c = carers(clerk_app)
    first = meet(clerk_app, "carers", "2027-01-14 10:00")
    second = meet(clerk_app, "carers", "2027-04-15 10:00")
    present = c[:4]
    r1 = register(clerk_app, first, tuple(present))
    assert c[5] in r1.absent_without_notice
    assert r1.flagged == ()
    # At the second meeting c[4] sent apologies; c[5] said nothing again.
    record_reply(clerk_app, RecordReply(second, c[4], "apologies"))
    r2 = register(clerk_app, second, tuple(present))
    assert c[4] in r2.apologies
    assert c[5] in r2.flagged
    assert c[4] not in r2.flagged


def test_recording_the_register_again_replaces_it(clerk_app: Clerk) -> None:
    c = carers(clerk_app)
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    assert not register(clerk_app, ref, tuple(c[:2])).quorum.ok
    assert register(clerk_app, ref, tuple(c[:3])).quorum.ok


def test_decision_statuses_follow_the_body_rule(clerk_app: Clerk) -> None:
    c = carers(clerk_app)
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    with pytest.raises(Refused, match="record the attendance"):
        add_decision(clerk_app, AddDecision(ref, "Adopt the plan"))
    register(clerk_app, ref, tuple(c[:2]))
    d = add_decision(clerk_app, AddDecision(ref, "Adopt the plan"))
    assert d.status == "provisional"
    assert add_decision(clerk_app, AddDecision(ref, "Adopt  the plan")).id == d.id  # once only
    register(clerk_app, ref, tuple(c[:3]))
    assert add_decision(clerk_app, AddDecision(ref, "Thank the hosts")).status == "agreed"


def test_jcb_transacts_no_business_when_inquorate(clerk_app: Clerk) -> None:
    ref = meet(clerk_app, "cypsp-jcb", "2027-01-14 10:00")
    chair = next(m for m in list_members(clerk_app, "cypsp-jcb") if m["office"] == "chair")
    register(clerk_app, ref, (chair["email"],))
    with pytest.raises(Refused, match="may transact no business while inquorate"):
        add_decision(clerk_app, AddDecision(ref, "Approve the pooled budget"))


def test_pab_inquorate_decision_goes_to_next_meeting(clerk_app: Clerk) -> None:
    ref = meet(clerk_app, "cypsp-pab", "2027-01-14 10:00")
    chair = next(m for m in list_members(clerk_app, "cypsp-pab") if m["office"] == "chair")
    register(clerk_app, ref, (chair["email"],))
    d = add_decision(clerk_app, AddDecision(ref, "Endorse the plan"))
    assert d.status == "carried_forward"
    assert "to the next meeting" in d.reason


def test_forecast_counts_non_responders_as_possible(clerk_app: Clerk) -> None:
    c = carers(clerk_app)
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    for email in c[:6]:
        record_reply(clerk_app, RecordReply(ref, email, "apologies"))
    fc = forecast(clerk_app, get_meeting(clerk_app, ref))
    assert not fc.confirmed.ok
    assert not fc.possible.ok  # only 2 carers left who could come
    assert fc.summary.startswith("cannot be quorate even if everyone who has not replied comes")
    record_reply(clerk_app, RecordReply(ref, c[0], "attend"))
    assert forecast(clerk_app, get_meeting(clerk_app, ref)).possible.ok


def test_same_reply_twice_is_counted_once_and_older_reply_never_wins(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    c = carers(clerk_app)
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    t0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
    first = RecordReply(ref, c[0], "attend", channel="email", received_at=t0,
                        evidence={"message_id": "a@x"}, idempotency_key="email:a@x")
    assert record_reply(clerk_app, first).status == "recorded"
    assert record_reply(clerk_app, first).status == "duplicate"
    later = RecordReply(ref, c[0], "apologies", channel="email", received_at=t0 + timedelta(1),
                        idempotency_key="email:b@x")
    assert record_reply(clerk_app, later).reply == "apologies"
    older = RecordReply(ref, c[0], "attend", channel="email", received_at=t0 - timedelta(1),
                        idempotency_key="email:c@x")
    out = record_reply(clerk_app, older)
    assert out.status == "superseded"
    assert out.reply == "apologies"


def test_a_substitute_stands_for_one_member_only(clerk_app: Clerk) -> None:
    c = carers(clerk_app)
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    record_reply(clerk_app, RecordReply(ref, c[0], "substitute",
                                        substitute_email="jane.smith@example.org"))
    refused = record_reply(clerk_app, RecordReply(ref, c[1], "substitute",
                                                  substitute_email="jane.smith@example.org"))
    assert refused.reply == "apologies", "the member's apologies stand"
    assert refused.refused_substitute is not None
    assert "may stand for one member only" in refused.refused_substitute.reason
    # The first member changes their mind: the substitute is released and may stand for c[1].
    record_reply(clerk_app, RecordReply(ref, c[0], "attend"))
    assert record_reply(clerk_app, RecordReply(
        ref, c[1], "substitute", substitute_email="jane.smith@example.org")).reply == "substitute"


def test_strangers_cannot_reply(clerk_app: Clerk) -> None:
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    with pytest.raises(Refused, match="is not a member of Worcestershire Carers Partnership"):
        record_reply(clerk_app, RecordReply(ref, "stranger@example.net", "attend"))


def test_audit_log_is_append_only_and_chained(clerk_app: Clerk) -> None:
    meet(clerk_app, "carers", "2027-01-14 10:00")
    db = clerk_app.store.db
    assert audit.verify_chain(db).ok
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET actor = 'mallory'")
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
    check = audit.verify_chain(db)
    assert not check.ok
    assert check.reason == "audit row 2 was changed after it was written"
