"""People and their seats: finding or creating a person, and reading a member's seat for the rules."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from clerk.rules.people import Seat
from clerk.store import audit
from clerk.store.rows import insert
from clerk.times import to_iso

_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def normalise_email(text: str) -> str:
    return text.strip().lower()


def find_person(db: Database, email: str) -> dict[str, Any] | None:
    return next(iter(db.query("SELECT * FROM people WHERE email = ?", [normalise_email(email)])),
                None)


def clear_undeliverable(db: Database, person: dict[str, Any], *, now: Any, actor: str,
                        why: str, channel: str = "cli",
                        evidence: dict[str, Any] | None = None) -> str | None:
    """Send mail to this person again; returns the bounce that had stopped it (None, and no
    change, if nothing had). Call inside a write transaction: it writes an audit event."""
    before = person.get("undeliverable")
    if not before:
        return None
    db.execute("UPDATE people SET undeliverable = NULL WHERE id = ?", [person["id"]])
    audit.record(db, at=now, actor=actor, action="mail.deliverable", subject=person["email"],
                 channel=channel, evidence=evidence, detail={"was": before, "why": why})
    person["undeliverable"] = None
    return str(before)


def ensure_person(db: Database, email: str, name: str, now: Any) -> dict[str, Any]:
    """The person with this address, created if new; a better (non-empty) name replaces a blank."""
    person = find_person(db, email)
    if person is None:
        pid = insert(db, "people", {"email": normalise_email(email), "name": name.strip() or email,
                                   "created_at": to_iso(now)})
        return dict(db.table("people").get(pid))
    if name.strip() and person["name"] in ("", person["email"]):
        db.table("people").update(person["id"], {"name": name.strip()})
        person["name"] = name.strip()
    return person


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
    return {row["person_id"]: seat_from_row(row) for row in db.query(SEAT_SQL, [body])}


def member_seat(db: Database, body: str, person_id: int) -> Seat | None:
    """One person's active seat on a body, or None (one indexed row, where :func:`body_seats`
    reads the whole membership: what answering one invitation needs)."""
    row = next(iter(db.query(_SEATS + "AND m.person_id = ?", [body, person_id])), None)
    return seat_from_row(row) if row else None


def named_substitutes(db: Database, body: str, member_id: int) -> list[str]:
    rows = db.query("SELECT p.email FROM named_substitutes n JOIN people p ON p.id = n.substitute_id"
                    " WHERE n.body = ? AND n.member_id = ?", [body, member_id])
    return [r["email"] for r in rows]
