"""Substitutes and chairing: who may stand in for whom, and who takes the chair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from clerk.rules.people import Attendee, Seat
from clerk.rules.verdict import Verdict


class SubstitutePolicy(BaseModel):
    """A body's substitute rules, from its terms of reference."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    allowed: bool = True
    named_only: bool = False
    not_for_offices: list[str] = []
    one_member_only: bool = True
    note: str = ""


class ChairPolicy(BaseModel):
    """Who chairs: the office that chairs, who takes over, and whether a substitute may chair."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    chair_office: str = "chair"
    deputy_office: str = "vice_chair"
    substitute_may_chair: bool = False
    appointed: str = ""
    elected_annually: bool = False


def may_substitute(
    policy: SubstitutePolicy,
    member: Seat,
    substitute_email: str,
    *,
    named: Sequence[str] = (),
    standing_for: Mapping[str, str] | None = None,
    body_members: Sequence[str] = (),
) -> Verdict:
    """May ``substitute_email`` stand in for ``member`` at a meeting?

    ``named`` lists the member's named substitutes; ``standing_for`` maps substitute addresses
    already accepted for this meeting to the member each stands for; ``body_members`` holds the
    body's own members' addresses (a member cannot double as someone else's substitute).
    """
    sub = substitute_email.strip().lower()
    if not policy.allowed:
        return Verdict(False, "this body does not allow substitutes")
    if member.office and member.office.casefold() in {o.casefold() for o in policy.not_for_offices}:
        title = member.office.replace("_", "-")
        return Verdict(False, f"the {title} may not send a substitute")
    if sub == member.email.lower():
        return Verdict(False, "a member cannot be their own substitute")
    if sub in {m.lower() for m in body_members}:
        return Verdict(False, f"{sub} is a member in their own right and cannot also be a substitute")
    if policy.named_only and sub not in {n.lower() for n in named}:
        return Verdict(False, f"{sub} is not one of {member.name}'s named substitutes")
    already = (standing_for or {}).get(sub)
    if policy.one_member_only and already and already.lower() != member.email.lower():
        return Verdict(False, f"{sub} is already the substitute for another member, "
                              "and may stand for one member only")
    return Verdict(True, f"{sub} may attend in place of {member.name}")


@dataclass(frozen=True)
class StandIns:
    """Who could stand in for a member instead: anyone (not otherwise excluded), or only the
    named substitutes listed (none: the member may not send a substitute at all)."""

    anyone: bool
    named: tuple[str, ...] = ()


MayOfferCode = Literal["offer", "not_allowed", "office_barred", "is_substitute"]


def may_offer_substitute(policy: SubstitutePolicy, office: str, *, is_substitute: bool) -> Verdict:
    """Whether to offer an invited person the "send a substitute" answer (by email or chat): not
    when the body allows none, not to an office the body bars, and not to someone who is
    themselves a substitute. Codes: ``offer``, ``not_allowed``, ``office_barred``,
    ``is_substitute``."""
    if not policy.allowed:
        return Verdict(False, "this body does not allow substitutes", code="not_allowed")
    if is_substitute:
        return Verdict(False, "a substitute cannot send a substitute of their own",
                       code="is_substitute")
    if office and office.casefold() in {o.casefold() for o in policy.not_for_offices}:
        return Verdict(False, f"the {office.replace('_', '-')} may not send a substitute",
                       code="office_barred")
    return Verdict(True, "the member may send a substitute", code="offer")


def who_may_stand_in(policy: SubstitutePolicy, member: Seat, named: Sequence[str] = ()) -> StandIns:
    """Whom the rules would accept in ``member``'s place, to tell a member whose substitute was
    refused what would do instead."""
    if not policy.allowed or (member.office and member.office.casefold() in
                              {o.casefold() for o in policy.not_for_offices}):
        return StandIns(anyone=False)
    return StandIns(anyone=not policy.named_only, named=tuple(n.lower() for n in named))


def who_chairs(policy: ChairPolicy, present: Sequence[Attendee]) -> Verdict:
    """Who takes the chair: the Chair in person, else the deputy; a substitute only if allowed."""
    by_office: dict[str, list[Attendee]] = {}
    for attendee in present:
        by_office.setdefault(attendee.seat.office.casefold(), []).append(attendee)
    for office in (policy.chair_office, policy.deputy_office):
        for attendee in by_office.get(office.casefold(), []):
            if attendee.in_person:
                return Verdict(True, f"{attendee.seat.name} ({office.replace('_', '-')}) chairs")
    if policy.substitute_may_chair:
        for office in (policy.chair_office, policy.deputy_office):
            for attendee in by_office.get(office.casefold(), []):
                return Verdict(True, f"{attendee.substitute} chairs as substitute for the "
                                     f"{office.replace('_', '-')}")
    subs = [a for o in (policy.chair_office, policy.deputy_office) for a in by_office.get(o, [])]
    if subs:
        return Verdict(False, "neither the Chair nor the Vice-Chair is present in person, and "
                              f"a substitute ({subs[0].substitute}) may not chair")
    return Verdict(False, "neither the Chair nor the Vice-Chair is present")
