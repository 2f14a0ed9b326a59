"""Reports made to a receiving meeting (by other bodies, or by groups that are not bodies): which
are due and whether their papers are in (:func:`report_states`); the reminder to whoever writes a
report whose paper has not arrived, on the agenda chaser's day (:func:`chase_reports`, run by the
``report-chaser`` deadline); and, once the papers deadline has passed with the paper still
missing, the notice that it is late to the writer and to the receiving body's facilitator
(:func:`report_late_notice`, run by the ``report-late`` deadline). Both run inside their
deadline's transaction.

Who writes a report: a group's ``lead`` (``[[bodies.X.reports_in]]``), else the reporting body's
facilitator (``[[bodies.Y.reports]]``), else, when that body names none, the receiving body's
facilitator (:func:`writer_of`)."""

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
from clerk.rules.terms import Body
from clerk.times import day_in_words, in_words


@dataclass(frozen=True)
class ReportState:
    """A report due at a meeting, its item's number on the agenda and whether a paper is in."""

    report: ReportItem
    number: int
    arrived: bool


@dataclass(frozen=True)
class Writer:
    """Who is asked for a report's paper: ``email`` (empty when nobody can be), the name a
    message greets them by, the reporting group's or body's full name, and whether the address
    is the receiving facilitator's because the reporting body names no facilitator."""

    email: str
    greeting: str
    from_name: str
    lead: bool
    own_facilitator: bool


def writer_of(app: Clerk, body: Body, report: ReportItem) -> Writer:
    """Who writes ``report`` for a meeting of ``body`` (see the module's docstring)."""
    if not report.from_body:
        return Writer(report.lead, f"{report.from_label} lead", report.from_label, True, False)
    reporting = app.body(report.from_body)
    if reporting.facilitator:
        return Writer(reporting.facilitator, "Facilitator", reporting.name, False, False)
    return Writer(body.facilitator, "Facilitator", reporting.name, False, True)


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


def _missing(app: Clerk, db: Database, meeting: Meeting) -> tuple[list[ReportState], str]:
    """The reports due at ``meeting`` whose paper has not arrived, or none and why."""
    if meeting.status == "cancelled":
        return [], "the meeting is cancelled"
    states = report_states(app, db, meeting)
    if not states:
        return [], "no report is due at this meeting"
    missing = [s for s in states if not s.arrived]
    if not missing:
        return [], f"every report due has its paper ({len(states)})"
    return missing, ""


def _papers_due_words(app: Clerk, body: Body, meeting: Meeting) -> str:
    day = papers_due(body, meeting.starts_at.astimezone(app.tz).date())
    return day_in_words(datetime(day.year, day.month, day.day, 12, tzinfo=app.tz), app.tz)


def chase_reports(app: Clerk, db: Database, meeting: Meeting, key: str) -> str:
    """Remind whoever writes each report due at ``meeting`` that has no paper yet (a group's
    lead, the reporting body's facilitator); says what was done. ``key`` (the deadline's) makes
    a re-run send nothing twice."""
    missing, why = _missing(app, db, meeting)
    if not missing:
        return why
    body = app.body(meeting.body)
    due_words = _papers_due_words(app, body, meeting)
    now = app.clock.now()
    chased = []
    for state in missing:
        writer = writer_of(app, body, state.report)
        if not writer.email:
            continue
        r = render_email("report_chaser", recipient_name=writer.greeting, body=body,
                         meeting=meeting, when=in_words(meeting.starts_at, app.tz),
                         writer=writer, report=state.report, number=state.number,
                         every=every_words(state.report.every), papers_due=due_words)
        queue(db, app.config.mail, Outgoing(
            kind="report_chaser", to_addr=writer.email, to_name=writer.greeting,
            subject=r.subject, text=r.text, html=r.html, subject_ref=meeting.ref,
            dedupe_key=f"{key}:{state.report.source}:{writer.email}"), now)
        chased.append(f"{state.report.from_label} ({writer.email})")
    return "chased the report of " + ", ".join(chased) if chased else \
        "reports missing, but no facilitator to chase"


def report_late_notice(app: Clerk, db: Database, meeting: Meeting, key: str) -> str:
    """Once the papers deadline of ``meeting`` has passed, tell whoever writes each report due
    at it whose paper has still not arrived that it is late, and the receiving body's
    facilitator which reports are (one message); says what was done. ``key`` (the deadline's)
    makes a re-run send nothing twice."""
    missing, why = _missing(app, db, meeting)
    if not missing:
        return why
    body = app.body(meeting.body)
    context = {"body": body, "meeting": meeting, "when": in_words(meeting.starts_at, app.tz),
               "papers_due": _papers_due_words(app, body, meeting)}
    now = app.clock.now()
    told = []
    late = []
    for state in missing:
        writer = writer_of(app, body, state.report)
        late.append((state, writer, every_words(state.report.every)))
        if not writer.email or writer.email == body.facilitator:
            continue
        r = render_email("report_late", recipient_name=writer.greeting, writer=writer,
                         report=state.report, number=state.number, **context)
        queue(db, app.config.mail, Outgoing(
            kind="report_late", to_addr=writer.email, to_name=writer.greeting,
            subject=r.subject, text=r.text, html=r.html, subject_ref=meeting.ref,
            dedupe_key=f"{key}:{state.report.source}:{writer.email}"), now)
        told.append(writer.email)
    if body.facilitator:
        r = render_email("report_late_facilitator", recipient_name="Facilitator", late=late,
                         **context)
        queue(db, app.config.mail, Outgoing(
            kind="report_late", to_addr=body.facilitator, to_name="Facilitator",
            subject=r.subject, text=r.text, html=r.html, subject_ref=meeting.ref,
            dedupe_key=f"{key}:{body.facilitator}"), now)
        told.append(body.facilitator)
    names = ", ".join(s.report.from_label for s in missing)
    return f"late: {names}; told {', '.join(told)}" if told else \
        f"late: {names}; nobody to tell"
