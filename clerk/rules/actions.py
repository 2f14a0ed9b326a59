"""Action points (pure): whether an action is overdue (worked out, never stored), when its owner
is reminded, and who may change it. Verdict codes are :data:`ActionCode`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from clerk.rules.verdict import Verdict
from clerk.rules.workdays import add_working_days

ActionStatus = Literal["open", "done", "withdrawn"]
"""What is stored: open until done (or withdrawn by the facilitator: read from the minutes by
mistake, say). Overdue is an open action past its due date."""
ACTION_STATUSES: tuple[ActionStatus, ...] = ("open", "done", "withdrawn")

ActionCode = Literal["overdue", "due_today", "not_due", "no_date", "closed"]

OwnerProblem = Literal["unknown_owner", "ambiguous_owner"]
"""What stops an owner being written to: a name that is no member of the body (and no address
was given), or a name two members share."""


def action_state(status: str, due: date | None, today: date) -> Verdict:
    """Whether an action needs chasing: ``overdue`` (open, past its date), ``due_today``,
    ``not_due``, ``no_date`` (open, no date set), or ``closed`` (done or withdrawn)."""
    if status != "open":
        return Verdict(False, f"the action is {status}", code="closed")
    if due is None:
        return Verdict(False, "the action has no due date", code="no_date")
    if today > due:
        return Verdict(True, "the action is overdue", code="overdue")
    if today == due:
        return Verdict(False, "the action is due today", code="due_today")
    return Verdict(False, "the action is not due yet", code="not_due")


def reminder_day(due: date, working_days_before: int) -> date:
    """The day an action's owner is reminded: ``working_days_before`` working days before it is
    due (0: on the day)."""
    return add_working_days(due, -working_days_before) if working_days_before else due


def new_due_date(current: date | None, asked: date, today: date) -> Verdict:
    """Whether an owner's new date can be recorded: it must not be in the past."""
    if asked < today:
        return Verdict(False, "the date asked for has passed", code="past")
    if current is not None and asked == current:
        return Verdict(True, "the action is due that day already", code="same")
    return Verdict(True, "the new date is recorded", code="ok")
