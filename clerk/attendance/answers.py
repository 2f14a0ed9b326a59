"""Each member's answer to a meeting's invitation as the facilitator reads it: the reply, by
which channel (email, chat, console, phone...) and when, who recorded it, and the substitute a
member named with that person's own answer. Read only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clerk.app import Clerk
from clerk.meetings.schedule import get_meeting
from clerk.people.directory import body_seats
from clerk.store.rows import fetch_all
from clerk.times import from_iso

ANSWERS_SQL = """
SELECT i.person_id, i.reply, i.replied_at, i.channel, i.evidence, i.substitute_id, i.stands_for,
       p.name, p.email, p.undeliverable
FROM invitations i JOIN people p ON p.id = i.person_id
WHERE i.meeting_id = ?
"""


@dataclass(frozen=True)
class Answer:
    """One person's answer: ``reply`` is ``no_reply``, ``attend``, ``apologies``, ``substitute``
    (apologies, with a substitute coming) or ``withdrawn`` (a substitute no longer expected);
    ``channel`` and ``replied_at`` are empty until they answer; ``recorded_by`` names who
    recorded a reply given by phone or in person; ``invited``: an invitation is on record."""

    person_id: int
    name: str
    email: str
    office: str
    reply: str
    channel: str
    replied_at: datetime | None
    recorded_by: str
    invited: bool
    undeliverable: str
    substitute: Answer | None = None


def _recorded_by(evidence: str | None) -> str:
    text = evidence or ""
    return text.removeprefix("recorded by ") if text.startswith("recorded by ") else ""


def reply_sheet(app: Clerk, ref: str) -> tuple[Answer, ...]:
    """Every member of the meeting's body (by name) with their answer, and the substitute each
    named with theirs."""
    meeting = get_meeting(app, ref)
    db = app.store.db
    rows = {r["person_id"]: r for r in fetch_all(db, ANSWERS_SQL, [meeting.id])}

    def answer(pid: int, name: str, email: str, office: str, undeliverable: str) -> Answer:
        row = rows.get(pid)
        if row is None:
            return Answer(pid, name, email, office, "no_reply", "", None, "", False,
                          undeliverable)
        sub = rows.get(row["substitute_id"]) if row["substitute_id"] is not None else None
        replied = row["replied_at"]
        return Answer(pid, name, email, office, row["reply"],
                      row["channel"] or "" if replied else "",
                      from_iso(replied) if replied else None, _recorded_by(row["evidence"]),
                      True, undeliverable,
                      answer(sub["person_id"], sub["name"], sub["email"], "",
                             sub["undeliverable"] or "") if sub and row["reply"] == "substitute"
                      else None)

    undeliverable = {r["id"]: r["undeliverable"] or "" for r in fetch_all(
        db, "SELECT p.id, p.undeliverable FROM memberships m JOIN people p ON p.id = m.person_id "
            "WHERE m.body = ? AND m.active = 1", [meeting.body])}
    return tuple(answer(pid, seat.name, seat.email, seat.office, undeliverable.get(pid, ""))
                 for pid, seat in body_seats(db, meeting.body).items())
