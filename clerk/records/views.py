"""Read-only views for people: a meeting as the facilitator sees it, and a body's summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clerk.agenda.record import papers_record
from clerk.app import Clerk
from clerk.attendance.decisions import list_decisions
from clerk.attendance.quorum import forecast
from clerk.attendance.register import attendance_verdict
from clerk.meetings.schedule import get_meeting
from clerk.observers.jobs import booking_list
from clerk.rules.deadlines import meeting_deadlines
from clerk.rules.referrals import every_words
from clerk.rules.tally import may_open_ballot
from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict
from clerk.rules.workdays import describe
from clerk.store.rows import fetch_all, fetch_one
from clerk.times import in_words, to_iso


def meeting_view(app: Clerk, ref: str) -> dict[str, Any]:
    """Everything ``clerk meetings show`` prints, as data."""
    meeting = get_meeting(app, ref)
    body = app.body(meeting.body)
    fc = forecast(app, meeting)
    judged = attendance_verdict(app, meeting)
    now = app.clock.now()
    return {
        "ref": meeting.ref,
        "body": meeting.body,
        "body_name": body.name,
        "starts_at": to_iso(meeting.starts_at),
        "when": in_words(meeting.starts_at, app.tz),
        "where": meeting.where,
        "status": meeting.status,
        "replies": [
            {"email": r.email, "name": r.name, "reply": r.reply,
             "substitute_email": r.substitute_email, "substitute_name": r.substitute_name,
             "substitute_reply": r.substitute_reply}
            for r in fc.replies
        ],
        "counts": {k: sum(1 for r in fc.replies if r.reply == k)
                   for k in ("attend", "apologies", "substitute", "no_reply")},
        "forecast": {
            "confirmed_quorate": fc.confirmed.ok,
            "confirmed_reason": fc.confirmed.reason,
            "possible_quorate": fc.possible.ok,
            "possible_reason": fc.possible.reason,
            "summary": fc.summary,
        },
        "attendance": None if judged is None else {"quorate": judged.ok, "reason": judged.reason},
        "decisions": [{"number": d.number, "text": d.text, "status": d.status,
                       "status_words": d.status_words, "reason": d.reason}
                      for d in list_decisions(app, meeting.ref)],
        "deadlines": [
            {"at": to_iso(d.at), "when": in_words(d.at, app.tz), "kind": d.kind, "what": d.what,
             "why": d.why, "past": d.at < now}
            for d in meeting_deadlines(body, meeting.starts_at, app.tz)
        ],
        "observers": _observers(app, meeting.ref) if body.observers.public else None,
        "papers": papers_record(app, meeting.ref),
    }


def _observers(app: Clerk, ref: str) -> dict[str, Any]:
    """Observers booked and waiting (public meetings only)."""
    return booking_list(app, ref).as_json()


def quorum_text(body: Body) -> str:
    """The quorum rule in one line of words."""
    return body.quorum.describe()


def body_summary(slug: str, body: Body) -> dict[str, Any]:
    """One body's rules in plain words, for ``clerk check-config``."""
    freq = body.meetings
    meetings = f"at least {freq.min_per_year} a year" if freq.min_per_year else "as needed"
    if freq.every:
        meetings += f", one every {freq.every}"
    return {
        "slug": slug,
        "name": body.name,
        "meetings": meetings,
        "papers": f"{describe(body.papers.notice, body.papers.unit)} before"
                  + ("; agenda agreed by the Chair first" if body.papers.chair_approves_agenda
                     else ""),
        "quorum": quorum_text(body),
        "when_inquorate": body.decisions.when_inquorate.replace("_", " "),
        "substitutes": ("not allowed" if not body.substitutes.allowed else
                        "named substitutes only" if body.substitutes.named_only else "allowed")
                       + (f" (not for {', '.join(body.substitutes.not_for_offices)})"
                          if body.substitutes.not_for_offices else ""),
        "observers": (f"public, {body.observers.capacity} places" if body.observers.public
                      else "not public"),
        "minutes": (f"due {describe(body.minutes.due, body.minutes.unit)} after"
                    if body.minutes.due else "no deadline set"),
        # between bodies: empty when the body sets none (check-config leaves the line out)
        "reports_to": ", ".join(body.reports_to),
        "unresolved": (f"referred to {body.decisions.unresolved.refer_to}"
                       if body.decisions.unresolved.refer_to else ""),
        "reports": "; ".join(f"{r.what} to {r.to}, {every_words(r.every)}"
                             for r in body.reports),
        "reports_in": "; ".join(f"{r.what} from {r.group} (lead {r.lead}), "
                                f"{every_words(r.every)}" for r in body.reports_in),
    }


@dataclass(frozen=True)
class Ratification:
    """A meeting's ratification votes (reference and status, oldest first) and whether one may
    be opened now (:func:`clerk.rules.tally.may_open_ballot`)."""

    may_open: Verdict
    ballots: tuple[tuple[str, str], ...]


def ratification(app: Clerk, ref: str) -> Ratification:
    """Whether the meeting's provisional decisions may be put to an email vote, and its votes."""
    meeting = get_meeting(app, ref)
    body = app.body(meeting.body)
    db = app.store.db
    ballots = tuple((r["ref"], r["status"]) for r in fetch_all(
        db, "SELECT ref, status FROM ballots WHERE meeting_id = ? ORDER BY id", [meeting.id]))
    pending = fetch_one(db, "SELECT COUNT(*) AS n FROM decisions WHERE meeting_id = ? AND status "
                            "= 'provisional' AND id NOT IN (SELECT decision_id FROM "
                            "ballot_decisions)", [meeting.id])
    open_ref = next((b for b, status in ballots if status == "open"), "")
    return Ratification(may_open_ballot(body.decisions.when_inquorate, body.label,
                                        int(pending["n"]) if pending else 0, open_ref), ballots)
