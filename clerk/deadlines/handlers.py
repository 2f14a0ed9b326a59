"""What each deadline does when it falls due: one function per kind, run inside the transaction
that records the run, so a crash mid-job leaves nothing half done and a re-run does nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.quorum import forecast, replies
from clerk.attendance.register import attendance_verdict
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import find_person
from clerk.people.officers import officer_addresses
from clerk.rules.deadlines import papers_due
from clerk.rules.terms import Body
from clerk.store import audit
from clerk.times import day_in_words, in_words, to_iso
from clerk.tokens.reply_keys import issue_key


@dataclass(frozen=True)
class DueJob:
    key: str
    kind: str
    subject_ref: str
    at: datetime


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


def _meeting_row(db: Database, meeting: Meeting) -> dict[str, Any]:
    return dict(db.table("meetings").get(meeting.id))


def run_invite(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.attendance.invitations import invite

    result = invite(app, job.subject_ref)
    return f"invitations: {result.message}"


def run_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    """Remind every member who has not replied (and every named substitute who has not)."""
    meeting = get_meeting(app, job.subject_ref)
    now = app.clock.now()
    waiting = []
    for _seat, line in replies(db, meeting):
        if line.reply == "no_reply":
            waiting.append(line.email)
        elif line.reply == "substitute" and line.substitute_reply == "no_reply":
            waiting.append(line.substitute_email)
    ctx = _context(app, meeting)
    reminded = 0
    for email in waiting:
        person = find_person(db, email)
        if person is None or person["undeliverable"]:
            continue
        key = issue_key(db, person_id=person["id"], purpose="rsvp", subject_ref=meeting.ref,
                        now=now, days=app.config.mail.reply_key_days)
        r = render_email("reminder", recipient_name=person["name"], **ctx)
        queue(db, app.config.mail, Outgoing(
            kind="reminder", to_addr=person["email"], to_name=person["name"], subject=r.subject,
            text=r.text, html=r.html, person_id=person["id"], subject_ref=meeting.ref,
            reply_key=key, purpose="rsvp", dedupe_key=f"{job.key}:{person['id']}"), now)
        reminded += 1
    return f"reminded {reminded} who had not replied"


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
    if _meeting_row(db, meeting)["agenda_approved_at"]:
        return "the agenda is already approved"
    from clerk.agenda.items import ensure_draft_sent

    body = app.body(meeting.body)
    due = papers_due(body, meeting.starts_at.astimezone(app.tz).date())
    sent = ensure_draft_sent(app, db, meeting)
    _tell(app, db, officer_addresses(db, meeting.body, body), "agenda_chaser", job.key,
          papers_due=day_in_words(datetime(due.year, due.month, due.day, 12, tzinfo=app.tz),
                                  app.tz), **_context(app, meeting))
    return "asked the chair to agree the agenda" + (f"; {sent}" if sent else "")


def run_papers_due(app: Clerk, db: Database, job: DueJob) -> str:
    """Circulate the papers if the agenda is approved (else the 17:00 warning follows)."""
    from clerk.agenda.circulation import circulate_in

    meeting = get_meeting(app, job.subject_ref)
    if _meeting_row(db, meeting)["papers_sent_at"]:
        return "papers already circulated"
    return circulate_in(app, db, meeting, actor="scheduler", channel="scheduler").message


def _chase_facilitator(app: Clerk, db: Database, job: DueJob, milestone: str, template: str,
                       done: str, chased: str) -> str:
    """Warn the facilitator unless the meeting's ``milestone`` (a meetings column) is set."""
    meeting = get_meeting(app, job.subject_ref)
    if _meeting_row(db, meeting)[milestone]:
        return done
    _tell(app, db, facilitator_address(app.body(meeting.body)), template, job.key,
          **_context(app, meeting))
    return chased


def run_papers_overdue(app: Clerk, db: Database, job: DueJob) -> str:
    return _chase_facilitator(app, db, job, "papers_sent_at", "papers_overdue",
                              "papers went out in time",
                              "warned the facilitator that the papers have not gone out")


