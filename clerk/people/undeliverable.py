"""Whether mail may go to an address: :func:`mark_undeliverable` stops it (a bounce, or the mail
server refusing the address), :func:`mark_deliverable` starts it again (mail came from the
address, or the facilitator asked). Both act inside the caller's write transaction and are
audited (``mail.undeliverable``, ``mail.deliverable``); the mark is the reason, kept in
``people.undeliverable``, and everything that sends mail skips a marked address."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.store import audit
from clerk.store.rows import execute, fetch_one


def mark_undeliverable(db: Database, address: str, *, why: str, now: datetime, actor: str,
                       channel: str = "email", evidence: dict[str, Any] | None = None,
                       detail: dict[str, Any] | None = None) -> None:
    """Send nothing more to ``address`` until someone says otherwise; ``why`` is what the mark
    says (shown where mail is skipped). The audit event's detail is ``detail`` when given (what
    the caller knows of the failure), else the reason."""
    execute(db, "UPDATE people SET undeliverable = ? WHERE email = ?",
            [why, address.strip().lower()])
    audit.record(db, at=now, actor=actor, action="mail.undeliverable", subject=address,
                 channel=channel, evidence=evidence,
                 detail=detail if detail is not None else {"reason": why})


def mark_deliverable(db: Database, address: str, *, why: str, now: datetime, actor: str,
                     channel: str = "cli", evidence: dict[str, Any] | None = None) -> str | None:
    """Send mail to ``address`` again; returns the mark that had stopped it (None, and no change,
    if there was none or no one has the address)."""
    row = fetch_one(db, "SELECT id, email, undeliverable FROM people WHERE email = ?",
                    [address.strip().lower()])
    if row is None or not row["undeliverable"]:
        return None
    before = str(row["undeliverable"])
    execute(db, "UPDATE people SET undeliverable = NULL WHERE id = ?", [row["id"]])
    audit.record(db, at=now, actor=actor, action="mail.deliverable", subject=row["email"],
                 channel=channel, evidence=evidence, detail={"was": before, "why": why})
    return before
