"""Ending a membership: whether a seat may end on a given day, and what a later import does
with a row for a member whose seat has ended."""

from __future__ import annotations

from datetime import date
from typing import Literal

from clerk.rules.verdict import Verdict

EndCode = Literal["may_end", "already_ended", "in_future"]
ReappearCode = Literal["rejoins", "stays_ended"]


def may_end_membership(ended_on: date | None, on: date, today: date) -> Verdict:
    """May a membership end on ``on`` (as seen on ``today``)? Not if it has ended already
    (``ended_on``), nor on a day still to come: clerk does not keep a seat that ends later, so
    a membership is ended on or after its last day. Codes: ``may_end``, ``already_ended``,
    ``in_future``."""
    if ended_on is not None:
        return Verdict(False, f"the membership already ended on {ended_on.isoformat()}",
                       code="already_ended")
    if on > today:
        return Verdict(False, f"{on.isoformat()} is still to come; end the membership on or "
                       "after that day", code="in_future")
    return Verdict(True, f"the membership ends on {on.isoformat()}", code="may_end")


def ended_member_in_import(ended_on: date, *, rejoin: bool) -> Verdict:
    """A membership file lists someone whose membership has ended: the row brings them back
    only when the import is told they rejoin (a spreadsheet kept from before they left must not
    undo ``clerk members end``). Codes: ``rejoins``, ``stays_ended``."""
    if rejoin:
        return Verdict(True, f"they rejoin (their membership had ended on {ended_on.isoformat()})",
                       code="rejoins")
    return Verdict(False, f"their membership ended on {ended_on.isoformat()}", code="stays_ended")
