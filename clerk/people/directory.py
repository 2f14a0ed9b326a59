"""People and their seats: the :class:`Person` row, finding or creating a person, and reading a
member's seat for the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.rules.people import Seat
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import to_iso

_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Person:
    """Someone clerk writes to (a member, a substitute, an officer): a row of ``people``.
    ``undeliverable`` holds why mail to them stopped (a bounce), or None."""

    id: int
    email: str
    name: str
    undeliverable: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Person:
        return cls(id=int(row["id"]), email=str(row["email"]), name=str(row["name"]),
                   undeliverable=row.get("undeliverable") or None)


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def normalise_email(text: str) -> str:
    return text.strip().lower()


def find_person(db: Database, email: str) -> Person | None:
    """The person with this address, or None."""
    row = fetch_one(db, "SELECT * FROM people WHERE email = ?", [normalise_email(email)])
    return Person.from_row(row) if row else None


def person_by_id(db: Database, person_id: int) -> Person:
    """The person with this id (ids come from rows that refer to people: it exists)."""
    row = fetch_one(db, "SELECT * FROM people WHERE id = ?", [person_id])
    if row is None:
        raise LookupError(f"no person with id {person_id}")
    return Person.from_row(row)


def ensure_person(db: Database, email: str, name: str, now: datetime) -> Person:
    """The person with this address, created if new; a better (non-empty) name replaces a blank."""
    person = find_person(db, email)
    if person is None:
        pid = insert(db, "people", {"email": normalise_email(email), "name": name.strip() or email,
                                   "created_at": to_iso(now)})
        return person_by_id(db, pid)
    if name.strip() and person.name in ("", person.email):
        return rename_person(db, person, name.strip())
    return person


def rename_person(db: Database, person: Person, name: str) -> Person:
    """Give this person a new name; returns the person as now stored."""
    update(db, "people", person.id, {"name": name})
    return Person(person.id, person.email, name, person.undeliverable)


#: The seats of a body: its active memberships (one ended by ``clerk members end`` keeps its row,
#: with ``active = 0``, and is no seat: not invited, not counted for quorum, given no ballot).
_SEATS = """
SELECT p.id AS person_id, p.email, p.name, m.role, m.office, m.organisation, m.sector,
       m.carer, m.voting, m.advisory, p.undeliverable
FROM memberships m JOIN people p ON p.id = m.person_id
WHERE m.body = ? AND m.active = 1
"""
SEAT_SQL = _SEATS + "ORDER BY p.name"


def seat_from_row(row: dict[str, Any]) -> Seat:
    return Seat(email=row["email"], name=row["name"], role=row["role"], office=row["office"],
                organisation=row["organisation"], sector=row["sector"], carer=bool(row["carer"]),
                voting=bool(row["voting"]), advisory=bool(row["advisory"]))


def body_seats(db: Database, body: str) -> dict[int, Seat]:
    """Every active member of a body, by person id."""
    return {row["person_id"]: seat_from_row(row) for row in fetch_all(db, SEAT_SQL, [body])}


def member_seat(db: Database, body: str, person_id: int) -> Seat | None:
    """One person's active seat on a body, or None (one indexed row, where :func:`body_seats`
    reads the whole membership: what answering one invitation needs)."""
    row = fetch_one(db, _SEATS + "AND m.person_id = ?", [body, person_id])
    return seat_from_row(row) if row else None


@dataclass(frozen=True)
class Membership:
    """A seat a person holds: the body's slug and the office held there (``""`` if none)."""

    body: str
    office: str


def memberships_of(db: Database, person_id: int) -> list[Membership]:
    """The bodies a person sits on (active memberships), by slug."""
    return [Membership(r["body"], r["office"]) for r in fetch_all(
        db, "SELECT body, office FROM memberships WHERE person_id = ? AND active = 1 "
            "ORDER BY body", [person_id])]


def office_of(db: Database, body: str, person_id: int) -> str:
    """The office this person holds on a body (an active membership), or ``""``."""
    row = fetch_one(db, "SELECT office FROM memberships WHERE person_id = ? AND body = ? AND "
                        "active = 1", [person_id, body])
    return str(row["office"]) if row else ""


def named_substitutes(db: Database, body: str, member_id: int) -> list[str]:
    rows = fetch_all(db, "SELECT p.email FROM named_substitutes n JOIN people p "
                         "ON p.id = n.substitute_id WHERE n.body = ? AND n.member_id = ?",
                     [body, member_id])
    return [r["email"] for r in rows]
