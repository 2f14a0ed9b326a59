"""Elections with secret ballots: add one, take nominations (seconding, the candidate standing),
open voting when nominations close (an uncontested election is declared without a ballot), cast
a ballot, remind, close and count, announce, and give the winners their office from the day the
result takes effect.

Secrecy: what was voted (``election_ballots``: a random receipt and the choice) and who voted
(``election_voters``) are written in one transaction but share no column, time or row order (both
are WITHOUT ROWID tables, ordered by receipt and by person). The audit log records that a person
voted, never what; the ballot itself is not audited; the receipt goes to the voter alone, and the
published result lists every counted ballot by receipt. A voter's first ballot stands.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import SEAT_SQL, find_person, normalise_email, seat_from_row
from clerk.rules.counting import count_plurality, count_stv
from clerk.rules.tally import may_vote
from clerk.rules.terms import TieRule
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert, update
from clerk.times import from_iso, in_words, to_iso
from clerk.tokens.reply_keys import issue_key

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Candidate:
    email: str
    name: str
    nominated_by: str
    seconded_by: str
    stands: str  # asked, yes, no


@dataclass(frozen=True)
class Election:
    id: int
    ref: str
    body: str
    office: str
    seats: int
    tie: str
    status: str  # nominating, voting, closed
    nominations_close: datetime  # the first moment after the window (midnight)
    voting_close: datetime
    takes_effect: date | None
    seed: str
    result: dict[str, Any]
    candidates: tuple[Candidate, ...]

    @property
    def standing(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.stands == "yes")

    @property
    def ranked(self) -> bool:
        return self.seats > 1


@dataclass(frozen=True)
class BallotOutcome:
    status: Literal["recorded", "already_voted", "refused"]
    message: str
    receipt: str = ""


def _midnight_after(day: date, app: Clerk) -> datetime:
    """A window "until D" closes at midnight at the end of D, as ratification votes do."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=app.tz)


# --- reading --------------------------------------------------------------------------------

def get_election(app: Clerk, ref: str, db: Database | None = None) -> Election:
    db = db or app.store.db
    row = fetch_one(db, "SELECT * FROM elections WHERE ref = ?", [ref])
    if row is None:
        raise NotFound(f'there is no election "{ref}" (see clerk elections list)')
    cands = tuple(Candidate(r["email"], r["name"], r["nominated_by"], r["seconded_by"],
                            r["stands"]) for r in fetch_all(
        db, "SELECT p.email, p.name, c.nominated_by, c.seconded_by, c.stands FROM "
            "election_candidates c JOIN people p ON p.id = c.person_id WHERE c.election_id = ? "
            "ORDER BY p.name", [row["id"]]))
    return Election(row["id"], row["ref"], row["body"], row["office"], row["seats"], row["tie"],
                    row["status"], from_iso(row["nominations_close"]),
                    from_iso(row["voting_close"]),
                    date.fromisoformat(row["takes_effect"]) if row["takes_effect"] else None,
                    row["seed"], json.loads(row["result"]), cands)


def list_elections(app: Clerk) -> list[Election]:
    return [get_election(app, r["ref"]) for r in fetch_all(
        app.store.db, "SELECT ref FROM elections ORDER BY id")]


def _electorate(app: Clerk, db: Database, body_slug: str) -> list[dict[str, Any]]:
    body = app.body(body_slug)
    return [r for r in fetch_all(db, SEAT_SQL, [body_slug])
            if may_vote(body.decisions.electorate, seat_from_row(r))]


def voters_count(app: Clerk, election: Election) -> tuple[int, int]:
    """(voted, electorate) of an election whose voting has opened."""
    db = app.store.db
    voted = fetch_one(db, "SELECT COUNT(*) AS n FROM election_voters WHERE election_id = ?",
                      [election.id])
    size = fetch_one(db, "SELECT COUNT(*) AS n FROM election_electorate WHERE election_id = ?",
                     [election.id])
    return (int(voted["n"]) if voted else 0, int(size["n"]) if size else 0)


# --- adding and nominating ------------------------------------------------------------------

