"""The deadlines a meeting implies, from its body's rules: when, what, and why (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from clerk.rules.terms import Body
from clerk.rules.workdays import add_working_days, describe, notice_deadline, shift

MORNING = time(9, 0)
EVENING = time(17, 0)


class Deadline(NamedTuple):
    """One thing due for a meeting. ``at`` is aware (local); ``kind`` names the job that keeps it;
    ``stamp`` is the local wall-clock time as text, for keys. (A tuple: planning makes many.)"""

    at: datetime
    kind: str
    what: str
    why: str
    stamp: str


class _Days(NamedTuple):
    """The days every rule of one meeting starts from, worked out once."""

    meeting: date
    papers: date
    invite: date


@dataclass(frozen=True)
class _Rule:
    kind: str
    what: str
    why: str
    day: Callable[[_Days], date | None]
    clock: time

    @property
    def clock_text(self) -> str:
        return f"{self.clock:%H:%M}"


def papers_due(body: Body, meeting_day: date) -> date:
    """The last day the papers may go out."""
    return notice_deadline(meeting_day, body.papers.notice, body.papers.unit)


def minutes_due(body: Body, meeting_day: date) -> date | None:
    if not body.minutes.due:
        return None
    return shift(meeting_day, body.minutes.due, body.minutes.unit)


def _invite_day(body: Body, meeting_day: date, papers: date) -> date:
    n = body.deadlines.invite_working_days_before
    return add_working_days(meeting_day, -n) if n is not None else papers


def _rules(body: Body) -> list[_Rule]:
    """The deadlines of any meeting of this body, as rules from the meeting's days."""
    policy = body.deadlines
    notice = describe(body.papers.notice, body.papers.unit)
    invite_n = policy.invite_working_days_before

    def before(n: int) -> Callable[[_Days], date | None]:
        def reminder(days: _Days) -> date | None:
            at = add_working_days(days.meeting, -n)
            return at if at > days.invite else None  # never before the invitation

        return reminder

    rules = [_Rule("invite", "send the invitations",
                   "invitations go out with the papers" if invite_n is None
                   else f"{describe(invite_n, 'working_days')} before",
                   lambda days: days.invite, MORNING)]
    for n in sorted(set(policy.reminder_working_days_before), reverse=True):
        rules.append(_Rule(f"reminder-{n}", "remind members who have not replied",
                           f"{describe(n, 'working_days')} before the meeting", before(n), MORNING))
    n_fc = policy.forecast_warning_working_days_before
    rules.append(_Rule("quorum-forecast", "warn the chair if the meeting may not be quorate",
                       f"{describe(n_fc, 'working_days')} before the meeting",
                       lambda days: add_working_days(days.meeting, -n_fc), MORNING))
    if body.papers.chair_approves_agenda:
        n_ag = policy.agenda_chaser_working_days_before_papers
        rules.append(_Rule("agenda-chaser", "ask the chair to agree the agenda",
                           f"{describe(n_ag, 'working_days')} before the papers are due",
                           lambda days: add_working_days(days.papers, -n_ag), MORNING))
    rules.append(_Rule("papers-due", "circulate the papers",
                       f"papers go out {notice} before the meeting",
                       lambda days: days.papers, MORNING))
    rules.append(_Rule("papers-overdue", "warn the facilitator if the papers have not gone out",
                       f"end of the last day for {notice}' notice",
                       lambda days: days.papers, EVENING))
    rules.append(_Rule("absences", "record absences without notice",
                       "the working day after the meeting",
                       lambda days: add_working_days(days.meeting, 1), MORNING))
    if body.minutes.due:
        rules.append(_Rule("minutes-due", "chase the minutes if they have not been circulated",
                           f"minutes are due {describe(body.minutes.due, body.minutes.unit)} "
                           "after the meeting", lambda days: minutes_due(body, days.meeting),
                           MORNING))
    return rules


_RULES: dict[int, tuple[Body, list[tuple[_Rule, str]]]] = {}


def _cached_rules(body: Body) -> list[tuple[_Rule, str]]:
    hit = _RULES.get(id(body))
    if hit is None or hit[0] is not body:
        hit = (body, [(rule, rule.clock_text) for rule in _rules(body)])
        _RULES[id(body)] = hit
    return hit[1]


def meeting_deadlines(body: Body, starts_at: datetime, zone: ZoneInfo) -> list[Deadline]:
    """Every deadline of one meeting, in time order, planned in local time."""
    day = starts_at.astimezone(zone).date()
    papers = papers_due(body, day)
    days = _Days(day, papers, _invite_day(body, day, papers))
    out = []
    for rule, clock_text in _cached_rules(body):
        when = rule.day(days)
        if when is None:
            continue
        out.append(Deadline(datetime.combine(when, rule.clock, tzinfo=zone), rule.kind, rule.what,
                            rule.why, f"{when.isoformat()}T{clock_text}"))
    out.sort(key=lambda d: d.at)
    return out


def booking_closes(body: Body, starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=body.observers.booking_closes_hours)
