"""A body's members as the console shows them (reads only): who sits on it now, with their
named substitutes and whether mail to them bounces, and whose membership has ended."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from clerk.app import Clerk
from clerk.errors import NotFound
from clerk.store.rows import fetch_all

_ROWS = """
SELECT p.id AS person_id, p.email, p.name, p.undeliverable, m.role, m.office, m.organisation,
       m.sector, m.carer, m.voting, m.advisory, m.active,
       CASE WHEN m.active = 1 THEN ''
            ELSE COALESCE(NULLIF(m.ended_on, ''), substr(m.updated_at, 1, 10)) END AS ended_on
FROM memberships m JOIN people p ON p.id = m.person_id
WHERE m.body = ?
"""

_SUBSTITUTES = """
SELECT n.member_id, p.id AS person_id, p.name, p.email, p.undeliverable
FROM named_substitutes n JOIN people p ON p.id = n.substitute_id
WHERE n.body = ?
ORDER BY p.name
"""


@dataclass(frozen=True)
class Substitute:
    """A member's named substitute; ``undeliverable`` is why mail to them stopped (``""``)."""

    person_id: int
    name: str
    email: str
    undeliverable: str = ""


@dataclass(frozen=True)
class MemberView:
    """A person's membership of a body: their seat, named substitutes, whether mail to them
    bounces (``undeliverable``: the reason, ``""`` if not) and, once it has ended, the day
    (``ended_on``, ``""`` while it lasts)."""

    person_id: int
    body: str
    name: str
    email: str
    role: str
    office: str
    organisation: str
    sector: str
    carer: bool
    voting: bool
    advisory: bool
    undeliverable: str = ""
    ended_on: str = ""
    substitutes: tuple[Substitute, ...] = ()

    @property
    def active(self) -> bool:
        return not self.ended_on


@dataclass(frozen=True)
class BodyMembers:
    """A body's members now (``current``) and those whose membership has ended (``former``,
    latest first), each by name."""

    body: str
    current: tuple[MemberView, ...]
    former: tuple[MemberView, ...]

    @property
    def bouncing(self) -> tuple[MemberView, ...]:
        """Current members whose own address, or a substitute's, bounces."""
        return tuple(m for m in self.current
                     if m.undeliverable or any(s.undeliverable for s in m.substitutes))


def _members(app: Clerk, body: str, person_id: int | None = None) -> list[MemberView]:
    app.body(body)  # NotFound for a body not configured
    db = app.store.db
    sql = _ROWS
    params: list[object] = [body]
    if person_id is not None:
        sql, params = _ROWS + "AND m.person_id = ?", [body, person_id]
    subs: dict[int, list[Substitute]] = defaultdict(list)
    for r in fetch_all(db, _SUBSTITUTES, [body]):
        subs[r["member_id"]].append(Substitute(r["person_id"], r["name"], r["email"],
                                               r["undeliverable"] or ""))
    return [MemberView(r["person_id"], body, r["name"], r["email"], r["role"], r["office"],
                       r["organisation"], r["sector"], bool(r["carer"]), bool(r["voting"]),
                       bool(r["advisory"]), r["undeliverable"] or "", r["ended_on"] or "",
                       tuple(subs.get(r["person_id"], ())))
            for r in fetch_all(db, sql + "ORDER BY p.name", params)]


def body_members(app: Clerk, body: str) -> BodyMembers:
    """The members of ``body``: those now, and those whose membership has ended."""
    everyone = _members(app, body)
    former = sorted((m for m in everyone if not m.active), key=lambda m: m.ended_on,
                    reverse=True)
    return BodyMembers(body, tuple(m for m in everyone if m.active), tuple(former))


def body_member(app: Clerk, body: str, person_id: int) -> MemberView:
    """One person's membership of ``body`` (lasting or ended); NotFound if they have none."""
    found = _members(app, body, person_id)
    if not found:
        raise NotFound(f"that person is not a member of {app.body(body).name}")
    return found[0]
