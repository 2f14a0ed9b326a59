"""Who is in the room: the member seats a rule reasons over, filled in person or by a substitute;
and when a membership may end, and what an import does with a member whose membership has ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from clerk.rules.verdict import Verdict


@dataclass(frozen=True)
class Seat:
    """One member's place on a body, with the attributes rules select on."""

    email: str
    name: str
    role: str = "member"
    office: str = ""
    organisation: str = ""
    sector: str = ""
    carer: bool = False
    voting: bool = True
    advisory: bool = False


@dataclass(frozen=True)
class Attendee:
    """A seat that is filled: by the member, or by a substitute standing for them."""

    seat: Seat
    substitute: str = ""

    @property
    def in_person(self) -> bool:
        return not self.substitute

    def describe(self) -> str:
        if self.substitute:
            return f"{self.substitute} (for {self.seat.name})"
        return self.seat.name


class Who(BaseModel):
    """Selects seats by their attributes; every field given must match, an empty one matches all.

    ``role``, ``office``, ``organisation`` and ``sector`` take one value or a list of values.
    ``in_person`` set to true counts only members who are there themselves, not substitutes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    role: str | list[str] | None = None
    office: str | list[str] | None = None
    organisation: str | list[str] | None = None
    sector: str | list[str] | None = None
    carer: bool | None = None
    voting: bool | None = None
    advisory: bool | None = None
    in_person: bool | None = None

    def matches_seat(self, seat: Seat) -> bool:
        # the flags first, then only the text fields that are set: quorum forecasts run this for
        # every seat of every meeting on the console's dashboard
        if ((self.carer is not None and seat.carer != self.carer)
                or (self.voting is not None and seat.voting != self.voting)
                or (self.advisory is not None and seat.advisory != self.advisory)):
            return False
        for name in ("role", "office", "organisation", "sector"):
            wanted = getattr(self, name)
            if wanted is None:
                continue
            options = [wanted] if isinstance(wanted, str) else wanted
            if getattr(seat, name).casefold() not in {o.casefold() for o in options}:
                return False
        return True

    def matches(self, attendee: Attendee) -> bool:
        if self.in_person and not attendee.in_person:
            return False
        return self.matches_seat(attendee.seat)

    def describe(self, noun: str = "member") -> str:
        """A plain phrase for the people selected, used in reasons when no label is given."""
        bits = []
        if self.carer:
            bits.append("carer")
        for name in ("role", "office", "organisation", "sector"):
            value = getattr(self, name)
            if value:
                bits.append("/".join([value] if isinstance(value, str) else value))
        text = " ".join(bits) or noun
        if self.voting:
            text = f"voting {text}"
        if self.in_person:
            text += " present in person"
        return text


# ----------------------------------------------------------------------------- ending a membership
# Ending a membership: whether a seat may end on a given day, and what a later import does
# with a row for a member whose seat has ended.

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