def run_absences(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.attendance.register import flagged_members

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
    days = [r["starts_at"] for r in db.query(
        "SELECT starts_at FROM meetings WHERE body = ? AND status != 'cancelled' ORDER BY starts_at",
        [job.subject_ref])]
    from clerk.rules.frequency import check_frequency
    from clerk.times import from_iso

    local_days = [from_iso(d).astimezone(app.tz).date() for d in days]
    verdict = check_frequency(body.meetings, local_days, year)
    if verdict.ok:
        return "the schedule now meets the minimum"
    to = facilitator_address(body)
    _tell(app, db, to, "frequency_warning", job.key, body=body, slug=job.subject_ref, year=year,
          reason=verdict.reason,
          meetings=[d for d in local_days if d.year == year])
    return f"warned the facilitator: {verdict.reason}"


def run_ballot_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.ballots.ratification import remind_voters

    return f"reminded {remind_voters(app, job.subject_ref, job.key)} who have not voted"


def run_ballot_close(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.ballots.ratification import close_ballot

    result = close_ballot(app, job.subject_ref, by="scheduler").result
    ratified = sum(1 for d in result.decisions if d.ratified)
    return (f"closed: {ratified} of {len(result.decisions)} decision(s) ratified; "
            f"{len(result.voted)} voted")


def run_ratify(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.ballots.ratification import open_ballot
    from clerk.errors import Refused

    try:
        ballot = open_ballot(app, job.subject_ref, channel="scheduler")
    except Refused as exc:
        return f"no ballot: {exc}"
    return f"opened {ballot.ref} for {len(ballot.electorate)} voters"


def run_booking_close(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.observers.jobs import close_bookings

    return close_bookings(app, job.subject_ref, job.key)


def run_observer_reminder(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.observers.jobs import remind_observers

    return f"reminded {remind_observers(app, job.subject_ref, job.key)} observer(s)"


def run_offer_lapse(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.observers.waiting import lapse_offers

    return f"{lapse_offers(app, job.subject_ref)} offer(s) lapsed and passed on"


def run_observer_erase(app: Clerk, db: Database, job: DueJob) -> str:
    from clerk.observers.jobs import erase_personal_data

    counts = erase_personal_data(app, job.subject_ref)
    return "erased: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())


HANDLERS: dict[str, Callable[[Clerk, Database, DueJob], str]] = {
    "invite": run_invite,
    "quorum-forecast": run_quorum_forecast,
    "agenda-chaser": run_agenda_chaser,
    "papers-due": run_papers_due,
    "papers-overdue": run_papers_overdue,
    "absences": run_absences,
    "minutes-due": run_minutes_due,
    "frequency": run_frequency,
    "ballot-reminder": run_ballot_reminder,
    "ballot-close": run_ballot_close,
    "ratify": run_ratify,
    "booking-close": run_booking_close,
    "observer-reminder": run_observer_reminder,
    "offer-lapse": run_offer_lapse,
    "observer-erase": run_observer_erase,
}

#: Jobs that only make sense before the meeting: missed ones are skipped once it has started.
BEFORE_MEETING = {"invite", "quorum-forecast", "agenda-chaser", "papers-due", "papers-overdue",
                  "booking-close", "observer-reminder"}


def handler_for(kind: str) -> Callable[[Clerk, Database, DueJob], str] | None:
    if kind.startswith("reminder-"):
        return run_reminder
    return HANDLERS.get(kind)


def run_job(app: Clerk, job: DueJob) -> str | None:
    """Run one due job once: its effects and the record of its run commit together.

    Returns what it did, or None when it had already run.
    """
    handler = handler_for(job.kind)
    now = app.clock.now()
    with app.store.write() as db:
        if db.execute("SELECT 1 FROM job_runs WHERE key = ?", [job.key]).fetchone():
            return None
        if handler is None:
            outcome = f"no handler for {job.kind}"
        elif _obsolete(app, job, now):
            outcome = "skipped: the meeting has already taken place"
        else:
            outcome = handler(app, db, job)
        db.table("job_runs").insert({"key": job.key, "kind": job.kind, "subject_ref": job.subject_ref,
                               "due_at": to_iso(job.at), "ran_at": to_iso(now),
                               "outcome": outcome})
        audit.record(db, at=now, actor="scheduler", action=f"deadline.{job.kind}",
                     subject=job.subject_ref, channel="scheduler",
                     detail={"key": job.key, "outcome": outcome})
    return outcome


def _obsolete(app: Clerk, job: DueJob, now: datetime) -> bool:
    if job.kind not in BEFORE_MEETING and not job.kind.startswith("reminder-"):
        return False
    meeting = get_meeting(app, job.subject_ref)
    return meeting.starts_at <= now
