"""Reports between bodies at a receiving meeting: which are due and whether their papers are in
(:func:`report_states`), and the chaser to the reporting body's facilitator when a paper has not
arrived (:func:`chase_reports`, run by the ``report-chaser`` deadline, inside its transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from clerk.agenda.items import read_agenda, sync_standing_items
from clerk.agenda.referred import ReportItem, reports_due
from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.rules.deadlines import papers_due
from clerk.rules.referrals import every_words
from clerk.times import day_in_words, in_words


@dataclass(frozen=True)
class ReportState:
    """A report due at a meeting, its item's number on the agenda and whether a paper is in."""

    report: ReportItem
    number: int
    arrived: bool


def report_states(app: Clerk, db: Database, meeting: Meeting) -> list[ReportState]:
    """Each report due at the meeting, with whether a paper has been added to its item (the
    standing items are stored first: call inside a transaction)."""
    sync_standing_items(app, db, meeting)
    agenda = read_agenda(app, db, meeting)
    out = []
    for report in reports_due(app, meeting.body, meeting.starts_at):
        item = next((i for i in agenda.items if i.key == f"report:{report.source}"), None)
        if item is not None:
            out.append(ReportState(report, item.number, bool(item.papers)))
    return out


def chase_reports(app: Clerk, db: Database, meeting: Meeting, key: str) -> str:
    """Email the facilitator of each body whose report is due at ``meeting`` and has no paper yet
    (the receiving body's facilitator when the reporting body names none); says what was done.
    ``key`` (the deadline's) makes a re-run send nothing twice."""
    if meeting.status == "cancelled":
        return "the meeting is cancelled"
    states = report_states(app, db, meeting)
    if not states:
        return "no report is due at this meeting"
    missing = [s for s in states if not s.arrived]
    if not missing:
        return f"every report due has its paper ({len(states)})"
    body = app.body(meeting.body)
    day = papers_due(body, meeting.starts_at.astimezone(app.tz).date())
    due_words = day_in_words(datetime(day.year, day.month, day.day, 12, tzinfo=app.tz), app.tz)
    now = app.clock.now()
    chased = []
    for state in missing:
        reporting = app.body(state.report.from_body)
        to = reporting.facilitator or body.facilitator
        if not to:
            continue
        r = render_email("report_chaser", recipient_name="Facilitator", body=body,
                         meeting=meeting, when=in_words(meeting.starts_at, app.tz),
                         reporting=reporting, report=state.report, number=state.number,
                         every=every_words(state.report.every), papers_due=due_words,
                         own_facilitator=not reporting.facilitator)
        queue(db, app.config.mail, Outgoing(
            kind="report_chaser", to_addr=to, to_name="Facilitator", subject=r.subject,
            text=r.text, html=r.html, subject_ref=meeting.ref,
            dedupe_key=f"{key}:{state.report.source}:{to}"), now)
        chased.append(f"{state.report.from_label} ({to})")
    return "chased the report of " + ", ".join(chased) if chased else \
        "reports missing, but no facilitator to chase"
