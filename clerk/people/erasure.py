"""Erasing a person (the right to erasure): their identity (name, addresses, chat links, raw
messages from and to them) replaced by a stable pseudonym in every record, decisions, tallies and
attendance counts kept, and the audit log still verifiable.

The low-level helpers (``pseudonym_for``, ``scrub_text``, ``scrub_tables``, ``scrub_audit``,
``drop_raw_messages``, ``erase_identity``) and ``erase_within`` (the whole erasure inside a
caller's transaction) are for retention too; ``erase_person`` is the operation behind
``clerk people erase``. The pseudonym is the one the audit log already
hashes the person's address as (``audit_subjects``), so rows written since migration m018 keep
their hash when the address in them is replaced; older rows (and a row naming the person by name)
are sealed by the ``person.erased`` event instead (see :mod:`clerk.store.audit`).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from clerk.errors import NotFound, Refused
from clerk.people.directory import find_person, normalise_email, person_by_id
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one
from clerk.times import to_iso

if TYPE_CHECKING:
    from clerk.app import Clerk

#: Tables the generic scrub leaves alone: the audit log (see ``scrub_audit``), its pseudonyms
#: and the migrations' own bookkeeping.
_NOT_SCRUBBED = frozenset({"audit", "audit_subjects", "audit_redactions", "_sqlite_migrations"})


@dataclass(frozen=True)
class Identity:
    """What identifies a person in the records: their address (lower case), their name (may be
    empty) and the pseudonym that replaces both."""

    address: str
    name: str
    pseudonym: str


def pseudonym_for(db: Database, address: str, at: str) -> str:
    """The stable pseudonym of ``address`` ("person-7f3a09c2"): the one the audit log hashes it
    as, made the first time it is asked for."""
    return audit.pseudonym_of(db, normalise_email(address), at)


def scrub_text(text: str, who: Identity) -> str:
    """``text`` with ``who``'s address and name (whole words, any case) replaced by the
    pseudonym; other addresses that merely contain theirs are left alone."""
    out = audit.ADDRESS.sub(
        lambda m: who.pseudonym if m.group(0).lower() == who.address else m.group(0), text)
    if who.address in out.lower():  # an address the pattern did not find on its own
        out = re.sub(re.escape(who.address), who.pseudonym, out, flags=re.IGNORECASE)
    if who.name.strip():
        out = re.sub(rf"(?<!\w){re.escape(who.name.strip())}(?!\w)", who.pseudonym, out,
                     flags=re.IGNORECASE)
    return out


def text_columns(db: Database) -> list[tuple[str, str]]:
    """Every (table, column) holding text, outside the audit log."""
    found: list[tuple[str, str]] = []
    for table in db.table_names():
        if table in _NOT_SCRUBBED or table.startswith("sqlite_"):
            continue
        for column in db[table].columns:
            if column.type.upper() in ("TEXT", "", "VARCHAR", "STR"):
                found.append((table, column.name))
    return found


def _needles(who: Identity) -> list[str]:
    return [n for n in (who.address, who.name.strip()) if n]


def scrub_tables(db: Database, who: Identity) -> int:
    """Replace ``who``'s address and name by the pseudonym in every text column of every table
    (the audit log aside); the number of values changed."""
    changed = 0
    for table, column in text_columns(db):
        where = " OR ".join(f'"{column}" LIKE ?' for _ in _needles(who))
        values = fetch_all(db, f'SELECT DISTINCT "{column}" AS v FROM "{table}" WHERE {where}',
                           [f"%{n}%" for n in _needles(who)])
        for row in values:
            old = row["v"]
            if not isinstance(old, str):
                continue
            new = scrub_text(old, who)
            if new != old:
                changed += execute(db, f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                                   [new, old])
    return changed


def drop_raw_messages(db: Database, who: Identity, person_id: int | None) -> int:
    """Delete the raw bytes of every message from or to ``who`` (or naming them): inbound rows
    keep what became of them and their hash, outbox rows their status (a message still queued
    is given up). The number of messages emptied."""
    likes = [f"%{n}%" for n in _needles(who)]
    cast = " OR ".join("CAST(raw AS TEXT) LIKE ?" for _ in likes)
    inbound = execute(db, f"UPDATE inbound SET raw = x'' WHERE length(raw) > 0 AND "
                          f"(lower(from_addr) = ? OR {cast})", [who.address, *likes])
    execute(db, "UPDATE outbox SET status = 'failed', last_error = 'the recipient was erased' "
                "WHERE status IN ('queued', 'sending') AND (lower(to_addr) = ? OR person_id = ?)",
            [who.address, person_id or -1])
    outbox = execute(db, f"UPDATE outbox SET raw = x'' WHERE length(raw) > 0 AND "
                         f"(lower(to_addr) = ? OR person_id = ? OR {cast})",
                     [who.address, person_id or -1, *likes])
    return inbound + outbox


@dataclass(frozen=True)
class AuditScrub:
    """The audit rows that name a person: each with its fields as they will be, and whether it
    must be sealed (its hash no longer covers what it says)."""

    rows: tuple[tuple[int, dict[str, str], bool], ...]

    @property
    def sealed(self) -> list[int]:
        return [i for i, _, sealed in self.rows if sealed]


def plan_audit_scrub(db: Database, who: Identity) -> AuditScrub:
    """Which audit rows name ``who``, and which of them have to be sealed (written before
    migration m018, or naming them by name rather than address)."""
    tokens = {a: t for a, t in audit.all_pseudonyms(db).items() if a != who.address}
    fields = audit.PERSONAL_FIELDS
    text = " || ' ' || ".join(fields)
    where = " OR ".join(f"({text}) LIKE ?" for _ in _needles(who))
    planned: list[tuple[int, dict[str, str], bool]] = []
    for row in fetch_all(db, f"SELECT * FROM audit WHERE {where} ORDER BY id",
                         [f"%{n}%" for n in _needles(who)]):
        new = {f: scrub_text(str(row[f]), who) for f in fields}
        if all(new[f] == row[f] for f in fields):
            continue
        sealed = audit.row_hash({**row, **new}, tokens) != row["hash"]
        planned.append((int(row["id"]), new, sealed))
    return AuditScrub(tuple(planned))


def scrub_audit(db: Database, plan: AuditScrub, erasure_id: int, who: Identity) -> None:
    """Apply ``plan`` under the ``person.erased`` event ``erasure_id`` (which lists the sealed
    rows), then forget the address's pseudonym mapping."""
    for audit_id, new, sealed in plan.rows:
        execute(db, "INSERT OR REPLACE INTO audit_redactions (audit_id, erasure_id, sealed) "
                    "VALUES (?, ?, ?)", [audit_id, erasure_id, int(sealed)])
        execute(db, "UPDATE audit SET actor = ?, subject = ?, evidence = ?, detail = ? "
                    "WHERE id = ?",
                [new["actor"], new["subject"], new["evidence"], new["detail"], audit_id])
    execute(db, "DELETE FROM audit_subjects WHERE address = ?", [who.address])


