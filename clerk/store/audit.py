"""The append-only, hash-chained audit log: who did what, when, by which channel, on what evidence."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from clerk.times import to_iso

GENESIS = "0" * 64


#: The fields a row's hash covers (rule 1: as written; rule 2: with each address as its pseudonym).
_FIELDS = ("at", "actor", "action", "subject", "channel", "evidence", "detail", "prev_hash")
#: The fields that may name a person (an address found in them is hashed as its pseudonym).
PERSONAL_FIELDS = ("actor", "subject", "evidence", "detail")
#: An email address as the audit log finds it in a field (the same pattern when written, when
#: verified and when a person is erased).
ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: Rows written from migration m018 on: personal data is kept out of the hashed payload.
RULE = 2


def _canonical(row: dict[str, Any], tokens: dict[str, str] | None = None) -> str:
    if int(row.get("rule") or 1) < 2:
        return json.dumps([row[f] for f in _FIELDS], ensure_ascii=False, separators=(",", ":"))
    known = tokens or {}
    values = [pseudonymised(str(row[f]), known) if f in PERSONAL_FIELDS else row[f]
              for f in _FIELDS]
    return json.dumps([*values, int(row["rule"])], ensure_ascii=False, separators=(",", ":"))


def pseudonymised(text: str, tokens: dict[str, str]) -> str:
    """``text`` with each address that has a pseudonym in ``tokens`` (keyed by the lower-case
    address) replaced by it: what a rule-2 row's hash covers."""
    return ADDRESS.sub(lambda m: tokens.get(m.group(0).lower(), m.group(0)), text)


def row_hash(row: dict[str, Any], tokens: dict[str, str] | None = None) -> str:
    """The hash of ``row``; for a rule-2 row ``tokens`` maps its addresses to their pseudonyms."""
    return hashlib.sha256(_canonical(row, tokens).encode("utf-8")).hexdigest()


def new_pseudonym() -> str:
    """A fresh random pseudonym, e.g. "person-7f3a09c2"."""
    return f"person-{secrets.token_hex(4)}"


def pseudonym_of(db: Database, address: str, at: str) -> str:
    """The stable pseudonym of ``address`` (made and kept in ``audit_subjects`` the first time)."""
    key = address.lower()
    found = next(iter(db.query("SELECT token FROM audit_subjects WHERE address = ?", [key])), None)
    if found:
        return str(found["token"])
    token = new_pseudonym()
    while next(iter(db.query("SELECT 1 FROM audit_subjects WHERE token = ?", [token])), None):
        token = new_pseudonym()
    db.execute("INSERT INTO audit_subjects (address, token, created_at) VALUES (?, ?, ?)",
               [key, token, at])
    return token


def _tokens_for(db: Database, row: dict[str, Any]) -> dict[str, str]:
    found = {m.group(0).lower() for f in PERSONAL_FIELDS for m in ADDRESS.finditer(str(row[f]))}
    return {a: pseudonym_of(db, a, str(row["at"])) for a in sorted(found)}


def all_pseudonyms(db: Database) -> dict[str, str]:
    """Every address the log knows, lower-case, to its pseudonym."""
    return {str(r["address"]): str(r["token"])
            for r in db.query("SELECT address, token FROM audit_subjects")}


