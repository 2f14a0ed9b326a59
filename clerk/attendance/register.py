"""Attendance on the day: who was there (in person or by substitute), quorum, who takes the chair,
absences without notice, and members absent without notice twice in a row."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.quorum import replies
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting, previous_meeting
from clerk.people.directory import (
    body_seats,
    ensure_person,
    find_person,
    named_substitutes,
    normalise_email,
)
from clerk.rules import quorum
from clerk.rules.meetings import meeting_still_open
from clerk.rules.people import Attendee
from clerk.rules.substitutes import may_substitute, who_chairs
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import in_words, to_iso


@dataclass(frozen=True)
class RecordAttendance:
    """Who was present. ``substitutes`` maps a substitute's address to the member they stood for;
    a substitute the member announced beforehand may simply be listed in ``present``."""

    meeting: str
    present: tuple[str, ...]
    substitutes: tuple[tuple[str, str], ...] = ()
    channel: str = "cli"


@dataclass(frozen=True)
class AttendanceResult:
    meeting: Meeting
    quorum: Verdict
    chair: Verdict
    present: tuple[str, ...]
    apologies: tuple[str, ...]
    absent_without_notice: tuple[str, ...]
    flagged: tuple[str, ...]


def record_attendance(app: Clerk, cmd: RecordAttendance) -> AttendanceResult:
    """Record the register for a meeting that has begun (recording again replaces it) and judge
    quorum. A register before the meeting starts is refused: nobody can have been present yet."""
    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    now = app.clock.now()
    # "has it begun": asked of the meeting as scheduled, so a cancelled one is judged by its time
    if meeting_still_open(replace(meeting, status="scheduled"), now).ok:
        raise Refused(f"the {body.name} meeting on {in_words(meeting.starts_at, app.tz)} has not "
                      "started yet; record the register once the meeting has begun")
    with app.store.write() as db:
        seats = body_seats(db, meeting.body)
        by_email = {s.email: pid for pid, s in seats.items()}
        pairs = {seat.email: line for seat, line in replies(db, meeting)}
        announced = {line.substitute_email: seat_email for seat_email, line in pairs.items()
                     if line.reply == "substitute" and line.substitute_email}
        explicit = {normalise_email(s): normalise_email(m) for s, m in cmd.substitutes}
        filled: dict[int, Attendee] = {}
        present_by: dict[int, int] = {}
        unknown = []
        for raw in [*cmd.present, *explicit]:
            email = normalise_email(raw)
            if email in by_email:
                pid = by_email[email]
                filled[pid] = Attendee(seats[pid])
                present_by[pid] = pid
                continue
            member_email = explicit.get(email) or announced.get(email)
            if member_email is None or member_email not in by_email:
                unknown.append(email)
                continue
            pid = by_email[member_email]
            if pid in filled and filled[pid].in_person:
                continue
            verdict = may_substitute(body.substitutes, seats[pid], email,
                                     named=named_substitutes(db, meeting.body, pid),
                                     standing_for={e: m for e, m in explicit.items()},
                                     body_members=list(by_email))
            if not verdict.ok:
                raise Refused(f"{email} cannot count for {seats[pid].name}: {verdict.reason}")
            person = find_person(db, email) or ensure_person(db, email, "", now)
            filled[pid] = Attendee(seats[pid], substitute=person.name)
            present_by[pid] = person.id
        if unknown:
            raise BadInput(f"not members of {body.name} nor substitutes announced for this meeting:"
                           f" {', '.join(unknown)}. Add a substitute as --substitute SUB=MEMBER")
        execute(db, "DELETE FROM attendance WHERE meeting_id = ?", [meeting.id])
        statuses: dict[str, list[str]] = {"present": [], "apologies": [],
                                           "absent_without_notice": []}
        for pid, seat in seats.items():
            if pid in filled:
                status = "present"
            elif pairs[seat.email].reply in ("apologies", "substitute"):
                status = "apologies"
            else:
                status = "absent_without_notice"
            statuses[status].append(seat.email)
            insert(db, "attendance", {"meeting_id": meeting.id, "member_id": pid,
                                      "status": status, "present_by": present_by.get(pid),
                                      "recorded_at": to_iso(now)})
        verdict = quorum.evaluate(body.quorum, filled.values())
        chair = who_chairs(body.chairing, list(filled.values()))
        flagged = _twice_absent(app, db, meeting, statuses["absent_without_notice"])
        audit.record(db, at=now, actor="facilitator", action="attendance.recorded",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"present": sorted(a.describe() for a in filled.values()),
                             "quorate": verdict.ok, "reason": verdict.reason,
                             "absent_without_notice": statuses["absent_without_notice"],
                             "flagged": flagged})
    return AttendanceResult(meeting, verdict, chair, tuple(statuses["present"]),
                            tuple(statuses["apologies"]),
                            tuple(statuses["absent_without_notice"]), tuple(flagged))


def _twice_absent(app: Clerk, db: Database, meeting: Meeting, absent: list[str]) -> list[str]:
    """Members absent without notice here and at the body's previous recorded meeting."""
    limit = app.body(meeting.body).attendance.flag_after_absences_without_notice
    if not limit or not absent:
        return []
    flagged = []
    earlier: list[Meeting] = []
    cursor: Meeting | None = meeting
    while len(earlier) < limit - 1 and cursor is not None:
        cursor = previous_meeting(app, cursor)
        if cursor and fetch_one(db, "SELECT 1 AS held FROM attendance WHERE meeting_id = ?",
                                [cursor.id]):
            earlier.append(cursor)
    if len(earlier) < limit - 1:
        return []
    for email in absent:
        streak = all(fetch_one(
            db, "SELECT 1 AS absent FROM attendance a JOIN people p ON p.id = a.member_id "
                "WHERE a.meeting_id = ? AND p.email = ? AND a.status = 'absent_without_notice'",
            [m.id, email]) for m in earlier)
        if streak:
            flagged.append(email)
    return flagged


def attendance_verdict(app: Clerk, meeting: Meeting) -> Verdict | None:
    """Quorum judged from the recorded register, or None when no register is recorded yet."""
    rows = fetch_all(
        app.store.db, "SELECT a.member_id, a.present_by, s.name AS sub_name FROM attendance a "
        "LEFT JOIN people s ON s.id = a.present_by WHERE a.meeting_id = ? AND a.status = 'present'",
        [meeting.id])
    recorded = fetch_one(app.store.db, "SELECT 1 AS x FROM attendance WHERE meeting_id = ?",
                         [meeting.id])
    if not recorded:
        return None
    seats = body_seats(app.store.db, meeting.body)
    present = [Attendee(seats[r["member_id"]],
                        "" if r["present_by"] == r["member_id"] else r["sub_name"])
               for r in rows if r["member_id"] in seats]
    return quorum.evaluate(app.body(meeting.body).quorum, present)


def flagged_members(app: Clerk, meeting: Meeting) -> list[str]:
    """Members absent without notice at this meeting and the ones before it (per the body's rule)."""
    absent = [r["email"] for r in fetch_all(
        app.store.db, "SELECT p.email FROM attendance a JOIN people p ON p.id = a.member_id "
        "WHERE a.meeting_id = ? AND a.status = 'absent_without_notice'", [meeting.id])]
    return _twice_absent(app, app.store.db, meeting, absent)
