"""Retention: the daily job that deletes personal data clerk no longer needs (``[retention]``).

- Raw inbound mail: ``raw_mail_days`` after a message arrived its raw bytes are deleted; the row
  stays, with what became of the message (status, what was understood and done, the reason) and
  the SHA-256 of the bytes, so the record of a reply still stands.
- Former members: ``former_members_years`` after a person's last membership ended (and none is
  active), they are erased as ``clerk people erase`` does (:func:`clerk.people.erasure.
  erase_within`): name, addresses and chat links replaced by a stable pseudonym in every record
  and the audit log (which still verifies), raw mail to and from them emptied, each audited as
  ``person.erased``; their memberships, replies and attendance stay, under the pseudonym, so
  counts and decisions are unchanged. Minutes and papers naming them are counted, for the
  facilitator to redact by hand. A person who is still a body's facilitator, a console admin or
  a current member's named substitute is not a former member.
- Observers: erased ``observers.keep_personal_data_days`` after their meeting by a job of its
  own (:func:`clerk.observers.jobs.erase_personal_data`).

Each run is audited (``retention.run``) with counts only, never a name or an address."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.people.erasure import erase_within
from clerk.rules.retention import former_member_cutoff, raw_mail_cutoff
from clerk.store import audit
from clerk.store.rows import execute, fetch_all
from clerk.times import to_iso

#: The audit log's subject for every retention run.
SUBJECT = "retention"


@dataclass(frozen=True)
class RetentionCounts:
    """What one run removed: raw messages emptied (by age), former members pseudonymised, and
    the chat links and raw messages of theirs cleared with them."""

    raw_messages: int = 0
    former_members: int = 0
    chat_links: int = 0
    emails: int = 0
    #: stored minutes and papers naming a pseudonymised former member, to redact by hand
    to_redact: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def summary(self) -> str:
        return (f"retention: raw mail of {self.raw_messages} message(s) deleted; "
                f"{self.former_members} former member(s) pseudonymised "
                f"({self.chat_links} chat link(s), {self.emails} email(s) cleared"
                + (f"; {self.to_redact} stored minutes or paper(s) name them, to redact by hand"
                   if self.to_redact else "") + ")")


def delete_raw_mail(db: Database, now: datetime, days: int) -> int:
    """Empty the raw bytes of every message that arrived more than ``days`` days ago; returns
    how many were emptied (a message already emptied is not counted again)."""
    return execute(db, "UPDATE inbound SET raw = X'' WHERE received_at < ? AND length(raw) > 0",
                   [to_iso(raw_mail_cutoff(now, days))])


def former_members_due(app: Clerk, db: Database, now: datetime) -> list[dict[str, Any]]:
    """The former members whose details are due to go: no active membership, the last one ended
    (``ended_on``, else when it was last changed) on or before the cutoff, not pseudonymised
    yet (an erased person is marked undeliverable "erased DAY"), and not still in a role
    (facilitator, console admin, a current member's substitute)."""
    cutoff = former_member_cutoff(now.astimezone(app.tz).date(),
                                  app.config.retention.former_members_years)
    keep = {b.facilitator.lower() for b in app.config.bodies.values() if b.facilitator}
    keep |= set(app.config.web.admins)
    rows = fetch_all(
        db,
        "SELECT p.id, p.email FROM people p JOIN memberships m ON m.person_id = p.id "
        "WHERE COALESCE(p.undeliverable, '') NOT LIKE 'erased %' GROUP BY p.id HAVING MAX(m.active) = 0 AND "
        "MAX(CASE WHEN m.ended_on != '' THEN m.ended_on ELSE substr(m.updated_at, 1, 10) END) "
        "<= ? AND NOT EXISTS (SELECT 1 FROM named_substitutes s JOIN memberships a ON "
        "a.person_id = s.member_id AND a.body = s.body AND a.active = 1 "
        "WHERE s.substitute_id = p.id)",
        [cutoff.isoformat()])
    return [r for r in rows if str(r["email"]).lower() not in keep]


def run_retention(app: Clerk, db: Database, now: datetime) -> RetentionCounts:
    """One retention run, inside the caller's write transaction, audited with its counts."""
    settings = app.config.retention
    raw = delete_raw_mail(db, now, settings.raw_mail_days)
    former = former_members_due(app, db, now)
    links = emails = to_redact = 0
    for row in former:
        erased = erase_within(db, int(row["id"]), now=now, actor="scheduler",
                              channel="scheduler")
        links += erased.counts.get("chat_links", 0)
        emails += erased.counts.get("raw_messages", 0)
        to_redact += len(erased.to_redact)
    counts = RetentionCounts(raw, len(former), links, emails, to_redact)
    audit.record(db, at=now, actor="scheduler", action="retention.run", subject=SUBJECT,
                 channel="scheduler",
                 detail={**counts.as_dict(), "raw_mail_days": settings.raw_mail_days,
                         "former_members_years": settings.former_members_years})
    return counts
