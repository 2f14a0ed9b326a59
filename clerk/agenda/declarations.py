"""Declarations of interest: a member declares an interest in an agenda item (by replying to the
papers, in the bot, or to the facilitator); each is recorded against the item and listed in the
meeting record.

``record_declaration(app, RecordDeclaration(meeting, email, item, interest, ...))`` records one
(the same declaration again changes nothing); ``list_declarations(app, meeting_ref)`` lists them;
``declarants(app, meeting_ref)`` lists the members who may be recorded as declaring (reads only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from clerk.agenda.items import read_agenda, sync_standing_items
from clerk.app import Clerk
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import get_meeting
from clerk.people.directory import body_seats, find_person, normalise_email
from clerk.store import audit
from clerk.store.rows import execute, fetch_all
from clerk.times import to_iso


@dataclass(frozen=True)
class RecordDeclaration:
    """``email`` declares ``interest`` in agenda item number ``item``."""

    meeting: str
    email: str
    item: int
    interest: str
    channel: str = "cli"
    evidence: dict[str, Any] = field(default_factory=dict)
    #: Names the item instead of ``item`` when given (:attr:`clerk.agenda.items.AgendaItem.key`).
    item_key: str = ""


@dataclass(frozen=True)
class Declaration:
    """A declaration of interest on record: the item (number and title), who, what, and how."""

    item: int
    title: str
    name: str
    email: str
    interest: str
    channel: str
    declared_at: str


@dataclass(frozen=True)
class DeclarationOutcome:
    status: Literal["recorded", "already"]
    meeting: str
    email: str
    item: int
    item_title: str
    interest: str


def record_declaration(app: Clerk, cmd: RecordDeclaration) -> DeclarationOutcome:
    """Record a declaration of interest against an agenda item."""
    meeting = get_meeting(app, cmd.meeting)
    interest = " ".join(cmd.interest.split())
    if not interest:
        raise BadInput("say what the interest is (for example: a trustee of ...)")
    email = normalise_email(cmd.email)
    now = app.clock.now()
    with app.store.write() as db:
        person = find_person(db, email)
        if person is None:
            raise Refused(f"{email} is not someone clerk knows, so cannot declare an interest")
        sync_standing_items(app, db, meeting)
        agenda = read_agenda(app, db, meeting)
        item = agenda.by_key(cmd.item_key) if cmd.item_key else agenda.item(cmd.item)
        recorded = execute(
            db, "INSERT OR IGNORE INTO declarations (meeting_id, item_id, person_id, interest, "
                "channel, evidence, declared_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [meeting.id, item.id, person.id, interest, cmd.channel,
             json.dumps(cmd.evidence, sort_keys=True, default=str), to_iso(now)])
        if not recorded:
            return DeclarationOutcome("already", meeting.ref, email, item.number, item.title,
                                      interest)
        audit.record(db, at=now, actor=email, action="declaration.record", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"item": item.number, "title": item.title, "interest": interest})
        return DeclarationOutcome("recorded", meeting.ref, email, item.number, item.title,
                                  interest)


def list_declarations(app: Clerk, meeting_ref: str) -> list[Declaration]:
    """The meeting's declarations, by item number, with who declared what and how."""
    meeting = get_meeting(app, meeting_ref)
    db = app.store.db
    numbers = {i.id: (i.number, i.title) for i in read_agenda(app, db, meeting).items}
    rows = fetch_all(db, "SELECT d.item_id, d.interest, d.channel, d.declared_at, p.name, "
                         "p.email FROM declarations d JOIN people p ON p.id = d.person_id WHERE "
                         "d.meeting_id = ? ORDER BY d.id", [meeting.id])
    out = [Declaration(*numbers.get(r["item_id"], (0, "")), r["name"], r["email"],
                       r["interest"], r["channel"], r["declared_at"]) for r in rows]
    return sorted(out, key=lambda d: (d.item, d.name))


@dataclass(frozen=True)
class Declarant:
    """A member of the meeting's body, who may declare an interest."""

    email: str
    name: str


def declarants(app: Clerk, meeting_ref: str) -> tuple[Declarant, ...]:
    """The active members of the meeting's body, by name (whom the facilitator may record a
    declaration for)."""
    meeting = get_meeting(app, meeting_ref)
    seats = body_seats(app.store.db, meeting.body).values()
    return tuple(sorted((Declarant(s.email, s.name) for s in seats),
                        key=lambda d: (d.name.casefold(), d.email)))
