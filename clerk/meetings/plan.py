"""Planning a body's year of meetings: proposing the dates (:func:`plan_year`, read only: the
rule is :func:`clerk.rules.planning.propose_year`) and accepting them all (:func:`accept_plan`),
each scheduled through :func:`clerk.meetings.schedule.schedule_meeting` with its usual checks.

Unless told otherwise, the plan follows the body's latest meeting (cancelled and extraordinary
ones aside, which also leave a period without its meeting): its
weekday, its week of the month, its time and its place in the period (the middle month of a
quarter stays the middle month); a body with no meeting yet gets the second Thursday of the first
month of each period at 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from clerk.app import Clerk
from clerk.errors import BadInput
from clerk.meetings.schedule import AddMeeting, Meeting, Scheduled, list_meetings, schedule_meeting
from clerk.rules.planning import (
    PlanSlot,
    YearProposal,
    day_words,
    periods,
    propose_year,
    week_of,
)
from clerk.rules.verdict import Verdict

DEFAULT_TIME = time(10, 0)
DEFAULT_WEEKDAY = 3  # Thursday
DEFAULT_WEEK = 2


@dataclass(frozen=True)
class PlanYear:
    """Plan ``body``'s meetings of ``year``; None: as its latest meeting (or the defaults)."""

    body: str
    year: int
    at: time | None = None
    weekday: int | None = None
    week: int | None = None


@dataclass(frozen=True)
class YearPlan:
    """A proposal with the times it would schedule: ``starts`` has one aware start for each
    slot that proposes a day; ``basis`` says what the pattern follows, in words."""

    body: str
    year: int
    at: time
    proposal: YearProposal
    starts: tuple[datetime, ...]
    basis: str

    @property
    def slots(self) -> tuple[PlanSlot, ...]:
        return self.proposal.slots

    @property
    def verdict(self) -> Verdict:
        return self.proposal.verdict


@dataclass(frozen=True)
class AcceptedPlan:
    """What accepting did: the plan, and each meeting as scheduling returned it."""

    plan: YearPlan
    scheduled: tuple[Scheduled, ...] = field(default=())

    @property
    def added(self) -> tuple[Meeting, ...]:
        return tuple(s.meeting for s in self.scheduled if s.added)


def plan_year(app: Clerk, cmd: PlanYear) -> YearPlan:
    """The dates to propose for the body's year (nothing is written)."""
    body = app.body(cmd.body)
    if not 2000 <= cmd.year <= 2200:
        raise BadInput(f"{cmd.year} is not a year to plan: give one such as 2027")
    # an extraordinary meeting is held besides the ordinary ones: it neither fills a period nor
    # sets the pattern
    meetings = [m for m in list_meetings(app, cmd.body)
                if m.status != "cancelled" and m.kind != "extraordinary"]
    latest = meetings[-1].starts_at.astimezone(app.tz) if meetings else None
    weekday, week, at, offset = DEFAULT_WEEKDAY, DEFAULT_WEEK, DEFAULT_TIME, 0
    basis = "clerk's usual pattern, as the body has no meeting yet"
    if latest is not None:
        basis = f"the latest meeting, on {day_words(latest.date())} at {latest:%H:%M}"
        if latest.weekday() < 5:
            weekday = latest.weekday()
        week, at = week_of(latest.date()), latest.time().replace(second=0, microsecond=0)
        for first, last in periods(body.meetings, cmd.year):
            if first <= latest.month <= last:
                offset = latest.month - first
    if cmd.weekday is not None or cmd.week is not None or cmd.at is not None:
        basis = "as asked" if latest is None else basis + ", changed as asked"
    weekday = cmd.weekday if cmd.weekday is not None else weekday
    week = cmd.week if cmd.week is not None else week
    at = cmd.at if cmd.at is not None else at
    today = app.clock.now().astimezone(app.tz).date()
    try:
        proposal = propose_year(body.meetings, cmd.year,
                                existing=[m.starts_at.astimezone(app.tz).date() for m in meetings],
                                today=today, weekday=weekday, week=week, month_in_period=offset)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    starts = tuple(datetime.combine(day, at, tzinfo=app.tz) for day in proposal.days)
    return YearPlan(cmd.body, cmd.year, at, proposal, starts, basis)


def accept_plan(app: Clerk, cmd: PlanYear, *, venue: str = "", online_url: str = "",
                actor: str = "facilitator", channel: str = "cli") -> AcceptedPlan:
    """Schedule every meeting the plan proposes, each through :func:`schedule_meeting` (a start
    in the past refused, a weekend or bank holiday warned of, each audited as ``meeting.add``).
    The plan is worked out again first, so accepting twice adds nothing the second time."""
    plan = plan_year(app, cmd)
    done = tuple(schedule_meeting(app, AddMeeting(body=cmd.body, starts_at=start, venue=venue,
                                                  online_url=online_url, actor=actor,
                                                  channel=channel))
                 for start in plan.starts)
    return AcceptedPlan(plan, done)


def describe_pattern(plan: YearPlan) -> str:
    """``the second Thursday of the month at 10:00``."""
    return f"{plan.proposal.pattern} at {plan.at:%H:%M}"

