"""Who may see a meeting's status from a linked chat: the facilitator and the chair (and the
vice-chair). Who may approve the agenda is the papers side's rule,
:func:`clerk.rules.papers.may_approve_agenda` (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict

Role = str  # "chair" | "vice_chair" | "facilitator"


def staff_roles(body: Body, email: str, office: str | None, chair: Chair | None) -> frozenset[Role]:
    """The roles an address holds on a body: by office (an active membership), as the Chair
    :func:`chair_of` found (the configured ``chair_email`` only while no member holds the office),
    or as the configured ``facilitator``."""
    email = email.strip().lower()
    roles: set[Role] = set()
    office = (office or "").casefold()
    if office and office == body.chairing.chair_office.casefold():
        roles.add("chair")
    if office and body.chairing.deputy_office and office == body.chairing.deputy_office.casefold():
        roles.add("vice_chair")
    if chair is not None and chair.by == "configuration" and email == chair.email.strip().lower():
        roles.add("chair")
    if body.facilitator and email == body.facilitator.lower():
        roles.add("facilitator")
    return frozenset(roles)


@dataclass(frozen=True)
class OfficeHolder:
    """A member holding an office on a body (an active membership)."""

    email: str
    name: str
    office: str


@dataclass(frozen=True)
class Chair:
    """Who the Chair is, and how clerk knows: by the office a member holds, or by the
    configuration's ``chair_email`` (which counts only while no member holds the office)."""

    email: str
    name: str
    by: Literal["office", "configuration"]


def chair_of(body: Body, holders: Sequence[OfficeHolder]) -> Chair | None:
    """The Chair of ``body``: the first of ``holders`` (active members with an office, in the
    caller's order) holding the body's chair office; else the configured ``chair_email``; else
    nobody. The one precedence every part of clerk uses."""
    office = body.chairing.chair_office.casefold()
    for holder in holders:
        if holder.office.casefold() == office:
            return Chair(holder.email, holder.name, "office")
    if body.chair_email:
        return Chair(body.chair_email, "Chair", "configuration")
    return None


def may_see_status(body: Body, roles: frozenset[Role]) -> Verdict:
    if roles & {"chair", "vice_chair", "facilitator"}:
        return Verdict(True, f"you are the {_role_words(roles)} of the {body.label}")
    return Verdict(False, f"only the facilitator and the chair of the {body.label} can see "
                          "a meeting's status")


def _role_words(roles: frozenset[Role]) -> str:
    order = ["chair", "vice_chair", "facilitator"]
    return " and ".join(r.replace("_", "-") for r in order if r in roles)
