"""What each deadline does when it falls due: one function per kind (:data:`HANDLERS`, keyed by
:class:`~clerk.rules.deadlines.JobKind`), run inside the transaction that records the run, so a
crash mid-job leaves nothing half done and a re-run does nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.actions.log import remind_owner
from clerk.agenda.circulation import circulate_in
from clerk.agenda.items import ensure_draft_sent
from clerk.agenda.reports import chase_reports, report_late_notice
from clerk.app import Clerk
from clerk.attendance.extraordinary import chase_request
from clerk.attendance.invitations import invite
from clerk.attendance.quorum import forecast
from clerk.attendance.register import attendance_verdict, flagged_members
from clerk.attendance.reminders import queue_reminders
from clerk.attendance.report import as_csv, attendance_report
from clerk.ballots.ratification import close_ballot, open_ballot, remind_voters
from clerk.deadlines.retention import run_retention
from clerk.elections.service import (
    close_election,
    forget_history,
    open_voting,
    remind,
    take_office,
)
from clerk.errors import Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.observers.jobs import close_bookings, erase_personal_data, remind_observers
from clerk.observers.waiting import lapse_offers
from clerk.outbox.mail import Attachment, Outgoing, queue
from clerk.people.officers import officer_addresses
from clerk.rules.attendance import annual_report_period
from clerk.rules.deadlines import BEFORE_MEETING, JobKind, kind_of, papers_due
from clerk.rules.frequency import check_frequency
from clerk.rules.terms import Body
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert
from clerk.times import day_in_words, from_iso, in_words, to_iso

log = logging.getLogger("clerk.scheduler")


@dataclass(frozen=True)
class DueJob:
    """A deadline due now. ``kind`` is as written in its key (``reminder-3``); :attr:`code` is
    that kind as a :class:`JobKind`, or None when this version of clerk does not know it."""

    key: str
    kind: str
    subject_ref: str
    at: datetime

    @property
    def code(self) -> JobKind | None:
        return kind_of(self.kind)


Handler = Callable[[Clerk, Database, DueJob], str]
#: The meeting columns that record a milestone a deadline checks.
Milestone = Literal["agenda_approved_at", "papers_sent_at", "minutes_circulated_at"]


def facilitator_address(body: Body) -> list[tuple[str, str]]:
    """The facilitator, as a recipient list (empty when the body names none)."""
    return [(body.facilitator, "Facilitator")] if body.facilitator else []


def _tell(app: Clerk, db: Database, to: list[tuple[str, str]], template: str, key: str,
          **context: Any) -> int:
    now = app.clock.now()
    sent = 0
    for email, name in to:
        r = render_email(template, recipient_name=name, **context)
        if queue(db, app.config.mail, Outgoing(kind=template, to_addr=email, to_name=name,
                                               subject=r.subject, text=r.text, html=r.html,
                                               dedupe_key=f"{key}:{email}"), now):
            sent += 1
    return sent


def _context(app: Clerk, meeting: Meeting) -> dict[str, Any]:
    body = app.body(meeting.body)
    return {"meeting": meeting, "body": body, "when": in_words(meeting.starts_at, app.tz),
            "where": meeting.where}


def _reached(db: Database, meeting: Meeting, milestone: Milestone) -> bool:
    """Whether the meeting's ``milestone`` is set (read in the job's transaction)."""
    row = fetch_one(db, f"SELECT {milestone} AS at FROM meetings WHERE id = ?", [meeting.id])
    return bool(row and row["at"])


def run_invite(app: Clerk, db: Database, job: DueJob) -> str:
    result = invite(app, job.subject_ref)
    return f"invitations: {result.message}"


def run_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    """Remind every member who has not replied (and every named substitute who has not)."""
    done = queue_reminders(app, db, get_meeting(app, job.subject_ref), job.key, app.clock.now())
    return f"reminded {len(done.queued)} who had not replied"


def run_quorum_forecast(app: Clerk, db: Database, job: DueJob) -> str:
    meeting = get_meeting(app, job.subject_ref)
    fc = forecast(app, meeting)
    if fc.confirmed.ok:
        return f"no warning: {fc.summary}"
    body = app.body(meeting.body)
    _tell(app, db, officer_addresses(db, meeting.body, body), "quorum_warning", job.key,
          forecast=fc, rule=body.quorum.describe(), **_context(app, meeting))
    return f"warned the chair and facilitator: {fc.summary}"


def run_agenda_chaser(app: Clerk, db: Database, job: DueJob) -> str:
    meeting = get_meeting(app, job.subject_ref)
    if _reached(db, meeting, "agenda_approved_at"):
        return "the agenda is already approved"
    body = app.body(meeting.body)
    due = papers_due(body, meeting.starts_at.astimezone(app.tz).date())
    sent = ensure_draft_sent(app, db, meeting)
    _tell(app, db, officer_addresses(db, meeting.body, body), "agenda_chaser", job.key,
          papers_due=day_in_words(datetime(due.year, due.month, due.day, 12, tzinfo=app.tz),
                                  app.tz), **_context(app, meeting))
    return "asked the chair to agree the agenda" + (f"; {sent}" if sent else "")


def run_papers_due(app: Clerk, db: Database, job: DueJob) -> str:
    """Circulate the papers if the agenda is approved (else the 17:00 warning follows)."""
    meeting = get_meeting(app, job.subject_ref)
    if _reached(db, meeting, "papers_sent_at"):
        return "papers already circulated"
    return circulate_in(app, db, meeting, actor="scheduler", channel="scheduler").message


def _chase_facilitator(app: Clerk, db: Database, job: DueJob, milestone: Milestone, template: str,
                       done: str, chased: str) -> str:
    """Warn the facilitator unless the meeting's ``milestone`` (a meetings column) is set."""
    meeting = get_meeting(app, job.subject_ref)
    if _reached(db, meeting, milestone):
        return done
    _tell(app, db, facilitator_address(app.body(meeting.body)), template, job.key,
          **_context(app, meeting))
    return chased