def add_election(app: Clerk, body: str, office: str, *, nominations_close: date,
                 voting_close: date, seats: int = 1, takes_effect: date | None = None,
                 tie: TieRule | None = None, actor: str = "facilitator",
                 channel: str = "cli") -> Election:
    """Add an election and send the call for nominations to its electorate. ``tie``: the rule
    for a tie the count cannot settle, by default the body's (``elections.tie``)."""
    b = app.body(body)
    tie = tie or b.elections.tie
    slug = body
    now = app.clock.now()
    if seats < 1:
        raise BadInput("an election needs at least one seat")
    if voting_close <= nominations_close:
        raise BadInput("voting must close after nominations close")
    if nominations_close < now.astimezone(app.tz).date():
        raise BadInput("nominations cannot close in the past")
    with app.store.write() as db:
        base = f"{slug}-{voting_close.year}-{office.replace('_', '-')}"
        ref, n = base, 2
        while fetch_one(db, "SELECT 1 AS taken FROM elections WHERE ref = ?", [ref]):
            ref, n = f"{base}-{n}", n + 1
        electorate = _electorate(app, db, slug)
        if not electorate:
            raise Refused(f"{b.label} has no members entitled to vote")
        insert(db, "elections", {
            "ref": ref, "body": slug, "office": office, "seats": seats, "tie": tie,
            "status": "nominating",
            "nominations_close": to_iso(_midnight_after(nominations_close, app)),
            "voting_close": to_iso(_midnight_after(voting_close, app)),
            "takes_effect": takes_effect.isoformat() if takes_effect else "",
            "seed": secrets.token_hex(8), "created_at": to_iso(now)})
        audit.record(db, at=now, actor=actor, action="election.add", subject=ref, channel=channel,
                     detail={"body": slug, "office": office, "seats": seats, "tie": tie,
                             "nominations_close": nominations_close.isoformat(),
                             "voting_close": voting_close.isoformat()})
        election = get_election(app, ref, db)
        for r in electorate:
            _send(app, db, election, "election_call", r["person_id"], r["email"], r["name"],
                  now, purpose="nomination")
        return election


def _send(app: Clerk, db: Database, election: Election, template: str, person_id: int | None,
          email: str, name: str, now: datetime, *, purpose: str | None = None,
          dedupe: str = "", **context: Any) -> None:
    key = issue_key(db, person_id=person_id, purpose=purpose,  # type: ignore[arg-type]
                    subject_ref=election.ref, now=now,
                    days=app.config.mail.reply_key_days) if purpose and person_id else None
    r = render_email(template, recipient_name=name, election=election,
                     body=app.body(election.body), office=election.office.replace("_", " "),
                     nominations_close=in_words(election.nominations_close - ONE_MINUTE, app.tz),
                     voting_close=in_words(election.voting_close - ONE_MINUTE, app.tz),
                     **context)
    queue(db, app.config.mail, Outgoing(
        kind=template, to_addr=email, to_name=name, subject=r.subject, text=r.text, html=r.html,
        person_id=person_id, subject_ref=election.ref, reply_key=key, purpose=purpose or "note",
        dedupe_key=dedupe or f"{template}:{election.ref}:{email}"), now)


def nominate(app: Clerk, ref: str, nominee: str, *, by: str = "facilitator",
             channel: str = "cli") -> Candidate:
    """Nominate a member of the body (a second nomination by someone else seconds it); the
    nominee is asked whether they stand (reply key purpose ``candidacy``)."""
    now = app.clock.now()
    email = normalise_email(nominee)
    with app.store.write() as db:
        election = get_election(app, ref, db)
        if election.status != "nominating" or now >= election.nominations_close:
            raise Refused(f"nominations for {ref} closed on "
                          f"{in_words(election.nominations_close - ONE_MINUTE, app.tz)}")
        seat = next((r for r in fetch_all(db, SEAT_SQL, [election.body])
                     if r["email"] == email), None)
        if seat is None:
            raise Refused(f"{email} is not a member of {app.body(election.body).label}")
        row = fetch_one(db, "SELECT * FROM election_candidates WHERE election_id = ? AND "
                            "person_id = ?", [election.id, seat["person_id"]])
        if row is None:
            execute(db, "INSERT INTO election_candidates (election_id, person_id, nominated_by) "
                        "VALUES (?, ?, ?)", [election.id, seat["person_id"], by])
            audit.record(db, at=now, actor=by, action="election.nominate", subject=ref,
                         channel=channel, detail={"nominee": email})
            _send(app, db, election, "election_candidacy", seat["person_id"], email,
                  seat["name"], now, purpose="candidacy", nominated_by=by)
        elif row["nominated_by"] != by and not row["seconded_by"]:
            execute(db, "UPDATE election_candidates SET seconded_by = ? WHERE election_id = ? "
                        "AND person_id = ?", [by, election.id, seat["person_id"]])
            audit.record(db, at=now, actor=by, action="election.second", subject=ref,
                         channel=channel, detail={"nominee": email})
        election = get_election(app, ref, db)
        return next(c for c in election.candidates if c.email == email)


