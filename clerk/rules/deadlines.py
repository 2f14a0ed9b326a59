"""The deadlines a meeting implies, from its body's rules: when, what, and why (pure); and the
kinds of deadline job (:class:`JobKind`), the codes every part of the scheduler branches on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict
from clerk.rules.workdays import add_working_days, describe, notice_deadline, shift

MORNING = time(9, 0)
EVENING = time(17, 0)


class JobKind(StrEnum):
    """What a deadline job does: the code the planner gives it, the handlers are keyed by and the
    rules branch on. The value is the kind as written (in job keys, ``job_runs.kind``, the audit
    and ``clerk schedule --json``), except a reminder's, written ``reminder-<n>`` for n working
    days before the meeting (:func:`job_name`, :func:`kind_of`)."""

    INVITE = "invite"
    REMINDER = "reminder"
    QUORUM_FORECAST = "quorum-forecast"
    AGENDA_CHASER = "agenda-chaser"
    PAPERS_DUE = "papers-due"
    PAPERS_OVERDUE = "papers-overdue"
    ABSENCES = "absences"
    MINUTES_DUE = "minutes-due"
    FREQUENCY = "frequency"
    BALLOT_REMINDER = "ballot-reminder"
    BALLOT_CLOSE = "ballot-close"
    RATIFY = "ratify"
    BOOKING_CLOSE = "booking-close"
    OBSERVER_REMINDER = "observer-reminder"
    OFFER_LAPSE = "offer-lapse"
    OBSERVER_ERASE = "observer-erase"
    ANNUAL_REPORT = "annual-report"
    ACTION_REMINDER = "action-reminder"
    REPORT_CHASER = "report-chaser"
    EXTRAORDINARY_NO_DATE = "extraordinary-no-date"
    EXTRAORDINARY_LAST_DAY = "extraordinary-last-day"
    REPORT_LATE = "report-late"
    RETENTION = "retention"
    ELECTION_OPEN = "election-open"
    ELECTION_REMINDER = "election-reminder"
    ELECTION_CLOSE = "election-close"
    ELECTION_TAKES_EFFECT = "election-takes-effect"


_REMINDER_PREFIX = f"{JobKind.REMINDER.value}-"

#: Jobs that only make sense before the meeting: missed ones are skipped once it has started.
BEFORE_MEETING = frozenset({
    JobKind.INVITE, JobKind.REMINDER, JobKind.QUORUM_FORECAST, JobKind.AGENDA_CHASER,
    JobKind.PAPERS_DUE, JobKind.PAPERS_OVERDUE, JobKind.BOOKING_CLOSE, JobKind.OBSERVER_REMINDER,
    JobKind.REPORT_CHASER, JobKind.REPORT_LATE,
})


def job_name(kind: JobKind, days_before: int | None = None) -> str:
    """The kind as written: its value, or ``reminder-<n>`` for a reminder ``n`` working days
    before the meeting (a reminder needs ``days_before``; nothing else takes it)."""
    if (kind is JobKind.REMINDER) != (days_before is not None):
        raise ValueError(f"{kind.value}: days_before is for reminders only, and they need it")
    return f"{_REMINDER_PREFIX}{days_before}" if days_before is not None else kind.value


def kind_of(name: str) -> JobKind | None:
    """The kind a job written as ``name`` is of, or None if this version of clerk does not know
    it (a job written by a newer version, say)."""
    if name.startswith(_REMINDER_PREFIX):
        return JobKind.REMINDER if name[len(_REMINDER_PREFIX):].isdigit() else None
    if name == JobKind.REMINDER.value:
        return None  # a reminder is always written with its number of days
    try:
        return JobKind(name)
    except ValueError:
        return None


class Deadline(NamedTuple):
    """One thing due for a meeting. ``at`` is aware (local); ``kind`` is the job that keeps it, as
    written (``reminder-3``), ``code`` the same as a :class:`JobKind`; ``stamp`` is the local
    wall-clock time as text, for keys. (A tuple: planning makes many.)"""

    at: datetime
    kind: str
    what: str
    why: str
    stamp: str
    code: JobKind


class _Days(NamedTuple):
    """The days every rule of one meeting starts from, worked out once."""

    meeting: date
    papers: date
    invite: date


@dataclass(frozen=True)
class _Rule:
    code: JobKind
    what: str
    why: str
    day: Callable[[_Days], date | None]
    clock: time
    #: How many working days before the meeting (reminders only).
    days_before: int | None = None

    @property
    def kind(self) -> str:
        return job_name(self.code, self.days_before)

    @property
    def clock_text(self) -> str:
        return f"{self.clock:%H:%M}"


def papers_due(body: Body, meeting_day: date) -> date:
    """The last day the papers may go out."""
    return notice_deadline(meeting_day, body.papers.notice, body.papers.unit)


def report_chaser_day(body: Body, meeting_day: date) -> date:
    """When a report due at a meeting of ``body`` (the receiving body) is chased if its paper
    has not arrived: the agenda chaser's day, ``agenda_chaser_working_days_before_papers``
    working days before the papers are due."""
    return add_working_days(papers_due(body, meeting_day),
                            -body.deadlines.agenda_chaser_working_days_before_papers)


def report_late_at(body: Body, meeting_day: date, zone: ZoneInfo) -> datetime:
    """When a report due at a meeting of ``body`` whose paper has not arrived is late: the end
    of the last day for the papers (when the facilitator is warned of papers not sent)."""
    return datetime.combine(papers_due(body, meeting_day), EVENING, tzinfo=zone)


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

    rules = [_Rule(JobKind.INVITE, "send the invitations",
                   "invitations go out with the papers" if invite_n is None
                   else f"{describe(invite_n, 'working_days')} before",
                   lambda days: days.invite, MORNING)]
    for n in sorted(set(policy.reminder_working_days_before), reverse=True):
        rules.append(_Rule(JobKind.REMINDER, "remind members who have not replied",
                           f"{describe(n, 'working_days')} before the meeting", before(n), MORNING,
                           days_before=n))
    n_fc = policy.forecast_warning_working_days_before
    rules.append(_Rule(JobKind.QUORUM_FORECAST, "warn the chair if the meeting may not be quorate",
                       f"{describe(n_fc, 'working_days')} before the meeting",
                       lambda days: add_working_days(days.meeting, -n_fc), MORNING))
    if body.papers.chair_approves_agenda:
        n_ag = policy.agenda_chaser_working_days_before_papers
        rules.append(_Rule(JobKind.AGENDA_CHASER, "ask the chair to agree the agenda",
                           f"{describe(n_ag, 'working_days')} before the papers are due",
                           lambda days: add_working_days(days.papers, -n_ag), MORNING))
    rules.append(_Rule(JobKind.PAPERS_DUE, "circulate the papers",
                       f"papers go out {notice} before the meeting",
                       lambda days: days.papers, MORNING))
    rules.append(_Rule(JobKind.PAPERS_OVERDUE, "warn the facilitator if the papers have not gone out",
                       f"end of the last day for {notice}' notice",
                       lambda days: days.papers, EVENING))
    rules.append(_Rule(JobKind.ABSENCES, "record absences without notice",
                       "the working day after the meeting",
                       lambda days: add_working_days(days.meeting, 1), MORNING))
    if body.minutes.due:
        rules.append(_Rule(JobKind.MINUTES_DUE, "chase the minutes if they have not been circulated",
                           f"minutes are due {describe(body.minutes.due, body.minutes.unit)} "
                           "after the meeting", lambda days: minutes_due(body, days.meeting),
                           MORNING))
    return rules


_RULES: dict[int, tuple[Body, list[tuple[_Rule, str, str]]]] = {}


def _cached_rules(body: Body) -> list[tuple[_Rule, str, str]]:
    hit = _RULES.get(id(body))
    if hit is None or hit[0] is not body:
        hit = (body, [(rule, rule.kind, rule.clock_text) for rule in _rules(body)])
        _RULES[id(body)] = hit
    return hit[1]


def meeting_deadlines(body: Body, starts_at: datetime, zone: ZoneInfo) -> list[Deadline]:
    """Every deadline of one meeting, in time order, planned in local time."""
    day = starts_at.astimezone(zone).date()
    papers = papers_due(body, day)
    days = _Days(day, papers, _invite_day(body, day, papers))
    out = []
    for rule, kind, clock_text in _cached_rules(body):
        when = rule.day(days)
        if when is None:
            continue
        out.append(Deadline(datetime.combine(when, rule.clock, tzinfo=zone), kind, rule.what,
                            rule.why, f"{when.isoformat()}T{clock_text}", rule.code))
    out.sort(key=lambda d: d.at)
    return out


# --- what needs the facilitator's attention (the console's dashboard) -----------------------

#: A ratification vote is "closing" this many days before its deadline.
VOTE_CLOSING_DAYS = 2

AttentionCode = Literal["cannot_be_quorate", "short_of_quorum", "papers_due_today",
                        "papers_late", "minutes_overdue", "vote_closing"]
"""The conditions the dashboard lists, each a code its template picks words by."""


def short_of_quorum(confirmed_ok: bool, possible_ok: bool, warn_at: datetime,
                    starts_at: datetime, now: datetime) -> Verdict:
    """Whether a coming meeting's quorum needs attention: it cannot be quorate even if everyone
    who has not replied comes (``cannot_be_quorate``, at any time), or, from the moment the chair
    is warned (``warn_at``, the quorum-forecast deadline), the replies so far do not make a
    quorum (``short_of_quorum``). Once the meeting has begun, the register decides, not this."""
    if now >= starts_at:
        return Verdict(False, "the meeting has begun", code="meeting_begun")
    if not possible_ok:
        return Verdict(True, "cannot be quorate even if everyone who has not replied comes",
                       code="cannot_be_quorate")
    if not confirmed_ok and now >= warn_at:
        return Verdict(True, "not quorate on the replies so far", code="short_of_quorum")
    return Verdict(False, "quorate so far" if confirmed_ok else "too early to warn",
                   code="quorate" if confirmed_ok else "not_yet")


def papers_late(sent: bool, due_at: datetime, overdue_at: datetime, starts_at: datetime,
                now: datetime) -> Verdict:
    """Whether a meeting's papers need attention: not gone out on their last day
    (``papers_due_today``, from ``due_at``, the papers-due deadline) or after it
    (``papers_late``, from ``overdue_at``, when the facilitator is warned); never once they
    have gone out or the meeting has begun."""
    if sent:
        return Verdict(False, "the papers have gone out", code="sent")
    if now >= starts_at:
        return Verdict(False, "the meeting has begun", code="meeting_begun")
    if now >= overdue_at:
        return Verdict(True, "the papers have not gone out and their deadline has passed",
                       code="papers_late")
    if now >= due_at:
        return Verdict(True, "the papers have not gone out and today is their last day",
                       code="papers_due_today")
    return Verdict(False, "the papers are not due yet", code="not_yet")


def minutes_overdue(circulated: bool, due_at: datetime | None, now: datetime) -> Verdict:
    """Whether a meeting's minutes are overdue: its body sets a deadline (``due_at``, the
    minutes-due deadline), it has passed, and no minutes have been circulated."""
    if circulated:
        return Verdict(False, "the minutes have been circulated", code="circulated")
    if due_at is None:
        return Verdict(False, "the body sets no deadline for its minutes", code="no_deadline")
    if now >= due_at:
        return Verdict(True, "the minutes have not been circulated and are overdue",
                       code="minutes_overdue")
    return Verdict(False, "the minutes are not due yet", code="not_yet")


def vote_closing(closes_at: datetime, now: datetime) -> Verdict:
    """Whether an open ratification vote closes within :data:`VOTE_CLOSING_DAYS` days (or
    should have closed already)."""
    if closes_at - now <= timedelta(days=VOTE_CLOSING_DAYS):
        return Verdict(True, f"the vote closes within {VOTE_CLOSING_DAYS} days",
                       code="vote_closing")
    return Verdict(False, "the vote is open for a while yet", code="open")


#: What each deadline waits on: once it is reached, the deadline no longer stands.
_MET_BY: dict[JobKind, str] = {
    JobKind.INVITE: "invited",
    JobKind.AGENDA_CHASER: "papers_sent",
    JobKind.PAPERS_DUE: "papers_sent",
    JobKind.PAPERS_OVERDUE: "papers_sent",
    JobKind.MINUTES_DUE: "minutes_circulated",
}


def still_stands(code: JobKind, reached: frozenset[str]) -> bool:
    """Whether a meeting's deadline still stands, given the milestones it has ``reached``
    (``invited``, ``papers_sent``, ``minutes_circulated``): inviting is done once invited, the
    agenda and papers deadlines once the papers are out, the minutes' once they are circulated."""
    met_by = _MET_BY.get(code)
    return met_by is None or met_by not in reached
