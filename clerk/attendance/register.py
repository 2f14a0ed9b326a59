"""Attendance on the day: who was there (in person or by substitute), quorum, who takes the chair,
absences without notice, and members absent without notice twice in a row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.quorum import ReplyLine, replies
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting, previous_meeting
from clerk.people.directory import (
    body_seats,
    ensure_person,
    find_person,
    named_substitutes,
    normalise_email,
    person_by_id,
)
from clerk.rules import quorum
from clerk.rules.meetings import meeting_still_open
from clerk.rules.people import Attendee, Seat
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
    actor: str = "facilitator"  # who took the register, for the audit log


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
        seats, pairs, filled, present_by = _fill(app, db, meeting, cmd, now=now)
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
        audit.record(db, at=now, actor=cmd.actor, action="attendance.recorded",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"present": sorted(a.describe() for a in filled.values()),
                             "quorate": verdict.ok, "reason": verdict.reason,
                             "absent_without_notice": statuses["absent_without_notice"],
                             "flagged": flagged})
    return AttendanceResult(meeting, verdict, chair, tuple(statuses["present"]),
                            tuple(statuses["apologies"]),
                            tuple(statuses["absent_without_notice"]), tuple(flagged))


def _fill(app: Clerk, db: Database, meeting: Meeting, cmd: RecordAttendance, *,
          now: datetime | None) -> tuple[dict[int, Seat], dict[str, ReplyLine],
                                         dict[int, Attendee], dict[int, int]]:
    """The seats filled by the people ``cmd`` lists as present: each member's seat by the member
    or by a substitute the rules accept (Refused otherwise; BadInput for someone neither a member
    nor a substitute). Returns the seats, the replies by member address, the seats filled (by
    person id) and who filled each. ``now`` None: read only (a substitute clerk has never seen
    is not added to the people, just named by address)."""
    body = app.body(meeting.body)
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
        person = find_person(db, email)
        if person is None and now is not None:
            person = ensure_person(db, email, "", now)
        filled[pid] = Attendee(seats[pid], substitute=person.name if person else email)
        if person is not None:
            present_by[pid] = person.id
    if unknown:
        raise BadInput(f"not members of {body.name} nor substitutes announced for this meeting:"
                       f" {', '.join(unknown)}. Add a substitute as --substitute SUB=MEMBER")
    return seats, pairs, filled, present_by


@dataclass(frozen=True)
class RegisterCheck:
    """What the register ticked so far would make of the meeting: quorum, who takes the chair,
    and who fills a seat (``Name`` or ``Sub for Name``)."""

    quorum: Verdict
    chair: Verdict
    present: tuple[str, ...]


def check_register(app: Clerk, cmd: RecordAttendance) -> RegisterCheck:
    """The quorum verdict (and the chair) for the people ``cmd`` lists as present, judged by
    the same rules as :func:`record_attendance`, before the register is saved (and before the
    meeting begins): nothing is written."""
    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    _seats, _pairs, filled, _by = _fill(app, app.store.db, meeting, cmd, now=None)
    return RegisterCheck(quorum.evaluate(body.quorum, filled.values()),
                         who_chairs(body.chairing, list(filled.values())),
                         tuple(sorted(a.describe() for a in filled.values())))


@dataclass(frozen=True)
class Expected:
    """One line of the register's tick list: a member, or a substitute expected (or recorded)
    in a member's place; their reply so far, and whether the register recorded them present."""

    person_id: int
    name: str
    email: str
    office: str
    reply: str
    stands_for_id: int | None = None
    stands_for_name: str = ""
    stands_for_email: str = ""
    present: bool = False

    @property
    def is_substitute(self) -> bool:
        return self.stands_for_id is not None


@dataclass(frozen=True)
class RegisterSheet:
    """The register of a meeting: everyone expected (each member, then the substitutes standing
    for them), whether a register is recorded, its verdict, and whether it may be recorded now
    (``may_record``: once the meeting has begun)."""

    meeting: Meeting
    expected: tuple[Expected, ...]
    recorded: bool
    verdict: Verdict | None
    may_record: Verdict


SUBSTITUTES_SQL = """
SELECT i.person_id, i.stands_for, i.reply, p.name, p.email FROM invitations i
JOIN people p ON p.id = i.person_id
WHERE i.meeting_id = ? AND i.stands_for IS NOT NULL AND i.reply != 'withdrawn'
ORDER BY p.name
"""


def register_sheet(app: Clerk, ref: str) -> RegisterSheet:
    """The tick list for the register on the day (read only)."""
    meeting = get_meeting(app, ref)
    db = app.store.db
    seats = body_seats(db, meeting.body)
    lines = {seat.email: line for seat, line in replies(db, meeting)}
    present = {(r["member_id"], r["present_by"]) for r in fetch_all(
        db, "SELECT member_id, present_by FROM attendance WHERE meeting_id = ? AND "
            "status = 'present'", [meeting.id])}
    recorded = fetch_one(db, "SELECT 1 AS x FROM attendance WHERE meeting_id = ?",
                         [meeting.id]) is not None
    subs: dict[int, list[Expected]] = {}
    for r in fetch_all(db, SUBSTITUTES_SQL, [meeting.id]):
        member = seats.get(r["stands_for"])
        if member is None:
            continue
        subs.setdefault(r["stands_for"], []).append(Expected(
            r["person_id"], r["name"], r["email"], "", r["reply"], r["stands_for"], member.name,
            member.email, (r["stands_for"], r["person_id"]) in present))
    for member_id, by in present:  # a substitute recorded present without an invitation
        if by is not None and by != member_id and member_id in seats and not any(
                e.person_id == by for e in subs.get(member_id, [])):
            who = person_by_id(db, by)
            subs.setdefault(member_id, []).append(Expected(
                by, who.name, who.email, "", "attend", member_id, seats[member_id].name,
                seats[member_id].email, True))
    expected: list[Expected] = []
    for pid, seat in seats.items():
        expected.append(Expected(pid, seat.name, seat.email, seat.office,
                                 lines[seat.email].reply, present=(pid, pid) in present))
        expected.extend(subs.get(pid, []))
    begun = meeting_still_open(replace(meeting, status="scheduled"), app.clock.now())
    may_record = (Verdict(False, "the register can be saved once the meeting has begun",
                          code="not_begun") if begun.ok else
                  Verdict(True, "the meeting has begun", code="begun"))
    return RegisterSheet(meeting, tuple(expected), recorded,
                         attendance_verdict(app, meeting) if recorded else None, may_record)


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
