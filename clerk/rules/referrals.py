"""Referrals and reports between bodies (pure): which decisions may be referred and to which
body, and at which meeting of a receiving body a periodic report is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from clerk.rules.terms import Body, ReportEvery
from clerk.rules.verdict import Verdict

ReferCode = Literal["referable", "already_referred", "in_ballot", "ratified", "unknown_status"]
"""Whether a decision may be referred, as a code."""

ReportCode = Literal["report_late", "arrived", "not_yet", "meeting_begun"]
"""Whether a report due at a meeting needs attention, as a code."""

TargetCode = Literal["named", "refer_to", "reports_to", "no_parent", "ambiguous", "itself"]
"""Where a referral goes, or why clerk cannot tell, as a code."""

#: The statuses of a decision a body may refer: recorded but not settled by the body itself
#: (for a body deciding by consensus, "agreed" only records the matter).
REFERABLE = frozenset({"agreed", "carried_forward", "not_ratified"})


def may_refer(status: str) -> Verdict:
    """Whether a decision with this status may be referred to another body."""
    if status in REFERABLE:
        return Verdict(True, "the decision may be referred", code="referable")
    if status == "referred":
        return Verdict(False, "the decision has already been referred", code="already_referred")
    if status == "provisional":
        return Verdict(False, "the decision awaits its email vote: refer it once the vote has "
                              "closed (if it is not ratified)", code="in_ballot")
    if status == "ratified":
        return Verdict(False, "the decision was ratified by email vote: it is resolved",
                       code="ratified")
    return Verdict(False, f"a decision with status {status!r} cannot be referred",
                   code="unknown_status")


def referral_target(slug: str, body: Body, named: str = "") -> tuple[str, Verdict]:
    """Which body a decision of ``slug`` goes to, and why: the one ``named`` (a slug, already
    resolved), else ``decisions.unresolved.refer_to``, else the one body of ``reports_to``. The
    slug is empty when the verdict is not ok."""
    if named:
        if named == slug:
            return "", Verdict(False, "a body cannot refer a decision to itself", code="itself")
        return named, Verdict(True, "the body named", code="named")
    if body.decisions.unresolved.refer_to:
        return body.decisions.unresolved.refer_to, Verdict(
            True, "the body's decisions.unresolved.refer_to", code="refer_to")
    if len(body.reports_to) == 1:
        return body.reports_to[0], Verdict(True, "the one body of reports_to", code="reports_to")
    if body.reports_to:
        return "", Verdict(False, f"{body.label} reports to {', '.join(body.reports_to)}: say "
                                  "which with --to", code="ambiguous")
    return "", Verdict(False, f"{body.label} names no body to refer to (set "
                              "decisions.unresolved = { refer_to = SLUG } or reports_to, or give "
                              "--to)", code="no_parent")


def period_of(every: ReportEvery, day: date) -> tuple[int, int] | None:
    """The period a report ``every`` so often falls in on ``day`` (None for every meeting)."""
    if every == "quarter":
        return day.year, (day.month - 1) // 3
    if every == "half-year":
        return day.year, (day.month - 1) // 6
    if every == "year":
        return day.year, 0
    return None


def report_due(every: ReportEvery, meeting_day: date, earlier_days: Iterable[date]) -> bool:
    """Whether a report is due at a meeting held on ``meeting_day``: at every meeting, or at the
    receiving body's first meeting of the period (``earlier_days``: the days of its meetings
    before this one, cancelled ones left out)."""
    period = period_of(every, meeting_day)
    if period is None:
        return True
    return all(period_of(every, day) != period for day in earlier_days)


def due_in_order(every: ReportEvery, days: list[date]) -> list[bool]:
    """For a receiving body's meetings on ``days`` (in time order, cancelled ones left out),
    whether a report ``every`` so often is due at each: :func:`report_due` for them all at once."""
    seen: set[tuple[int, int]] = set()
    out = []
    for day in days:
        period = period_of(every, day)
        out.append(period is None or period not in seen)
        if period is not None:
            seen.add(period)
    return out


def every_words(every: ReportEvery) -> str:
    """``quarterly``, ``every meeting``...: how often, in words."""
    return {"meeting": "every meeting", "quarter": "quarterly", "half-year": "twice a year",
            "year": "yearly"}[every]


def report_late(arrived: bool, late_at: datetime, starts_at: datetime, now: datetime) -> Verdict:
    """Whether a report due at a coming meeting needs attention: its paper has not arrived and
    the papers deadline (``late_at``, :func:`clerk.rules.deadlines.report_late_at`) has passed
    (``report_late``); never once the paper is in or the meeting has begun."""
    if arrived:
        return Verdict(False, "the paper has arrived", code="arrived")
    if now >= starts_at:
        return Verdict(False, "the meeting has begun", code="meeting_begun")
    if now >= late_at:
        return Verdict(True, "the paper has not arrived and the papers deadline has passed",
                       code="report_late")
    return Verdict(False, "the papers deadline has not passed", code="not_yet")
