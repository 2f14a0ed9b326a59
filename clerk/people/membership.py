"""Members: importing the membership from CSV (bad rows reported, good rows kept) and listing it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound
from clerk.people.directory import (
    SEAT_SQL,
    ensure_person,
    find_person,
    is_email,
    normalise_email,
    rename_person,
)
from clerk.people.undeliverable import mark_deliverable
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert, update
from clerk.times import to_iso

COLUMNS = ["body", "name", "email", "role", "office", "organisation", "sector", "carer", "voting",
           "advisory", "substitute_name", "substitute_email"]
REQUIRED = ["body", "name", "email"]
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass
class ImportReport:
    """What an import did: counts, and one message per rejected row (with its line number)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _flag(value: str, column: str, default: bool) -> bool:
    text = value.strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f'{column} must be yes or no, got "{value}"')


def _parse_row(row: dict[str, str], bodies: set[str]) -> dict[str, Any]:
    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    missing = [c for c in REQUIRED if not get(c)]
    if missing:
        raise ValueError(f"{', '.join(missing)} is empty")
    if get("body") not in bodies:
        raise ValueError(f'body "{get("body")}" is not in the configuration '
                         f"(known: {', '.join(sorted(bodies))})")
    if not is_email(get("email")):
        raise ValueError(f'email "{get("email")}" is not an email address')
    sub_name, sub_email = get("substitute_name"), get("substitute_email")
    if sub_email and not is_email(sub_email):
        raise ValueError(f'substitute_email "{sub_email}" is not an email address')
    if sub_name and not sub_email:
        raise ValueError("substitute_name is given but substitute_email is empty")
    if normalise_email(sub_email) == normalise_email(get("email")):
        raise ValueError("a member cannot be their own substitute")
    advisory = _flag(get("advisory"), "advisory", False)
    return {
        "body": get("body"),
        "name": get("name"),
        "email": normalise_email(get("email")),
        "role": get("role").lower() or ("advisory" if advisory else "member"),
        "office": get("office").lower().replace("-", "_").replace(" ", "_"),
        "organisation": get("organisation"),
        "sector": get("sector"),
        "carer": int(_flag(get("carer"), "carer", False)),
        "voting": int(_flag(get("voting"), "voting", not advisory)),
        "advisory": int(advisory),
        "substitute_name": sub_name,
        "substitute_email": normalise_email(sub_email),
    }


def import_members(app: Clerk, text: str, *, source: str = "csv") -> ImportReport:
    """Import members from CSV text; a re-import updates people and seats rather than duplicating."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadInput(f"{source}: the first line must name the columns; missing: "
                       f"{', '.join(missing)} (expected {', '.join(COLUMNS)})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise BadInput(f"{source}: unknown column(s) {', '.join(unknown)} "
                       f"(expected {', '.join(COLUMNS)})")
    reader.fieldnames = header
    parsed: list[tuple[int, dict[str, Any]]] = []
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        if None in row:
            report.errors.append((line, "this row has more cells than the header has columns"))
            continue
        try:
            parsed.append((line, _parse_row(row, set(app.config.bodies))))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    now = app.clock.now()
    with app.store.write() as db:
        for line, row in parsed:
            problem = _substitute_conflict(db, row)
            if problem:
                report.errors.append((line, problem))
                continue
            outcome = _upsert_member(db, row, now)
            setattr(report, outcome, getattr(report, outcome) + 1)
        audit.record(db, at=now, actor="facilitator", action="members.import", subject="members",
                     channel="cli", evidence={"source": source},
                     detail={"created": report.created, "updated": report.updated,
                             "errors": len(report.errors)})
    report.errors.sort()
    return report


def _substitute_conflict(db: Database, row: dict[str, Any]) -> str | None:
    """A named substitute may stand for one member only (per body)."""
    if not row["substitute_email"]:
        return None
    sub = find_person(db, row["substitute_email"])
    if sub is None:
        return None
    other = fetch_one(db, "SELECT p.email FROM named_substitutes n JOIN people p "
                          "ON p.id = n.member_id WHERE n.body = ? AND n.substitute_id = ? "
                          "AND p.email != ?", [row["body"], sub.id, row["email"]])
    if other:
        return (f"{row['substitute_email']} is already the named substitute for {other['email']}; "
                "a substitute may stand for one member only")
    return None


def _upsert_member(db: Database, row: dict[str, Any], now: datetime) -> str:
    person = ensure_person(db, row["email"], row["name"], now)
    renamed = person.name != row["name"]
    if renamed:
        person = rename_person(db, person, row["name"])
    seat = {k: row[k] for k in ("role", "office", "organisation", "sector", "carer", "voting",
                                "advisory")}
    existing = fetch_one(db, "SELECT * FROM memberships WHERE body = ? AND person_id = ?",
                         [row["body"], person.id])
    if existing is None:
        insert(db, "memberships", {"body": row["body"], "person_id": person.id, **seat,
                                   "active": 1, "updated_at": to_iso(now)})
        outcome = "created"
    elif any(existing[k] != v for k, v in seat.items()) or not existing["active"] or renamed:
        update(db, "memberships", existing["id"], {**seat, "active": 1,
                                                   "updated_at": to_iso(now)})
        outcome = "updated"
    else:
        outcome = "unchanged"
    if row["substitute_email"]:
        sub = ensure_person(db, row["substitute_email"], row["substitute_name"], now)
        execute(db, "DELETE FROM named_substitutes WHERE body = ? AND member_id = ? "
                    "AND substitute_id != ?", [row["body"], person.id, sub.id])
        execute(db, "INSERT OR IGNORE INTO named_substitutes (body, member_id, substitute_id) "
                    "VALUES (?, ?, ?)", [row["body"], person.id, sub.id])
    return outcome


def list_members(app: Clerk, body: str | None = None) -> list[dict[str, Any]]:
    """Active members, body by body, with their named substitute if any."""
    bodies = [body] if body else sorted(app.config.bodies)
    if body:
        app.body(body)
    out = []
    for slug in bodies:
        for row in fetch_all(app.store.db, SEAT_SQL, [slug]):
            subs = fetch_all(app.store.db, "SELECT p.name, p.email FROM named_substitutes n "
                             "JOIN people p ON p.id = n.substitute_id WHERE n.body = ? "
                             "AND n.member_id = ?", [slug, row["person_id"]])
            out.append({"body": slug, **{k: row[k] for k in row if k != "person_id"},
                        "carer": bool(row["carer"]), "voting": bool(row["voting"]),
                        "advisory": bool(row["advisory"]),
                        "undeliverable": row["undeliverable"] or "",
                        "substitute": subs[0]["email"] if subs else ""})
    return out


def resume_mail(app: Clerk, email: str) -> str | None:
    """``clerk members resume-mail``: send mail to this address again after a bounce (the
    mailbox was fixed, or the bounce was wrong). Returns the bounce that had stopped it, or None
    if nothing had (and nothing changes); an unknown address is NotFound."""
    with app.store.write() as db:
        person = find_person(db, email)
        if person is None:
            raise NotFound(f"no one in clerk has the address {normalise_email(email)}")
        return mark_deliverable(db, person.email, now=app.clock.now(), actor="cli",
                                why="the facilitator asked for mail to be sent again")
