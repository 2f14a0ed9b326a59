"""A body's officers as recipients: the Chair (by the office a member holds, else the configured
``chair_email``, the one precedence of :func:`clerk.rules.roles.chair_of`) and the facilitator,
who are told of what needs an officer (an observer's question, a quorum warning, an agenda chaser)."""

from __future__ import annotations

from sqlite_utils import Database

from clerk.rules.roles import OfficeHolder, chair_of
from clerk.rules.terms import Body
from clerk.store.rows import fetch_all


def office_holders(db: Database, body_slug: str) -> list[OfficeHolder]:
    """The active members of a body who hold an office, in the order they joined it."""
    return [OfficeHolder(r["email"], r["name"], r["office"]) for r in fetch_all(
        db, "SELECT p.email, p.name, m.office FROM memberships m JOIN people p ON p.id = "
            "m.person_id WHERE m.body = ? AND m.active = 1 AND m.office != '' ORDER BY m.id",
        [body_slug])]


def office_holders_by_body(db: Database) -> dict[str, list[OfficeHolder]]:
    """:func:`office_holders` of every body at once (one query), by body slug."""
    found: dict[str, list[OfficeHolder]] = {}
    for r in fetch_all(db, "SELECT m.body, p.email, p.name, m.office FROM memberships m JOIN "
                           "people p ON p.id = m.person_id WHERE m.active = 1 AND m.office != '' "
                           "ORDER BY m.id"):
        found.setdefault(r["body"], []).append(OfficeHolder(r["email"], r["name"], r["office"]))
    return found


def officer_addresses(db: Database, body_slug: str, body: Body) -> list[tuple[str, str]]:
    """The Chair and the facilitator, as (email, name) recipients (either may be missing)."""
    out: list[tuple[str, str]] = []
    chair = chair_of(body, office_holders(db, body_slug))
    if chair is not None:
        out.append((chair.email, chair.name))
    if body.facilitator:
        out.append((body.facilitator, "Facilitator"))
    return out
