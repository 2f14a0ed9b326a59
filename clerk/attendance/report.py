"""The attendance report of a body over a period (read only): per member and per organisation,
the meetings they were due at and how each went, from the registers recorded
(:func:`attendance_report`); and the same as CSV rows and as JSON (:func:`as_csv`,
:func:`as_dict`), which the CLI, the console, the annual email and the site share.

What counts: a meeting of the body in the period that has taken place (its start has passed),
was not cancelled, and has a register. A past meeting without a register counts for nobody and is
listed (``without_register``) so that the facilitator can record it; a cancelled one is counted
against nobody. A member is due at each counted meeting whose register lists them (a register
lists the members seated that day: someone who joined or left during the period is counted for
their time only), except a meeting after their membership ended (:func:`clerk.rules.attendance.due_at`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput
from clerk.rules.attendance import PERCENTAGE_RULE, Mark, Tally, due_at, mark_of, tally
from clerk.store.rows import fetch_all
from clerk.times import from_iso, to_iso

NO_ORGANISATION = "(no organisation)"

MEETINGS_SQL = """
SELECT m.id, m.starts_at, m.status,
       EXISTS (SELECT 1 FROM attendance a WHERE a.meeting_id = m.id) AS recorded
FROM meetings m WHERE m.body = ? AND m.starts_at >= ? AND m.starts_at < ?
ORDER BY m.starts_at
"""

LINES_SQL = """
SELECT a.meeting_id, a.member_id, a.status, a.present_by, p.name, p.email,
       COALESCE(ms.organisation, '') AS organisation, COALESCE(ms.ended_on, '') AS ended_on,
       COALESCE(ms.active, 0) AS active
FROM meetings m JOIN attendance a ON a.meeting_id = m.id JOIN people p ON p.id = a.member_id
LEFT JOIN memberships ms ON ms.body = m.body AND ms.person_id = a.member_id
WHERE m.body = ? AND m.starts_at >= ? AND m.starts_at < ? AND m.starts_at <= ?
  AND m.status != 'cancelled'
"""


@dataclass(frozen=True)
class MemberLine:
    """One member's record: ``current`` when their membership is still active."""

    name: str
    email: str
    organisation: str
    tally: Tally
    current: bool


@dataclass(frozen=True)
class OrganisationLine:
    """An organisation's record: its members' counts added up."""

    organisation: str
    members: int
    tally: Tally


@dataclass(frozen=True)
class AttendanceReport:
    """A body's attendance from ``start`` to ``end`` (days, both included). ``held`` are the
    days of the meetings counted; ``cancelled`` those cancelled (counted against nobody);
    ``without_register`` past meetings with no register (counted for nobody); ``not_yet_held``
    how many in the period are still to come."""

    body: str
    body_name: str
    start: date
    end: date
    held: tuple[date, ...]
    cancelled: tuple[date, ...]
    without_register: tuple[date, ...]
    not_yet_held: int
    members: tuple[MemberLine, ...]
    organisations: tuple[OrganisationLine, ...]
    total: Tally
    rule: str = PERCENTAGE_RULE


def period(today: date, *, year: int | None = None, start: date | None = None,
           end: date | None = None) -> tuple[date, date]:
    """The period asked for: a calendar ``year``, or ``start`` to ``end`` (either may be left
    out: the first of January of ``end``'s year, or today), or else this year to date."""
    if year is not None:
        if start is not None or end is not None:
            raise BadInput("give either a year or a from/to period, not both")
        return date(year, 1, 1), date(year, 12, 31)
    if start is None and end is None:
        return date(today.year, 1, 1), today
    last = end or today
    first = start or date(last.year, 1, 1)
    if first > last:
        raise BadInput(f"the period starts ({first.isoformat()}) after it ends "
                       f"({last.isoformat()})")
    return first, last