def run_papers_overdue(app: Clerk, db: Database, job: DueJob) -> str:
    return _chase_facilitator(app, db, job, "papers_sent_at", "papers_overdue",
                              "papers went out in time",
                              "warned the facilitator that the papers have not gone out")


def run_absences(app: Clerk, db: Database, job: DueJob) -> str:
    meeting = get_meeting(app, job.subject_ref)
    body = app.body(meeting.body)
    ctx = _context(app, meeting)
    if attendance_verdict(app, meeting) is None:
        to = facilitator_address(body)
        _tell(app, db, to, "register_missing", job.key, **ctx)
        return "asked the facilitator to record the register"
    flagged = flagged_members(app, meeting)
    if not flagged:
        return "no member absent without notice twice in a row"
    _tell(app, db, officer_addresses(db, meeting.body, body), "absence_flag", job.key,
          flagged=flagged, limit=body.attendance.flag_after_absences_without_notice, **ctx)
    return f"flagged {len(flagged)} absent without notice twice in a row"


def run_minutes_due(app: Clerk, db: Database, job: DueJob) -> str:
    return _chase_facilitator(app, db, job, "minutes_circulated_at", "minutes_chaser",
                              "minutes already circulated", "chased the minutes")


def run_frequency(app: Clerk, db: Database, job: DueJob) -> str:
    body = app.body(job.subject_ref)
    year = int(job.key.split(":")[2])
    days = [r["starts_at"] for r in fetch_all(
        db, "SELECT starts_at FROM meetings WHERE body = ? AND status != 'cancelled' "
            "ORDER BY starts_at", [job.subject_ref])]
    local_days = [from_iso(d).astimezone(app.tz).date() for d in days]
    verdict = check_frequency(body.meetings, local_days, year)
    if verdict.ok:
        return "the schedule now meets the minimum"
    to = facilitator_address(body)
    _tell(app, db, to, "frequency_warning", job.key, body=body, slug=job.subject_ref, year=year,
          reason=verdict.reason,
          meetings=[d for d in local_days if d.year == year])
    return f"warned the facilitator: {verdict.reason}"