def erase_identity(db: Database, person_id: int, who: Identity, at: str) -> dict[str, int]:
    """The person row itself and what hangs off it: name and address both become the pseudonym
    (as in every other record, so a ballot's seal still matches; marked undeliverable, so
    nothing is sent to it), chat links and substitutes naming them removed,
    reply keys revoked, console sign-ins ended. Counts of what went."""
    counts = {
        "chat_links": execute(db, "DELETE FROM chat_links WHERE person_id = ?", [person_id]),
        "substitutes": execute(db, "DELETE FROM named_substitutes WHERE member_id = ? OR "
                                   "substitute_id = ?", [person_id, person_id]),
        "reply_keys": execute(db, "UPDATE reply_keys SET revoked = 1 WHERE person_id = ? AND "
                                  "revoked = 0", [person_id]),
        "console": execute(db, "DELETE FROM console_sessions WHERE lower(email) = ?",
                           [who.address])
        + execute(db, "DELETE FROM console_links WHERE lower(email) = ?", [who.address]),
    }
    execute(db, "UPDATE bookings SET chat_id = NULL WHERE lower(email) = ?", [who.address])
    execute(db, "UPDATE people SET email = ?, name = ?, undeliverable = ? WHERE id = ?",
            [who.pseudonym, who.pseudonym, f"erased {at[:10]}", person_id])
    return counts


@dataclass(frozen=True)
class ErasureReport:
    """What ``erase_person`` did: the pseudonym, counts (never names) and the documents the
    facilitator has to redact by hand."""

    pseudonym: str
    counts: dict[str, int]
    sealed: int
    to_redact: tuple[str, ...]