def attendance_report(app: Clerk, slug: str, start: date, end: date,
                      db: Database | None = None) -> AttendanceReport:
    """The attendance of the body ``slug`` from ``start`` to ``end`` (local days, included)."""
    body = app.body(slug)
    db = db if db is not None else app.store.db
    zone = app.tz
    low = to_iso(datetime.combine(start, time(0), tzinfo=zone))
    high = to_iso(datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone))
    now = app.clock.now()
    held: list[date] = []
    cancelled: list[date] = []
    without: list[date] = []
    to_come = 0
    counted: dict[int, date] = {}
    for row in fetch_all(db, MEETINGS_SQL, [slug, low, high]):
        starts = from_iso(row["starts_at"])
        day = starts.astimezone(zone).date()
        if row["status"] == "cancelled":
            cancelled.append(day)
        elif starts > now:
            to_come += 1
        elif not row["recorded"]:
            without.append(day)
        else:
            held.append(day)
            counted[row["id"]] = day
    marks: dict[int, list[Mark]] = defaultdict(list)
    people: dict[int, dict[str, Any]] = {}
    for row in fetch_all(db, LINES_SQL, [slug, low, high, to_iso(now)]):
        held_on = counted.get(row["meeting_id"])
        if held_on is None:
            continue
        ended = date.fromisoformat(row["ended_on"]) if row["ended_on"] else None
        if not due_at(held_on, ended).ok:
            continue
        pid = row["member_id"]
        people.setdefault(pid, row)
        marks[pid].append(mark_of(row["status"], pid, row["present_by"]))
    members = sorted(
        (MemberLine(p["name"] or p["email"], p["email"], p["organisation"], tally(marks[pid]),
                    bool(p["active"]) and not p["ended_on"]) for pid, p in people.items()),
        key=lambda m: (m.name.casefold(), m.email))
    by_org: dict[str, list[MemberLine]] = defaultdict(list)
    for member in members:
        by_org[member.organisation or NO_ORGANISATION].append(member)
    organisations = tuple(
        OrganisationLine(org, len(lines), sum((m.tally for m in lines), Tally()))
        for org, lines in sorted(by_org.items(), key=lambda kv: kv[0].casefold()))
    total = sum((m.tally for m in members), Tally())
    return AttendanceReport(slug, body.name, start, end, tuple(held), tuple(cancelled),
                            tuple(without), to_come, tuple(members), organisations, total)


# --- the report as data: CSV and JSON -------------------------------------------------------

CSV_HEADER = ("kind", "name", "organisation", "due", "in_person", "by_substitute", "apologies",
              "absent_without_notice", "attended", "percentage")


def _counts(t: Tally) -> list[Any]:
    return [t.due, t.in_person, t.substitute, t.apologies, t.absent_without_notice, t.attended,
            "" if t.percentage is None else t.percentage]


def as_csv(report: AttendanceReport) -> str:
    """The report as CSV: one row per member, then per organisation, then the body's total
    (``kind`` says which); no email addresses. A spreadsheet opens it as it is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for m in report.members:
        writer.writerow(["member", m.name, m.organisation, *_counts(m.tally)])
    for o in report.organisations:
        writer.writerow(["organisation", o.organisation, "", *_counts(o.tally)])
    writer.writerow(["total", report.body_name, "", *_counts(report.total)])
    return out.getvalue()


def _tally_dict(t: Tally) -> dict[str, Any]:
    return {"due": t.due, "in_person": t.in_person, "by_substitute": t.substitute,
            "apologies": t.apologies, "absent_without_notice": t.absent_without_notice,
            "attended": t.attended, "percentage": t.percentage}


def as_dict(report: AttendanceReport) -> dict[str, Any]:
    """The report as JSON-ready data (members with their addresses: for the facilitator)."""
    return {
        "body": report.body, "name": report.body_name, "from": report.start.isoformat(),
        "to": report.end.isoformat(), "percentage_rule": report.rule,
        "meetings_counted": [d.isoformat() for d in report.held],
        "cancelled_not_counted": [d.isoformat() for d in report.cancelled],
        "without_register_not_counted": [d.isoformat() for d in report.without_register],
        "not_yet_held": report.not_yet_held,
        "members": [{"name": m.name, "email": m.email, "organisation": m.organisation,
                     "current": m.current, **_tally_dict(m.tally)} for m in report.members],
        "organisations": [{"organisation": o.organisation, "members": o.members,
                           **_tally_dict(o.tally)} for o in report.organisations],
        "total": _tally_dict(report.total),
    }