def stand(app: Clerk, ref: str, email: str, stands: bool, *, channel: str = "cli") -> Candidate:
    """The candidate's answer: they stand (or withdraw) until nominations close."""
    now = app.clock.now()
    email = normalise_email(email)
    with app.store.write() as db:
        election = get_election(app, ref, db)
        person = find_person(db, email)
        if person is None or email not in {c.email for c in election.candidates}:
            raise Refused(f"{email} has not been nominated in {ref}")
        if election.status != "nominating" or now >= election.nominations_close:
            raise Refused(f"nominations for {ref} have closed")
        execute(db, "UPDATE election_candidates SET stands = ? WHERE election_id = ? AND "
                    "person_id = ?", ["yes" if stands else "no", election.id, person.id])
        audit.record(db, at=now, actor=email, action="election.stand", subject=ref,
                     channel=channel, detail={"stands": stands})
        return next(c for c in get_election(app, ref, db).candidates if c.email == email)


# --- voting ---------------------------------------------------------------------------------

def open_voting(app: Clerk, ref: str) -> Election:
    """At the close of nominations: declare an uncontested election, or fix the electorate and
    send each voter their ballot."""
    now = app.clock.now()
    with app.store.write() as db:
        election = get_election(app, ref, db)
        if election.status != "nominating":
            return election
        standing = election.standing
        if len(standing) <= election.seats:
            result = {"uncontested": True, "elected": [c.name for c in standing],
                      "elected_emails": [c.email for c in standing], "ballots": [],
                      "code": "elected" if standing else "no_candidates", "seed": election.seed}
            _finish(app, db, election, result, now, by="scheduler")
            return get_election(app, ref, db)
        update(db, "elections", election.id, {"status": "voting"})
        electorate = _electorate(app, db, election.body)
        for r in electorate:
            execute(db, "INSERT INTO election_electorate (election_id, person_id) VALUES (?, ?)",
                    [election.id, r["person_id"]])
        audit.record(db, at=now, actor="scheduler", action="election.open", subject=ref,
                     channel="scheduler",
                     detail={"candidates": [c.name for c in standing],
                             "electorate": sorted(r["email"] for r in electorate)})
        election = get_election(app, ref, db)
        for r in electorate:
            _send(app, db, election, "election_ballot", r["person_id"], r["email"], r["name"],
                  now, purpose="election")
        return election


def _receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def cast_ballot(app: Clerk, ref: str, email: str, choice: tuple[str, ...], *,
                received_at: datetime | None = None, channel: str = "email") -> BallotOutcome:
    """Record a secret ballot. The voter's first ballot stands; a late or unentitled one is
    refused. Only the voter is sent the receipt."""
    now = app.clock.now()
    received = received_at or now
    email = normalise_email(email)
    with app.store.write() as db:
        election = get_election(app, ref, db)
        names = {c.name for c in election.standing}
        if not choice or any(n not in names for n in choice) or len(set(choice)) != len(choice) \
                or (not election.ranked and len(choice) != 1):
            raise BadInput("a ballot names " + ("candidates in order of preference"
                                                if election.ranked else "one candidate"))
        person = find_person(db, email)
        entitled = person is not None and fetch_one(
            db, "SELECT 1 AS yes FROM election_electorate WHERE election_id = ? AND person_id = ?",
            [election.id, person.id])
        if not entitled or person is None:
            return BallotOutcome("refused", f"{email} is not in the electorate of {ref}")
        if election.status != "voting" or received >= election.voting_close:
            return BallotOutcome("refused", "voting closed at midnight at the end of "
                                 f"{election.voting_close.date() - timedelta(days=1):%A %d %B %Y}")
        if fetch_one(db, "SELECT 1 AS yes FROM election_voters WHERE election_id = ? AND "
                         "person_id = ?", [election.id, person.id]):
            return BallotOutcome("already_voted", "you have already voted in this election; "
                                 "your first ballot stands")
        execute(db, "INSERT INTO election_voters (election_id, person_id) VALUES (?, ?)",
                [election.id, person.id])
        receipt = _receipt()
        while fetch_one(db, "SELECT 1 AS t FROM election_ballots WHERE receipt = ?", [receipt]):
            receipt = _receipt()
        execute(db, "INSERT INTO election_ballots (receipt, election_id, choice_json) VALUES "
                    "(?, ?, ?)", [receipt, election.id, json.dumps(list(choice))])
        _rewrite_in_key_order(db, election.id)
        audit.record(db, at=now, actor=email, action="election.voted", subject=ref,
                     channel=channel)
        # no dedupe key naming the receipt, no reply key: the voter's copy only
        _send(app, db, election, "election_receipt", person.id, email, person.name, now,
              dedupe=f"election_receipt:{ref}:{person.id}", receipt=receipt, choice=choice)
        return BallotOutcome("recorded", f"ballot recorded; receipt {receipt}", receipt)