def erase_person(app: Clerk, email: str, *, actor: str, channel: str = "cli",
                 site: Path | None = None) -> ErasureReport:
    """Erase the person with address ``email`` (who holds no current seat), in one transaction,
    audited as ``person.erased`` under their pseudonym."""
    with app.store.write() as db:
        person = find_person(db, email)
        if person is None:
            raise NotFound(f"No one has the address {email.strip()} (already erased?).")
        return erase_within(db, person.id, now=app.clock.now(), actor=actor, channel=channel,
                            site=site)


def erase_within(db: Database, person_id: int, *, now: datetime, actor: str, channel: str,
                 site: Path | None = None) -> ErasureReport:
    """Erase one person inside the caller's write transaction (retention calls this for each
    former member it finds): every step of :func:`erase_person` and its ``person.erased``
    event. Refused while they hold an active seat."""
    at = to_iso(now)
    person = person_by_id(db, person_id)
    seats = fetch_all(db, "SELECT body FROM memberships WHERE person_id = ? AND active = 1",
                      [person.id])
    if seats:
        bodies = ", ".join(sorted(str(s["body"]) for s in seats))
        raise Refused(f"{person.email} still holds a seat on {bodies}: end it first "
                      f"(clerk members end), then erase them.")
    who = Identity(person.email.lower(), person.name, pseudonym_for(db, person.email, at))
    to_redact = tuple(documents_naming(db, who, site))
    plan = plan_audit_scrub(db, who)
    counts = erase_identity(db, person.id, who, at)
    counts["raw_messages"] = drop_raw_messages(db, who, person.id)
    counts["values"] = scrub_tables(db, who)
    counts["audit_rows"] = len(plan.rows)
    event = audit.record(db, at=now, actor=actor, action="person.erased", subject=who.pseudonym,
                         channel=channel, detail={"sealed": plan.sealed, "counts": counts,
                                                  "to_redact": len(to_redact)})
    erasure = fetch_one(db, "SELECT id FROM audit WHERE hash = ?", [event["hash"]])
    assert erasure is not None
    scrub_audit(db, plan, int(erasure["id"]), who)
    return ErasureReport(who.pseudonym, counts, len(plan.sealed), to_redact)


# --- documents to redact by hand ----------------------------------------------------------------

def readable_text(filename: str, content: bytes) -> str | None:
    """The text of a stored document where clerk can read it (plain text, Markdown, HTML, a Word
    file's words); None otherwise (a PDF, an image)."""
    lower = filename.lower()
    if lower.endswith((".txt", ".md", ".html", ".htm", ".csv")):
        return content.decode("utf-8", errors="replace")
    if lower.endswith((".docx", ".odt")):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                name = "word/document.xml" if lower.endswith(".docx") else "content.xml"
                return re.sub(r"<[^>]+>", "", z.read(name).decode("utf-8", errors="replace"))
        except (zipfile.BadZipFile, KeyError):
            return None
    return None


def _names(text: str, who: Identity) -> bool:
    lower = html.unescape(text).lower()
    return any(n.lower() in lower for n in _needles(who))


def documents_naming(db: Database, who: Identity, site: Path | None) -> list[str]:
    """The minutes and papers (stored) and the published site's pages that name ``who``, for
    the facilitator to redact by hand; a stored document clerk cannot read is listed as such."""
    found: list[str] = []
    for kind, table in (("minutes", "minutes"), ("paper", "papers")):
        rows = fetch_all(db, f"SELECT d.filename, d.sha256, m.ref FROM {table} d JOIN meetings m "
                             f"ON m.id = d.meeting_id ORDER BY m.starts_at, d.id")
        for row in rows:
            stored = fetch_one(db, "SELECT content FROM files WHERE sha256 = ?", [row["sha256"]])
            if stored is None:
                continue
            text = readable_text(str(row["filename"]), bytes(stored["content"]))
            if text is None:
                found.append(f"{kind} {row['filename']} of {row['ref']} (clerk cannot read "
                             f"it: check by hand)")
            elif _names(text, who):
                found.append(f"{kind} {row['filename']} of {row['ref']}")
    if site is not None and site.is_dir():
        for page in sorted(site.rglob("*")):
            if (page.is_file() and page.suffix.lower() in (".html", ".htm", ".ics", ".txt")
                    and _names(page.read_text(encoding="utf-8", errors="replace"), who)):
                found.append(f"published page {page}")
    return found


def as_dict(report: ErasureReport) -> dict[str, Any]:
    """The report as plain data (for the console or a JSON answer)."""
    return {"pseudonym": report.pseudonym, "counts": dict(report.counts),
            "sealed": report.sealed, "to_redact": list(report.to_redact)}
