"""Retention: the daily job that deletes personal data clerk no longer needs (``[retention]``).

- Raw inbound mail: ``raw_mail_days`` after a message arrived its raw bytes are deleted; the row
  stays, with what became of the message (status, what was understood and done, the reason) and
  the SHA-256 of the bytes, so the record of a reply still stands.
- Former members: ``former_members_years`` after a person's last membership ended (and none is
  active), their name and email address are replaced by a stable pseudonym everywhere clerk
  keeps them beside the person (the person, their chat link, the mail to and from them, their
  reply keys withdrawn); their memberships, replies and attendance stay, under the pseudonym,
  so counts and decisions are unchanged. A person who is still a body's facilitator, a console
  admin or a current member's named substitute is not a former member.
- Observers: erased ``observers.keep_personal_data_days`` after their meeting by a job of its
  own (:func:`clerk.observers.jobs.erase_personal_data`).

Each run is audited (``retention.run``) with counts only, never a name or an address."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.rules.retention import former_member_cutoff, raw_mail_cutoff
from clerk.store import audit
from clerk.store.rows import execute, fetch_all
from clerk.times import to_iso

#: Pseudonymised people's addresses end so (a reserved domain: nothing is ever sent there).
PSEUDONYM_DOMAIN = "erased.invalid"

#: The audit log's subject for every retention run.
SUBJECT = "retention"


@dataclass(frozen=True)
class RetentionCounts:
    """What one run removed: raw messages emptied, former members pseudonymised, and the chat
    links and emails of theirs cleared with them."""

    raw_messages: int = 0
    former_members: int = 0
    chat_links: int = 0
    emails: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def summary(self) -> str:
        return (f"retention: raw mail of {self.raw_messages} message(s) deleted; "
                f"{self.former_members} former member(s) pseudonymised "
                f"({self.chat_links} chat link(s), {self.emails} email(s) cleared)")


def pseudonym(person_id: int) -> str:
    """A person's stable pseudonym (``person-1a2b3c4d``): the same every time for one person."""
    return "person-" + hashlib.sha256(f"clerk-person:{person_id}".encode()).hexdigest()[:8]


def delete_raw_mail(db: Database, now: datetime, days: int) -> int:
    """Empty the raw bytes of every message that arrived more than ``days`` days ago; returns
    how many were emptied (a message already emptied is not counted again)."""
    return execute(db, "UPDATE inbound SET raw = X'' WHERE received_at < ? AND length(raw) > 0",
                   [to_iso(raw_mail_cutoff(now, days))])


def former_members_due(app: Clerk, db: Database, now: datetime) -> list[dict[str, Any]]:
    """The former members whose details are due to go: no active membership, the last one ended
    (``ended_on``, else when it was last changed) on or before the cutoff, not pseudonymised
    yet, and not still in a role (facilitator, console admin, a current member's substitute)."""
    cutoff = former_member_cutoff(now.astimezone(app.tz).date(),
                                  app.config.retention.former_members_years)
    keep = {b.facilitator.lower() for b in app.config.bodies.values() if b.facilitator}
    keep |= set(app.config.web.admins)
    rows = fetch_all(
        db,
        "SELECT p.id, p.email FROM people p JOIN memberships m ON m.person_id = p.id "
        "WHERE p.email NOT LIKE ? GROUP BY p.id HAVING MAX(m.active) = 0 AND "
        "MAX(CASE WHEN m.ended_on != '' THEN m.ended_on ELSE substr(m.updated_at, 1, 10) END) "
        "<= ? AND NOT EXISTS (SELECT 1 FROM named_substitutes s JOIN memberships a ON "
        "a.person_id = s.member_id AND a.body = s.body AND a.active = 1 "
        "WHERE s.substitute_id = p.id)",
        [f"%@{PSEUDONYM_DOMAIN}", cutoff.isoformat()])
    return [r for r in rows if str(r["email"]).lower() not in keep]


def pseudonymise(db: Database, person_id: int, email: str) -> tuple[int, int]:
    """Replace one person's name and address by their pseudonym where clerk keeps them beside
    the person; returns (chat links removed, emails cleared)."""
    alias = pseudonym(person_id)
    address = f"{alias}@{PSEUDONYM_DOMAIN}"
    execute(db, "UPDATE people SET name = ?, email = ?, undeliverable = NULL WHERE id = ?",
            [alias, address, person_id])
    links = execute(db, "DELETE FROM chat_links WHERE person_id = ?", [person_id])
    execute(db, "UPDATE reply_keys SET revoked = 1 WHERE person_id = ?", [person_id])
    execute(db, "UPDATE outbox SET status = 'superseded', last_error = ? WHERE status = 'queued' "
                "AND (person_id = ? OR lower(to_addr) = ?)",
            ["not sent: the person's details were removed", person_id, email.lower()])
    sent = execute(db, "UPDATE outbox SET to_addr = ?, subject = '', raw = X'' WHERE status != "
                       "'sending' AND (person_id = ? OR lower(to_addr) = ?)",
                   [address, person_id, email.lower()])
    received = execute(db, "UPDATE inbound SET from_addr = ?, subject = '', raw = X'' "
                           "WHERE lower(from_addr) = ?", [address, email.lower()])
    return links, sent + received


def run_retention(app: Clerk, db: Database, now: datetime) -> RetentionCounts:
    """One retention run, inside the caller's write transaction, audited with its counts."""
    settings = app.config.retention
    raw = delete_raw_mail(db, now, settings.raw_mail_days)
    former = former_members_due(app, db, now)
    links = emails = 0
    for row in former:
        found_links, found_emails = pseudonymise(db, int(row["id"]), str(row["email"]))
        links += found_links
        emails += found_emails
    counts = RetentionCounts(raw, len(former), links, emails)
    audit.record(db, at=now, actor="scheduler", action="retention.run", subject=SUBJECT,
                 channel="scheduler",
                 detail={**counts.as_dict(), "raw_mail_days": settings.raw_mail_days,
                         "former_members_years": settings.former_members_years})
    return counts