def run_annual_report(app: Clerk, db: Database, job: DueJob) -> str:
    """Email the body's attendance report for the twelve months before to the Chair and the
    facilitator: the table in the text and the HTML, and the same as a CSV attachment."""
    body = app.body(job.subject_ref)
    month = body.attendance.annual_report_month
    if month is None:
        return "the body no longer sets attendance.annual_report_month"
    year = int(job.key.split(":")[2])
    start, end = annual_report_period(month, year)
    report = attendance_report(app, job.subject_ref, start, end, db)
    to = officer_addresses(db, job.subject_ref, body)
    csv_file = Attachment(f"attendance-{job.subject_ref}-{start:%Y-%m}-to-{end:%Y-%m}.csv",
                          as_csv(report).encode("utf-8"), "text", "csv")
    now = app.clock.now()
    sent = 0
    for email, name in to:
        r = render_email("annual_attendance", recipient_name=name, body=body, report=report)
        if queue(db, app.config.mail, Outgoing(
                kind="annual_attendance", to_addr=email, to_name=name, subject=r.subject,
                text=r.text, html=r.html, subject_ref=job.subject_ref,
                attachments=(csv_file,), dedupe_key=f"{job.key}:{email}"), now):
            sent += 1
    if not to:
        return "no Chair or facilitator to send the attendance report to"
    return (f"sent the attendance report ({len(report.held)} meeting(s), "
            f"{len(report.members)} member(s)) to {sent} of {len(to)}")


def run_action_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    """Remind the owner of an open action that it is due soon (``action-12``)."""
    return remind_owner(app, db, int(job.subject_ref.removeprefix("action-")), job.key)


def run_report_chaser(app: Clerk, db: Database, job: DueJob) -> str:
    """Remind whoever writes each report due at the meeting whose paper has not arrived (a
    group's lead, the reporting body's facilitator; nothing when every paper is in)."""
    return chase_reports(app, db, get_meeting(app, job.subject_ref), job.key)


def run_report_late(app: Clerk, db: Database, job: DueJob) -> str:
    """Once the papers deadline has passed, tell whoever writes each report still missing, and
    the receiving body's facilitator, that it is late."""
    return report_late_notice(app, db, get_meeting(app, job.subject_ref), job.key)


def run_ballot_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    return f"reminded {remind_voters(app, job.subject_ref, job.key)} who have not voted"


def run_ballot_close(app: Clerk, db: Database, job: DueJob) -> str:
    result = close_ballot(app, job.subject_ref, by="scheduler").result
    ratified = sum(1 for d in result.decisions if d.ratified)
    return (f"closed: {ratified} of {len(result.decisions)} decision(s) ratified; "
            f"{len(result.voted)} voted")


def run_ratify(app: Clerk, db: Database, job: DueJob) -> str:
    try:
        ballot = open_ballot(app, job.subject_ref, channel="scheduler")
    except Refused as exc:
        return f"no ballot: {exc}"
    return f"opened {ballot.ref} for {len(ballot.electorate)} voters"


def run_booking_close(app: Clerk, db: Database, job: DueJob) -> str:
    return close_bookings(app, job.subject_ref, job.key)


def run_observer_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    return f"reminded {remind_observers(app, job.subject_ref, job.key)} observer(s)"


def run_offer_lapse(app: Clerk, db: Database, job: DueJob) -> str:
    return f"{lapse_offers(app, job.subject_ref)} offer(s) lapsed and passed on"


def run_observer_erase(app: Clerk, db: Database, job: DueJob) -> str:
    counts = erase_personal_data(app, job.subject_ref)
    return "erased: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())


def run_extraordinary_no_date(app: Clerk, db: Database, job: DueJob) -> str:
    return chase_request(app, db, job.subject_ref, job.key, lapsed=False)


def run_extraordinary_last_day(app: Clerk, db: Database, job: DueJob) -> str:
    return chase_request(app, db, job.subject_ref, job.key, lapsed=True)


def run_retention_job(app: Clerk, db: Database, job: DueJob) -> str:
    """The daily retention run (``[retention]``): raw mail and former members' details."""
    return run_retention(app, db, app.clock.now()).summary


def run_election_open(app: Clerk, db: Database, job: DueJob) -> str:
    election = open_voting(app, job.subject_ref)
    if election.status == "closed":
        return f"nominations closed: declared without a ballot ({election.result.get('code')})"
    return f"voting opened: {len(election.standing)} candidates"


def run_election_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    return f"reminded {remind(app, job.subject_ref, job.key)} who have not voted"


def run_election_close(app: Clerk, db: Database, job: DueJob) -> str:
    election = close_election(app, job.subject_ref, by="scheduler", channel="scheduler")
    return f"closed: {election.result.get('code')} {', '.join(election.result.get('elected', []))}"


