"""The deadlines a meeting implies, from its body's rules: when, what, and why (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clerk.config import Body
from clerk.rules.workdays import add_working_days, describe, notice_deadline, shift

MORNING = time(9, 0)
EVENING = time(17, 0)


@dataclass(frozen=True, order=True)
class Deadline:
    """One thing due for a meeting. ``at`` is aware; ``kind`` names the job that keeps it."""

    at: datetime
    kind: str
    what: str
    why: str


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def papers_due(body: Body, meeting_day: date) -> date:
    """The last day the papers may go out."""
    return notice_deadline(meeting_day, body.papers.notice, body.papers.unit)


def meeting_deadlines(body: Body, starts_at: datetime, zone: ZoneInfo) -> list[Deadline]:
    """Every deadline of one meeting, in time order, planned in local time."""
    day = starts_at.astimezone(zone).date()
    policy = body.deadlines
    papers_day = papers_due(body, day)
    notice = describe(body.papers.notice, body.papers.unit)
    out = []
    invite_day = (add_working_days(day, -policy.invite_working_days_before)
                  if policy.invite_working_days_before is not None else papers_day)
    out.append(Deadline(_at(invite_day, MORNING, zone), "invite", "send the invitations",
                        "invitations go out with the papers" if policy.invite_working_days_before
                        is None else f"{policy.invite_working_days_before} working days before"))
    for n in sorted(set(policy.reminder_working_days_before), reverse=True):
        if add_working_days(day, -n) <= invite_day:
            continue  # a reminder before the invitation has gone out would make no sense
        out.append(Deadline(_at(add_working_days(day, -n), MORNING, zone), f"reminder-{n}",
                            "remind members who have not replied",
                            f"{describe(n, 'working_days')} before the meeting"))
    n = policy.forecast_warning_working_days_before
    out.append(Deadline(_at(add_working_days(day, -n), MORNING, zone), "quorum-forecast",
                        "warn the chair if the meeting may not be quorate",
                        f"{describe(n, 'working_days')} before the meeting"))
    if body.papers.chair_approves_agenda:
        chase = add_working_days(papers_day, -policy.agenda_chaser_working_days_before_papers)
        out.append(Deadline(_at(chase, MORNING, zone), "agenda-chaser",
                            "ask the chair to agree the agenda",
                            f"{describe(policy.agenda_chaser_working_days_before_papers, 'working_days')}"
                            " before the papers are due"))
    out.append(Deadline(_at(papers_day, MORNING, zone), "papers-due", "circulate the papers",
                        f"papers go out {notice} before the meeting"))
    out.append(Deadline(_at(papers_day, EVENING, zone), "papers-overdue",
                        "warn the facilitator if the papers have not gone out",
                        f"end of the last day for {notice}' notice"))
    out.append(Deadline(_at(add_working_days(day, 1), MORNING, zone), "absences",
                        "record absences without notice",
                        "the working day after the meeting"))
    if body.minutes.due:
        minutes_day = shift(day, body.minutes.due, body.minutes.unit)
        out.append(Deadline(_at(minutes_day, MORNING, zone), "minutes-due",
                            "chase the minutes if they have not been circulated",
                            f"minutes are due {describe(body.minutes.due, body.minutes.unit)} "
                            "after the meeting"))
    return sorted(out)


def minutes_due(body: Body, meeting_day: date) -> date | None:
    if not body.minutes.due:
        return None
    return shift(meeting_day, body.minutes.due, body.minutes.unit)


def booking_closes(body: Body, starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=body.observers.booking_closes_hours)
