"""Retention, as rules (pure): when the daily retention job runs, how old raw mail and a former
member's details must be before they go, and whether ``clerk doctor`` should worry that
retention has stopped running."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from clerk.rules.verdict import Verdict

#: The retention job runs once a day at this local time (a quiet hour; it exists every day,
#: even when the clocks change).
RETENTION_TIME = time(3, 0)

#: ``clerk doctor`` warns when retention last ran longer ago than this while the scheduler runs.
STALE_AFTER = timedelta(days=2)

RetentionHealth = Literal["ran_recently", "never_needed", "not_running", "never_ran"]
"""What doctor says of retention: it ran lately; the scheduler has never run here (nothing to
say); it has not run for :data:`STALE_AFTER` while other deadlines ran; it never ran at all
while other deadlines did."""


def raw_mail_cutoff(now: datetime, days: int) -> datetime:
    """Raw bytes of messages that arrived before this moment are deleted."""
    return now - timedelta(days=days)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` years earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def former_member_cutoff(today: date, years: int) -> date:
    """A former member whose last membership ended on or before this day is pseudonymised."""
    return years_before(today, years)


def retention_health(last_ran: datetime | None, scheduler_ran: datetime | None,
                     now: datetime) -> Verdict:
    """Whether retention is keeping up, given when it ``last_ran`` and when the scheduler last
    ran any deadline, retention included (``scheduler_ran``; None: clerk's scheduler has never
    run on this database, so retention is not expected to have run either). Ok when it ran within
    :data:`STALE_AFTER`, or when the scheduler has never run; not ok when the scheduler runs
    deadlines but retention has not run for that long (or at all)."""
    if last_ran is not None and now - last_ran <= STALE_AFTER:
        return Verdict(True, "retention ran within the last two days", code="ran_recently")
    if scheduler_ran is None:
        return Verdict(True, "the scheduler has not run on this database yet",
                       code="never_needed")
    if last_ran is None:
        return Verdict(False, "the scheduler has run deadlines but retention has never run",
                       code="never_ran")
    return Verdict(False, "retention has not run for more than two days", code="not_running")