def run_election_takes_effect(app: Clerk, db: Database, job: DueJob) -> str:
    return f"{take_office(app, job.subject_ref)} membership(s) given or relieved of the office"


HANDLERS: dict[JobKind, Handler] = {
    JobKind.INVITE: run_invite,
    JobKind.REMINDER: run_reminder,
    JobKind.QUORUM_FORECAST: run_quorum_forecast,
    JobKind.AGENDA_CHASER: run_agenda_chaser,
    JobKind.PAPERS_DUE: run_papers_due,
    JobKind.PAPERS_OVERDUE: run_papers_overdue,
    JobKind.ABSENCES: run_absences,
    JobKind.MINUTES_DUE: run_minutes_due,
    JobKind.FREQUENCY: run_frequency,
    JobKind.BALLOT_REMINDER: run_ballot_reminder,
    JobKind.BALLOT_CLOSE: run_ballot_close,
    JobKind.RATIFY: run_ratify,
    JobKind.BOOKING_CLOSE: run_booking_close,
    JobKind.OBSERVER_REMINDER: run_observer_reminder,
    JobKind.OFFER_LAPSE: run_offer_lapse,
    JobKind.OBSERVER_ERASE: run_observer_erase,
    JobKind.EXTRAORDINARY_NO_DATE: run_extraordinary_no_date,
    JobKind.EXTRAORDINARY_LAST_DAY: run_extraordinary_last_day,
    JobKind.REPORT_CHASER: run_report_chaser,
    JobKind.REPORT_LATE: run_report_late,
    JobKind.ANNUAL_REPORT: run_annual_report,
    JobKind.ACTION_REMINDER: run_action_reminder,
    JobKind.RETENTION: run_retention_job,
    JobKind.ELECTION_OPEN: run_election_open,
    JobKind.ELECTION_REMINDER: run_election_reminder,
    JobKind.ELECTION_CLOSE: run_election_close,
    JobKind.ELECTION_TAKES_EFFECT: run_election_takes_effect,
}

#: What runs once a job's transaction has committed (closing an election truncates the WAL,
#: which SQLite cannot do inside a transaction).
AFTER_COMMIT: dict[JobKind, Callable[[Clerk], None]] = {
    JobKind.ELECTION_CLOSE: forget_history,
}

#: The kinds not known to this version already reported in the log (each is reported once).
_REPORTED_UNKNOWN: set[str] = set()


def run_job(app: Clerk, job: DueJob) -> str | None:
    """Run one due job once: its effects and the record of its run commit together.

    Returns what it did, or None when it had already run, or when its kind is unknown to this
    version of clerk (written by a newer one, say): that job is not recorded as run, so a version
    that knows it runs it; the first time, it is logged as an error.
    """
    code = job.code
    if code is None:
        if job.kind not in _REPORTED_UNKNOWN:
            _REPORTED_UNKNOWN.add(job.kind)
            log.error("deadline %s is of a kind this version of clerk does not know (%s): it is "
                      "left for a version that does", job.key, job.kind)
        return None
    handler = HANDLERS[code]
    now = app.clock.now()
    with app.store.write() as db:
        if fetch_one(db, "SELECT 1 AS done FROM job_runs WHERE key = ?", [job.key]):
            return None
        if _obsolete(app, code, job, now):
            outcome = "skipped: the meeting has already taken place"
        else:
            outcome = handler(app, db, job)
        insert(db, "job_runs", {"key": job.key, "kind": job.kind, "subject_ref": job.subject_ref,
                                "due_at": to_iso(job.at), "ran_at": to_iso(now),
                                "outcome": outcome})
        audit.record(db, at=now, actor="scheduler", action=f"deadline.{job.kind}",
                     subject=job.subject_ref, channel="scheduler",
                     detail={"key": job.key, "outcome": outcome})
    if code in AFTER_COMMIT:
        AFTER_COMMIT[code](app)
    return outcome


def _obsolete(app: Clerk, code: JobKind, job: DueJob, now: datetime) -> bool:
    if code not in BEFORE_MEETING:
        return False
    meeting = get_meeting(app, job.subject_ref)
    return meeting.starts_at <= now
