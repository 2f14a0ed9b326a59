"""A subject access request answered: everything clerk holds about a person, as JSON and as a
readable HTML page (templates/export/person.html.j2), in one zip archive only its owner can read.

A read: it changes nothing but the file it writes and one audit line (``person.exported``).
Secret election ballots are not in it: nothing links them to a voter (who voted is).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from clerk.errors import NotFound
from clerk.messages import environment
from clerk.people.directory import find_person
from clerk.store import audit
from clerk.store.rows import fetch_all
from clerk.times import to_iso

if TYPE_CHECKING:
    from clerk.app import Clerk

#: The sections of an export, in the order the page shows them, with their headings.
SECTIONS: dict[str, str] = {
    "person": "Your details",
    "memberships": "Your seats",
    "substitutes": "Substitutes",
    "invitations": "Invitations and your replies",
    "attendance": "Attendance",
    "votes": "Your votes (ratification; not secret)",
    "bookings": "Bookings as an observer",
    "chat_links": "Chat links",
    "messages_in": "Messages from you",
    "messages_out": "Messages to you",
    "chat_messages": "Chat messages to you",
    "audit": "Events in the audit log naming you",
    "other": "Other records naming you",
}

#: Columns holding a person's id, for "other records naming you" (outside the named sections).
_PERSON_COLUMNS = ("person_id", "member_id", "substitute_id", "stands_for", "present_by",
                   "owner_id", "requested_by", "supporter_id", "approved_by")
_SECTION_TABLES = frozenset({"people", "memberships", "named_substitutes", "invitations",
                             "attendance", "votes", "bookings", "chat_links", "inbound", "outbox",
                             "chat_outbox", "audit", "audit_subjects", "audit_redactions",
                             "_sqlite_migrations", "reply_keys", "console_sessions",
                             "console_links", "chat_codes", "files", "outbox_bodies",
                             "console_key"})


def _text(raw: Any) -> str:
    return bytes(raw).decode("utf-8", errors="replace") if raw is not None else ""


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (_text(v) if isinstance(v, bytes | memoryview) else v) for k, v in r.items()}
            for r in rows]


def collect(db: Database, email: str) -> dict[str, Any]:
    """Everything clerk holds about the person with address ``email``, by section
    (:data:`SECTIONS`)."""
    person = find_person(db, email)
    if person is None:
        raise NotFound(f"No one has the address {email.strip()}.")
    pid, addr = person.id, person.email.lower()
    found: dict[str, Any] = {
        "person": _plain(fetch_all(db, "SELECT id, email, name, undeliverable, created_at FROM "
                                       "people WHERE id = ?", [pid]))[0],
        "memberships": fetch_all(db, "SELECT body, role, office, organisation, sector, carer, "
                                     "voting, advisory, active, ended_on, updated_at FROM "
                                     "memberships WHERE person_id = ? ORDER BY body", [pid]),
        "substitutes": fetch_all(db, "SELECT s.body, m.email AS member, u.email AS substitute "
                                     "FROM named_substitutes s JOIN people m ON m.id = s.member_id "
                                     "JOIN people u ON u.id = s.substitute_id WHERE "
                                     "s.member_id = ? OR s.substitute_id = ?", [pid, pid]),
        "invitations": fetch_all(db, "SELECT m.ref AS meeting, i.reply, i.replied_at, i.channel, "
                                     "i.evidence, i.stands_for, i.substitute_id, i.created_at "
                                     "FROM invitations i JOIN meetings m ON m.id = i.meeting_id "
                                     "WHERE i.person_id = ? ORDER BY m.starts_at", [pid]),
        "attendance": fetch_all(db, "SELECT m.ref AS meeting, a.status, a.present_by, "
                                    "a.recorded_at FROM attendance a JOIN meetings m ON "
                                    "m.id = a.meeting_id WHERE a.member_id = ? OR a.present_by = ?"
                                    " ORDER BY m.starts_at", [pid, pid]),
        "votes": fetch_all(db, "SELECT b.ref AS ballot, v.choices, v.received_at, v.channel, "
                               "v.receipt, v.evidence FROM votes v JOIN ballots b ON "
                               "b.id = v.ballot_id WHERE v.person_id = ? ORDER BY v.id", [pid]),
        "bookings": fetch_all(db, "SELECT m.ref AS meeting, b.name, b.email, b.status, "
                                  "b.created_at FROM bookings b JOIN meetings m ON "
                                  "m.id = b.meeting_id WHERE lower(b.email) = ?", [addr]),
        "chat_links": fetch_all(db, "SELECT chat_id, linked_at FROM chat_links WHERE "
                                    "person_id = ?", [pid]),
        "messages_in": _plain(fetch_all(db, "SELECT received_at, from_addr, subject, status, "
                                            "action, reason, raw FROM inbound WHERE "
                                            "lower(from_addr) = ? ORDER BY id", [addr])),
        "messages_out": _plain(fetch_all(db, "SELECT created_at, kind, to_addr, subject, status, "
                                             "sent_at, raw FROM outbox WHERE person_id = ? OR "
                                             "lower(to_addr) = ? ORDER BY id", [pid, addr])),
        "chat_messages": fetch_all(db, "SELECT created_at, kind, text, status, sent_at FROM "
                                       "chat_outbox WHERE person_id = ? ORDER BY id", [pid]),
        "audit": fetch_all(db, "SELECT at, actor, action, subject, channel, evidence, detail "
                               "FROM audit WHERE lower(actor || ' ' || subject || ' ' || "
                               "evidence || ' ' || detail) LIKE ? ORDER BY id", [f"%{addr}%"]),
        "other": _others(db, pid, addr),
    }
    return found


def _others(db: Database, pid: int, addr: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of the other tables that hold the person's id in a person column, or their address."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in db.table_names():
        if table in _SECTION_TABLES or table.startswith("sqlite_"):
            continue
        columns = db[table].columns
        conds: list[str] = []
        params: list[Any] = []
        for c in columns:
            if c.name in _PERSON_COLUMNS:
                conds.append(f'"{c.name}" = ?')
                params.append(pid)
            elif c.type.upper() in ("TEXT", ""):
                conds.append(f'lower("{c.name}") LIKE ?')
                params.append(f"%{addr}%")
        if conds:
            rows = _plain(fetch_all(db, f'SELECT * FROM "{table}" WHERE {" OR ".join(conds)}',
                                    params))
            if rows:
                found[table] = rows
    return found


def render_html(data: dict[str, Any], made_at: str) -> str:
    """The export as a readable page (every value escaped)."""
    return environment().get_template("export/person.html.j2").render(
        data=data, sections=SECTIONS, made_at=made_at)


def export_archive(app: Clerk, email: str, *, actor: str, channel: str = "cli") -> bytes:
    """The archive (a zip: person.json and person.html), audited as ``person.exported``."""
    now = app.clock.now()
    data = collect(app.store.db, email)
    made_at = to_iso(now)
    payload = json.dumps({"made_at": made_at, **data}, ensure_ascii=False, indent=2,
                         default=str)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("person.json", payload)
        z.writestr("person.html", render_html(data, made_at))
    with app.store.write() as db:
        audit.record(db, at=now, actor=actor, action="person.exported",
                     subject=data["person"]["email"], channel=channel,
                     detail={"sections": {k: _count(v) for k, v in data.items()}})
    return buffer.getvalue()


def export_person(app: Clerk, email: str, out: Path, *, actor: str,
                  channel: str = "cli") -> Path:
    """Write the archive to ``out`` (mode 0600: only its owner can read it)."""
    content = export_archive(app, email, actor=actor, channel=channel)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return out


def _count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return sum(len(v) for v in value.values())
    return 1