def record(
    db: Database,
    *,
    at: Any,
    actor: str,
    action: str,
    subject: str,
    channel: str = "cli",
    evidence: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Append one event; call inside the same write transaction as the change it describes."""
    last = next(iter(db.query("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")), None)
    row: dict[str, Any] = {
        "at": to_iso(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "channel": channel,
        "evidence": json.dumps(evidence or {}, sort_keys=True, ensure_ascii=False),
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str),
        "idempotency_key": idempotency_key,
        "prev_hash": last["hash"] if last else GENESIS,
        "rule": RULE,
    }
    row["hash"] = row_hash(row, _tokens_for(db, row))
    db.execute(f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
               list(row.values()))  # plain SQL: this runs with every change clerk makes
    return row


def seen(db: Database, idempotency_key: str) -> dict[str, Any] | None:
    """The event already recorded under this key, if the operation was done before."""
    return next(iter(db.query("SELECT * FROM audit WHERE idempotency_key = ?",
                              [idempotency_key])), None)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    reason: str


def verify_chain(db: Database) -> ChainCheck:
    """Recompute every hash: an edited, removed or reordered row breaks the chain. A row an
    erasure had to seal (listed in a later ``person.erased`` event, whose own hash covers the
    list) keeps its place in the chain, but its content is no longer checked."""
    prev = GENESIS
    count = 0
    tokens = all_pseudonyms(db)
    sealed = _sealed_rows(db)
    for row in db.query("SELECT * FROM audit ORDER BY id"):
        count += 1
        if row["prev_hash"] != prev:
            return ChainCheck(False, count, f"audit row {row['id']} does not follow the row "
                                            "before it (a row was removed or reordered)")
        if int(row["id"]) in sealed:
            prev = row["hash"]
            continue
        if row_hash(row, tokens) != row["hash"]:
            return ChainCheck(False, count, f"audit row {row['id']} was changed after it was "
                                            "written")
        prev = row["hash"]
    return ChainCheck(True, count, f"all {count} audit rows are intact")


def _sealed_rows(db: Database) -> set[int]:
    """The rows sealed by an erasure: in ``audit_redactions`` as sealed AND listed in the
    ``sealed`` of the ``person.erased`` event it names (a later row)."""
    listed: dict[int, set[int]] = {}
    for r in db.query("SELECT id, detail FROM audit WHERE action = 'person.erased'"):
        listed[int(r["id"])] = {int(i) for i in json.loads(r["detail"] or "{}").get("sealed", [])}
    return {int(r["audit_id"]) for r in db.query(
        "SELECT audit_id, erasure_id FROM audit_redactions WHERE sealed = 1")
        if int(r["audit_id"]) in listed.get(int(r["erasure_id"]), set())
        and int(r["audit_id"]) < int(r["erasure_id"])}


# --- reading the log (the console's audit page) ----------------------------------------------

@dataclass(frozen=True)
class Event:
    """One event of the log as read back: ``at`` as stored (UTC, ISO 8601), the evidence and
    the detail decoded."""

    id: int
    at: str
    actor: str
    action: str
    subject: str
    channel: str
    evidence: dict[str, Any]
    detail: dict[str, Any]


@dataclass(frozen=True)
class EventPage:
    """A page of events, newest first; ``older`` is the id to read on from (None at the end)."""

    events: tuple[Event, ...]
    older: int | None


#: An event is about a body when its subject is one of the body's meetings, a vote on one of
#: them, a person who holds (or held) a seat on it, or the body's slug itself.
_ABOUT_BODIES = """(
    subject IN (SELECT ref FROM meetings WHERE body IN ({marks}))
    OR subject IN (SELECT b.ref FROM ballots b JOIN meetings m ON m.id = b.meeting_id
                   WHERE m.body IN ({marks}))
    OR subject IN (SELECT p.email FROM people p JOIN memberships s ON s.person_id = p.id
                   WHERE s.body IN ({marks}))
    OR subject IN ({marks}))"""


#: The events that say who voted (and how), and the keys of a ballot's close that say who did.
VOTE_ACTIONS = ("vote.cast", "vote.refused")
VOTERS_KEYS = ("voted", "not_voted")


def read_events(db: Database, *, meeting: str = "", person: str = "",
                bodies: Sequence[str] | None = None, votes_hidden: Sequence[str] = (),
                before: int | None = None, limit: int = 50) -> EventPage:
    """Events newest first, ``limit`` at a time (``before``: read on from an earlier page's
    ``older``). ``meeting``: only those about that meeting (by reference) or a vote on it;
    ``person`` (an address): only those the person did, or that are about them; ``bodies``:
    only events about those bodies (None: every event, those about no body included);
    ``votes_hidden``: bodies whose votes are not shown (no vote cast or refused, and a ballot's
    close without who voted and who did not)."""
    where: list[str] = []
    params: list[Any] = []
    hidden_ballots: set[str] = set()
    if votes_hidden:
        slugs = sorted(votes_hidden)
        hidden_ballots = {str(r["ref"]) for r in db.query(
            f"SELECT b.ref FROM ballots b JOIN meetings m ON m.id = b.meeting_id WHERE m.body "
            f"IN ({', '.join('?' for _ in slugs)})", slugs)}
    if hidden_ballots:
        refs = sorted(hidden_ballots)
        where.append(f"NOT (action IN ({', '.join('?' for _ in VOTE_ACTIONS)}) AND subject IN "
                     f"({', '.join('?' for _ in refs)}))")
        params += [*VOTE_ACTIONS, *refs]
    if meeting:
        where.append("(subject = ? OR subject IN (SELECT b.ref FROM ballots b JOIN meetings m "
                     "ON m.id = b.meeting_id WHERE m.ref = ?))")
        params += [meeting, meeting]
    if person:
        where.append("(actor = ? OR subject = ? OR json_extract(detail, '$.person') = ?)")
        params += [person, person, person]
    if bodies is not None:
        slugs = sorted(bodies)
        if not slugs:
            return EventPage((), None)
        where.append(_ABOUT_BODIES.format(marks=", ".join("?" for _ in slugs)))
        params += slugs * 4
    if before is not None:
        where.append("id < ?")
        params.append(before)
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "") + \
        " ORDER BY id DESC LIMIT ?"
    rows = list(db.query(sql, [*params, limit + 1]))
    found = tuple(Event(r["id"], r["at"], r["actor"], r["action"], r["subject"], r["channel"],
                        json.loads(r["evidence"] or "{}"),
                        _without_voters(json.loads(r["detail"] or "{}"))
                        if r["subject"] in hidden_ballots else json.loads(r["detail"] or "{}"))
                  for r in rows[:limit])
    return EventPage(found, found[-1].id if len(rows) > limit and found else None)


def _without_voters(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in VOTERS_KEYS}


@dataclass(frozen=True)
class Actor:
    """Someone the log can be read by (the person filter): id, name and address."""

    id: int
    name: str
    email: str


def people_to_filter_by(db: Database, bodies: Sequence[str] | None) -> list[Actor]:
    """The people whose events a reader of ``bodies`` may ask for (those who hold or held a seat
    on one of them; None: everyone clerk knows), by name."""
    if bodies is None:
        rows = db.query("SELECT id, name, email FROM people ORDER BY name, email")
    else:
        slugs = sorted(bodies)
        rows = db.query(f"SELECT DISTINCT p.id, p.name, p.email FROM people p JOIN memberships s "
                        f"ON s.person_id = p.id WHERE s.body IN ({', '.join('?' for _ in slugs)})"
                        f" ORDER BY p.name, p.email", slugs)
    return [Actor(int(r["id"]), str(r["name"]), str(r["email"])) for r in rows]