def _rewrite_in_key_order(db: Database, election_id: int) -> None:
    """Write the election's ballots again in receipt order and its voters in person order, with
    the old copies zeroed (``secure_delete``): SQLite fills a page from its end in the order rows
    are inserted, so the byte offsets of rows inserted one by one would pair each ballot with its
    voter. Rewritten, both tables' pages are laid out in key order only."""
    before = fetch_one(db, "PRAGMA secure_delete")
    execute(db, "PRAGMA secure_delete = ON")
    try:
        for table, order in (("election_ballots", "receipt"), ("election_voters", "person_id")):
            rows = fetch_all(db, f"SELECT * FROM {table} WHERE election_id = ? ORDER BY {order}",
                             [election_id])
            execute(db, f"DELETE FROM {table} WHERE election_id = ?", [election_id])
            for row in rows:
                names = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                execute(db, f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
    finally:
        execute(db, f"PRAGMA secure_delete = {int(before['secure_delete']) if before else 0}")


def forget_history(app: Clerk) -> None:
    """Truncate SQLite's write-ahead log (it holds page images in commit order, which would pair
    each ballot with its voter): done when an election closes, outside any transaction."""
    conn = app.store.db.conn
    if not conn.in_transaction:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def remind(app: Clerk, ref: str, job_key: str) -> int:
    """Remind those in the electorate who have not voted."""
    now = app.clock.now()
    with app.store.write() as db:
        election = get_election(app, ref, db)
        if election.status != "voting" or now >= election.voting_close:
            return 0
        waiting = fetch_all(
            db, "SELECT p.id, p.email, p.name FROM election_electorate e JOIN people p ON p.id = "
                "e.person_id WHERE e.election_id = ? AND e.person_id NOT IN (SELECT person_id "
                "FROM election_voters WHERE election_id = ?) AND COALESCE(p.undeliverable, '') = '' "
                "ORDER BY p.name", [election.id, election.id])
        for r in waiting:
            _send(app, db, election, "election_reminder", r["id"], r["email"], r["name"], now,
                  purpose="election", dedupe=f"election_reminder:{job_key}:{r['id']}")
        return len(waiting)


# --- closing --------------------------------------------------------------------------------

def close_election(app: Clerk, ref: str, *, by: str = "facilitator",
                   channel: str = "cli") -> Election:
    """Count, record and announce the result (once); the winners take office on the day it
    takes effect (today or later, by the deadline job). Closing (again) truncates the database's
    write-ahead log when no transaction is open (:func:`forget_history`)."""
    try:
        return _close(app, ref, by=by, channel=channel)
    finally:
        forget_history(app)


def _close(app: Clerk, ref: str, *, by: str, channel: str) -> Election:
    now = app.clock.now()
    with app.store.write() as db:
        election = get_election(app, ref, db)
        if election.status == "closed":
            return election
        if election.status == "nominating":
            raise Refused(f"voting in {ref} has not opened yet (nominations close "
                          f"{in_words(election.nominations_close - ONE_MINUTE, app.tz)})")
        ballots = [(r["receipt"], json.loads(r["choice_json"])) for r in fetch_all(
            db, "SELECT receipt, choice_json FROM election_ballots WHERE election_id = ? "
                "ORDER BY receipt", [election.id])]
        result = _count(election, ballots)
        result |= {k: election.result[k] for k in ("rerun_of", "kept") if k in election.result}
        _finish(app, db, election, result, now, by=by, channel=channel)
        return get_election(app, ref, db)


def _finish(app: Clerk, db: Database, election: Election, result: dict[str, Any],
            now: datetime, *, by: str, channel: str = "scheduler",
            action: str = "election.close") -> None:
    update(db, "elections", election.id, {"status": "closed", "closed_at": to_iso(now),
                                          "result": json.dumps(result)})
    audit.record(db, at=now, actor=by, action=action, subject=election.ref,
                 channel=channel if by != "scheduler" else "scheduler",
                 detail={k: v for k, v in result.items() if k != "elected_emails"})
    closed = get_election(app, election.ref, db)
    voted = fetch_one(db, "SELECT COUNT(*) AS n FROM election_voters WHERE election_id = ?",
                      [election.id])
    body = app.body(election.body)
    recipients = {r["email"]: r["name"] for r in fetch_all(db, SEAT_SQL, [election.body])}
    if body.facilitator:
        recipients.setdefault(body.facilitator, "Facilitator")
    for email, name in recipients.items():
        person = find_person(db, email)
        _send(app, db, closed, "election_result", person.id if person else None, email, name,
              now, result=result, voted=int(voted["n"]) if voted else 0,
              dedupe=f"election_result:{election.ref}:{action}:{email}")
    if result.get("elected_emails") and (closed.takes_effect is None
                                         or closed.takes_effect <= now.astimezone(app.tz).date()):
        _apply_offices(app, db, closed, now)


def _count(election: Election, ballots: list[tuple[str, list[str]]],
           casting: tuple[str, ...] = ()) -> dict[str, Any]:
    names = [c.name for c in election.standing]
    tie: TieRule = election.tie  # type: ignore[assignment]
    if election.ranked:
        counted = count_stv([c for _, c in ballots], names, election.seats, tie=tie,
                            seed=election.seed, casting=casting)
    else:
        counted = count_plurality([c[0] for _, c in ballots], names, tie=tie,
                                  seed=election.seed, casting=casting)
    by_name = {c.name: c.email for c in election.standing}
    return {"uncontested": False, "elected": list(counted.elected),
            "elected_emails": [by_name[n] for n in counted.elected],
            "code": counted.code, "tied": list(counted.tied), "seed": election.seed,
            "ballots": [{"receipt": r, "choice": c} for r, c in ballots]}


def decide_tie(app: Clerk, ref: str, casting: tuple[str, ...], *, given_by: str,
               by: str = "facilitator", channel: str = "cli") -> Election:
    """The Chair's casting vote for a count that stopped in a tie (tie rule ``chair_casting``):
    ``casting`` names the tied candidates in the Chair's order of preference. The ballots are
    counted again with it and the result recorded, announced and (when it takes effect) applied
    as a close would, audited ``election.decide`` with who gave the casting vote."""
    now = app.clock.now()
    try:
        with app.store.write() as db:
            election = get_election(app, ref, db)
            if election.status != "closed" or election.result.get("code") != "tie":
                raise Refused(f"{ref} has no tie to decide")
            if election.tie != "chair_casting":
                raise Refused(f"a tie in {ref} is settled {election.tie.replace('_', ' ')}, "
                              "not by a casting vote")
            tied = election.result.get("tied", [])
            named = tuple(_candidate_name(election, n) for n in casting)
            if not any(n in tied for n in named):
                raise BadInput(f"the casting vote names one of {', '.join(tied)}")
            result = _count(election, [(b["receipt"], b["choice"])
                                       for b in election.result.get("ballots", [])], named)
            result |= {"casting": list(named), "casting_by": given_by,
                       "tied_before": tied}
            _finish(app, db, election, result, now, by=by, channel=channel,
                    action="election.decide")
            return get_election(app, ref, db)
    finally:
        forget_history(app)


def rerun(app: Clerk, ref: str, voting_close: date, *, by: str = "facilitator",
          channel: str = "cli") -> Election:
    """A tie under the rule ``rerun``: a new vote between the tied candidates alone, as a new
    election (``REF-rerun``) for the seats still to fill, opened at once with the body's
    electorate today and ballots emailed; the first round's result stands as it was, naming the
    rerun (``rerun``), and the rerun names it (``rerun_of``); those elected before the tie keep
    their election when the rerun's winners take office."""
    now = app.clock.now()
    with app.store.write() as db:
        first = get_election(app, ref, db)
        if first.status != "closed" or first.result.get("code") != "tie":
            raise Refused(f"{ref} has no tie to rerun")
        if first.tie != "rerun":
            raise Refused(f"a tie in {ref} is settled {first.tie.replace('_', ' ')}, not by a "
                          "rerun")
        if first.result.get("rerun"):
            return get_election(app, first.result["rerun"], db)
        if voting_close < now.astimezone(app.tz).date():
            raise BadInput("voting cannot close in the past")
        base, n = f"{ref}-rerun", 2
        new_ref = base
        while fetch_one(db, "SELECT 1 AS taken FROM elections WHERE ref = ?", [new_ref]):
            new_ref, n = f"{base}-{n}", n + 1
        tied = set(first.result.get("tied", []))
        kept = list(first.result.get("elected_emails", []))
        insert(db, "elections", {
            "ref": new_ref, "body": first.body, "office": first.office,
            "seats": max(1, first.seats - len(kept)), "tie": first.tie, "status": "voting",
            "nominations_close": to_iso(now),
            "voting_close": to_iso(_midnight_after(voting_close, app)),
            "takes_effect": first.takes_effect.isoformat() if first.takes_effect else "",
            "seed": secrets.token_hex(8), "created_at": to_iso(now),
            "result": json.dumps({"rerun_of": ref, "kept": kept})})
        new = get_election(app, new_ref, db)
        for c in first.standing:
            if c.name in tied:
                person = find_person(db, c.email)
                if person is not None:
                    execute(db, "INSERT INTO election_candidates (election_id, person_id, "
                                "nominated_by, seconded_by, stands) VALUES (?, ?, ?, ?, 'yes')",
                            [new.id, person.id, c.nominated_by, c.seconded_by])
        electorate = _electorate(app, db, first.body)
        for r in electorate:
            execute(db, "INSERT INTO election_electorate (election_id, person_id) VALUES (?, ?)",
                    [new.id, r["person_id"]])
        update(db, "elections", first.id, {"result": json.dumps(first.result | {"rerun": new_ref})})
        audit.record(db, at=now, actor=by, action="election.rerun", subject=ref, channel=channel,
                     detail={"rerun": new_ref, "tied": sorted(tied),
                             "voting_close": voting_close.isoformat(),
                             "electorate": sorted(r["email"] for r in electorate)})
        new = get_election(app, new_ref, db)
        for r in electorate:
            _send(app, db, new, "election_ballot", r["person_id"], r["email"], r["name"], now,
                  purpose="election")
        return new


def chair_of(app: Clerk, body: str) -> str:
    """The email of whoever holds the office of chair of ``body`` (``chair`` if no one does)."""
    row = fetch_one(app.store.db, "SELECT p.email FROM memberships m JOIN people p ON p.id = "
                                  "m.person_id WHERE m.body = ? AND m.active = 1 AND "
                                  "m.office = 'chair' ORDER BY m.id", [body])
    return str(row["email"]) if row else "chair"


def _candidate_name(election: Election, text: str) -> str:
    """A standing candidate named by full name, first name or email (case-insensitive)."""
    key = text.strip().lower()
    for c in election.standing:
        if key in (c.name.lower(), c.email.lower(), c.name.split()[0].lower()):
            return c.name
    raise BadInput(f'"{text.strip()}" is not a candidate in {election.ref}')


def take_office(app: Clerk, ref: str) -> int:
    """On the day the result takes effect: the winners hold the office, anyone else holding it
    loses it. Returns how many memberships changed (0 when already done)."""
    now = app.clock.now()
    with app.store.write() as db:
        election = get_election(app, ref, db)
        if election.status != "closed":
            return 0
        return _apply_offices(app, db, election, now)


def _apply_offices(app: Clerk, db: Database, election: Election, now: datetime) -> int:
    row = fetch_one(db, "SELECT offices_applied FROM elections WHERE id = ?", [election.id])
    if row is None or row["offices_applied"] or election.result.get("code") == "tie":
        return 0  # a tie not yet settled changes no office (a rerun carries it)
    winners = set(election.result.get("elected_emails", [])) | set(election.result.get("kept", []))
    changed = 0
    for r in fetch_all(db, "SELECT m.id, p.email, m.office FROM memberships m JOIN people p ON "
                           "p.id = m.person_id WHERE m.body = ? AND m.active = 1",
                       [election.body]):
        want = election.office if r["email"] in winners else (
            "" if r["office"] == election.office else r["office"])
        if want != r["office"]:
            update(db, "memberships", r["id"], {"office": want, "updated_at": to_iso(now)})
            changed += 1
    update(db, "elections", election.id, {"offices_applied": 1})
    audit.record(db, at=now, actor="scheduler", action="election.take_office",
                 subject=election.ref, channel="scheduler",
                 detail={"office": election.office, "holders": sorted(winners)})
    return changed
