"""The bot benchmark measures the same thing on every day of the year: it puts its meetings on days
whose deadlines are all still ahead (so ``clerk run`` sends no card as it starts), and it stops with
the reason when its set-up is not what it expects (the bug: on 28 November a meeting 30 days ahead
has its invitation deadline already past)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bench.bench_bot import BODY, SetupError, busiest_second, meeting_day, nothing_due
from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from scheduler.plan import plan

TODAYS = ["2026-11-28", "2026-12-20", "2027-03-20", "2027-04-30", "2027-07-30", "2027-08-20",
          "2027-01-02", "2027-06-15"]


@pytest.mark.parametrize("today", TODAYS)
def test_the_bench_meeting_has_no_deadline_due_whatever_the_day(
    clerk_app: Clerk, clock: FakeClock, today: str
) -> None:
    clock.set(datetime.fromisoformat(today).replace(hour=6, tzinfo=UTC))
    earliest = clock.now().date() + timedelta(days=30)
    starts = meeting_day(clerk_app, earliest)
    assert starts.date() >= earliest
    meeting = add_meeting(clerk_app, AddMeeting(BODY, starts, venue="County Hall"))
    nothing_due(clerk_app, meeting.ref)  # the planner agrees: nothing for it is due now
    due = [j for j in plan(clerk_app) if j.subject_ref == meeting.ref and j.at <= clock.now()]
    assert due == []


def test_a_meeting_30_days_ahead_on_28_november_stops_the_bench_with_the_reason(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 28, 6, 0, tzinfo=UTC))
    when = date(2026, 11, 28) + timedelta(days=31)  # Tuesday 29 December 2026
    meeting = add_meeting(clerk_app, AddMeeting(BODY, parse_local(f"{when} 10:00", clerk_app.tz),
                                                venue="County Hall"))
    with pytest.raises(SetupError) as stopped:
        nothing_due(clerk_app, meeting.ref)
    assert "invite at" in str(stopped.value.code)
    assert "would send its cards at once" in str(stopped.value.code)


def test_the_busiest_second_counts_calls_within_any_one_second() -> None:
    assert busiest_second([]) == 0
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert busiest_second([i * 0.25 for i in range(20)]) == 4
