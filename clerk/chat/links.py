"""Linking a chat to a member: ``/link EMAIL`` sends a one-time code to the address if it belongs
to a member (or to a body's facilitator or chair); typing the code back links the chat to that
person, so invitations, reminders and ballots come to the chat as well as by email.

The replies to ``/link``, and to the code typed after it, are the same whether or not the address
is a member's (a stranger's chat gets a decoy code that is never sent and never matches), so the
bot cannot be used to find out who sits on a body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import (
    Person,
    ensure_person,
    find_person,
    is_email,
    memberships_of,
    normalise_email,
    rename_person,
)
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one
from clerk.times import in_words, to_iso
from clerk.tokens.chat_codes import check_code, issue_code, use_code


@dataclass(frozen=True)
class RequestLink:
    chat_id: int
    email: str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfirmLink:
    chat_id: int
    code: str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class LinkOutcome:
    """``linked`` (or ``duplicate``), else why not: ``wrong``, ``expired``, ``none``, ``blocked``."""

    status: Literal["linked", "duplicate", "wrong", "expired", "none", "blocked"]
    name: str = ""
    email: str = ""
    bodies: tuple[str, ...] = ()
    attempts_left: int = 0


def _config_roles(app: Clerk, email: str) -> list[str]:
    """Bodies whose configuration names this address as facilitator or chair."""
    return [body.label for body in app.config.bodies.values()
            if email in {body.facilitator.lower(), body.chair_email.lower()} - {""}]


def _body_labels(app: Clerk, db: Database, person: Person) -> tuple[str, ...]:
    labels = [app.body(m.body).label for m in memberships_of(db, person.id)
              if m.body in app.config.bodies]
    labels += [label for label in _config_roles(app, person.email) if label not in labels]
    return tuple(labels)


def request_link(app: Clerk, cmd: RequestLink) -> bool:
    """Send a code if the address may be linked; returns whether one was sent (the bot says the
    same either way)."""
    email = normalise_email(cmd.email)
    if not is_email(email):
        raise BadInput(f'"{cmd.email.strip()}" is not an email address')
    now = app.clock.now()
    with app.store.write() as db:
        person = find_person(db, email)
        eligible = bool(person and memberships_of(db, person.id)) or bool(_config_roles(app, email))
        # a stranger's chat waits for a code too (a decoy, never sent), so that the code typed
        # next is answered exactly as a member's would be
        issued = issue_code(db, purpose="link", chat_id=cmd.chat_id, email=email, now=now,
                            decoy=not eligible)
        if issued.code is not None:  # (never for a decoy)
            name = person.name if person else "Facilitator"
            r = render_email("chat_link_code", recipient_name=name, code=issued.code,
                             expires=in_words(issued.expires_at, app.tz))
            queue(db, app.config.mail, Outgoing(
                kind="chat_link_code", to_addr=email, to_name=name, subject=r.subject,
                text=r.text, html=r.html, dedupe_key=f"link-code:{issued.id}"), now)
        audit.record(db, at=now, actor=email if eligible else "unknown address",
                     action="chat.link_requested", subject="chat", channel=cmd.channel,
                     evidence=cmd.evidence, detail={"code_sent": eligible})
    return eligible


def confirm_link(app: Clerk, cmd: ConfirmLink) -> LinkOutcome:
    """Check the code typed into the chat; a match links the chat to the address's owner."""
    now = app.clock.now()
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            linked = linked_person(db, cmd.chat_id)
            if linked is not None:
                return LinkOutcome("duplicate", linked.name, linked.email,
                                   _body_labels(app, db, linked))
        check = check_code(db, purpose="link", chat_id=cmd.chat_id, code=cmd.code, now=now)
        if check.status != "ok" or check.code is None:  # ("ok" always has its code: a refusal here)
            return LinkOutcome(check.status, attempts_left=check.attempts_left)  # type: ignore[arg-type]
        person = ensure_person(db, check.code.email, "", now)
        if person.name == person.email:
            person = rename_person(db, person, "Facilitator")
        execute(db, "DELETE FROM chat_links WHERE chat_id = ? OR person_id = ?",
                [cmd.chat_id, person.id])
        execute(db, "INSERT INTO chat_links (chat_id, person_id, linked_at) VALUES (?, ?, ?)",
                [cmd.chat_id, person.id, to_iso(now)])
        use_code(db, check.code.id)
        audit.record(db, at=now, actor=person.email, action="chat.link", subject="chat",
                     channel=cmd.channel, evidence=cmd.evidence,
                     idempotency_key=cmd.idempotency_key)
        _catch_up(db, cmd.chat_id, person.id, now)
        return LinkOutcome("linked", person.name, person.email, _body_labels(app, db, person))


def _catch_up(db: Database, chat_id: int, person_id: int, now: datetime) -> None:
    """Queue the open invitations and ballots a newly linked member has not answered yet."""
    stamp = to_iso(now)
    rows = fetch_all(
        db, "SELECT 'invitation' AS kind, m.ref FROM invitations i JOIN meetings m ON m.id = "
        "i.meeting_id WHERE i.person_id = ? AND i.reply = 'no_reply' AND m.status = 'scheduled' "
        "AND m.starts_at > ? "
        "UNION ALL SELECT 'ballot' AS kind, b.ref FROM electorate e JOIN ballots b ON b.id = "
        "e.ballot_id WHERE e.person_id = ? AND b.status = 'open' AND b.closes_at > ? AND NOT "
        "EXISTS (SELECT 1 FROM votes v WHERE v.ballot_id = b.id AND v.person_id = e.person_id)",
        [person_id, stamp, person_id, stamp])
    for row in rows:
        execute(db, "INSERT OR IGNORE INTO chat_outbox (created_at, chat_id, person_id, kind, "
                    "subject_ref, dedupe_key, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [stamp, chat_id, person_id, row["kind"], row["ref"],
                 f"link:{chat_id}:{row['kind']}:{row['ref']}:{stamp}", stamp])


def unlink(app: Clerk, chat_id: int, *, channel: str = "telegram",
           evidence: dict[str, Any] | None = None) -> str | None:
    """Undo the link; returns the name that was linked (None if the chat was not linked)."""
    now = app.clock.now()
    with app.store.write() as db:
        person = linked_person(db, chat_id)
        if person is None:
            return None
        execute(db, "DELETE FROM chat_links WHERE chat_id = ?", [chat_id])
        execute(db, "UPDATE chat_outbox SET status = 'superseded', last_error = 'chat unlinked' "
                    "WHERE chat_id = ? AND status = 'queued'", [chat_id])
        audit.record(db, at=now, actor=person.email, action="chat.unlink", subject="chat",
                     channel=channel, evidence=evidence or {})
        return person.name


def linked_person(db: Database, chat_id: int) -> Person | None:
    """The person this chat is linked to, or None (inside a transaction, or ``app.store.db``)."""
    row = fetch_one(db, "SELECT p.* FROM chat_links l JOIN people p ON p.id = l.person_id "
                        "WHERE l.chat_id = ?", [chat_id])
    return Person.from_row(row) if row else None
