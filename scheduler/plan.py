"""Planning: every pending deadline, derived from the meetings (and later ballots and bookings) in
the store. Nothing here is kept: the plan is recomputed whenever the state changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from clerk.agenda.referred import receiving_bodies, reports_due_by_meeting
from clerk.app import Clerk
from clerk.observers.jobs import meetings_to_erase
from clerk.rules.actions import reminder_day
from clerk.rules.attendance import (
    annual_report_day,
    annual_report_period,
    next_annual_report_year,
)
from clerk.rules.deadlines import (
    MORNING,
    JobKind,
    meeting_deadlines,
    report_chaser_day,
    report_late_at,
)
from clerk.rules.extraordinary import lapse_at as extraordinary_lapse_at
from clerk.rules.extraordinary import warn_at as extraordinary_warn_at
from clerk.rules.frequency import check_frequency
from clerk.rules.observers import booking_closes, erase_after, reminder_at, takes_observers
from clerk.rules.retention import RETENTION_TIME
from clerk.rules.workdays import add_working_days
from clerk.times import from_iso, to_iso

#: How long after a meeting its deadlines are still planned (minutes, absences).
AFTER_MEETING = timedelta(days=60)


class PlannedJob(NamedTuple):
    """One deadline: ``key`` is unique for this deadline at this time (a moved meeting gets new
    keys, so its reminders move with it); ``kind`` is the job as written, first in the key
    (``reminder-3``), ``code`` the same as a :class:`~clerk.rules.deadlines.JobKind`, which the
    handlers and rules go by. A tuple, since planning makes tens of thousands."""

    at: datetime
    key: str
    kind: str
    subject_ref: str
    what: str
    why: str
    code: JobKind


def _job(at: datetime, code: JobKind, key_rest: str, subject_ref: str, what: str,
         why: str) -> PlannedJob:
    """A job of a kind written as its value (every kind but a meeting's reminders)."""
    return PlannedJob(at, f"{code.value}:{key_rest}", code.value, subject_ref, what, why, code)


def _meeting_jobs(app: Clerk, rows: Iterable[dict[str, Any]]) -> list[PlannedJob]:
    jobs = []
    for row in rows:
        body = app.config.bodies.get(row["body"])
        if body is None:
            continue
        for d in meeting_deadlines(body, from_iso(row["starts_at"]), app.tz):
            # the local wall-clock time names the deadline (09:00 and 17:00 are never ambiguous)
            jobs.append(PlannedJob(d.at, f"{d.kind}:{row['ref']}:{d.stamp}", d.kind,
                                   row["ref"], d.what, d.why, d.code))
    return jobs


def _frequency_jobs(app: Clerk, now: datetime) -> list[PlannedJob]:
    """At the start of each year (and from October, for the year ahead), and again whenever a
    body's meetings change, check the year's schedule against the body's minimum. A body with no
    meetings at all in clerk yet is left alone: nobody is scheduling it here."""
    jobs = []
    local = now.astimezone(app.tz)
    years = [local.year] + ([local.year + 1] if local.month >= 10 else [])
    for slug, body in app.config.bodies.items():
        if not body.meetings.min_per_year and not body.meetings.every:
            continue
        rows = app.store.all("SELECT starts_at FROM meetings WHERE body = ? AND status != "
                             "'cancelled'", [slug])
        if not rows:
            continue
        days = [from_iso(r["starts_at"]).astimezone(app.tz).date() for r in rows]
        for year in years:
            verdict = check_frequency(body.meetings, days, year)
            if verdict.ok:
                continue
            at = (datetime(year, 1, 1, 9, 0, tzinfo=app.tz) if year == local.year
                  else datetime(local.year, 10, 1, 9, 0, tzinfo=app.tz))
            fingerprint = ",".join(sorted(d.isoformat() for d in days if d.year == year)) or "none"
            jobs.append(_job(at, JobKind.FREQUENCY, f"{slug}:{year}:{fingerprint}", slug,
                             f"warn that {body.label}'s {year} schedule is short", verdict.reason))
    return jobs


def _annual_report_jobs(app: Clerk, now: datetime) -> list[PlannedJob]:
    """The annual attendance report of each body that sets ``attendance.annual_report_month``:
    on the first working day of that month, 09:00, for the twelve months before; once a year
    (its key names the year). Reads only the configuration."""
    jobs = []
    today = now.astimezone(app.tz).date()
    for slug, body in app.config.bodies.items():
        month = body.attendance.annual_report_month
        if month is None:
            continue
        year = next_annual_report_year(month, today)
        at = datetime.combine(annual_report_day(month, year), MORNING, tzinfo=app.tz)
        start, end = annual_report_period(month, year)
        jobs.append(_job(at, JobKind.ANNUAL_REPORT, f"{slug}:{year}", slug,
                         f"email the Chair and facilitator {body.label}'s attendance report "
                         f"({start:%B %Y} to {end:%B %Y})",
                         "the annual report's month (attendance.annual_report_month)"))
    return jobs


def _action_jobs(app: Clerk) -> list[PlannedJob]:
    """Each open action with a date and an owner clerk can write to: a reminder
    ``actions.remind_working_days_before`` working days before it is due, at 09:00 (a new due
    date, a new reminder). None when that day had passed when the action was last changed: the
    owner was just told."""
    jobs = []
    for row in app.store.all("SELECT id, body, due_on, updated_at FROM actions WHERE status = "
                             "'open' AND due_on != '' AND owner_id IS NOT NULL"):
        body = app.config.bodies.get(row["body"])
        if body is None:
            continue
        due = date.fromisoformat(row["due_on"])
        n = body.actions.remind_working_days_before
        at = datetime.combine(reminder_day(due, n), MORNING, tzinfo=app.tz)
        if at <= from_iso(row["updated_at"]):
            continue
        jobs.append(_job(at, JobKind.ACTION_REMINDER, f"action-{row['id']}:{row['due_on']}",
                         f"action-{row['id']}", "remind the owner that their action is due",
                         f"{n} working day(s) before it is due (actions.remind_working_days_"
                         "before)"))
    return jobs


def _report_jobs(app: Clerk, rows: Iterable[dict[str, Any]]) -> list[PlannedJob]:
    """A meeting at which reports are due (``[[bodies.X.reports]]`` from other bodies,
    ``[[bodies.Y.reports_in]]`` from groups): on the agenda chaser's day, whoever writes a
    report whose paper has not arrived is reminded; at the end of the papers deadline, they and
    the receiving body's facilitator are told it is late."""
    due_at = {slug: reports_due_by_meeting(app, slug) for slug in receiving_bodies(app)}
    jobs = []
    for row in rows:
        body = app.config.bodies.get(row["body"])
        due = due_at.get(row["body"], {}).get(row["ref"])
        if body is None or not due:
            continue
        meeting_day = from_iso(row["starts_at"]).astimezone(app.tz).date()
        names = ", ".join(r.from_label for r in due)
        at = datetime.combine(report_chaser_day(body, meeting_day), MORNING, tzinfo=app.tz)
        jobs.append(_job(at, JobKind.REPORT_CHASER, f"{row['ref']}:{_stamp(app, at)}",
                         row["ref"], "chase the reports due if their papers have not arrived: "
                         + names,
                         f"the agenda chaser's day, "
                         f"{body.deadlines.agenda_chaser_working_days_before_papers} working "
                         "day(s) before the papers are due"))
        late = report_late_at(body, meeting_day, app.tz)
        jobs.append(_job(late, JobKind.REPORT_LATE, f"{row['ref']}:{_stamp(app, late)}",
                         row["ref"], "say the reports whose papers have not arrived are late: "
                         + names, "the end of the last day for the papers"))
    return jobs


def _ballot_jobs(app: Clerk) -> list[PlannedJob]:
    """An open ballot closes at its deadline, with a reminder to non-voters two working days
    before its last day."""
    jobs = []
    for row in app.store.all("SELECT b.ref, b.closes_at, m.body FROM ballots b JOIN meetings m "
                             "ON m.id = b.meeting_id WHERE b.status = 'open'"):
        closes = from_iso(row["closes_at"]).astimezone(app.tz)
        last_day = (closes - timedelta(minutes=1)).date()
        reminder = datetime.combine(add_working_days(last_day, -2), MORNING, tzinfo=app.tz)
        stamp = closes.strftime("%Y-%m-%dT%H:%M")
        jobs.append(_job(reminder, JobKind.BALLOT_REMINDER, f"{row['ref']}:{stamp}", row["ref"],
                         "remind voters who have not voted",
                         "two working days before the vote closes"))
        jobs.append(_job(closes, JobKind.BALLOT_CLOSE, f"{row['ref']}:{stamp}", row["ref"],
                         "close the vote, count it and announce the result",
                         "the deadline for votes"))
    return jobs


def _ratify_jobs(app: Clerk, rows: Iterable[dict[str, Any]]) -> list[PlannedJob]:
    """Bodies that ratify automatically open the ballot the working day after the meeting."""
    jobs = []
    for row in rows:
        body = app.config.bodies.get(row["body"])
        if body is None or not body.decisions.ratify_automatically or \
                body.decisions.when_inquorate != "email_ratification":
            continue
        day = add_working_days(from_iso(row["starts_at"]).astimezone(app.tz).date(), 1)
        at = datetime.combine(day, MORNING, tzinfo=app.tz)
        jobs.append(_job(at, JobKind.RATIFY, f"{row['ref']}:{day.isoformat()}", row["ref"],
                         "open the email vote on decisions taken while inquorate",
                         f"{body.label} ratifies by email vote, automatically"))
    return jobs


def _stamp(app: Clerk, at: datetime) -> str:
    return at.astimezone(app.tz).strftime("%Y-%m-%dT%H:%M")


def _observer_jobs(app: Clerk, rows: Iterable[dict[str, Any]]) -> list[PlannedJob]:
    """Public meetings: bookings close (the facilitator gets the list) and the day-before reminder;
    each offered place lapses at its time; observers' details are erased after the meeting."""
    jobs = []
    for row in rows:
        body = app.config.bodies.get(row["body"])
        if body is None or not takes_observers(body).ok:
            continue
        starts = from_iso(row["starts_at"])
        closes = booking_closes(body, starts)
        jobs.append(_job(closes, JobKind.BOOKING_CLOSE, f"{row['ref']}:{_stamp(app, closes)}",
                         row["ref"], "close observer bookings and send the facilitator the list",
                         f"{body.observers.booking_closes_hours} hours before the meeting"))
        remind = reminder_at(body, starts, app.tz)
        jobs.append(_job(remind, JobKind.OBSERVER_REMINDER, f"{row['ref']}:{_stamp(app, remind)}",
                         row["ref"], "remind observers with a place, with the venue or link",
                         "the day before the meeting"))
    for row in app.store.all("SELECT b.id, b.offer_expires_at, m.ref FROM bookings b JOIN meetings m "
                             "ON m.id = b.meeting_id WHERE b.status = 'offered'"):
        at = from_iso(row["offer_expires_at"])
        jobs.append(_job(at, JobKind.OFFER_LAPSE, f"{row['ref']}:{row['id']}:{_stamp(app, at)}",
                         row["ref"], "pass an untaken place on to the next on the waiting list",
                         "the offer's hold time is over"))
    for row in meetings_to_erase(app):
        body = app.config.bodies.get(row["body"])
        if body is None:
            continue
        at = erase_after(body, from_iso(row["starts_at"]))
        jobs.append(_job(at, JobKind.OBSERVER_ERASE, f"{row['ref']}:{_stamp(app, at)}",
                         row["ref"], "erase observers' names, addresses and chat ids",
                         f"kept {body.observers.keep_personal_data_days} days after the meeting"))
    return jobs


def _extraordinary_jobs(app: Clerk) -> list[PlannedJob]:
    """A called request for an extraordinary meeting with no meeting set: the facilitator and
    the Chair are warned a few days before its last day, and told on the day."""
    jobs = []
    for row in app.store.all("SELECT ref, body, complete_at, hold_by FROM extraordinary_requests "
                             "WHERE status = 'called' AND hold_by != ''"):
        last = date.fromisoformat(row["hold_by"])
        complete_on = from_iso(row["complete_at"]).astimezone(app.tz).date()
        warn = extraordinary_warn_at(last, app.tz, complete_on)
        jobs.append(_job(warn, JobKind.EXTRAORDINARY_NO_DATE, f"{row['ref']}:{_stamp(app, warn)}",
                         row["ref"], "warn that no date is set for the extraordinary meeting",
                         f"it must be held by {last.isoformat()}"))
        lapse = extraordinary_lapse_at(last, app.tz)
        jobs.append(_job(lapse, JobKind.EXTRAORDINARY_LAST_DAY,
                         f"{row['ref']}:{_stamp(app, lapse)}", row["ref"],
                         "tell the facilitator and the Chair that today is the last day",
                         "the terms' time for the extraordinary meeting runs out today"))
    return jobs


def _retention_jobs(app: Clerk, now: datetime) -> list[PlannedJob]:
    """Retention runs once a day at :data:`~clerk.rules.retention.RETENTION_TIME`: today's run
    (due now if its hour has passed, so a day clerk was down is caught up once) and
    tomorrow's; its key names the day."""
    today = now.astimezone(app.tz).date()
    settings = app.config.retention
    jobs = []
    for day in (today, today + timedelta(days=1)):
        at = datetime.combine(day, RETENTION_TIME, tzinfo=app.tz)
        jobs.append(_job(at, JobKind.RETENTION, day.isoformat(), "retention",
                         "delete raw mail and former members' details past their time",
                         f"raw mail after {settings.raw_mail_days} days, former members after "
                         f"{settings.former_members_years} years ([retention])"))
    return jobs


def _election_jobs(app: Clerk) -> list[PlannedJob]:
    """An election opens voting when nominations close, reminds two working days before voting
    closes, closes at its deadline, and gives the winners office on the day it takes effect."""
    jobs = []
    for row in app.store.all("SELECT ref, status, nominations_close, voting_close, takes_effect, "
                             "offices_applied FROM elections WHERE status != 'closed' OR "
                             "(offices_applied = 0 AND takes_effect != '')"):
        ref = row["ref"]
        if row["status"] == "nominating":
            at = from_iso(row["nominations_close"]).astimezone(app.tz)
            jobs.append(_job(at, JobKind.ELECTION_OPEN, f"{ref}:{_stamp(app, at)}", ref,
                             "close nominations and open voting (or declare the result)",
                             "the end of the nomination window"))
        if row["status"] != "closed":
            closes = from_iso(row["voting_close"]).astimezone(app.tz)
            last_day = (closes - timedelta(minutes=1)).date()
            remind = datetime.combine(add_working_days(last_day, -2), MORNING, tzinfo=app.tz)
            jobs.append(_job(remind, JobKind.ELECTION_REMINDER, f"{ref}:{_stamp(app, remind)}",
                             ref, "remind voters who have not voted",
                             "two working days before voting closes"))
            jobs.append(_job(closes, JobKind.ELECTION_CLOSE, f"{ref}:{_stamp(app, closes)}", ref,
                             "close voting, count and announce the result",
                             "the deadline for ballots"))
        elif row["takes_effect"]:
            at = datetime.combine(date.fromisoformat(row["takes_effect"]), time(0, 0),
                                  tzinfo=app.tz)
            jobs.append(_job(at, JobKind.ELECTION_TAKES_EFFECT, f"{ref}:{row['takes_effect']}",
                             ref, "give the elected their office",
                             "the day the result takes effect"))
    return jobs


def plan(app: Clerk, now: datetime | None = None) -> list[PlannedJob]:
    """Every deadline not yet run, earliest first (past ones included: they are due now)."""
    now = now or app.clock.now()
    horizon = to_iso(now - AFTER_MEETING)
    rows = app.store.all("SELECT ref, body, starts_at FROM meetings WHERE status = 'scheduled' "
                         "AND starts_at >= ?", [horizon])
    jobs = (_meeting_jobs(app, rows) + _frequency_jobs(app, now) + _ballot_jobs(app)
            + _ratify_jobs(app, rows) + _observer_jobs(app, rows) + _report_jobs(app, rows)
            + _annual_report_jobs(app, now) + _action_jobs(app) + _extraordinary_jobs(app)
            + _retention_jobs(app, now) + _election_jobs(app))
    done = {r["key"] for r in app.store.all("SELECT key FROM job_runs")}
    pending = [j for j in jobs if j.key not in done]
    pending.sort(key=lambda j: j.at)
    return pending


def next_due(app: Clerk, limit: int = 50) -> list[PlannedJob]:
    """What is due next, for ``clerk schedule``."""
    return plan(app)[:limit]


def state_version(app: Clerk) -> int:
    """A number that changes whenever anything is written (the audit log grows with every change)."""
    row = app.store.one("SELECT COALESCE(MAX(id), 0) AS v FROM audit")
    return int(row["v"]) if row else 0
